//! [`Mux`]: many threads' calls over one connection, each reply matched to its caller by
//! transaction id.
//!
//! Every call gets a fresh id and a one-slot channel of its own, registered in a table
//! before its request is written (by the caller itself when nothing waits to be written
//! on a socket, else by the connection's writer thread: no caller waits on the stream for
//! longer than twice a socket's 2 ms send timeout). Whoever reads the connection takes
//! each reply out of the table and hands it to its slot. A reply whose id is no longer in
//! the table belongs to a call that timed out and is dropped: it can never reach another
//! call. When the connection ends, the table is emptied at once, each waiting caller gets
//! `Disconnected`, and the closed table refuses new calls.
//!
//! Who reads: the reading half sits behind a lock, and whoever holds it reads. On a socket
//! (whose reads can time out), a caller that finds it free after sending its request
//! holds it and reads until its own reply comes or its deadline passes (the *leader*),
//! handing on the other callers' replies it meets: callers that follow one another
//! closely (within [`STAND_BY`]) then wake no thread for their replies, as a hand-written
//! client that reads its own socket does not. A leader's reads are timed by its deadline
//! and it stops between any two reads once the deadline has passed, so a peer that
//! trickles a long frame holds it one read past its deadline at most (the socket's timer
//! is coarse: a few milliseconds on Linux). The part of a frame it read stays with the
//! reading half for the next reader.
//!
//! The connection's reader thread reads whenever calls wait and no caller leads: woken by
//! a leader that leaves with calls still waiting, or, once no caller has begun to lead for
//! [`STAND_BY`], on its own, so that a late reply or the peer's close is read soon on an
//! idle connection too (it then blocks in a read; the next caller's reply comes through
//! it). Finding a caller leading then, it waits for that leader to leave, which wakes it:
//! a slow call or a long poll costs it a wake-up a second at most meanwhile ([`PARKED`]).
//! A leader and the reader thread release the lock only under the table's lock, after
//! looking at the calls still waiting, so a caller that registered before that is seen
//! (and woken for), and one that registers after it finds the lock free or held by a
//! reader who will look again. Over a pipe (whose reads cannot time out) the reader
//! thread alone reads, and a read that times out ends the connection.
//!
//! Lanes: a Mux made [`with_lanes`](Mux::with_lanes) runs one such connection per
//! transport, each with its own table, reader and writer, and sends each call over the lane
//! of its caller: the running actor's (by a hash of its id) or, from plain code, the
//! calling thread's (a ticket of this Mux that each thread draws at its first call, in
//! turn). So a caller always uses one connection, and callers spread over all of them.
//! The lanes are one link: when one closes, for whatever reason, it closes the others.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::mem;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender as Slot};

use super::codec::{self, Head, Payload, RemoteMessage, Route};
use super::error::{Anomalies, FrameError, RemoteError, WireError};
use super::frame::{Frame, FrameReader, Polled};
use super::remote::{self, Link, RemoteAddr};
use super::transport::{Outbox, ReadHalf, Refused, SetReadTimeout, Transport};
use super::Config;
use crate::actor::Actor;
use crate::sync::{lock, try_lock};

/// The calling side of a connection: any number of threads call actors exposed by the
/// [`DeMux`](super::DeMux) on the other end, all at once, over one connection.
///
/// Each call has its own timeout, which covers waiting for room to send (a peer that
/// stops reading) as well as waiting for the reply. If the connection drops, or the Mux is
/// closed (or its last handle dropped), every waiting caller is released at once with
/// [`WireError::Disconnected`], and later calls fail at once, giving their message back.
/// Cheap to clone; clones share the connection, which has a reader and a writer thread.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::{DeMux, Mux, Transport, Workers};
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Square(u64);
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (near, far) = Transport::pair()?;
/// let demux = DeMux::new(Workers::Pool(4))?;
/// demux.function("math", |Square(n): Square| n * n);
/// let _served = demux.serve(far)?;
///
/// let mux = Mux::new(near)?;
/// let callers: Vec<_> = (0..8_u64)
///     .map(|n| {
///         let mux = mux.clone();
///         std::thread::spawn(move || mux.call("math", Square(n), Duration::from_secs(5)))
///     })
///     .collect();
/// for (n, caller) in callers.into_iter().enumerate() {
///     assert_eq!(caller.join().unwrap()?, (n * n) as u64);
/// }
/// mux.close();
/// assert!(mux.call("math", Square(2), Duration::from_secs(5)).unwrap_err().is_disconnected());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Mux {
    handle: Arc<Handle>,
}

