//! The node's serving side: a thin front end over the wire's shared request path (its
//! table, its head routing, its bounded pool). Each request is routed where it arrives,
//! by its subscription's task on the runtime thread, and nothing there waits: a tell to
//! an actor is posted with `try_tell` (behind its name's lane if the mailbox is full), a
//! call to an actor is posted too and answered from the actor's thread as it replies (up
//! to [`Limits::max_queued`] at once; past that, and when the actor's bounded mailbox is
//! full, it goes to the pool), a call or a tell to a function goes to the pool, a refusal
//! is queued as a reply at once.
//!
//! Topics keep a dispatcher thread of their own (publishing to local subscribers may
//! wait on a bounded mailbox), fed through a bounded queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use async_nats::{Client, Message as NatsMessage, Subject};
use bytes::Bytes;
use crossbeam_channel::{Sender, TrySendError};
use tokio::sync::mpsc;

use super::link::Calls;
use super::node::{Incoming, Topic};
use super::packet;
use super::runtime::Op;
use crate::sync::lock;
use crate::wire::codec::Head;
use crate::wire::{
    catch, Answer, Counters, Endpoint, Failure, Fault, Hold, Job, Limits, Pool, Request, Table,
    WireError, Workers,
};

/// What a node serves, and how: shared by its subscriptions' tasks and its workers.
pub(crate) struct Serving {
    pub(crate) table: Table,
    pool: Pool,
    replier: Replier,
    pub(crate) counters: Arc<Counters>,
    /// To the topic dispatcher thread; it ends when the last sender goes.
    topics: Sender<Incoming>,
    limits: Limits,
    /// Calls let in and not yet ended, by the caller's inbox (its reply subject less the
    /// last token).
    origins: Arc<Origins>,
}

/// Calls in, by caller: past the pool's limit a caller with none in is still let in (up
/// to twice the limit in all), so a flood from some callers does not starve the others.
/// Tells carry no sender; past the limit they are refused.
type Origins = Mutex<HashMap<String, usize>>;

impl Serving {
    /// Starts the pool's workers and the topic dispatcher.
    pub(crate) fn start(
        workers: Workers,
        limits: Limits,
        ops: mpsc::Sender<Op>,
        client: Client,
        calls: Arc<Calls>,
    ) -> std::io::Result<Serving> {
        let counters = Arc::new(Counters::default());
        let pool = Pool::start(workers, limits, counters.clone(), "nats")?;
        let reported = calls.clone();
        let table = Table::new(
            limits,
            counters.clone(),
            Arc::new(move |e| reported.report(e)),
        );
        let (topics, incoming) = crossbeam_channel::bounded(limits.max_queued.max(1));
        let dispatching = calls.clone();
        thread::Builder::new()
            .name("nats-topics".to_owned())
            .spawn(move || {
                for Incoming::Topic { topic, msg } in incoming.iter() {
                    deliver(&topic, &msg, &dispatching);
                }
            })?;
        Ok(Serving {
            table,
            pool,
            replier: Replier { ops, client, calls },
            counters,
            topics,
            limits,
            origins: Arc::default(),
        })
    }

    /// A message on the subject of the actor served as `name`; on the runtime thread,
    /// so nothing here waits.
    pub(crate) fn request(&self, name: &str, msg: NatsMessage) {
        let NatsMessage { payload, reply, .. } = msg;
        let calls = &self.replier.calls;
        let (request, start) = match packet::open(&payload) {
            Ok((head, start)) => (self.table.route(head, Some(name), "NATS node"), start),
            Err(e) => {
                calls.report(e.clone());
                if reply.is_none() {
                    return;
                }
                // A caller waiting on it hears at once rather than at its deadline.
                let fault = Fault::BadRequest {
                    actor: name.to_owned(),
                    message: "(unreadable)".to_owned(),
                    reason: e.to_string(),
                };
                (Request::Refuse { xid: 0, fault }, 0)
            }
        };
        let job = |endpoint, kind| {
            Box::new(NatsJob {
                replier: self.replier.clone(),
                endpoint,
                payload: payload.clone(),
                start,
                kind,
                origins: self.origins.clone(),
                counted: false,
            })
        };
        match request {
            Request::Call {
                xid,
                timeout,
                endpoint,
            } => match reply {
                Some(reply) => {
                    if endpoint.starts()
                        && self.post_call(&reply, xid, &endpoint, &payload[start..], timeout)
                    {
                        return;
                    }
                    self.pool.dispatch(job(
                        endpoint,
                        Kind::Call {
                            reply,
                            xid,
                            timeout,
                        },
                    ))
                }
                None => calls.report(WireError::Unexpected {
                    what: "call with no reply subject",
                    side: "NATS node",
                }),
            },
            Request::Tell(endpoint) if endpoint.tells_inline() => {
                let report = |e: WireError| calls.report(e);
                self.table
                    .post(&endpoint, &payload[start..], &self.pool, &report);
            }
            Request::Tell(endpoint) => self.pool.dispatch(job(endpoint, Kind::Tell)),
            Request::Refuse { xid, fault } => match reply {
                Some(reply) => self.replier.fault(reply, xid, fault),
                None => calls.report(fault.into()),
            },
            Request::Report(error) => calls.report(error),
        }
    }

