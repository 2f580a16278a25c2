//! [`DeMux`]: the serving side. Each connection has a reader thread, a thin front end over
//! the shared request path (`serve.rs`): it reads each frame and has the table route its
//! head. A call or a tell to an exposed actor is posted by the reader thread itself
//! without waiting (tells keep the order they were sent in), and a call's reply, tagged
//! with its transaction id, is written back on the connection from the thread it comes
//! from (the actor's). Everything that can block (a function, a call waiting for room in
//! a full bounded mailbox) runs on the pool of workers (or a thread per request), which
//! writes the reply in the same way. What each peer may take is bounded by the DeMux's
//! [`Limits`].

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::codec::RemoteMessage;
use super::conn::{Conn, Lease, Served};
use super::error::{Anomalies, WireError};
use super::limits::{Counters, Limits, Load};
use super::listen::{ListenState, Listening};
use super::pool::{Pool, Workers};
use super::remote::RemoteActor;
use super::serve::{Exposed, Table};
use super::transport::{Listen, Transport};
use super::work;
use super::Config;
use crate::actor::Actor;
use crate::handle::Addr;
use crate::sync::lock;

/// The serving side of a connection: it runs the requests that a [`Mux`](super::Mux)
/// sends, many at once, and sends back each reply, or the error that took its place,
/// to the caller that made it.
///
/// What it serves is registered by name: actors ([`expose`](DeMux::expose)), whose
/// handlers are called with typed messages through a [`Bridge`](crate::Bridge), and plain functions
/// ([`function`](DeMux::function)). One DeMux serves any number of connections
/// ([`serve`](DeMux::serve), [`listen`](DeMux::listen)); bad input on one ends that one
/// only.
///
/// A handler that panics or returns an error does not hurt the connection: the caller
/// gets [`Fault::Panicked`](super::Fault::Panicked) with the panic message, or the error inside its typed reply.
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
    /// What is exposed, by name and message type.
    pub(super) table: Table,
    pub(super) pool: Pool,
    pub(super) max_frame: u32,
    pub(super) limits: Limits,
    pub(super) counters: Arc<Counters>,
    anomalies: Arc<Anomalies>,
    pub(super) connections: Mutex<Vec<Weak<Conn>>>,
    listeners: Mutex<Vec<Weak<ListenState>>>,
    pub(super) closed: AtomicBool,
    /// Dropped with the DeMux: ends the watchdog.
    _watchdog: Option<Sender<()>>,
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
        let pool = Pool::start(workers, limits, counters.clone(), "wire")
            .map_err(|e| WireError::io("starting the DeMux's workers", e))?;
        let anomalies = Arc::new(Anomalies::default());
        let reported = anomalies.clone();
        let table = Table::new(
            limits,
            counters.clone(),
            Arc::new(move |e| reported.report(e)),
        );
        let period = work::watch_period(&limits);
        let (watchdog, stop) = crossbeam_channel::bounded(0);
        let shared = Arc::new(DemuxState {
            table,
            pool,
            max_frame: config.max_frame,
            limits,
            counters,
            anomalies,
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
        Exposed::new(&self.shared.table, name, addr)
    }

    /// Exposes `addr` under `name` with every handler its [`RemoteActor`] impl lists
    /// (which `#[actor(remote)]` writes: all its typed handlers).
    pub fn expose_actor<A: RemoteActor>(&self, name: &str, addr: &Addr<A>) -> Exposed<'_, A> {
        A::expose_handlers(self.expose(name, addr))
    }

    /// Serves `M` under `name` with a plain function, run on the workers (the seed's
    /// `process_transaction`): calls to it run in parallel, as many as there are workers.
    /// Several functions (and an actor) may share a name if they take different messages.
    /// A message whose [wire name](super::codec::wire_name) another type already has under `name`
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
    /// [wire name](super::codec::wire_name) is already served under `name`.
    pub fn try_function<M, F>(&self, name: &str, f: F) -> Result<&Self, WireError>
    where
        M: RemoteMessage,
        F: Fn(M) -> M::Reply + Send + Sync + 'static,
    {
        self.shared.table.function(name, f)?;
        Ok(self)
    }

    /// Stops serving `name`, dropping the DeMux's handles to what was exposed under it.
    /// Whether it was exposed.
    pub fn withdraw(&self, name: &str) -> bool {
        self.shared.table.withdraw(name)
    }

    /// What is exposed: each name with the wire names of the messages it takes, sorted.
    pub fn exposed(&self) -> Vec<(String, Vec<&'static str>)> {
        self.shared.table.exposed()
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
                let result = shared.read(&lease, reader.reader);
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
            served: Mutex::new(Vec::new()),
        });
        lock(&self.shared.listeners).push(Arc::downgrade(&state));
        let demux = self.clone();
        let accepting = state.clone();
        let thread = thread::Builder::new()
            .name("wire-listen".to_owned())
            .spawn(move || demux.accept_loop(&accepting))
            .map_err(|e| {
                WireError::io(
                    format!("starting to accept on {}", state.listener.describe()),
                    e,
                )
            })?;
        Ok(Listening {
            state,
            thread: Some(thread),
        })
    }

    /// Closes every connection and listener and refuses new ones, at once. Requests
    /// already with a worker run to the end, but their replies have nowhere to go;
    /// [`close_within`](DeMux::close_within) lets them be written first. Idempotent.
    pub fn close(&self) {
        self.close_within(Duration::ZERO);
    }

    /// Closes gracefully: stops accepting at once, answers every request read from now
    /// on with [`Fault::Unavailable`](super::Fault::Unavailable) (a tell is dropped and
    /// recorded), waits up to `drain` for the requests already taken to be answered and
    /// their replies written, then closes every connection (one whose replies are still
    /// not written at the deadline is closed anyway). Idempotent.
    pub fn close_within(&self, drain: Duration) {
        let deadline = Instant::now().checked_add(drain);
        self.shared.closed.store(true, Ordering::Release);
        let listeners = mem_take(&self.shared.listeners);
        for listener in listeners.iter().filter_map(Weak::upgrade) {
            listener.close();
        }
        if !drain.is_zero() {
            let idle = deadline.is_none_or(|deadline| self.shared.pool.wait_idle(deadline));
            if idle {
                // Each writes what is queued, then closes.
                let connections: Vec<_> = lock(&self.shared.connections)
                    .iter()
                    .filter_map(Weak::upgrade)
                    .collect();
                for conn in &connections {
                    conn.outbox.finish();
                }
                for conn in &connections {
                    conn.outbox.wait_finished(deadline);
                }
            }
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
