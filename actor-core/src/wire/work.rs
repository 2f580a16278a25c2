//! A DeMux's request as a job for the shared [`Pool`](super::serve::Pool), answered on
//! the connection it came from; and the watchdog that enforces the DeMux's timeouts.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::codec::{self, Head};
use super::conn::{Conn, Lease};
use super::demux::DemuxState;
use super::error::{Fault, WireError};
use super::frame::Frame;
use super::limits::{now_ms, Limits};
use super::pool;
use super::serve::{catch, Answer, Endpoint, Failure};
use crate::sync::lock;

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
        self.leave();
    }
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Call { xid: u64, timeout: Duration },
    Tell,
}

impl pool::Job for Job {
    /// Each way leaves the connection's count of requests in before the answer goes
    /// out: a caller that sends its next request on reading this one's answer must find
    /// its connection with nothing in, or past the thread cap it would be refused.
    fn run(mut self: Box<Self>) {
        match self.kind {
            Kind::Call { xid, .. }
                if self.conn.outbox.reply_bytes() >= self.conn.max_reply_bytes =>
            {
                // The caller does not read its replies: do not make more of them.
                self.leave();
                self.conn.send_fault(xid, unread(&self.conn));
            }
            Kind::Call { xid, timeout } => {
                let reply = self.answer(xid, timeout, &self.packet[self.start..]);
                self.leave();
                // A reply that cannot be written: the connection is gone, and its reader
                // thread tells the rest.
                match reply {
                    Some(reply) => self.conn.outbox.reply(reply),
                    None => self.conn.outbox.release(),
                }
            }
            Kind::Tell => {
                let delivered = self.endpoint.deliver(&self.packet[self.start..]);
                self.leave();
                if let Err(fault) = delivered {
                    self.conn.report(fault.into());
                }
                self.conn.outbox.release();
            }
        }
    }

