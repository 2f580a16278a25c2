//! [`NatsLink`]: the calling side over NATS, the wire's [`Link`] on NATS subjects.
//!
//! Every call gets a fresh transaction id `xid` and the reply subject `{inbox}.{xid}`,
//! unique to this node and this call. A slot for its reply is registered in a table
//! before the request is queued; the node's one subscription to `{inbox}.*` hands each
//! reply to the slot of its xid. A reply whose xid is no longer in the table belongs to a
//! call that timed out (or was released) and is dropped: it can never reach another
//! call. When the connection to the server is lost, the table is emptied at once, each
//! waiting caller gets [`WireError::Disconnected`], and new calls fail at once until the
//! client has reconnected.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::{Client, Message as NatsMessage, StatusCode, Subject};
use crossbeam_channel::RecvTimeoutError;
use tokio::sync::mpsc::{self, error::TrySendError};

pub(crate) use super::calls::Calls;
use super::calls::LOST;
use super::config::NodeConfig;
use super::error::NatsError;
use super::packet;
use super::runtime::{self, Forward, Op, Subscription};
use super::subject::{check_prefix, Subjects};
use crate::actor::Actor;
use crate::sync::lock;
use crate::wire::codec::{Head, Payload, RemoteMessage, Route};
use crate::wire::{Link, RemoteAddr, RemoteError, WireError};

/// The connection shared by a node and its links: the client, the queue to its runtime
/// thread, and the waiting calls. The last handle to go closes it.
pub(crate) struct Core {
    client: Client,
    ops: mpsc::Sender<Op>,
    /// The bound of `ops`, for messages.
    max_outgoing: usize,
    abort: Arc<tokio::sync::Notify>,
    calls: Arc<Calls>,
    pub(crate) subjects: Subjects,
    pub(crate) servers: String,
    inbox: String,
    /// How long to wait for the client to take a subscription, or the server to confirm it.
    pub(crate) confirm_timeout: Duration,
    runtime: Mutex<Option<JoinHandle<()>>>,
}

impl Core {
    pub(crate) fn connect(config: &NodeConfig) -> Result<Core, NatsError> {
        check_prefix("subject prefix", &config.prefix)?;
        check_prefix("inbox prefix", &config.inbox_prefix)?;
        let servers = config.servers_text();
        let calls = Arc::new(Calls::new(format!("NATS server {servers}")));
        let started = runtime::start(config, calls.clone())?;
        Ok(Core {
            client: started.client,
            ops: started.ops,
            max_outgoing: config.max_outgoing.max(1),
            abort: started.abort,
            calls,
            subjects: Subjects::new(&config.prefix),
            servers,
            inbox: started.inbox,
            confirm_timeout: config.connect_timeout,
            runtime: Mutex::new(Some(started.thread)),
        })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn ops(&self) -> mpsc::Sender<Op> {
        self.ops.clone()
    }

    pub(crate) fn calls(&self) -> &Arc<Calls> {
        &self.calls
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.client.connection_state() == State::Connected && self.calls.closed().is_none()
    }

    /// Refuses at once what cannot go out now: the node is closed, or the client is
    /// reconnecting.
    fn check_open(&self) -> Result<(), WireError> {
        if let Some(reason) = self.calls.closed() {
            return Err(self.calls.disconnected(&reason));
        }
        if self.client.connection_state() != State::Connected {
            return Err(self.calls.disconnected(LOST));
        }
        Ok(())
    }

    /// Refuses a payload over the server's `max_payload`.
    pub(crate) fn check_size(&self, len: usize) -> Result<(), WireError> {
        let max = self.client.max_payload();
        if len > max {
            return Err(WireError::PayloadTooLarge {
                len: len as u64,
                max: max as u64,
            });
        }
        Ok(())
    }

    /// Queues a publish for the runtime thread without waiting: past the outgoing
    /// queue's bound (a connection that does not drain, such as a partition not yet
    /// noticed), it is refused with [`WireError::Limit`].
    fn queue(&self, op: Op) -> Result<(), WireError> {
        self.ops.try_send(op).map_err(|e| match e {
            TrySendError::Full(_) => WireError::Limit {
                peer: self.calls.peer.clone(),
                reason: format!(
                    "not sent: the node's outgoing queue is full ({} messages wait for the connection)",
                    self.max_outgoing
                ),
            },
            TrySendError::Closed(_) => self
                .calls
                .disconnected("the node's runtime thread has stopped"),
        })
    }

    /// Queues a control operation (a subscription's change, a round trip): the node's
    /// own, never a peer's, so it waits for room, up to the confirm timeout.
    fn queue_wait(&self, op: Op) -> Result<(), WireError> {
        let deadline = Instant::now() + self.confirm_timeout;
        let mut op = op;
        loop {
            match self.ops.try_send(op) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    op = back;
                    // Rare (a stalled connection): the tokio queue has no blocking
                    // send with a timeout that is safe on every thread.
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return self.queue_refused(),
            }
        }
    }