/// Closes the connections when the last `Mux` clone goes; the reader threads hold only
/// the shared state, so they cannot keep a connection open on their own.
struct Handle {
    /// One connection each; never empty.
    lanes: Box<[Arc<MuxState>]>,
    /// The tickets this Mux's calling threads draw, in turn (see [`Tickets`]).
    tickets: Arc<Tickets>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        for lane in &self.lanes {
            lane.close("every handle to the Mux was dropped".to_owned());
        }
    }
}

/// The next ticket of one Mux's calling threads: each thread draws one at its first call
/// and keeps it, so threads take the lanes in turn, the first to call the first. Each Mux
/// counts its own, so threads calling through several do not skew one another's spread.
#[derive(Default)]
struct Tickets(AtomicUsize);

thread_local! {
    /// The tickets this thread drew: a Mux's (by its `Tickets`, alive while the Mux is)
    /// and the ticket. One entry per live Mux with lanes the thread has called through;
    /// those of dropped Muxes go when an entry is added.
    static DRAWN: RefCell<Vec<(Weak<Tickets>, usize)>> = const { RefCell::new(Vec::new()) };
}

/// Fibonacci hashing's multiplier (2^64 / the golden ratio): spreads ids that come in a
/// pattern (every other one an asker, say) over the lanes.
const SPREAD: u64 = 0x9E37_79B9_7F4A_7C15;

/// Which of `lanes` lanes the caller uses: the running actor's, by a hash of its id (an
/// actor on a driver moves between threads, its calls stay on one connection), else the
/// calling thread's ticket of this Mux.
fn lane_of(tickets: &Arc<Tickets>, lanes: usize) -> usize {
    if let Some(id) = crate::hosting::current::id() {
        // The hash's high bits are the well mixed ones: scaled to `lanes`, below it.
        let hash = u128::from(id.get().wrapping_mul(SPREAD));
        return ((hash * lanes as u128) >> 64) as usize;
    }
    let ticket = DRAWN.with(|drawn| {
        let mut drawn = drawn.borrow_mut();
        let mine = Arc::as_ptr(tickets);
        if let Some(&(_, ticket)) = drawn.iter().find(|(t, _)| t.as_ptr() == mine) {
            return ticket;
        }
        drawn.retain(|(t, _)| t.strong_count() > 0);
        let ticket = tickets.0.fetch_add(1, Ordering::Relaxed);
        drawn.push((Arc::downgrade(tickets), ticket));
        ticket
    });
    ticket % lanes
}

/// How long the reader thread leaves the reading to callers after they last led (see the
/// module's notes), when no call waits: the longest a late reply or the peer's close goes
/// unread on a connection whose callers read their own replies.
const STAND_BY: Duration = Duration::from_millis(10);

/// Why a connection whose stream ended cleanly closed.
const CLOSED_BY_PEER: &str = "the peer closed the connection";

/// The longest the reader thread waits, parked, for a leader to leave before it looks
/// again: a backstop for a leader that panicked (and so never woke it); a leader that
/// leaves wakes it at once.
const PARKED: Duration = Duration::from_secs(1);

struct MuxState {
    peer: String,
    outbox: Outbox,
    calls: Mutex<Calls>,
    /// The next transaction id; ids below it were issued.
    next_xid: AtomicU64,
    max_frame: u32,
    anomalies: Anomalies,
    /// The reading half: whoever holds the lock reads (see the module's notes).
    reading: Mutex<Reading>,
    /// Whether callers may read their own replies: the transport's reads can time out.
    leads: bool,
    /// How many times callers have led: the reader thread stands by while this moves.
    led: AtomicU64,
    /// How the reader thread stands by, and what wakes it; with `wake`.
    standing: Mutex<Standing>,
    wake: Condvar,
    /// The connection closed: the reader thread ends.
    closed: AtomicBool,
    /// The other lanes of a Mux [`with_lanes`](Mux::with_lanes), closed when this one
    /// closes (set once, after they all started).
    siblings: OnceLock<Box<[Weak<MuxState>]>>,
}

