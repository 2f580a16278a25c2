//! [`DeMux`]: the serving side. Each connection has a reader thread that decodes request
//! heads and hands calls to a pool of workers (or a thread per request); a worker runs the
//! registered handler and writes the reply, tagged with the call's transaction id, back on
//! the connection it came from.
//!
//! Tells to an exposed actor are posted to its mailbox by the reader thread itself, so
//! they keep the order they were sent in; everything that can block runs on a worker.
//! What each peer may take is bounded by the DeMux's [`Limits`].

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockWriteGuard, Weak};
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;

use super::codec::{self, Head, RemoteMessage, Route};
use super::conn::{Conn, Lease, Served, Watched};
use super::error::{Anomalies, Fault, WireError};
use super::frame::FrameReader;
use super::limits::{now_ms, Counters, Limits, Load};
use super::listen::{ListenState, Listening};
use super::remote::RemoteActor;
use super::transport::{Listen, Transport};
use super::work::{self, catch, Job, Kind};
use super::Config;
use crate::actor::{Actor, Handler};
use crate::call::Bridge;
use crate::error::CallError;
use crate::handle::Addr;
use crate::sync::{lock, read, write};

/// How a [`DeMux`] runs the requests it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// A fixed pool of this many threads (at least one), shared by every connection.
    Pool(usize),
    /// A new thread for each request.
    PerRequest,
}

/// The serving side of a connection: it runs the requests that a [`Mux`](super::Mux)
/// sends, many at once, and sends back each reply, or the error that took its place,
/// to the caller that made it.
///
/// What it serves is registered by name: actors ([`expose`](DeMux::expose)), whose
/// handlers are called with typed messages through a [`Bridge`], and plain functions
/// ([`function`](DeMux::function)). One DeMux serves any number of connections
/// ([`serve`](DeMux::serve), [`listen`](DeMux::listen)); bad input on one ends that one
/// only.
///
/// A handler that panics or returns an error does not hurt the connection: the caller
/// gets [`Fault::Panicked`] with the panic message, or the error inside its typed reply.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::{DeMux, Fault, Mux, Transport, Workers};
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = Result<i64, String>)]
/// struct Divide(i64, i64);
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u8)]
/// struct Explode;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let demux = DeMux::new(Workers::PerRequest)?;
/// demux
///     .function("calc", |Divide(a, b): Divide| a.checked_div(b).ok_or_else(|| "division by zero".to_owned()))
///     .function("calc", |_: Explode| -> u8 { panic!("boom") });
/// let (near, far) = Transport::pair()?;
/// let _served = demux.serve(far)?;
///
/// let mux = Mux::new(near)?;
/// let wait = Duration::from_secs(5);
/// assert_eq!(mux.call("calc", Divide(7, 2), wait)?, Ok(3));
/// assert_eq!(mux.call("calc", Divide(7, 0), wait)?, Err("division by zero".to_owned()));
/// let err = mux.call("calc", Explode, wait).unwrap_err();
/// assert!(matches!(err.fault(), Some(Fault::Panicked { panic, .. }) if panic == "boom"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct DeMux {
    shared: Arc<DemuxState>,
}

pub(super) struct DemuxState {
    /// Exposed name -> message wire name -> endpoint.
    services: RwLock<HashMap<String, HashMap<&'static str, Endpoint>>>,
    pub(super) work: Work,
    max_frame: u32,
    pub(super) limits: Limits,
    pub(super) counters: Arc<Counters>,
    anomalies: Arc<Anomalies>,
    pub(super) connections: Mutex<Vec<Weak<Conn>>>,
    listeners: Mutex<Vec<Weak<ListenState>>>,
    closed: AtomicBool,
    /// Dropped with the DeMux: ends the watchdog.
    _watchdog: Option<Sender<()>>,
}

pub(super) enum Work {
    /// Jobs for the pool; the workers end when this sender goes with the DeMux.
    Pool(Sender<Job>),
    PerRequest,
}

/// Decodes a request body, runs it, appends the encoded reply to the buffer.
type CallFn = dyn Fn(&[u8], Duration, &mut Vec<u8>) -> Result<(), Failure> + Send + Sync;
/// Decodes a request body and runs it; no reply.
type TellFn = dyn Fn(&[u8]) -> Result<(), Failure> + Send + Sync;

