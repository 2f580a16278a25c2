//! The serving side's request path, shared by the [`DeMux`](super::DeMux) and the NATS
//! node: one table of what is exposed ([`Table`]), one reading of a request's head
//! ([`Table::route`]), one way to post a tell without blocking ([`Table::post`]), and one
//! bounded worker pool ([`Pool`]). Each transport is a thin front end over it: it reads
//! packets, and sends back what its jobs answer.
//!
//! A tell to an exposed actor is posted where it is read, with `try_tell`, so it keeps
//! its order and never waits. If the actor's bounded mailbox is full, the tell (decoded)
//! waits in its name's [`Lane`], and one job on the pool posts what waits there, in
//! order, as room comes: later tells to that name go behind it (tells to one name keep
//! the order they were read in), while tells and calls to every other name go on.

use std::any::TypeId;
use std::collections::{HashMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::codec::{self, Head, RemoteMessage, Route};
use super::error::{Fault, WireError};
use super::limits::{Counters, Limits};
use super::pool::{Job, Pool};
use super::woken;
use crate::actor::{Actor, Handler};
use crate::call::Bridge;
use crate::error::{CallError, SendError};
use crate::handle::Addr;
use crate::sync::{lock, read, write};

/// Decodes a request body, runs it, appends the encoded reply to the buffer.
type CallFn = dyn Fn(&[u8], Duration, &mut Vec<u8>) -> Result<(), Failure> + Send + Sync;
/// Decodes a request body and runs it (a function) or posts it (an actor, without
/// waiting). With `behind` set, an actor's tell is not posted but handed back, to wait
/// behind the tells already waiting in its lane; so is one its full mailbox refused.
type TellFn = dyn Fn(&[u8], bool) -> Result<Option<Later>, Failure> + Send + Sync;
/// A decoded tell waiting for room in a full mailbox: posts it, waiting at most so long.
pub(crate) type Later = Box<dyn FnOnce(Duration) -> Result<(), Failure> + Send>;
/// Where the table records what went wrong away from any request (a tell that waited
/// in a lane and could not be posted).
pub(crate) type Report = Arc<dyn Fn(WireError) + Send + Sync>;
/// Decodes a request body and posts it to an exposed actor as a call whose reply goes to
/// the [`Answer`] from wherever it is made (the actor's thread, or the timer's at the
/// timeout): no thread waits for it. Gives the answer back, unused, if the actor's
/// bounded mailbox is full (the request should then wait for room on a worker).
type StartFn =
    dyn Fn(&[u8], Duration, Box<dyn Answer>) -> Result<(), Box<dyn Answer>> + Send + Sync;

/// Where the reply to a call started with [`Endpoint::start`] goes: the front end's way
/// of writing it back, on the thread the reply comes from.
pub(crate) trait Answer: Send + 'static {
    /// The reply, as a function that appends it encoded.
    fn reply(self: Box<Self>, encode: &dyn Fn(&mut Vec<u8>) -> Result<(), Failure>);
    /// Why there is no reply.
    fn fail(self: Box<Self>, failure: Failure);
    /// Not used after all (it was given back): the request is answered another way.
    fn withdraw(self: Box<Self>);
}

/// Why a handler gave no reply, before the names are filled in.
pub(crate) enum Failure {
    BadRequest(String),
    Panicked(String),
    Failed(String),
}

impl Failure {
    /// A call posted to an actor whose answer was dropped before it answered (a panic
    /// while posting it).
    pub(crate) fn unanswered() -> Failure {
        Failure::Failed("the request was dropped before it was answered".to_owned())
    }
}

/// One message type that one exposed name takes.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) actor: Arc<str>,
    pub(crate) message: &'static str,
    /// The Rust type behind `message`, and its name: one wire name takes one type.
    rust_type: (TypeId, &'static str),
    call: Arc<CallFn>,
    /// An actor's calls, posted where they are read; `None`: a function's, which run on a
    /// worker (it may block).
    start: Option<Arc<StartFn>>,
    tell: Arc<TellFn>,
    /// An actor's tells, posted in order where they are read; `None`: a function, whose
    /// tells run on a worker (it may block).
    lane: Option<Arc<Lane>>,
}