/// How the Mux's reader thread stands by.
#[derive(Default)]
struct Standing {
    /// It must read now (calls wait and no one reads), or end (the connection closed).
    wanted: bool,
    /// It found a caller leading and waits (for [`PARKED`] at most) for it to leave: the
    /// leader wakes it as it does (see `MuxState::leave`).
    parked: bool,
}

/// The reading half of the connection.
struct Reading {
    frames: FrameReader<Box<dyn Read + Send>>,
    set_timeout: Option<SetReadTimeout>,
    /// The read timeout set on the stream now (`None`: reads block).
    timeout: Option<Duration>,
    /// The stream ended or failed: no one reads it again.
    ended: bool,
}

impl Reading {
    /// Makes the next reads return by about `timeout` (`None`: block until data comes);
    /// `false` if the stream cannot. A timeout already set is kept while it is no longer
    /// than the one asked for and at least half of it (a read that returns early is made
    /// again), so a stream of calls sets one now and then, not once a call.
    fn time(&mut self, timeout: Option<Duration>) -> bool {
        let Some(set) = &self.set_timeout else {
            return timeout.is_none();
        };
        let keep = match (self.timeout, timeout) {
            (None, None) => true,
            (Some(set), Some(want)) => set <= want && set >= want / 2,
            _ => false,
        };
        if !keep {
            if set(timeout).is_err() {
                return false;
            }
            self.timeout = timeout;
        }
        true
    }
}

struct Calls {
    waiting: HashMap<u64, Slot<Result<Payload, WireError>>>,
    /// Why the connection closed, once it has.
    closed: Option<String>,
}

impl Mux {
    /// Starts a Mux on `transport`, with the default [`Config`].
    pub fn new(transport: Transport) -> Result<Mux, WireError> {
        Mux::with_config(transport, Config::default())
    }

    /// Starts a Mux on `transport`: one thread writes the requests their callers do not
    /// write themselves, one reads the replies their callers do not read themselves (see
    /// the module's notes).
    pub fn with_config(transport: Transport, config: Config) -> Result<Mux, WireError> {
        Mux::with_lanes([transport], config)
    }