/// One message type that one exposed name takes.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(super) actor: Arc<str>,
    pub(super) message: &'static str,
    /// The Rust type behind `message`, and its name: one wire name takes one type.
    rust_type: (TypeId, &'static str),
    pub(super) call: Arc<CallFn>,
    pub(super) tell: Arc<TellFn>,
    /// Whether a tell runs on the reader thread (posting to a mailbox: quick, and keeps
    /// the order) rather than on a worker (a function, which may block).
    tell_inline: bool,
}

/// Why a handler gave no reply, before the names are filled in.
pub(super) enum Failure {
    BadRequest(String),
    Panicked(String),
    Failed(String),
}

impl Endpoint {
    /// Runs a call on this thread, appending the encoded reply to `out`; for transports
    /// other than a byte stream (`nats`), which send the reply themselves.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn answer(
        &self,
        body: &[u8],
        timeout: Duration,
        out: &mut Vec<u8>,
    ) -> Result<(), Fault> {
        catch(|| (self.call)(body, timeout, out)).map_err(|failure| self.fault(failure))
    }

    /// Runs a tell on this thread.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn deliver(&self, body: &[u8]) -> Result<(), Fault> {
        catch(|| (self.tell)(body)).map_err(|failure| self.fault(failure))
    }

    /// Whether a tell only posts to a mailbox (quick, and kept in order on the receiving
    /// thread) rather than running a function that may block.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn tells_inline(&self) -> bool {
        self.tell_inline
    }

    pub(super) fn fault(&self, failure: Failure) -> Fault {
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

impl DeMux {
    /// A DeMux that runs requests with `workers`, with the default [`Config`].
    pub fn new(workers: Workers) -> Result<DeMux, WireError> {
        DeMux::with_config(workers, Config::default())
    }

    /// A DeMux that runs requests with `workers`, with the default [`Limits`].
    pub fn with_config(workers: Workers, config: Config) -> Result<DeMux, WireError> {
        DeMux::with_limits(workers, config, Limits::default())
    }

    /// A DeMux that runs requests with `workers`, allowing its peers what `limits` says.
    /// A pool's threads start now, and the watchdog thread if there is a timeout.
    pub fn with_limits(
        workers: Workers,
        config: Config,
        limits: Limits,
    ) -> Result<DeMux, WireError> {
        let counters = Arc::new(Counters::default());
        let work = match workers {
            Workers::Pool(threads) => {
                // Bounded by `dispatch`, against `limits.max_queued`.
                let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
                for i in 0..threads.max(1) {
                    let (queue, counters) = (queue.clone(), counters.clone());
                    thread::Builder::new()
                        .name(format!("wire-worker-{i}"))
                        .spawn(move || work::work(queue, counters))
                        .map_err(|e| WireError::io("starting the DeMux's workers", e))?;
                }
                Work::Pool(jobs)
            }
            Workers::PerRequest => Work::PerRequest,
        };
        let period = work::watch_period(&limits);
        let (watchdog, stop) = crossbeam_channel::bounded(0);
        let shared = Arc::new(DemuxState {
            services: RwLock::new(HashMap::new()),
            work,
            max_frame: config.max_frame,
            limits,
            counters,
            anomalies: Arc::new(Anomalies::default()),
            connections: Mutex::new(Vec::new()),
            listeners: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            _watchdog: period.map(|_| watchdog),
        });
        if let Some(period) = period {
            let watched = Arc::downgrade(&shared);
            thread::Builder::new()
                .name("wire-watchdog".to_owned())
                .spawn(move || work::watch(watched, stop, period))
                .map_err(|e| WireError::io("starting the DeMux's watchdog", e))?;
        }
        Ok(DeMux { shared })
    }

    /// What the DeMux allows its peers.
    pub fn limits(&self) -> Limits {
        self.shared.limits
    }

    /// What the DeMux is carrying now, and what it has refused so far.
    pub fn load(&self) -> Load {
        let counters = &self.shared.counters;
        let reply_bytes = lock(&self.shared.connections)
            .iter()
            .filter_map(Weak::upgrade)
            .map(|conn| conn.outbox.reply_bytes())
            .sum();
        Load {
            connections: counters.connections.load(Ordering::Acquire),
            queued: counters.queued.load(Ordering::Acquire),
            running: counters.running.load(Ordering::Acquire),
            reply_bytes,
            stalled: counters.stalled.load(Ordering::Acquire),
            refused_connections: counters.refused_connections.load(Ordering::Relaxed),
            timed_out: counters.timed_out.load(Ordering::Relaxed),
            refused_requests: counters.refused_requests.load(Ordering::Relaxed),
        }
    }

    /// Exposes `addr` under `name`; chain [`handle::<M>()`](Exposed::handle) for each
    /// message type remote peers may send it. The DeMux keeps a handle to the actor until
    /// it is [withdrawn](DeMux::withdraw).
    #[must_use = "an exposed actor takes no message until `handle::<M>()` registers it"]
    pub fn expose<A: Actor>(&self, name: &str, addr: &Addr<A>) -> Exposed<'_, A> {
        self.shared.services().entry(name.to_owned()).or_default();
        Exposed {
            demux: self,
            name: name.into(),
            addr: addr.clone(),
            refused: None,
        }
    }

    /// Exposes `addr` under `name` with every handler its [`RemoteActor`] impl lists
    /// (which `#[actor(remote)]` writes: all its typed handlers).
    pub fn expose_actor<A: RemoteActor>(&self, name: &str, addr: &Addr<A>) -> Exposed<'_, A> {
        A::expose_handlers(self.expose(name, addr))
    }

    /// Serves `M` under `name` with a plain function, run on the workers (the seed's
    /// `process_transaction`): calls to it run in parallel, as many as there are workers.
    /// Several functions (and an actor) may share a name if they take different messages.
    /// A message whose [wire name](codec::wire_name) another type already has under `name`
    /// is refused, the first staying, and the refusal recorded as an
    /// [anomaly](DeMux::anomalies): [`try_function`](DeMux::try_function) returns it.
    pub fn function<M, F>(&self, name: &str, f: F) -> &Self
    where
        M: RemoteMessage,
        F: Fn(M) -> M::Reply + Send + Sync + 'static,
    {
        if let Err(refused) = self.try_function(name, f) {
            self.report(refused);
        }
        self
    }

    /// [`function`](DeMux::function), which returns a refusal instead of recording it:
    /// [`WireError::WireNameTaken`] if another message type of `M`'s
    /// [wire name](codec::wire_name) is already served under `name`.
    pub fn try_function<M, F>(&self, name: &str, f: F) -> Result<&Self, WireError>
    where
        M: RemoteMessage,
        F: Fn(M) -> M::Reply + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let tell_f = f.clone();
        self.register(
            name,
            Endpoint {
                actor: name.into(),
                message: codec::wire_name::<M>(),
                rust_type: (TypeId::of::<M>(), std::any::type_name::<M>()),
                call: Arc::new(move |body, _timeout, out| {
                    let reply = f(decode::<M>(body)?);
                    encode_reply(&reply, out)
                }),
                tell: Arc::new(move |body| {
                    tell_f(decode::<M>(body)?);
                    Ok(())
                }),
                tell_inline: false,
            },
        )?;
        Ok(self)
    }

    /// Stops serving `name`, dropping the DeMux's handles to what was exposed under it.
    /// Whether it was exposed.
    pub fn withdraw(&self, name: &str) -> bool {
        self.shared.services().remove(name).is_some()
    }

    /// What is exposed: each name with the wire names of the messages it takes, sorted.
    pub fn exposed(&self) -> Vec<(String, Vec<&'static str>)> {
        let services = read(&self.shared.services);
        let mut all: Vec<_> = services
            .iter()
            .map(|(name, endpoints)| {
                let mut messages: Vec<_> = endpoints.keys().copied().collect();
                messages.sort_unstable();
                (name.clone(), messages)
            })
            .collect();
        all.sort();
        all
    }

    /// Serves requests arriving on `transport`, on a reader thread of its own, until the
    /// peer closes it, it carries bad framing, it goes past a timeout, or it is closed
    /// from this side. Over [`Limits::max_connections`], the transport is closed at once
    /// and the error ([`WireError::Limit`]) also recorded as an anomaly.
    pub fn serve(&self, transport: Transport) -> Result<Served, WireError> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(WireError::Disconnected {
                peer: transport.peer().to_owned(),
                reason: "the DeMux was closed".to_owned(),
            });
        }
        let counters = &self.shared.counters;
        let max = self.shared.limits.max_connections;
        if counters.connections.fetch_add(1, Ordering::AcqRel) >= max {
            counters.connections.fetch_sub(1, Ordering::AcqRel);
            Counters::bump(&counters.refused_connections);
            let error = WireError::Limit {
                peer: transport.peer().to_owned(),
                reason: format!("refused: the DeMux already serves its limit of {max} connections"),
            };
            drop(transport); // closes it
            self.report(error.clone());
            return Err(error);
        }
        let (reader, outbox, peer) = match transport.start(self.shared.limits.max_pending) {
            Ok(started) => started,
            Err(e) => {
                counters.connections.fetch_sub(1, Ordering::AcqRel);
                return Err(e);
            }
        };
        let conn = Arc::new(Conn::new(
            peer,
            outbox,
            self.shared.max_frame,
            self.shared.limits.max_reply_bytes,
            self.shared.anomalies.clone(),
            counters.clone(),
        ));
        {
            let mut connections = lock(&self.shared.connections);
            connections.retain(|c| c.strong_count() > 0);
            connections.push(Arc::downgrade(&conn));
        }
        if self.shared.closed.load(Ordering::Acquire) {
            // `close` ran meanwhile and may have missed this one.
            conn.outbox.close();
        }
        let (done, outcome) = crossbeam_channel::bounded(1);
        let lease = Lease::new(conn.clone());
        let shared = self.shared.clone();
        thread::Builder::new()
            .name("wire-demux".to_owned())
            .spawn(move || {
                let result = shared.read(&lease, reader);
                let _ = done.send(result);
            })
            .map_err(|e| WireError::io(format!("starting a reader for {}", conn.peer), e))?;
        Ok(Served {
            conn,
            outcome,
            ended: Mutex::new(None),
        })
    }

    /// Accepts connections from `listener` on a thread of its own and serves each, until
    /// the returned [`Listening`] is closed or dropped.
    pub fn listen(&self, listener: impl Listen) -> Result<Listening, WireError> {
        let state = Arc::new(ListenState {
            listener: Box::new(listener),
            closed: AtomicBool::new(false),
        });
        lock(&self.shared.listeners).push(Arc::downgrade(&state));
        let demux = self.clone();
        let accepting = state.clone();
        thread::Builder::new()
            .name("wire-listen".to_owned())
            .spawn(move || demux.accept_loop(&accepting))
            .map_err(|e| {
                WireError::io(
                    format!("starting to accept on {}", state.listener.describe()),
                    e,
                )
            })?;
        Ok(Listening { state })
    }

    /// Closes every connection and listener and refuses new ones. Requests already with
    /// a worker run to the end, but their replies have nowhere to go. Idempotent.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        let listeners = mem_take(&self.shared.listeners);
        for listener in listeners.iter().filter_map(Weak::upgrade) {
            listener.close();
        }
        let connections = mem_take(&self.shared.connections);
        for conn in connections.iter().filter_map(Weak::upgrade) {
            conn.outbox.close();
        }
    }

    /// The most recent bad input on any of the DeMux's connections (and failures to
    /// accept), oldest first, at most 64.
    pub fn anomalies(&self) -> Vec<WireError> {
        self.shared.anomalies.recent()
    }

    /// How many anomalies there have been in all.
    pub fn anomaly_count(&self) -> u64 {
        self.shared.anomalies.count()
    }

    /// What serves `route`, or the fault that answers it; for other transports (`nats`),
    /// which use a DeMux as their registry.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn lookup(&self, route: Route<'_>) -> Result<Endpoint, Fault> {
        self.shared.lookup(route)
    }

    /// Adds `endpoint` under `name`, replacing one of the same message type; refused if
    /// another type has its wire name there.
    fn register(&self, name: &str, endpoint: Endpoint) -> Result<(), WireError> {
        let mut services = self.shared.services();
        let endpoints = services.entry(name.to_owned()).or_default();
        if let Some(first) = endpoints.get(endpoint.message) {
            if first.rust_type.0 != endpoint.rust_type.0 {
                return Err(WireError::WireNameTaken {
                    actor: name.to_owned(),
                    message: endpoint.message.to_owned(),
                    first: first.rust_type.1.to_owned(),
                    second: endpoint.rust_type.1.to_owned(),
                });
            }
        }
        endpoints.insert(endpoint.message, endpoint);
        Ok(())
    }

    pub(super) fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    pub(super) fn report(&self, error: WireError) {
        self.shared.anomalies.report(error);
    }
}