impl Endpoint {
    /// Runs a call on this thread, appending the encoded reply to `out`.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn answer(
        &self,
        body: &[u8],
        timeout: Duration,
        out: &mut Vec<u8>,
    ) -> Result<(), Fault> {
        catch(|| (self.call)(body, timeout, out)).map_err(|failure| self.fault(failure))
    }

    /// Runs a call on this thread, panics not caught, nor names filled in.
    pub(crate) fn run_call(
        &self,
        body: &[u8],
        timeout: Duration,
        out: &mut Vec<u8>,
    ) -> Result<(), Failure> {
        (self.call)(body, timeout, out)
    }

    /// Posts a call to an exposed actor without waiting: its reply goes to `answer` from
    /// the thread it comes from. Whether it was posted: a function's call, or one its
    /// actor's full mailbox refused, withdraws `answer` unused (run the call on a worker
    /// with [`run_call`] instead). A panic while posting (in the message's decoding) drops
    /// `answer`, which answers the call.
    ///
    /// [`run_call`]: Endpoint::run_call
    pub(crate) fn start(&self, body: &[u8], timeout: Duration, answer: Box<dyn Answer>) -> bool {
        let Some(start) = &self.start else {
            answer.withdraw();
            return false;
        };
        match panic::catch_unwind(AssertUnwindSafe(|| start(body, timeout, answer))) {
            Ok(Err(answer)) => {
                answer.withdraw();
                false
            }
            Ok(Ok(())) | Err(_) => true,
        }
    }

    /// Whether calls are posted where they are read ([`start`](Endpoint::start)): an
    /// actor's are, a function's run on a worker.
    pub(crate) fn starts(&self) -> bool {
        self.start.is_some()
    }

    /// Runs a tell to a function on this thread.
    pub(crate) fn deliver(&self, body: &[u8]) -> Result<(), Fault> {
        catch(|| (self.tell)(body, false).map(drop)).map_err(|failure| self.fault(failure))
    }

    /// Whether a tell is posted where it is read (an actor's) rather than run on a
    /// worker (a function's, which may block).
    pub(crate) fn tells_inline(&self) -> bool {
        self.lane.is_some()
    }

    pub(crate) fn fault(&self, failure: Failure) -> Fault {
        let (actor, message) = (self.actor.to_string(), self.message.to_owned());
        match failure {
            Failure::BadRequest(reason) => Fault::BadRequest {
                actor,
                message,
                reason,
            },
            Failure::Panicked(panic) => Fault::Panicked {
                actor,
                message,
                panic,
            },
            Failure::Failed(reason) => Fault::Failed {
                actor,
                message,
                reason,
            },
        }
    }
}

/// The tells to one exposed name that wait for room in its actor's full mailbox, in the
/// order they came, at most [`Limits::max_queued`]. Each is given
/// [`Limits::max_call_timeout`] to find room; one that does not (or finds the actor
/// stopped) is dropped with every tell behind it, each recorded.
#[derive(Default)]
pub(crate) struct Lane {
    state: Mutex<LaneState>,
}

#[derive(Default)]
struct LaneState {
    waiting: VecDeque<Later>,
    /// Whether a job is posting what waits (and so every new tell goes behind it).
    draining: bool,
}

/// What a request's head asks for, once looked up in the table.
pub(crate) enum Request {
    Call {
        xid: u64,
        timeout: Duration,
        endpoint: Endpoint,
    },
    Tell(Endpoint),
    /// A call that is answered at once with this fault.
    Refuse {
        xid: u64,
        fault: Fault,
    },
    /// Nothing to answer: recorded as an anomaly.
    Report(WireError),
}