    /// Starts a Mux over several connections to the same peer, its *lanes*: each call
    /// goes over the lane of its caller, so callers spread over the connections and no
    /// caller moves between them. From an actor's handler that is the actor's lane, by a
    /// hash of its id, whichever thread runs it; from plain code, the calling thread's:
    /// threads take this Mux's lanes in turn, by the order of their first calls through
    /// it. (An async task that moves between threads is a plain caller of the thread it
    /// is on at each call.)
    ///
    /// A few busy threads, each on a lane of its own, share no socket: on one shared
    /// connection they contend for the kernel's lock of its queue (BENCHMARKS.md, Session
    /// 12). Many threads do better sharing a few lanes than with a connection each, whose
    /// reader and writer threads cost more than the batching they lose. README, "Which
    /// hosting when", says how many to take.
    ///
    /// Order: tells from one thread, or one actor, keep their order (they take one
    /// lane; a task that moves between threads does not); tells from different threads
    /// are not ordered with one another, even when one thread's tell happens before the
    /// other's. Everything else holds as for one connection, lane by lane. The lanes are one link: when any one closes (its peer
    /// went away, a write failed, [`close`](Mux::close)), the others close too, and every
    /// waiting caller is released with [`WireError::Disconnected`].
    ///
    /// An error if `transports` is empty or a lane's threads cannot start; the lanes
    /// started by then are closed.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::wire::{Config, DeMux, Mux, Transport, Workers};
    /// use serde::{Deserialize, Serialize};
    /// use std::time::Duration;
    ///
    /// #[derive(Message, Serialize, Deserialize)]
    /// #[message(reply = u64)]
    /// struct Square(u64);
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let demux = DeMux::new(Workers::Pool(2))?;
    /// demux.function("math", |Square(n): Square| n * n);
    /// let mut near = Vec::new();
    /// for _ in 0..2 {
    ///     let (mine, theirs) = Transport::pair()?;
    ///     demux.serve(theirs)?;
    ///     near.push(mine);
    /// }
    /// let mux = Mux::with_lanes(near, Config::default())?;
    /// assert_eq!(mux.lanes(), 2);
    /// let callers: Vec<_> = (0..4_u64)
    ///     .map(|n| {
    ///         let mux = mux.clone();
    ///         std::thread::spawn(move || mux.call("math", Square(n), Duration::from_secs(5)))
    ///     })
    ///     .collect();
    /// for (n, caller) in callers.into_iter().enumerate() {
    ///     assert_eq!(caller.join().unwrap()?, (n * n) as u64);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_lanes(
        transports: impl IntoIterator<Item = Transport>,
        config: Config,
    ) -> Result<Mux, WireError> {
        let mut lanes = Vec::new();
        for transport in transports {
            match MuxState::start(transport, &config) {
                Ok(lane) => lanes.push(lane),
                Err(e) => {
                    for lane in &lanes {
                        lane.close(format!("another lane of the Mux did not start: {e}"));
                    }
                    return Err(e);
                }
            }
        }
        if lanes.is_empty() {
            return Err(WireError::io(
                "starting a Mux",
                io::Error::new(io::ErrorKind::InvalidInput, "no transport was given"),
            ));
        }
        if lanes.len() > 1 {
            for lane in &lanes {
                let siblings = lanes
                    .iter()
                    .filter(|other| !Arc::ptr_eq(other, lane))
                    .map(Arc::downgrade)
                    .collect();
                let _ = lane.siblings.set(siblings);
            }
            // A lane that closed before it knew its siblings: the others close now (the
            // closed one keeps its own reason).
            let closed = lanes.iter().find_map(|lane| lane.calls().closed.clone());
            if let Some(reason) = closed {
                for lane in &lanes {
                    lane.close_lane(format!("another lane of the Mux closed: {reason}"));
                }
            }
        }
        Ok(Mux {
            handle: Arc::new(Handle {
                lanes: lanes.into_boxed_slice(),
                tickets: Arc::default(),
            }),
        })
    }

    /// How many connections this Mux sends over (see [`with_lanes`](Mux::with_lanes)).
    pub fn lanes(&self) -> usize {
        self.handle.lanes.len()
    }

    /// The lane the caller's calls go over.
    fn lane(&self) -> &MuxState {
        let lanes = &self.handle.lanes;
        match lanes.len() {
            1 => &lanes[0],
            n => &lanes[lane_of(&self.handle.tickets, n)],
        }
    }

    /// Sends `msg` to the actor exposed as `actor` and waits up to `timeout` for its typed
    /// reply. If the request never went out, the message comes back in the error.
    pub fn call<M: RemoteMessage>(
        &self,
        actor: &str,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, RemoteError<M>> {
        remote::call(self, actor, msg, timeout)
    }

    /// Sends `msg` to the actor exposed as `actor` without waiting. Tells from one Mux
    /// reach an actor in the order told.
    pub fn tell<M: RemoteMessage>(&self, actor: &str, msg: M) -> Result<(), RemoteError<M>> {
        remote::tell(self, actor, msg)
    }

    /// A typed handle to the actor exposed as `actor`.
    pub fn remote<A: Actor>(&self, actor: &str) -> RemoteAddr<A> {
        RemoteAddr::new(self.clone(), actor)
    }

    /// The seed's transaction, at byte level: sends the encoded message `body` to `route`
    /// and waits up to `timeout` for the encoded reply.
    pub fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>> {
        let shared = self.lane();
        // `None` if the timeout is too long to count: then it is no timeout at all.
        let deadline = Instant::now().checked_add(timeout);
        let xid = shared.next_xid.fetch_add(1, Ordering::Relaxed);
        let timeout_ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let frame = shared.frame(
            &Head::Call {
                xid,
                timeout_ms,
                route,
            },
            body,
        )?;
        let timed_out = || WireError::Timeout {
            actor: route.actor.to_owned(),
            message: route.message.to_owned(),
            timeout,
        };
        let (slot, reply) = crossbeam_channel::bounded(1);
        {
            let mut calls = shared.calls();
            if let Some(reason) = &calls.closed {
                return Err(not_sent(shared.disconnected(reason)));
            }
            calls.waiting.insert(xid, slot);
        }
        if let Err(refused) = shared.outbox.send(frame, deadline) {
            shared.calls().waiting.remove(&xid);
            return Err(not_sent(match refused {
                Refused::Closed => shared.disconnected_now(),
                Refused::Timeout => timed_out(),
            }));
        }
        if shared.leads {
            if let Some(reading) = try_lock(&shared.reading) {
                if let Some(outcome) = shared.lead(reading, &reply, deadline, xid) {
                    return outcome.map_err(RemoteError::Failed);
                }
            }
        }
        let outcome = match deadline {
            Some(deadline) => reply.recv_deadline(deadline),
            None => reply.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match outcome {
            Ok(outcome) => outcome.map_err(RemoteError::Failed),
            Err(RecvTimeoutError::Timeout) => {
                shared.calls().waiting.remove(&xid);
                // The reply may have come between the timeout and the removal.
                match reply.try_recv() {
                    Ok(outcome) => outcome.map_err(RemoteError::Failed),
                    Err(_) => Err(RemoteError::Failed(timed_out())),
                }
            }
            // Unreachable in practice: a slot is answered before it is dropped.
            Err(RecvTimeoutError::Disconnected) => {
                Err(RemoteError::Failed(shared.disconnected_now()))
            }
        }
    }

    /// Sends the encoded message `body` to `route`, expecting no reply.
    pub fn post(&self, route: Route<'_>, body: &[u8]) -> Result<(), RemoteError<()>> {
        let shared = self.lane();
        let frame = shared.frame(&Head::Tell { route }, body)?;
        if let Some(reason) = &shared.calls().closed {
            return Err(not_sent(shared.disconnected(reason)));
        }
        // A tell waits for room in the queue as long as it takes, like a local `tell` to
        // a full bounded mailbox; closing the connection releases it.
        shared
            .outbox
            .send(frame, None)
            .map_err(|_| not_sent(shared.disconnected_now()))
    }

    /// Closes the connection (every lane): every waiting caller is released at once with
    /// [`WireError::Disconnected`] and later calls fail at once. Idempotent.
    ///
    /// A socket is shut down both ways, which also ends the reader and writer threads;
    /// over plain pipes, the writing half is closed (once a write in progress returns),
    /// and the reader thread ends when the peer closes its own.
    pub fn close(&self) {
        for lane in &self.handle.lanes {
            lane.close("the Mux was closed".to_owned());
        }
    }

    /// Whether the connection is closed (by either side). Lanes close together, so one
    /// closed lane means all are, or are closing.
    pub fn is_closed(&self) -> bool {
        self.handle
            .lanes
            .iter()
            .any(|lane| lane.calls().closed.is_some())
    }

    /// How many calls are waiting for their reply (over every lane).
    pub fn pending(&self) -> usize {
        self.handle
            .lanes
            .iter()
            .map(|lane| lane.calls().waiting.len())
            .sum()
    }

    /// Who is on the other end (of the first lane).
    pub fn peer(&self) -> &str {
        &self.handle.lanes[0].peer
    }

    /// The most recent bad input the connection survived or ended on (replies for
    /// transactions never started, packets that did not decode, frame errors), oldest
    /// first, at most 64 per lane, lane by lane.
    pub fn anomalies(&self) -> Vec<WireError> {
        self.handle
            .lanes
            .iter()
            .flat_map(|lane| lane.anomalies.recent())
            .collect()
    }

    /// How many anomalies there have been in all (over every lane).
    pub fn anomaly_count(&self) -> u64 {
        self.handle
            .lanes
            .iter()
            .map(|lane| lane.anomalies.count())
            .sum()
    }
}

impl Link for Mux {
    fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>> {
        Mux::transaction(self, route, body, timeout)
    }

    fn post(&self, route: Route<'_>, body: &[u8]) -> Result<(), RemoteError<()>> {
        Mux::post(self, route, body)
    }
}

impl std::fmt::Debug for Mux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mux")
            .field("peer", &self.peer())
            .field("lanes", &self.lanes())
            .field("pending", &self.pending())
            .field("closed", &self.is_closed())
            .finish()
    }
}