    fn queue_refused(&self) -> Result<(), WireError> {
        Err(if self.ops.is_closed() {
            self.calls
                .disconnected("the node's runtime thread has stopped")
        } else {
            WireError::Limit {
                peer: self.calls.peer.clone(),
                reason: "the node's outgoing queue stayed full".to_owned(),
            }
        })
    }

    /// Ends the runtime: after what is queued (flushed for a few seconds at most) if the
    /// close can be queued, else at once (the queue is full behind a stalled
    /// connection). Whether it ends after a flush it can be told of.
    fn end(&self, done: crossbeam_channel::Sender<()>) -> bool {
        match self.ops.try_send(Op::Close { done }) {
            Ok(()) => true,
            Err(_) => {
                self.abort.notify_one();
                false
            }
        }
    }

    /// Publishes a whole packet to `subject`, in order with every other publish.
    pub(crate) fn publish(&self, subject: String, packet: Vec<u8>) -> Result<(), WireError> {
        self.check_open()?;
        self.check_size(packet.len())?;
        self.queue(Op::Publish {
            subject: subject.into(),
            reply: None,
            payload: packet.into(),
            xid: None,
        })
    }

    /// The seed's transaction over NATS: sends `body` to the actor `route` names and waits
    /// up to `timeout` for the encoded reply.
    pub(crate) fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>> {
        // `None` if the timeout is too long to count: then it is no timeout at all.
        let deadline = Instant::now().checked_add(timeout);
        self.check_open().map_err(not_sent)?;
        let (xid, reply) = self.calls.register().map_err(not_sent)?;
        let timeout_ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let head = Head::Call {
            xid,
            timeout_ms,
            route,
        };
        let subject = self.subjects.actor(route.actor);
        let queued = packet::build(&head, body)
            .map_err(WireError::from)
            .and_then(|packet| {
                self.check_size(packet.len())?;
                self.queue(Op::Publish {
                    subject: Subject::from(subject.as_str()),
                    reply: Some(format!("{}.{xid}", self.inbox).into()),
                    payload: packet.into(),
                    xid: Some(xid),
                })
            });
        if let Err(e) = queued {
            self.calls.forget(xid);
            return Err(not_sent(e));
        }
        let outcome = match deadline {
            Some(deadline) => reply.recv_deadline(deadline),
            None => reply.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => {
                self.calls.forget(xid);
                // The reply may have come between the timeout and the removal.
                reply.try_recv().unwrap_or_else(|_| {
                    Err(WireError::Timeout {
                        actor: route.actor.to_owned(),
                        message: route.message.to_owned(),
                        timeout,
                    })
                })
            }
            // Unreachable in practice: a slot is answered before it is dropped.
            Err(RecvTimeoutError::Disconnected) => Err(self.calls.disconnected(LOST)),
        };
        match outcome {
            Ok(msg) => reply_of(route, subject, msg),
            Err(e) => Err(RemoteError::Failed(e)),
        }
    }

