//! Running requests: on a pool of workers or a thread each, within the DeMux's
//! [`Limits`]; and the watchdog that enforces its timeouts.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::codec::{self, Head};
use super::conn::{Conn, Lease};
use super::demux::{DemuxState, Endpoint, Failure, Work};
use super::error::{Fault, WireError};
use super::frame::Frame;
use super::limits::{now_ms, Counters, Limits};
use crate::sync::lock;

impl DemuxState {
    /// Hands `job` to a worker, or refuses it if the workers are at their limit and its
    /// connection already has a request with them (so the refusals fall on the clients
    /// that fill the workers, not on the one that comes next).
    pub(super) fn dispatch(&self, mut job: Job) {
        let counters = &self.counters;
        let (taken, max, what) = match &self.work {
            Work::Pool(_) => (
                &counters.queued,
                self.limits.max_queued,
                "requests waiting for a worker",
            ),
            Work::PerRequest => (
                &counters.running,
                self.limits.max_threads,
                "request threads",
            ),
        };
        if job.conn.working.load(Ordering::Acquire) > 0 && taken.load(Ordering::Acquire) >= max {
            Counters::bump(&counters.refused_requests);
            return job.refuse(format!("the far side is at its limit of {max} {what}"));
        }
        job.conn.working.fetch_add(1, Ordering::AcqRel);
        job.counted = true;
        match &self.work {
            Work::Pool(jobs) => {
                counters.queued.fetch_add(1, Ordering::AcqRel);
                // The pool outlives every sender, so this cannot fail; if it did, the
                // job would be refused below.
                if let Err(e) = jobs.send(job) {
                    counters.queued.fetch_sub(1, Ordering::AcqRel);
                    e.into_inner()
                        .refuse("the DeMux's workers have stopped".to_owned());
                }
            }
            Work::PerRequest => {
                counters.running.fetch_add(1, Ordering::AcqRel);
                let (conn, kind) = (job.conn.clone(), job.kind);
                let running = counters.clone();
                let spawned = thread::Builder::new()
                    .name("wire-request".to_owned())
                    .spawn(move || {
                        job.run();
                        running.running.fetch_sub(1, Ordering::AcqRel);
                    });
                if let Err(e) = spawned {
                    counters.running.fetch_sub(1, Ordering::AcqRel);
                    let reason = format!("could not start a thread for the request: {e}");
                    // The job went with the closure: answer for it here.
                    match kind {
                        Kind::Call { xid, .. } => {
                            conn.send_fault(xid, Fault::Unavailable { reason })
                        }
                        Kind::Tell => {
                            conn.outbox.release();
                            conn.report(Fault::Unavailable { reason }.into());
                        }
                    }
                }
            }
        }
    }
}

/// A pool worker: runs jobs until the DeMux goes.
pub(super) fn work(queue: Receiver<Job>, counters: Arc<Counters>) {
    for job in queue.iter() {
        counters.queued.fetch_sub(1, Ordering::AcqRel);
        counters.running.fetch_add(1, Ordering::AcqRel);
        job.run();
        counters.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How often the watchdog looks: often enough that a timeout is enforced within a
/// quarter of it.
pub(super) fn watch_period(limits: &Limits) -> Option<Duration> {
    [
        limits.idle_timeout,
        limits.read_timeout,
        limits.write_timeout,
    ]
    .into_iter()
    .flatten()
    .min()
    .map(|shortest| (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)))
}

/// The watchdog: closes each connection past a timeout, until the DeMux goes (`stop`
/// disconnects).
pub(super) fn watch(shared: Weak<DemuxState>, stop: Receiver<()>, period: Duration) {
    loop {
        match stop.recv_timeout(period) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let connections: Vec<Arc<Conn>> = lock(&shared.connections)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        let now = now_ms();
        for conn in connections {
            if let Some(reason) = conn.overdue(&shared.limits, now) {
                conn.time_out(reason);
            }
        }
    }
}

/// Runs `f`, turning a panic into a [`Failure`] with its message.
pub(super) fn catch(f: impl FnOnce() -> Result<(), Failure>) -> Result<(), Failure> {
    panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(Failure::Panicked(panic_message(&*payload))))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    crate::call::panic_text(payload)
        .unwrap_or("the panic carried no message")
        .to_owned()
}

/// One request for a worker. It holds a permit of its connection until it is answered
/// (a call) or run (a tell).
pub(super) struct Job {
    pub(super) conn: Lease,
    pub(super) endpoint: Endpoint,
    /// The packet, and where the body starts in it.
    pub(super) packet: Vec<u8>,
    pub(super) start: usize,
    pub(super) kind: Kind,
    /// Whether it counts in its connection's `working`.
    pub(super) counted: bool,
}

impl Drop for Job {
    fn drop(&mut self) {
        if self.counted {
            self.conn.working.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Call { xid: u64, timeout: Duration },
    Tell,
}

impl Job {
    fn xid(&self) -> Option<u64> {
        match self.kind {
            Kind::Call { xid, .. } => Some(xid),
            Kind::Tell => None,
        }
    }

    pub(super) fn run(self) {
        let body = &self.packet[self.start..];
        let endpoint = &self.endpoint;
        match self.kind {
            Kind::Call { xid, .. }
                if self.conn.outbox.reply_bytes() >= self.conn.max_reply_bytes =>
            {
                // The caller does not read its replies: do not make more of them.
                let reason = format!(
                    "the caller has {} bytes of replies it has not read, at the limit of {}",
                    self.conn.outbox.reply_bytes(),
                    self.conn.max_reply_bytes
                );
                self.conn.send_fault(xid, Fault::Unavailable { reason });
            }
            Kind::Call { xid, timeout } => {
                // A reply that cannot be written: the connection is gone, and its reader
                // thread tells the rest.
                match self.answer(xid, timeout, body) {
                    Some(reply) => self.conn.outbox.reply(reply),
                    None => self.conn.outbox.release(),
                }
            }
            Kind::Tell => {
                if let Err(failure) = catch(|| (endpoint.tell)(body)) {
                    self.conn.report(endpoint.fault(failure).into());
                }
                self.conn.outbox.release();
            }
        }
    }

    /// The reply frame to call `xid`, or the fault frame that takes its place.
    fn answer(&self, xid: u64, timeout: Duration, body: &[u8]) -> Option<Vec<u8>> {
        let mut frame = Frame::new();
        let outcome = codec::encode(&Head::Reply { xid }, frame.buf_mut())
            .map_err(|e| Failure::Failed(e.to_string()))
            .and_then(|()| catch(|| (self.endpoint.call)(body, timeout, frame.buf_mut())));
        let failure = match outcome {
            Ok(()) => match frame.finish(self.conn.max_frame) {
                Ok(reply) => return Some(reply),
                Err(e) => Failure::Failed(format!("its reply cannot be sent: {e}")),
            },
            Err(failure) => failure,
        };
        self.conn.fault_frame(xid, self.endpoint.fault(failure))
    }

    /// Answers a call with [`Fault::Unavailable`]; drops a tell, recording why.
    pub(super) fn refuse(self, reason: String) {
        match self.xid() {
            Some(xid) => self.conn.send_fault(xid, Fault::Unavailable { reason }),
            None => {
                self.conn.outbox.release();
                self.conn.report(WireError::Limit {
                    peer: self.conn.peer.clone(),
                    reason: format!(
                        "a tell of `{}` to `{}` was dropped: {reason}",
                        self.endpoint.message, self.endpoint.actor
                    ),
                });
            }
        }
    }
}
