//! A connection served by a [`DeMux`](super::DeMux): its shared state, the leases that
//! keep it open while requests are in progress, its timeouts, and the [`Served`] handle.

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::codec::{self, Head};
use super::error::{Anomalies, Fault, WireError};
use super::frame::Frame;
use super::limits::{now_ms, older_than, Counters, Limits};
use super::transport::Outbox;
use crate::sync::lock;

/// One served connection.
pub(super) struct Conn {
    pub(super) peer: String,
    pub(super) outbox: Outbox,
    pub(super) max_frame: u32,
    pub(super) max_reply_bytes: usize,
    /// Leases held: the reader thread's and one per request in progress.
    active: AtomicUsize,
    /// Requests of this connection waiting for a worker or running on one.
    pub(super) working: AtomicUsize,
    pub(super) activity: Arc<Activity>,
    /// Whether the watchdog has closed it.
    timed_out: AtomicBool,
    pub(super) anomalies: Anomalies,
    pub(super) demux_anomalies: Arc<Anomalies>,
    pub(super) counters: Arc<Counters>,
}

/// When a connection last did something, for its timeouts (times from `now_ms`).
#[derive(Default)]
pub(super) struct Activity {
    /// When the first byte of the frame being read came; 0 between frames.
    pub(super) frame_since: AtomicU64,
    /// When the last request came or was answered.
    pub(super) last_active: AtomicU64,
}