fn not_sent(error: WireError) -> RemoteError<()> {
    RemoteError::NotSent { error, msg: () }
}

impl MuxState {
    /// One connection of a Mux: its state, its writer thread (the outbox) and its reader
    /// thread.
    fn start(transport: Transport, config: &Config) -> Result<Arc<MuxState>, WireError> {
        let (
            ReadHalf {
                reader,
                set_timeout,
            },
            outbox,
            peer,
        ) = transport.start(super::transport::QUEUE)?;
        let shared = Arc::new(MuxState {
            peer,
            outbox,
            calls: Mutex::new(Calls {
                waiting: HashMap::new(),
                closed: None,
            }),
            next_xid: AtomicU64::new(1),
            max_frame: config.max_frame,
            anomalies: Anomalies::default(),
            leads: set_timeout.is_some(),
            reading: Mutex::new(Reading {
                frames: FrameReader::new(reader, config.max_frame),
                set_timeout,
                timeout: None,
                ended: false,
            }),
            led: AtomicU64::new(0),
            standing: Mutex::default(),
            wake: Condvar::new(),
            closed: AtomicBool::new(false),
            siblings: OnceLock::new(),
        });
        let failed = Arc::downgrade(&shared);
        shared.outbox.on_error(move |reason| {
            if let Some(shared) = failed.upgrade() {
                shared.close(reason);
            }
        });
        let reading = shared.clone();
        thread::Builder::new()
            .name("wire-mux".to_owned())
            .spawn(move || reading.read())
            .map_err(|e| {
                let e = WireError::io(format!("starting a reader for {}", shared.peer), e);
                shared.close(e.to_string());
                e
            })?;
        Ok(shared)
    }

