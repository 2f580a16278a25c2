//! [`Mux`]: many threads' calls over one connection, each reply matched to its caller by
//! transaction id.
//!
//! Every call gets a fresh id and a one-slot channel of its own, registered in a table
//! before its request is written (by the caller itself when nothing waits to be written
//! on a socket, else by the connection's writer thread: no caller waits on the stream for
//! longer than twice a socket's 2 ms send timeout). One reader thread per connection takes each reply out of the
//! table and hands it to its slot. A reply whose id is no longer in the table belongs
//! to a call that timed out and is dropped: it can never reach another call. When the
//! connection ends, the table is emptied at once, each waiting caller gets `Disconnected`,
//! and the closed table refuses new calls.

use std::collections::HashMap;
use std::io::Read;
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender as Slot};

use super::codec::{self, Head, Payload, RemoteMessage, Route};
use super::error::{Anomalies, RemoteError, WireError};
use super::frame::{Frame, FrameReader};
use super::remote::{self, Link, RemoteAddr};
use super::transport::{Outbox, Refused, Transport};
use super::Config;
use crate::actor::Actor;
use crate::sync::lock;

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

/// Closes the connection when the last `Mux` clone goes; the reader thread holds only
/// the shared state, so it cannot keep the connection open on its own.
struct Handle {
    shared: Arc<MuxState>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared
            .close("every handle to the Mux was dropped".to_owned());
    }
}

struct MuxState {
    peer: String,
    outbox: Outbox,
    calls: Mutex<Calls>,
    /// The next transaction id; ids below it were issued.
    next_xid: AtomicU64,
    max_frame: u32,
    anomalies: Anomalies,
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

    /// Starts a Mux on `transport`: one thread writes its requests, one reads its replies.
    pub fn with_config(transport: Transport, config: Config) -> Result<Mux, WireError> {
        let (reader, outbox, peer) = transport.start(super::transport::QUEUE)?;
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
            .spawn(move || reading.read(reader))
            .map_err(|e| WireError::io(format!("starting a reader for {}", shared.peer), e))?;
        Ok(Mux {
            handle: Arc::new(Handle { shared }),
        })
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
        let shared = &self.handle.shared;
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
        let shared = &self.handle.shared;
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

    /// Closes the connection: every waiting caller is released at once with
    /// [`WireError::Disconnected`] and later calls fail at once. Idempotent.
    ///
    /// A socket is shut down both ways, which also ends the reader and writer threads;
    /// over plain pipes, the writing half is closed (once a write in progress returns),
    /// and the reader thread ends when the peer closes its own.
    pub fn close(&self) {
        self.handle.shared.close("the Mux was closed".to_owned());
    }

    /// Whether the connection is closed (by either side).
    pub fn is_closed(&self) -> bool {
        self.handle.shared.calls().closed.is_some()
    }

    /// How many calls are waiting for their reply.
    pub fn pending(&self) -> usize {
        self.handle.shared.calls().waiting.len()
    }

    /// Who is on the other end.
    pub fn peer(&self) -> &str {
        &self.handle.shared.peer
    }

    /// The most recent bad input the connection survived or ended on (replies for
    /// transactions never started, packets that did not decode, frame errors), oldest
    /// first, at most 64.
    pub fn anomalies(&self) -> Vec<WireError> {
        self.handle.shared.anomalies.recent()
    }

    /// How many anomalies there have been in all.
    pub fn anomaly_count(&self) -> u64 {
        self.handle.shared.anomalies.count()
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
            .field("pending", &self.pending())
            .field("closed", &self.is_closed())
            .finish()
    }
}

fn not_sent(error: WireError) -> RemoteError<()> {
    RemoteError::NotSent { error, msg: () }
}

impl MuxState {
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

    /// The reader thread: hands each reply to its caller until the connection ends.
    fn read(&self, reader: Box<dyn Read + Send>) {
        let mut frames = FrameReader::new(reader, self.max_frame);
        let reason = loop {
            match frames.read_frame() {
                Ok(Some(packet)) => self.receive(packet),
                Ok(None) => break "the peer closed the connection".to_owned(),
                Err(e) => {
                    let reason = e.to_string();
                    self.anomalies.report(e.into());
                    break reason;
                }
            }
        };
        self.close(reason);
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

    /// Marks the connection closed, releases every waiting caller, closes the transport.
    fn close(&self, reason: String) {
        let waiting = {
            let mut calls = self.calls();
            if calls.closed.is_some() {
                return;
            }
            calls.closed = Some(reason.clone());
            mem::take(&mut calls.waiting)
        };
        for slot in waiting.into_values() {
            let _ = slot.send(Err(self.disconnected(&reason)));
        }
        self.outbox.close();
    }
}