/// A connection's reading half, noting when each frame's first byte comes.
pub(super) struct Watched {
    pub(super) inner: Box<dyn Read + Send>,
    pub(super) activity: Arc<Activity>,
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            let since = &self.activity.frame_since;
            let _ = since.compare_exchange(0, now_ms(), Ordering::Relaxed, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// A hold on a connection: when the reader has stopped and the last request in progress
/// is answered, the connection is closed, so a peer that only stopped writing still gets
/// every reply.
pub(super) struct Lease(Arc<Conn>);

impl Lease {
    pub(super) fn new(conn: Arc<Conn>) -> Self {
        conn.active.fetch_add(1, Ordering::AcqRel);
        Lease(conn)
    }
}

impl Clone for Lease {
    fn clone(&self) -> Self {
        Lease::new(self.0.clone())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.activity.last_active.store(now_ms(), Ordering::Relaxed);
        if conn.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            conn.outbox.finish();
            conn.counters.connections.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl std::ops::Deref for Lease {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl Conn {
    pub(super) fn new(
        peer: String,
        outbox: Outbox,
        max_frame: u32,
        max_reply_bytes: usize,
        demux_anomalies: Arc<Anomalies>,
        counters: Arc<Counters>,
    ) -> Self {
        let activity = Activity::default();
        activity.last_active.store(now_ms(), Ordering::Relaxed);
        Conn {
            peer,
            outbox,
            max_frame,
            max_reply_bytes,
            active: AtomicUsize::new(0),
            working: AtomicUsize::new(0),
            activity: Arc::new(activity),
            timed_out: AtomicBool::new(false),
            anomalies: Anomalies::default(),
            demux_anomalies,
            counters,
        }
    }

    /// Which timeout the connection is past at `now`, if any, as a sentence.
    pub(super) fn overdue(&self, limits: &Limits, now: u64) -> Option<String> {
        if self.active.load(Ordering::Acquire) == 0 {
            return None; // ended already (a `Listening` may still hold it, to join it)
        }
        let frame_since = self.activity.frame_since.load(Ordering::Relaxed);
        if older_than(frame_since, limits.read_timeout, now) {
            return Some(format!(
                "closed: a frame took longer than the read timeout of {:?} to arrive",
                limits.read_timeout?
            ));
        }
        if older_than(self.outbox.writing_since(), limits.write_timeout, now) {
            return Some(format!(
                "closed: writing a reply took longer than the write timeout of {:?}",
                limits.write_timeout?
            ));
        }
        let idle = frame_since == 0
            && self.active.load(Ordering::Acquire) <= 1
            && self.outbox.reply_bytes() == 0;
        let last = self.activity.last_active.load(Ordering::Relaxed);
        if idle && older_than(last, limits.idle_timeout, now) {
            return Some(format!(
                "closed: no request for longer than the idle timeout of {:?}",
                limits.idle_timeout?
            ));
        }
        None
    }

    /// Closes the connection for a timeout (once), saying why.
    pub(super) fn time_out(&self, reason: String) {
        if !self.timed_out.swap(true, Ordering::AcqRel) {
            Counters::bump(&self.counters.timed_out);
            self.report(WireError::Limit {
                peer: self.peer.clone(),
                reason,
            });
            self.outbox.close();
        }
    }

    pub(super) fn report(&self, error: WireError) {
        self.demux_anomalies.report(error.clone());
        self.anomalies.report(error);
    }

    /// Answers call `xid` (which holds a permit) with `fault`.
    pub(super) fn send_fault(&self, xid: u64, fault: Fault) {
        match self.fault_frame(xid, fault) {
            Some(frame) => self.outbox.reply(frame),
            None => self.outbox.release(),
        }
    }

    /// A fault is small; should one not fit in a frame, its caller times out instead.
    pub(super) fn fault_frame(&self, xid: u64, fault: Fault) -> Option<Vec<u8>> {
        let mut frame = Frame::new();
        codec::encode(&Head::Fault { xid, fault }, frame.buf_mut()).ok()?;
        frame.finish(self.max_frame).ok()
    }
}

/// A connection being served by a [`DeMux`](super::DeMux). Dropping it leaves the connection served;
/// it ends when the peer closes it, or on [`close`](Served::close).
pub struct Served {
    pub(super) conn: Arc<Conn>,
    pub(super) outcome: Receiver<Result<(), WireError>>,
    pub(super) ended: Mutex<Option<Result<(), WireError>>>,
}

impl Served {
    /// Who is on the other end.
    pub fn peer(&self) -> &str {
        &self.conn.peer
    }

    /// Closes the connection both ways (see [`Mux::close`](super::Mux::close) for pipes).
    pub fn close(&self) {
        self.conn.outbox.close();
    }

    /// Waits until the connection has ended: `Ok` if the peer closed it (or it was closed
    /// here), the frame error that ended it otherwise.
    pub fn join(self) -> Result<(), WireError> {
        self.wait(None).unwrap_or(Ok(()))
    }

    /// Waits up to `timeout` for the connection to end; `None` if it is still open.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<(), WireError>> {
        self.wait(Some(timeout))
    }

    /// Whether the connection has ended.
    pub fn is_finished(&self) -> bool {
        self.wait(Some(Duration::ZERO)).is_some()
    }

    /// The most recent bad input this connection survived or ended on, oldest first, at
    /// most 64.
    pub fn anomalies(&self) -> Vec<WireError> {
        self.conn.anomalies.recent()
    }

    fn wait(&self, timeout: Option<Duration>) -> Option<Result<(), WireError>> {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let mut ended = lock(&self.ended);
        if ended.is_none() {
            let received = match deadline {
                Some(deadline) => self
                    .outcome
                    .recv_deadline(deadline)
                    .map_err(|e| e.is_disconnected()),
                None => self.outcome.recv().map_err(|_| true),
            };
            *ended = match received {
                Ok(outcome) => Some(outcome),
                // The reader always reports before it ends, unless its thread died.
                Err(true) => Some(Err(WireError::io(
                    format!("serving {}", self.conn.peer),
                    "its reader thread ended without a report",
                ))),
                Err(false) => None,
            };
        }
        // Reading is over; the connection has ended once the last answer is written.
        match &*ended {
            Some(outcome) if self.conn.outbox.wait_finished(deadline) => Some(outcome.clone()),
            _ => None,
        }
    }
}

impl fmt::Debug for Served {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Served({})", self.conn.peer)
    }
}