/// What is served, by name and message type.
pub(crate) struct Table {
    services: RwLock<HashMap<String, Service>>,
    limits: Limits,
    counters: Arc<Counters>,
    report: Report,
}

#[derive(Default)]
struct Service {
    endpoints: HashMap<&'static str, Endpoint>,
    lane: Arc<Lane>,
}

impl Table {
    pub(crate) fn new(limits: Limits, counters: Arc<Counters>, report: Report) -> Self {
        Table {
            services: RwLock::new(HashMap::new()),
            limits,
            counters,
            report,
        }
    }

    /// Makes `name` known (it serves nothing yet).
    pub(crate) fn add(&self, name: &str) {
        write(&self.services).entry(name.to_owned()).or_default();
    }

    /// Adds `endpoint` under `name`, replacing one of the same message type; refused if
    /// another type has its wire name there (the first stays).
    fn register(&self, name: &str, mut endpoint: Endpoint, actor: bool) -> Result<(), WireError> {
        let mut services = write(&self.services);
        let service = services.entry(name.to_owned()).or_default();
        if let Some(first) = service.endpoints.get(endpoint.message) {
            if first.rust_type.0 != endpoint.rust_type.0 {
                return Err(WireError::WireNameTaken {
                    actor: name.to_owned(),
                    message: endpoint.message.to_owned(),
                    first: first.rust_type.1.to_owned(),
                    second: endpoint.rust_type.1.to_owned(),
                });
            }
        }
        if actor {
            endpoint.lane = Some(service.lane.clone());
        }
        service.endpoints.insert(endpoint.message, endpoint);
        Ok(())
    }

