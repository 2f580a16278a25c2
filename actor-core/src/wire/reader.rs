//! A DeMux connection's reader thread: the thin front end that reads each frame, has the
//! shared table route its head, and hands the request on (a call or a function's tell to
//! the pool, an actor's tell posted at once), within the connection's permits.

use std::io::Read;
use std::sync::atomic::Ordering;

use super::codec;
use super::conn::{Lease, Watched};
use super::demux::DemuxState;
use super::error::{Fault, WireError};
use super::frame::FrameReader;
use super::limits::now_ms;
use super::serve::Request;
use super::work::{unread, Answering, Job, Kind};

impl DemuxState {
    /// A connection's reader thread: dispatches each request until the connection ends.
    pub(super) fn read(&self, conn: &Lease, reader: Box<dyn Read + Send>) -> Result<(), WireError> {
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
        let (mut request, start) = match codec::decode_packet(&packet) {
            Ok((head, body)) => (
                self.table.route(head, None, "DeMux"),
                packet.len() - body.len(),
            ),
            Err(e) => (Request::Report(e.into()), 0),
        };
        if self.closed.load(Ordering::Acquire) {
            // Closing: what was taken before is answered, nothing new is.
            let reason = "the DeMux is closing".to_owned();
            request = match request {
                Request::Call { xid, .. } => Request::Refuse {
                    xid,
                    fault: Fault::Unavailable { reason },
                },
                Request::Tell(endpoint) => Request::Report(WireError::Limit {
                    peer: conn.peer.clone(),
                    reason: format!(
                        "a tell of `{}` to `{}` was dropped: {reason}",
                        endpoint.message, endpoint.actor
                    ),
                }),
                other => other,
            };
        }
        // Each request answered on this connection holds a permit until its answer is
        // written, each tell given to a worker until it has run: a peer that stops reading
        // its replies, or floods the workers, stops being read.
        let permit = match &request {
            Request::Call { .. } | Request::Refuse { .. } => true,
            Request::Tell(endpoint) => !endpoint.tells_inline(),
            Request::Report(_) => false,
        };
        if permit && !self.stalled_if(conn.outbox.is_full(), || conn.outbox.acquire()) {
            return; // the connection is closed: no answer could go out
        }
        let job = |endpoint, kind| {
            Box::new(Job {
                conn: conn.clone(),
                endpoint,
                packet: Vec::new(),
                start,
                kind,
                counted: false,
            })
        };
        match request {
            Request::Call {
                xid,
                timeout,
                endpoint,
            } => {
                if conn.outbox.reply_bytes() >= conn.max_reply_bytes {
                    // The caller does not read its replies: do not make more of them.
                    return conn.send_fault(xid, unread(conn));
                }
                // Posted to the actor here, answered from its thread, so no worker waits;
                // past `max_queued` posted at once, the call goes to the pool.
                let hold = endpoint.starts().then(|| self.pool.post()).flatten();
                if let Some(hold) = hold {
                    let answer = Box::new(Answering {
                        conn: conn.clone(),
                        endpoint: endpoint.clone(),
                        xid,
                        _hold: hold,
                        pending: true,
                    });
                    if endpoint.start(&packet[start..], timeout, answer) {
                        return;
                    }
                }
                let mut job = job(endpoint, Kind::Call { xid, timeout });
                job.packet = packet;
                self.pool.dispatch(job);
            }
            Request::Tell(endpoint) if endpoint.tells_inline() => {
                let report = |e: WireError| conn.report(e);
                self.table
                    .post(&endpoint, &packet[start..], &self.pool, &report);
            }
            Request::Tell(endpoint) => {
                let mut job = job(endpoint, Kind::Tell);
                job.packet = packet;
                self.pool.dispatch(job);
            }
            Request::Refuse { xid, fault } => conn.send_fault(xid, fault),
            Request::Report(error) => conn.report(error),
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