    /// Waits until the server has handled everything this node sent before (its
    /// subscriptions included), across a reconnection if need be: a message to the
    /// node's own inbox, and back.
    pub(crate) fn round_trip(&self, timeout: Duration) -> Result<(), NatsError> {
        let deadline = Instant::now().checked_add(timeout);
        let closed = |reason: String| NatsError::Closed { reason };
        loop {
            let (xid, reply) = self
                .calls
                .register()
                .map_err(|_| closed(self.calls.closed().unwrap_or_default()))?;
            self.queue_wait(Op::Publish {
                subject: format!("{}.{xid}", self.inbox).into(),
                reply: None,
                payload: Default::default(),
                xid: Some(xid),
            })
            .map_err(|e| closed(e.to_string()))?;
            let outcome = match deadline {
                Some(deadline) => reply.recv_deadline(deadline),
                None => reply.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match outcome {
                Ok(Ok(_)) => return Ok(()),
                // Released by a lost connection: the next one goes out after reconnecting.
                Ok(Err(WireError::Disconnected { .. })) if self.calls.closed().is_none() => {}
                Ok(Err(e)) => return Err(closed(e.to_string())),
                Err(_) => {
                    self.calls.forget(xid);
                    return Err(NatsError::Timeout {
                        servers: self.servers.clone(),
                        timeout,
                    });
                }
            }
        }
    }

    /// Subscribes (in `queue`, if given), handing each message to `forward`; returns once
    /// the client has the subscription.
    pub(crate) fn subscribe(
        &self,
        subject: &str,
        queue: Option<String>,
        forward: Forward,
    ) -> Result<Subscription, NatsError> {
        if let Some(reason) = self.calls.closed() {
            return Err(NatsError::Closed { reason });
        }
        let failed = |reason: String| NatsError::Subscribe {
            subject: subject.to_owned(),
            reason,
        };
        let (done, subscribed) = crossbeam_channel::bounded(1);
        self.queue_wait(Op::Subscribe {
            subject: subject.to_owned(),
            queue,
            forward,
            done,
        })
        .map_err(|e| failed(e.to_string()))?;
        match subscribed.recv_timeout(self.confirm_timeout) {
            Ok(outcome) => outcome.map_err(failed),
            Err(_) => Err(failed(format!(
                "the client did not take it within {:?}",
                self.confirm_timeout
            ))),
        }
    }

    /// Unsubscribes, in order with the publishes.
    pub(crate) fn unsubscribe(&self, subscription: Subscription) {
        // Fails only once the runtime has stopped, which ends every subscription.
        let _ = self.queue_wait(Op::Unsubscribe { subscription });
    }

    /// Closes the connection: waiting callers are released at once, later calls fail at
    /// once, and what was published goes out first (for at most a few seconds).
    pub(crate) fn close(&self, reason: &str) {
        self.calls.close(reason);
        let (done, flushed) = crossbeam_channel::bounded(1);
        if self.end(done) && flushed.recv_timeout(Duration::from_secs(6)).is_ok() {
            let thread = lock(&self.runtime).take();
            if let Some(thread) = thread {
                let _ = thread.join();
            }
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.calls.pending()
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        // No waiting here: the runtime thread flushes and ends on its own.
        if self.calls.close("every handle to the node was dropped") {
            let (done, _) = crossbeam_channel::bounded(1);
            self.end(done);
        }
    }
}

fn not_sent(error: WireError) -> RemoteError<()> {
    RemoteError::NotSent { error, msg: () }
}

/// What a call's reply message means.
fn reply_of(
    route: Route<'_>,
    subject: String,
    msg: NatsMessage,
) -> Result<Payload, RemoteError<()>> {
    match msg.status {
        None | Some(StatusCode::OK) => {}
        // Nothing received the request: the message can be given back.
        Some(StatusCode::NO_RESPONDERS) => {
            return Err(not_sent(WireError::NoResponders {
                actor: route.actor.to_owned(),
                subject,
            }))
        }
        Some(status) => {
            return Err(RemoteError::Failed(WireError::io(
                format!("calling `{}`", route.actor),
                format!(
                    "the server answered with status {status}{}",
                    msg.description
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            )))
        }
    }
    let start = match packet::open(&msg.payload) {
        Ok((Head::Reply { .. }, start)) => start,
        Ok((Head::Fault { fault, .. }, _)) => return Err(RemoteError::Failed(fault.into())),
        Ok((head, _)) => {
            return Err(RemoteError::Failed(WireError::Unexpected {
                what: head.kind(),
                side: "NATS caller",
            }))
        }
        Err(e) => return Err(RemoteError::Failed(e)),
    };
    Ok(Payload::new(Vec::from(msg.payload), start))
}

/// The calling side of a NATS [`Node`](super::Node): the wire's [`Link`], so a
/// [`RemoteAddr<A, NatsLink>`] calls and tells an actor served anywhere on the NATS
/// system as a local [`Addr`](crate::Addr) would.
///
/// A request goes to the subject of the name called (`{prefix}.actor.{name}`) with a
/// reply subject unique to the call. Failure is explicit and fast:
///
/// - no one serves the name: [`WireError::NoResponders`] at once, the message given back;
/// - the client is reconnecting, or the node was closed: [`WireError::Disconnected`] at
///   once, the message given back; a caller waiting when the connection is lost is
///   released at once with the same error;
/// - a request over the server's `max_payload`: [`WireError::PayloadTooLarge`], before
///   anything is sent, the message given back;
/// - no reply in time: [`WireError::Timeout`]; a reply that comes later is dropped, and
///   can never reach another call.
///
/// Tells through one link reach a node in the order told; where several nodes serve the
/// name, each tell goes to one of them. A tell to a name no one serves is dropped by the
/// server (NATS reports missing responders to requests only). Cheap to clone; clones
/// share the node's connection.
///
/// ```no_run
/// use actor_core::prelude::*;
/// use actor_core::nats::Node;
/// use actor_core::wire::Link;
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Square(u64);
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let link = Node::connect("nats://127.0.0.1:4222")?.link();
/// match link.call("math", Square(12), Duration::from_secs(5)) {
///     Ok(n) => assert_eq!(n, 144),
///     Err(e) if e.is_no_responders() => println!("no one serves `math` yet"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct NatsLink {
    core: Arc<Core>,
}

impl NatsLink {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        NatsLink { core }
    }

    pub(crate) fn core(&self) -> &Core {
        &self.core
    }

    /// A typed handle to the actor served as `name` somewhere on the NATS system.
    pub fn remote<A: Actor>(&self, name: &str) -> RemoteAddr<A, NatsLink> {
        RemoteAddr::new(self.clone(), name)
    }

    /// Sends `msg` to the actor served as `name` and waits up to `timeout` for its typed
    /// reply. If the request never went out, the message comes back in the error.
    pub fn call<M: RemoteMessage>(
        &self,
        name: &str,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, RemoteError<M>> {
        Link::call(self, name, msg, timeout)
    }

    /// Sends `msg` to the actor served as `name` without waiting.
    pub fn tell<M: RemoteMessage>(&self, name: &str, msg: M) -> Result<(), RemoteError<M>> {
        Link::tell(self, name, msg)
    }

    /// Whether the client is connected to a server now (rather than reconnecting, or
    /// closed).
    pub fn is_connected(&self) -> bool {
        self.core.is_connected()
    }

    /// The largest payload the server takes, in bytes (its `max_payload`): a packet is
    /// the message plus a head of a few dozen bytes.
    pub fn max_payload(&self) -> usize {
        self.core.client.max_payload()
    }

    /// How many calls are waiting for their reply.
    pub fn pending(&self) -> usize {
        self.core.pending()
    }
}

impl Link for NatsLink {
    fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>> {
        self.core.transaction(route, body, timeout)
    }

    fn post(&self, route: Route<'_>, body: &[u8]) -> Result<(), RemoteError<()>> {
        let subject = self.core.subjects.actor(route.actor);
        packet::build(&Head::Tell { route }, body)
            .map_err(WireError::from)
            .and_then(|packet| self.core.publish(subject, packet))
            .map_err(not_sent)
    }
}

impl fmt::Debug for NatsLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsLink")
            .field("servers", &self.core.servers)
            .field("prefix", &self.core.subjects.prefix())
            .field("connected", &self.is_connected())
            .field("pending", &self.pending())
            .finish()
    }
}