    /// Serves `M` under `name` with a plain function; refused if another type has `M`'s
    /// wire name there.
    pub(crate) fn function<M, F>(&self, name: &str, f: F) -> Result<(), WireError>
    where
        M: RemoteMessage,
        F: Fn(M) -> M::Reply + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let tell_f = f.clone();
        let endpoint = Endpoint {
            actor: name.into(),
            message: codec::wire_name::<M>(),
            rust_type: (TypeId::of::<M>(), std::any::type_name::<M>()),
            call: Arc::new(move |body, _timeout, out| {
                let reply = f(decode::<M>(body)?);
                encode_reply(&reply, out)
            }),
            start: None,
            tell: Arc::new(move |body, _| {
                tell_f(decode::<M>(body)?);
                Ok(None)
            }),
            lane: None,
        };
        self.register(name, endpoint, false)
    }

    /// Stops serving `name`; whether it was served.
    pub(crate) fn withdraw(&self, name: &str) -> bool {
        write(&self.services).remove(name).is_some()
    }

    /// Each name with the wire names of the messages it takes, sorted.
    pub(crate) fn exposed(&self) -> Vec<(String, Vec<&'static str>)> {
        let services = read(&self.services);
        let mut all: Vec<_> = services
            .iter()
            .map(|(name, service)| {
                let mut messages: Vec<_> = service.endpoints.keys().copied().collect();
                messages.sort_unstable();
                (name.clone(), messages)
            })
            .collect();
        all.sort();
        all
    }

    /// What serves `route`, or the fault that answers it.
    pub(crate) fn lookup(&self, route: Route<'_>) -> Result<Endpoint, Fault> {
        let services = read(&self.services);
        let service = services
            .get(route.actor)
            .ok_or_else(|| Fault::NoSuchActor {
                actor: route.actor.to_owned(),
            })?;
        service
            .endpoints
            .get(route.message)
            .cloned()
            .ok_or_else(|| Fault::NotHandled {
                actor: route.actor.to_owned(),
                message: route.message.to_owned(),
            })
    }

    /// What a request's `head` asks for. `name`, if given, is the exposed name (a NATS
    /// subject says it; the head then says only which message); `side` names the
    /// receiver in the error for a head that is no request.
    pub(crate) fn route(&self, head: Head<'_>, name: Option<&str>, side: &'static str) -> Request {
        match head {
            Head::Call {
                xid,
                timeout_ms,
                route,
            } => {
                let route = Route {
                    actor: name.unwrap_or(route.actor),
                    message: route.message,
                };
                match self.lookup(route) {
                    Ok(endpoint) => Request::Call {
                        xid,
                        // The caller's wish and a grace, up to the ceiling.
                        timeout: with_grace(Duration::from_millis(timeout_ms))
                            .min(self.limits.max_call_timeout),
                        endpoint,
                    },
                    Err(fault) => Request::Refuse { xid, fault },
                }
            }
            Head::Tell { route } => {
                let route = Route {
                    actor: name.unwrap_or(route.actor),
                    message: route.message,
                };
                match self.lookup(route) {
                    Ok(endpoint) => Request::Tell(endpoint),
                    Err(fault) => Request::Report(fault.into()),
                }
            }
            Head::Reply { .. } | Head::Fault { .. } => Request::Report(WireError::Unexpected {
                what: head.kind(),
                side,
            }),
        }
    }

    /// Posts a tell to an exposed actor without waiting: at once if nothing waits in its
    /// lane and its mailbox has room, else behind what waits, posted in order by one job
    /// on `pool`. A lane at [`Limits::max_queued`] drops the tell, recorded through
    /// `report` and counted as refused. Failures to decode or to post come to `report`.
    pub(crate) fn post(
        &self,
        endpoint: &Endpoint,
        body: &[u8],
        pool: &Pool,
        report: &dyn Fn(WireError),
    ) {
        let Some(lane) = &endpoint.lane else {
            return;
        };
        let mut state = lock(&lane.state);
        let behind = state.draining;
        let later = match catch(|| (endpoint.tell)(body, behind)) {
            Ok(None) => return,
            Ok(Some(later)) => later,
            Err(failure) => return report(endpoint.fault(failure).into()),
        };
        if state.waiting.len() >= self.limits.max_queued {
            drop(state);
            Counters::bump(&self.counters.refused_requests);
            return report(WireError::Limit {
                peer: endpoint.actor.to_string(),
                reason: format!(
                    "a tell of `{}` was dropped: {} tells already wait for room in its mailbox",
                    endpoint.message, self.limits.max_queued
                ),
            });
        }
        state.waiting.push_back(later);
        if !state.draining {
            state.draining = true;
            drop(state);
            pool.dispatch(Box::new(Drain {
                lane: lane.clone(),
                endpoint: endpoint.clone(),
                report: self.report.clone(),
                timeout: self.limits.max_call_timeout,
            }));
        }
    }
}

/// The job that posts what waits in a lane, in order, until it is empty.
struct Drain {
    lane: Arc<Lane>,
    endpoint: Endpoint,
    report: Report,
    timeout: Duration,
}

impl Job for Drain {
    fn run(self: Box<Self>) {
        loop {
            let next = {
                let mut state = lock(&self.lane.state);
                let next = state.waiting.pop_front();
                state.draining = next.is_some();
                next
            };
            let Some(later) = next else {
                return;
            };
            if let Err(failure) = catch(|| later(self.timeout)) {
                // The mailbox stayed full for the whole timeout, or the actor stopped:
                // what waits behind would fare no better, so it goes too, at once.
                let rest = {
                    let mut state = lock(&self.lane.state);
                    state.draining = false;
                    std::mem::take(&mut state.waiting).len()
                };
                let fault = self.endpoint.fault(failure);
                (self.report)(fault.into());
                if rest > 0 {
                    (self.report)(WireError::Limit {
                        peer: self.endpoint.actor.to_string(),
                        reason: format!("{rest} more tells waiting behind it were dropped"),
                    });
                }
                return;
            }
        }
    }

    fn refuse(self: Box<Self>, reason: String) {
        let dropped = {
            let mut state = lock(&self.lane.state);
            state.draining = false;
            std::mem::take(&mut state.waiting).len()
        };
        (self.report)(WireError::Limit {
            peer: self.endpoint.actor.to_string(),
            reason: format!(
                "{dropped} tells waiting for room in its mailbox were dropped: {reason}"
            ),
        });
    }
}