    /// Answers a call with [`Fault::Unavailable`]; drops a tell, recording why.
    fn refuse(self: Box<Self>, reason: String) {
        match self.kind {
            Kind::Call { xid, .. } => self.conn.send_fault(xid, Fault::Unavailable { reason }),
            Kind::Tell => {
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

    /// A connection with no request in is always let in.
    fn may_refuse(&self, _taken: usize, _max: usize) -> bool {
        self.conn.working.load(Ordering::Acquire) > 0
    }

    fn admitted(&mut self) {
        self.conn.working.fetch_add(1, Ordering::AcqRel);
        self.counted = true;
    }
}

impl Job {
    /// Leaves its connection's count of requests in (once; dropped, it leaves too).
    fn leave(&mut self) {
        if std::mem::take(&mut self.counted) {
            self.conn.working.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// The reply frame to call `xid`, or the fault frame that takes its place.
    fn answer(&self, xid: u64, timeout: Duration, body: &[u8]) -> Option<Vec<u8>> {
        // The handler appends to the frame itself: no copy of the reply.
        reply_frame(&self.conn, &self.endpoint, xid, |out| {
            catch(|| self.endpoint.run_call(body, timeout, out))
        })
    }
}

/// The fault for a call refused because its caller does not read its replies.
pub(super) fn unread(conn: &Conn) -> Fault {
    Fault::Unavailable {
        reason: unread_replies(conn),
    }
}

/// How many bytes of replies the caller has not read, against the limit.
fn unread_replies(conn: &Conn) -> String {
    format!(
        "the caller has {} bytes of replies it has not read, at the limit of {}",
        conn.outbox.reply_bytes(),
        conn.max_reply_bytes
    )
}

/// The frame answering call `xid`: the head, then what `encode` appends; or, if that
/// fails or does not fit, the fault frame that takes its place.
fn reply_frame(
    conn: &Conn,
    endpoint: &Endpoint,
    xid: u64,
    encode: impl FnOnce(&mut Vec<u8>) -> Result<(), Failure>,
) -> Option<Vec<u8>> {
    let mut frame = Frame::new();
    let outcome = codec::encode(&Head::Reply { xid }, frame.buf_mut())
        .map_err(|e| Failure::Failed(e.to_string()))
        .and_then(|()| encode(frame.buf_mut()));
    let failure = match outcome {
        Ok(()) => match frame.finish(conn.max_frame) {
            Ok(reply) => return Some(reply),
            Err(e) => Failure::Failed(format!("its reply cannot be sent: {e}")),
        },
        Err(failure) => failure,
    };
    conn.fault_frame(xid, endpoint.fault(failure))
}

/// A call posted to an exposed actor by the reader thread, answered on its connection
/// from the thread its reply comes from (the actor's, or the timer's at the timeout). It
/// holds a permit of the connection, a lease on it, and a hold on the pool (one of at
/// most `max_queued` posted at once, which a graceful close waits for), until it is
/// answered. A reply that comes while the caller has `max_reply_bytes` of replies unread
/// is dropped, and the caller gets a fault instead.
pub(super) struct Answering {
    pub(super) conn: Lease,
    pub(super) endpoint: Endpoint,
    pub(super) xid: u64,
    pub(super) _hold: pool::Hold,
    /// False once answered: dropped unanswered (a panic while posting), it answers with
    /// a fault.
    pub(super) pending: bool,
}

impl Answer for Answering {
    fn reply(mut self: Box<Self>, encode: &dyn Fn(&mut Vec<u8>) -> Result<(), Failure>) {
        if self.conn.outbox.reply_bytes() >= self.conn.max_reply_bytes {
            // The caller stopped reading its replies after this call was posted: the
            // reply is dropped, not queued, and the caller told why.
            let reason = format!("its reply was dropped: {}", unread_replies(&self.conn));
            return self.fail(Failure::Failed(reason));
        }
        self.pending = false;
        match reply_frame(&self.conn, &self.endpoint, self.xid, |out| {
            catch(|| encode(out))
        }) {
            Some(frame) => self.conn.outbox.reply(frame),
            None => self.conn.outbox.release(),
        }
    }

    fn fail(mut self: Box<Self>, failure: Failure) {
        self.pending = false;
        self.conn.send_fault(self.xid, self.endpoint.fault(failure));
    }

    /// The call goes to a worker after all: its permit goes with it, unanswered here.
    fn withdraw(mut self: Box<Self>) {
        self.pending = false;
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if self.pending {
            let fault = self.endpoint.fault(Failure::unanswered());
            self.conn.send_fault(self.xid, fault);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Write};
    use std::sync::{Mutex, OnceLock};

    use super::*;
    use crate::wire::codec::Route;
    use crate::wire::frame::DEFAULT_MAX_FRAME;
    use crate::wire::limits::Counters;
    use crate::wire::pool::Job as _;
    use crate::wire::serve::Table;
    use crate::wire::transport::Outbox;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Square(u64);

    impl crate::Message for Square {
        type Reply = u64;
    }

    /// A stream that notes, at each write, how many requests its connection has in.
    struct Spy {
        conn: Arc<OnceLock<Weak<Conn>>>,
        seen: Arc<Mutex<Vec<usize>>>,
    }

    impl Write for Spy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(conn) = self.conn.get().and_then(Weak::upgrade) {
                lock(&self.seen).push(conn.working.load(Ordering::SeqCst));
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The flake in `tests/wire_attacks.rs` (a client past the thread cap refused its
    /// `Open` though its last call was answered): a call's job left its connection's
    /// count only when it was dropped, after its answer was written.
    #[test]
    fn a_call_leaves_its_connections_count_before_its_answer_is_written() {
        let (cell, seen) = (Arc::new(OnceLock::new()), Arc::default());
        let spy = Spy {
            conn: cell.clone(),
            seen: Arc::clone(&seen),
        };
        // Inline: the job's own thread writes its answer, so the spy sees the count then.
        let outbox = Outbox::start(Box::new(spy), None, "a spy", 4, true, None).unwrap();
        let counters = Arc::new(Counters::default());
        let conn = Arc::new(Conn::new(
            "a spy".to_owned(),
            outbox,
            DEFAULT_MAX_FRAME,
            usize::MAX,
            Arc::default(),
            counters.clone(),
        ));
        cell.set(Arc::downgrade(&conn)).unwrap();
        let table = Table::new(Limits::default(), counters, Arc::new(|_| {}));
        table.function("math", |Square(n): Square| n * n).unwrap();
        let endpoint = table
            .lookup(Route {
                actor: "math",
                message: codec::wire_name::<Square>(),
            })
            .unwrap_or_else(|fault| panic!("{fault}"));
        assert!(conn.outbox.acquire());
        let mut job = Box::new(Job {
            conn: Lease::new(conn.clone()),
            endpoint,
            packet: codec::to_vec(&Square(9)).unwrap(),
            start: 0,
            kind: Kind::Call {
                xid: 1,
                timeout: Duration::from_secs(5),
            },
            counted: false,
        });
        job.admitted();
        assert_eq!(conn.working.load(Ordering::SeqCst), 1);
        job.run();
        let seen = lock(&seen).clone();
        assert!(
            !seen.is_empty(),
            "the answer was written on the job's thread"
        );
        assert!(seen.iter().all(|&working| working == 0), "{seen:?}");
        assert_eq!(conn.working.load(Ordering::SeqCst), 0);
    }
}