impl fmt::Debug for DeMux {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeMux")
            .field("exposed", &self.exposed())
            .finish_non_exhaustive()
    }
}

fn mem_take<T>(list: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *lock(list))
}

fn decode<M: RemoteMessage>(body: &[u8]) -> Result<M, Failure> {
    codec::decode(body).map_err(|e| Failure::BadRequest(e.to_string()))
}

fn encode_reply<R: serde::Serialize>(reply: &R, out: &mut Vec<u8>) -> Result<(), Failure> {
    codec::encode(reply, out).map_err(|e| Failure::Failed(e.to_string()))
}

impl DemuxState {
    fn services(&self) -> RwLockWriteGuard<'_, HashMap<String, HashMap<&'static str, Endpoint>>> {
        write(&self.services)
    }

    fn lookup(&self, route: Route<'_>) -> Result<Endpoint, Fault> {
        let services = read(&self.services);
        let endpoints = services
            .get(route.actor)
            .ok_or_else(|| Fault::NoSuchActor {
                actor: route.actor.to_owned(),
            })?;
        endpoints
            .get(route.message)
            .cloned()
            .ok_or_else(|| Fault::NotHandled {
                actor: route.actor.to_owned(),
                message: route.message.to_owned(),
            })
    }

    /// A connection's reader thread: dispatches each request until the connection ends.
    fn read(&self, conn: &Lease, reader: Box<dyn Read + Send>) -> Result<(), WireError> {
        let activity = conn.activity.clone();
        let watched = Watched {
            inner: reader,
            activity: activity.clone(),
        };
        let mut frames = FrameReader::new(watched, self.max_frame);
        loop {
            // Replies the peer does not read stop its requests being read (back-pressure).
            if conn.outbox.reply_bytes() >= self.limits.max_reply_bytes {
                let open = self.stalled(|| conn.outbox.wait_for_room(self.limits.max_reply_bytes));
                if !open {
                    return Ok(()); // closed from this side
                }
            }
            // A frame already begun in the buffer is timed from now.
            let begun = if frames.buffered() > 0 { now_ms() } else { 0 };
            activity.frame_since.store(begun, Ordering::Relaxed);
            let frame = frames.read_frame();
            activity.frame_since.store(0, Ordering::Relaxed);
            activity.last_active.store(now_ms(), Ordering::Relaxed);
            match frame {
                Ok(Some(packet)) => self.receive(conn, packet),
                Ok(None) => return Ok(()),
                Err(e) => {
                    // The stream is out of step: nothing after this can be trusted.
                    let error = WireError::Frame(e);
                    conn.report(error.clone());
                    conn.outbox.close();
                    return Err(error);
                }
            }
        }
    }