    fn calls(&self) -> MutexGuard<'_, Calls> {
        lock(&self.calls)
    }

    fn disconnected(&self, reason: &str) -> WireError {
        WireError::Disconnected {
            peer: self.peer.clone(),
            reason: reason.to_owned(),
        }
    }

    /// A whole frame: the head, then the body.
    fn frame(&self, head: &Head<'_>, body: &[u8]) -> Result<Vec<u8>, RemoteError<()>> {
        let mut frame = Frame::new();
        codec::encode(head, frame.buf_mut()).map_err(|e| not_sent(e.into()))?;
        frame.extend_from_slice(body);
        frame.finish(self.max_frame).map_err(|e| not_sent(e.into()))
    }

    /// The error for a closed connection, with the reason it closed.
    fn disconnected_now(&self) -> WireError {
        let calls = self.calls();
        self.disconnected(calls.closed.as_deref().unwrap_or("it was closed"))
    }

    /// The reader thread: reads while calls wait and no caller leads, hands each reply to
    /// its caller, and closes the connection when the stream ends.
    fn read(&self) {
        loop {
            // `None`: a caller leads.
            let reading = try_lock(&self.reading);
            let led = reading.is_none();
            if let Some(mut reading) = reading {
                if reading.ended {
                    return;
                }
                // Reads block: no caller is waiting on this thread's deadline.
                reading.time(None);
                loop {
                    match reading.frames.poll_frame(None) {
                        Ok(Polled::Frame(packet)) => self.receive(packet),
                        // A socket's reads were timed by a caller that led (and are again
                        // once this thread has set them to block).
                        Ok(Polled::Later) if self.leads => {}
                        // A stream of the user's whose read timed out, or a non-blocking
                        // one: it cannot be waited on, so the connection ends, as a
                        // failed read ends it.
                        Ok(Polled::Later) => {
                            let reason = "a read timed out: a stream given to a Mux must \
                                          block until data comes";
                            return self.fail(
                                &mut reading,
                                FrameError::Io {
                                    reason: reason.to_owned(),
                                },
                            );
                        }
                        Ok(Polled::End) => return self.end(&mut reading, CLOSED_BY_PEER.into()),
                        Err(e) => return self.fail(&mut reading, e),
                    }
                    // Over a pipe this thread always reads; on a socket, it leaves the
                    // reading to callers once none waits.
                    if self.leads {
                        let calls = self.calls();
                        if calls.waiting.is_empty() {
                            // Released under the table's lock: see the module's notes.
                            drop(reading);
                            drop(calls);
                            break;
                        }
                    }
                }
            }
            let standing = if led { self.park() } else { self.stand_by() };
            if !standing {
                return;
            }
        }
    }

    /// Waits until the reader thread must read: woken by a leader that leaves calls
    /// waiting, or after [`STAND_BY`] in which no caller began to lead. `false` once the
    /// connection has closed.
    fn stand_by(&self) -> bool {
        let mut standing = lock(&self.standing);
        loop {
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            if mem::take(&mut standing.wanted) {
                return true;
            }
            let led = self.led.load(Ordering::Relaxed);
            let (guard, waited) = self
                .wake
                .wait_timeout(standing, STAND_BY)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            standing = guard;
            if waited.timed_out() && self.led.load(Ordering::Relaxed) == led {
                return !self.closed.load(Ordering::Acquire);
            }
        }
    }

    /// The reader thread found a caller leading: waits until the leader leaves (a caller
    /// that leads for long, a long poll, costs this thread a wake-up a second at most
    /// meanwhile, [`PARKED`]). `false` once the connection has closed.
    fn park(&self) -> bool {
        let mut standing = lock(&self.standing);
        standing.parked = true;
        // Tried again under `standing`: a leader that left before this finds the lock
        // free here, and one that leaves after it sees `parked` (`leave` looks under
        // `standing`, after releasing the lock).
        if try_lock(&self.reading).is_some() {
            standing.parked = false;
            return true;
        }
        loop {
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            if mem::take(&mut standing.wanted) {
                standing.parked = false;
                return true;
            }
            // The backstop: a leader that panicked never left.
            let (guard, waited) = self
                .wake
                .wait_timeout(standing, PARKED)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            standing = guard;
            if waited.timed_out() {
                standing.parked = false;
                return true;
            }
        }
    }

    /// Wakes the reader thread to read (or to end).
    fn want_reader(&self) {
        let mut standing = lock(&self.standing);
        standing.wanted = true;
        self.wake.notify_one();
    }

    /// A leader has released the reading lock: wakes the reader thread if calls still
    /// wait (`others`) or it waits for this leader to leave.
    fn leave(&self, others: bool) {
        let mut standing = lock(&self.standing);
        if others || standing.parked {
            standing.wanted = true;
            self.wake.notify_one();
        }
    }

    /// A caller reads the connection itself until its own reply comes (or the connection
    /// ends, which answers it too), handing on the others it meets; `None` if its
    /// deadline passed first or the stream's reads could not be timed, when the caller
    /// goes on as one that did not lead. Leaves the reading to the reader thread if calls
    /// are still waiting.
    fn lead(
        &self,
        mut reading: MutexGuard<'_, Reading>,
        reply: &crossbeam_channel::Receiver<Result<Payload, WireError>>,
        deadline: Option<Instant>,
        xid: u64,
    ) -> Option<Result<Payload, WireError>> {
        self.led.fetch_add(1, Ordering::Relaxed);
        // Whether this caller leaves still waiting for the reply, for the reader thread
        // to read (its reads could not be timed).
        let mut untimed = false;
        let outcome = loop {
            if let Ok(outcome) = reply.try_recv() {
                break Some(outcome);
            }
            if reading.ended {
                break None;
            }
            let timeout = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break None,
                },
                None => None,
            };
            if !reading.time(timeout) {
                untimed = true;
                break None;
            }
            match reading.frames.poll_frame(deadline) {
                Ok(Polled::Frame(packet)) => self.receive(packet),
                Ok(Polled::Later) => {}
                // The close answers this caller too: its slot has the reason next round.
                Ok(Polled::End) => self.end(&mut reading, CLOSED_BY_PEER.into()),
                Err(e) => self.fail(&mut reading, e),
            }
        };
        let calls = self.calls();
        let others = match calls.waiting.len() {
            0 => false,
            1 => untimed || !calls.waiting.contains_key(&xid),
            _ => true,
        };
        // Released under the table's lock: see the module's notes.
        drop(reading);
        drop(calls);
        self.leave(others);
        outcome
    }

    /// The stream ended (or failed) under its reader: no one reads it again, and the
    /// connection closes. (`close` takes the table's lock under the reading one, as
    /// `receive` does.)
    fn end(&self, reading: &mut Reading, reason: String) {
        reading.ended = true;
        self.close(reason);
    }

    /// A read failed with `e`: reported, and the connection ends with it as the reason.
    fn fail(&self, reading: &mut Reading, e: FrameError) {
        let reason = e.to_string();
        self.anomalies.report(e.into());
        self.end(reading, reason);
    }

    fn receive(&self, packet: Vec<u8>) {
        let (xid, outcome) = match codec::decode_packet(&packet) {
            Ok((Head::Reply { xid }, body)) => (xid, Ok(packet.len() - body.len())),
            Ok((Head::Fault { xid, fault }, _)) => (xid, Err(WireError::Remote(fault))),
            Ok((head, _)) => {
                return self.anomalies.report(WireError::Unexpected {
                    what: head.kind(),
                    side: "Mux",
                })
            }
            Err(e) => return self.anomalies.report(e.into()),
        };
        let slot = self.calls().waiting.remove(&xid);
        match slot {
            Some(slot) => {
                let _ = slot.send(outcome.map(|start| Payload::new(packet, start)));
            }
            // An issued id no longer waiting: its caller timed out. Dropped on purpose.
            None if (1..self.next_xid.load(Ordering::Relaxed)).contains(&xid) => {}
            None => self.anomalies.report(WireError::UnknownTransaction { xid }),
        }
    }

    /// Marks the connection closed, releases every waiting caller, closes the transport;
    /// then the other lanes of a Mux [`with_lanes`](Mux::with_lanes).
    fn close(&self, reason: String) {
        if self.close_lane(reason.clone()) {
            self.close_siblings(&reason);
        }
    }

    /// [`close`](MuxState::close) of this lane alone; whether this call closed it.
    fn close_lane(&self, reason: String) -> bool {
        let waiting = {
            let mut calls = self.calls();
            if calls.closed.is_some() {
                return false;
            }
            calls.closed = Some(reason.clone());
            mem::take(&mut calls.waiting)
        };
        for slot in waiting.into_values() {
            let _ = slot.send(Err(self.disconnected(&reason)));
        }
        self.outbox.close();
        self.closed.store(true, Ordering::Release);
        self.want_reader();
        true
    }

    /// Closes the other lanes of this one's Mux, saying why this one closed.
    fn close_siblings(&self, reason: &str) {
        for sibling in self.siblings.get().into_iter().flatten() {
            if let Some(sibling) = sibling.upgrade() {
                sibling.close_lane(format!("another lane of the Mux closed: {reason}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_hold_one_another_weakly_so_the_last_handle_frees_them() {
        let (near, _far): (Vec<_>, Vec<_>) = (0..3).map(|_| Transport::pair().unwrap()).unzip();
        let mux = Mux::with_lanes(near, Config::default()).unwrap();
        for lane in mux.handle.lanes.iter() {
            // The handle's and the reader thread's: none from the siblings.
            assert_eq!(Arc::strong_count(lane), 2);
            assert_eq!(lane.siblings.get().map(|s| s.len()), Some(2));
        }
    }

    #[test]
    fn threads_take_each_muxs_lanes_in_turn_whatever_other_muxes_they_call_through() {
        let (a, b) = (Arc::new(Tickets::default()), Arc::new(Tickets::default()));
        // Each thread draws from both; a's lanes still alternate.
        let lanes: Vec<_> = (0..6)
            .map(|_| {
                let (a, b) = (a.clone(), b.clone());
                std::thread::spawn(move || {
                    let _ = lane_of(&b, 2);
                    let first = lane_of(&a, 2);
                    assert_eq!(lane_of(&a, 2), first, "a thread keeps its lane");
                    first
                })
                .join()
                .unwrap()
            })
            .collect();
        assert_eq!(lanes, [0, 1, 0, 1, 0, 1]);
        // A dropped Mux's entry goes when the thread draws for another.
        let drawn = std::thread::spawn(move || {
            let gone = Arc::new(Tickets::default());
            lane_of(&gone, 2);
            drop(gone);
            lane_of(&a, 2);
            DRAWN.with(|drawn| drawn.borrow().len())
        })
        .join()
        .unwrap();
        assert_eq!(drawn, 1);
    }
}