    /// Posts a call to an actor, to be answered from the actor's thread as it replies:
    /// whether it was (false: past the bound of calls posted at once, or the actor's
    /// bounded mailbox is full; the call then goes to the pool).
    fn post_call(
        &self,
        reply: &Subject,
        xid: u64,
        endpoint: &Endpoint,
        body: &[u8],
        timeout: Duration,
    ) -> bool {
        let Some(hold) = self.pool.post() else {
            return false;
        };
        let answer = Box::new(Posted {
            replier: self.replier.clone(),
            reply: reply.clone(),
            xid,
            endpoint: endpoint.clone(),
            _hold: hold,
            pending: true,
        });
        endpoint.start(body, timeout, answer)
    }

    /// A message on a topic's subject; on the runtime thread: queued for the topic
    /// dispatcher, or dropped (and recorded) if [`Limits::max_queued`] already wait.
    pub(crate) fn topic(&self, item: Incoming) {
        match self.topics.try_send(item) {
            Ok(()) => {}
            Err(TrySendError::Full(Incoming::Topic { topic, .. })) => {
                Counters::bump(&self.counters.refused_requests);
                self.replier.calls.report(WireError::Limit {
                    peer: "NATS topic subscription".to_owned(),
                    reason: format!(
                        "a publish of `{}` was dropped: {} publishes already wait for delivery",
                        topic.message, self.limits.max_queued
                    ),
                });
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Waits until every request let in has ended, or `deadline` passes.
    pub(crate) fn wait_idle(&self, deadline: std::time::Instant) -> bool {
        self.pool.wait_idle(deadline)
    }
}

fn deliver(topic: &Topic, msg: &NatsMessage, calls: &Calls) {
    let outcome = match packet::open(&msg.payload) {
        Ok((Head::Tell { route }, start)) if route.message == topic.message => {
            (topic.deliver)(&msg.payload[start..]).map_err(WireError::from)
        }
        Ok((Head::Tell { .. }, _)) => Err(WireError::Unexpected {
            what: "message of another type than its topic's",
            side: "NATS topic subscription",
        }),
        Ok((head, _)) => Err(WireError::Unexpected {
            what: head.kind(),
            side: "NATS topic subscription",
        }),
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        calls.report(e);
    }
}

/// A request for a worker.
struct NatsJob {
    replier: Replier,
    endpoint: Endpoint,
    payload: Bytes,
    start: usize,
    kind: Kind,
    origins: Arc<Origins>,
    /// Whether it counts in `origins`.
    counted: bool,
}

impl NatsJob {
    /// Whose call it is: the reply subject's inbox.
    fn origin(&self) -> Option<&str> {
        match &self.kind {
            Kind::Call { reply, .. } => {
                Some(reply.rsplit_once('.').map_or(&**reply, |(inbox, _)| inbox))
            }
            Kind::Tell => None,
        }
    }

    /// Leaves `origins` (once; dropped, it leaves too).
    fn leave(&mut self) {
        if !std::mem::take(&mut self.counted) {
            return;
        }
        if let Some(origin) = self.origin() {
            let mut origins = lock(&self.origins);
            if let Some(count) = origins.get_mut(origin) {
                *count -= 1;
                if *count == 0 {
                    origins.remove(origin);
                }
            }
        }
    }
}

impl Drop for NatsJob {
    fn drop(&mut self) {
        self.leave();
    }
}

enum Kind {
    Call {
        reply: Subject,
        xid: u64,
        timeout: Duration,
    },
    Tell,
}

impl Job for NatsJob {
    fn may_refuse(&self, taken: usize, max: usize) -> bool {
        match self.origin() {
            Some(origin) => {
                taken >= max.saturating_mul(2) || lock(&self.origins).contains_key(origin)
            }
            None => true,
        }
    }

    fn admitted(&mut self) {
        if let Some(origin) = self.origin() {
            let origin = origin.to_owned();
            *lock(&self.origins).entry(origin).or_default() += 1;
            self.counted = true;
        }
    }

    /// A call leaves `origins` before its answer is published: its caller's next call,
    /// sent on reading it, must find it with nothing in, or past the thread cap it would
    /// be refused.
    fn run(mut self: Box<Self>) {
        let body = &self.payload[self.start..];
        match &self.kind {
            Kind::Call {
                reply,
                xid,
                timeout,
            } => {
                let (reply, xid) = (reply.clone(), *xid);
                let endpoint = &self.endpoint;
                let answer = self
                    .replier
                    .prepare(xid, endpoint, |out| endpoint.answer(body, *timeout, out));
                self.leave();
                self.replier.publish(reply, xid, answer);
            }
            Kind::Tell => {
                if let Err(fault) = self.endpoint.deliver(body) {
                    self.replier.calls.report(fault.into());
                }
            }
        }
    }

    fn refuse(self: Box<Self>, reason: String) {
        match &self.kind {
            Kind::Call { reply, xid, .. } => {
                self.replier
                    .fault(reply.clone(), *xid, Fault::Unavailable { reason })
            }
            Kind::Tell => self.replier.calls.report(WireError::Limit {
                peer: "NATS node".to_owned(),
                reason: format!(
                    "a tell of `{}` to `{}` was dropped: {reason}",
                    self.endpoint.message, self.endpoint.actor
                ),
            }),
        }
    }
}

/// A call posted to an actor, answered from the thread its reply comes from (the
/// actor's, or the timer's at the timeout). It holds the pool (so a graceful close waits
/// for it, and at most `max_queued` are posted at once), until answered.
struct Posted {
    replier: Replier,
    reply: Subject,
    xid: u64,
    endpoint: Endpoint,
    /// One of at most `max_queued` posted at once.
    _hold: Hold,
    /// False once answered, or withdrawn: dropped while still pending (a panic while
    /// posting), it answers with a fault.
    pending: bool,
}

impl Answer for Posted {
    fn reply(mut self: Box<Self>, encode: &dyn Fn(&mut Vec<u8>) -> Result<(), Failure>) {
        self.pending = false;
        let endpoint = &self.endpoint;
        self.replier
            .finish(self.reply.clone(), self.xid, endpoint, |out| {
                catch(|| encode(out)).map_err(|failure| endpoint.fault(failure))
            });
    }

    fn fail(mut self: Box<Self>, failure: Failure) {
        self.pending = false;
        let fault = self.endpoint.fault(failure);
        self.replier.fault(self.reply.clone(), self.xid, fault);
    }

    fn withdraw(mut self: Box<Self>) {
        self.pending = false;
    }
}

impl Drop for Posted {
    fn drop(&mut self) {
        if self.pending {
            let fault = self.endpoint.fault(Failure::unanswered());
            self.replier.fault(self.reply.clone(), self.xid, fault);
        }
    }
}

/// Sends replies, from the workers and the runtime thread, never waiting: past the
/// node's outgoing queue's bound, a reply is dropped (and recorded); its caller times
/// out.
#[derive(Clone)]
struct Replier {
    ops: mpsc::Sender<Op>,
    client: Client,
    calls: Arc<Calls>,
}

impl Replier {
    /// Publishes the reply to call `xid` that `encode` appends, or the fault that takes
    /// its place.
    fn finish(
        &self,
        reply: Subject,
        xid: u64,
        endpoint: &Endpoint,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), Fault>,
    ) {
        let answer = self.prepare(xid, endpoint, encode);
        self.publish(reply, xid, answer);
    }

    /// The reply packet to call `xid` that `encode` appends, or the fault that takes its
    /// place.
    fn prepare(
        &self,
        xid: u64,
        endpoint: &Endpoint,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), Fault>,
    ) -> Result<Vec<u8>, Fault> {
        let failed = |reason: String| Fault::Failed {
            actor: endpoint.actor.to_string(),
            message: endpoint.message.to_owned(),
            reason,
        };
        let mut out = packet::start(&Head::Reply { xid }).map_err(|e| failed(e.to_string()))?;
        encode(&mut out)?;
        let max = self.client.max_payload();
        if out.len() > max {
            return Err(failed(format!(
                "its reply of {} bytes is over the NATS server's max_payload of {max} bytes",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Publishes what [`prepare`](Replier::prepare) made.
    fn publish(&self, reply: Subject, xid: u64, answer: Result<Vec<u8>, Fault>) {
        match answer {
            Ok(packet) => self.send(reply, xid, packet),
            Err(fault) => self.fault(reply, xid, fault),
        }
    }

    /// Answers call `xid` with `fault`. A fault is small; should one not fit the
    /// server's limit, its caller times out instead.
    fn fault(&self, reply: Subject, xid: u64, fault: Fault) {
        match packet::start(&Head::Fault { xid, fault }) {
            Ok(packet) if packet.len() <= self.client.max_payload() => {
                self.send(reply, xid, packet)
            }
            Ok(packet) => self.calls.report(WireError::PayloadTooLarge {
                len: packet.len() as u64,
                max: self.client.max_payload() as u64,
            }),
            Err(e) => self.calls.report(e.into()),
        }
    }

    fn send(&self, reply: Subject, xid: u64, packet: Vec<u8>) {
        let op = Op::Publish {
            subject: reply,
            reply: None,
            payload: packet.into(),
            xid: None,
        };
        // Closed only once the node is: its callers have been released already.
        if let Err(mpsc::error::TrySendError::Full(_)) = self.ops.try_send(op) {
            self.calls.report(WireError::Limit {
                peer: "NATS node".to_owned(),
                reason: format!(
                    "the answer to call {xid} was dropped: the node's outgoing queue is full"
                ),
            });
        }
    }
}