    fn receive(&self, conn: &Lease, packet: Vec<u8>) {
        enum Action {
            Call {
                xid: u64,
                timeout: Duration,
                endpoint: Endpoint,
            },
            Tell(Endpoint),
            Refuse {
                xid: u64,
                fault: Fault,
            },
            Report(WireError),
        }
        let (action, start) = match codec::decode_packet(&packet) {
            Ok((head, body)) => {
                let action = match head {
                    Head::Call {
                        xid,
                        timeout_ms,
                        route,
                    } => match self.lookup(route) {
                        Ok(endpoint) => Action::Call {
                            xid,
                            // The caller's wish, up to the ceiling.
                            timeout: Duration::from_millis(timeout_ms)
                                .min(self.limits.max_call_timeout),
                            endpoint,
                        },
                        Err(fault) => Action::Refuse { xid, fault },
                    },
                    Head::Tell { route } => match self.lookup(route) {
                        Ok(endpoint) => Action::Tell(endpoint),
                        Err(fault) => Action::Report(fault.into()),
                    },
                    Head::Reply { .. } | Head::Fault { .. } => {
                        Action::Report(WireError::Unexpected {
                            what: head.kind(),
                            side: "DeMux",
                        })
                    }
                };
                (action, packet.len() - body.len())
            }
            Err(e) => (Action::Report(e.into()), 0),
        };
        // Each request answered on this connection holds a permit until its answer is
        // written, each tell given to a worker until it has run: a peer that stops reading
        // its replies, or floods the workers, stops being read.
        let permit = match &action {
            Action::Call { .. } | Action::Refuse { .. } => true,
            Action::Tell(endpoint) => !endpoint.tell_inline,
            Action::Report(_) => false,
        };
        if permit && !self.stalled_if(conn.outbox.is_full(), || conn.outbox.acquire()) {
            return; // the connection is closed: no answer could go out
        }
        match action {
            Action::Call {
                xid,
                timeout,
                endpoint,
            } => self.dispatch(Job {
                conn: conn.clone(),
                endpoint,
                packet,
                start,
                kind: Kind::Call { xid, timeout },
                counted: false,
            }),
            Action::Tell(endpoint) if endpoint.tell_inline => {
                if let Err(failure) = catch(|| (endpoint.tell)(&packet[start..])) {
                    conn.report(endpoint.fault(failure).into());
                }
            }
            Action::Tell(endpoint) => self.dispatch(Job {
                conn: conn.clone(),
                endpoint,
                packet,
                start,
                kind: Kind::Tell,
                counted: false,
            }),
            Action::Refuse { xid, fault } => conn.send_fault(xid, fault),
            Action::Report(error) => conn.report(error),
        }
    }