/// How long the serving side gives a call whose caller waits `wish`: an eighth and 5 ms
/// longer, so that a call that takes as long ends at the caller's own timeout (a
/// `Timeout`, its late answer dropped), not with this side's fault racing it there.
pub(crate) fn with_grace(wish: Duration) -> Duration {
    wish.saturating_add(wish / 8)
        .saturating_add(Duration::from_millis(5))
}

/// Runs `f`, turning a panic into a [`Failure`] with its message.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(Failure::Panicked(panic_message(&*payload))))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    crate::call::panic_text(payload)
        .unwrap_or("the panic carried no message")
        .to_owned()
}

/// Hands the outcome of an actor's call to its answer.
fn answered<M: RemoteMessage>(outcome: Result<M::Reply, CallError<M>>, answer: Box<dyn Answer>) {
    match outcome {
        Ok(reply) => answer.reply(&|out| encode_reply(&reply, out)),
        Err(CallError::Panicked { panic, .. }) => answer.fail(Failure::Panicked(panic)),
        Err(e) => answer.fail(Failure::Failed(e.to_string())),
    }
}

fn decode<M: RemoteMessage>(body: &[u8]) -> Result<M, Failure> {
    codec::decode(body).map_err(|e| Failure::BadRequest(e.to_string()))
}

fn encode_reply<R: serde::Serialize>(reply: &R, out: &mut Vec<u8>) -> Result<(), Failure> {
    codec::encode(reply, out).map_err(|e| Failure::Failed(e.to_string()))
}

/// An actor being exposed (by a [`DeMux`](super::DeMux) or a NATS node): chain
/// [`handle`](Exposed::handle) for each message type that remote peers may send it.
///
/// Calls reach the actor as ordinary calls (a [`Bridge`]'s), with the caller's timeout.
/// Over a [`DeMux`](super::DeMux) they are posted where they are read and answered from
/// the actor's own thread as it replies, so no worker waits for them; one that finds the
/// bounded mailbox full waits for room on a worker, as a blocking call would (a NATS
/// node's calls all run on its workers). A handler's panic comes back as
/// [`Fault::Panicked`], an actor that has stopped as [`Fault::Failed`]. Tells are posted without waiting; while its bounded
/// mailbox is full they wait in order (see [`Limits::max_queued`]).
pub struct Exposed<'d, A: Actor> {
    table: &'d Table,
    name: Arc<str>,
    addr: Addr<A>,
    /// The first `handle` refused.
    refused: Option<WireError>,
}

impl<'d, A: Actor> Exposed<'d, A> {
    pub(crate) fn new(table: &'d Table, name: &str, addr: &Addr<A>) -> Self {
        table.add(name);
        Exposed {
            table,
            name: name.into(),
            addr: addr.clone(),
            refused: None,
        }
    }

    /// Lets remote peers call and tell the actor an `M`, under `M`'s
    /// [wire name](codec::wire_name). Registering the same message again replaces it.
    ///
    /// Another message type of the same wire name under this name (two types with one
    /// `#[message(name = ..)]`) is refused, never overwritten: the first stays, and the
    /// refusal is kept for [`check`](Exposed::check) (the NATS node's `serve` returns it)
    /// and recorded as an [anomaly](super::DeMux::anomalies).
    /// [`try_handle`](Exposed::try_handle) returns it at once.
    pub fn handle<M>(mut self) -> Self
    where
        A: Handler<M>,
        M: RemoteMessage,
    {
        if let Err(refused) = self.register::<M>() {
            (self.table.report)(refused.clone());
            self.refused.get_or_insert(refused);
        }
        self
    }

    /// [`handle`](Exposed::handle), which returns a refusal:
    /// [`WireError::WireNameTaken`] if another message type of `M`'s wire name is exposed
    /// under this name already.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::wire::{DeMux, WireError, Workers};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Message, Serialize, Deserialize)]
    /// #[message(name = "shop.Order")]
    /// struct Order(u32);
    ///
    /// #[derive(Message, Serialize, Deserialize)]
    /// #[message(name = "shop.Order")]
    /// struct Refund(u32);
    ///
    /// struct Shop;
    /// #[actor]
    /// impl Shop {
    ///     #[handles(Order)]
    ///     fn order(&mut self, _: Order) {}
    ///     #[handles(Refund)]
    ///     fn refund(&mut self, _: Refund) {}
    /// }
    ///
    /// let demux = DeMux::new(Workers::Pool(1)).unwrap();
    /// let exposed = demux.expose("shop", &Shop.spawn()).try_handle::<Order>().unwrap();
    /// let refused = exposed.try_handle::<Refund>().unwrap_err();
    /// assert!(matches!(refused, WireError::WireNameTaken { .. }));
    /// ```
    pub fn try_handle<M>(mut self) -> Result<Self, WireError>
    where
        A: Handler<M>,
        M: RemoteMessage,
    {
        self.register::<M>()?;
        Ok(self)
    }

    /// The first message type [`handle`](Exposed::handle) refused, as an error; the
    /// exposed actor back if there was none.
    pub fn check(mut self) -> Result<Self, WireError> {
        match self.refused.take() {
            Some(refused) => Err(refused),
            None => Ok(self),
        }
    }

    fn register<M>(&mut self) -> Result<(), WireError>
    where
        A: Handler<M>,
        M: RemoteMessage,
    {
        let (for_call, for_start, for_tell) =
            (self.addr.clone(), self.addr.clone(), self.addr.clone());
        let endpoint = Endpoint {
            actor: self.name.clone(),
            message: codec::wire_name::<M>(),
            rust_type: (TypeId::of::<M>(), std::any::type_name::<M>()),
            call: Arc::new(move |body, timeout, out| {
                let msg = decode::<M>(body)?;
                match Bridge::new().call(&for_call, msg, timeout) {
                    Ok(reply) => encode_reply(&reply, out),
                    Err(CallError::Panicked { panic, .. }) => Err(Failure::Panicked(panic)),
                    Err(e) => Err(Failure::Failed(e.to_string())),
                }
            }),
            start: Some(Arc::new(move |body, timeout, answer| {
                let msg = match decode::<M>(body) {
                    Ok(msg) => msg,
                    Err(failure) => {
                        answer.fail(failure);
                        return Ok(());
                    }
                };
                let call = Bridge::new().call_async(&for_start, msg, timeout);
                match woken::run(call, answer, answered::<M>) {
                    None => Ok(()),
                    // Full: the request waits for room on a worker, as a blocking call does.
                    Some((Err(CallError::Send(SendError::Full { .. })), answer)) => Err(answer),
                    Some((outcome, answer)) => {
                        answered(outcome, answer);
                        Ok(())
                    }
                }
            })),
            tell: Arc::new(move |body, behind| {
                let msg = decode::<M>(body)?;
                let msg = if behind {
                    msg
                } else {
                    match for_tell.try_tell(msg) {
                        Ok(()) => return Ok(None),
                        Err(SendError::Full { msg, .. }) => msg,
                        Err(e) => return Err(Failure::Failed(e.to_string())),
                    }
                };
                let addr = for_tell.clone();
                Ok(Some(Box::new(move |wait: Duration| {
                    addr.tell_timeout(msg, wait)
                        .map_err(|e| Failure::Failed(format!("the tell was dropped: {e}")))
                }) as Later))
            }),
            lane: None,
        };
        self.table.register(&self.name, endpoint, true)
    }

    /// The name the actor is exposed under.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<A: Actor> std::fmt::Debug for Exposed<'_, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Exposed({:?} = {:?})", self.name, self.addr)
    }
}