    /// Runs `wait` counted as a stalled connection.
    fn stalled<T>(&self, wait: impl FnOnce() -> T) -> T {
        self.stalled_if(true, wait)
    }

    fn stalled_if<T>(&self, stalled: bool, wait: impl FnOnce() -> T) -> T {
        if !stalled {
            return wait();
        }
        self.counters.stalled.fetch_add(1, Ordering::AcqRel);
        let outcome = wait();
        self.counters.stalled.fetch_sub(1, Ordering::AcqRel);
        outcome
    }
}

/// An actor being exposed by a [`DeMux`]: chain [`handle`](Exposed::handle) for each
/// message type that remote peers may send it.
///
/// Calls go through a [`Bridge`], so the actor sees them as ordinary calls, with the
/// caller's timeout; a handler's panic comes back as [`Fault::Panicked`], an actor that
/// has stopped as [`Fault::Failed`].
pub struct Exposed<'d, A: Actor> {
    demux: &'d DeMux,
    name: Arc<str>,
    addr: Addr<A>,
    /// The first `handle` refused.
    refused: Option<WireError>,
}

impl<A: Actor> Exposed<'_, A> {
    /// Lets remote peers call and tell the actor an `M`, under `M`'s
    /// [wire name](codec::wire_name). Registering the same message again replaces it.
    ///
    /// Another message type of the same wire name under this name (two types with one
    /// `#[message(name = ..)]`) is refused, never overwritten: the first stays, and the
    /// refusal is kept for [`check`](Exposed::check) (the NATS node's `serve` returns it)
    /// and recorded as an [anomaly](DeMux::anomalies). [`try_handle`](Exposed::try_handle)
    /// returns it at once.
    pub fn handle<M>(mut self) -> Self
    where
        A: Handler<M>,
        M: RemoteMessage,
    {
        if let Err(refused) = self.register::<M>() {
            self.demux.report(refused.clone());
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
        let (for_call, for_tell) = (self.addr.clone(), self.addr.clone());
        self.demux.register(
            &self.name,
            Endpoint {
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
                tell: Arc::new(move |body| {
                    let msg = decode::<M>(body)?;
                    for_tell
                        .tell(msg)
                        .map_err(|e| Failure::Failed(e.to_string()))
                }),
                tell_inline: true,
            },
        )
    }

    /// The name the actor is exposed under.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<A: Actor> fmt::Debug for Exposed<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exposed({:?} = {:?})", self.name, self.addr)
    }
}
