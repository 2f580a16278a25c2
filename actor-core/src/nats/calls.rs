//! [`Calls`]: the calls a node is waiting on, by transaction id, shared by its callers,
//! the runtime's reply task and its event callback.

use std::collections::{HashMap, VecDeque};
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_nats::{Event, Message as NatsMessage, ServerError};
use crossbeam_channel::{Receiver, Sender};

use crate::sync::lock;
use crate::wire::{Anomalies, WireError};

/// Why calls fail while the client reconnects.
pub(crate) const LOST: &str = "the connection was lost; the client is reconnecting";

/// How many of the server's refusals of a subscription are kept until a subscriber
/// looks (oldest dropped first): a subscription looks right after its round trip, so
/// only refusals no one asked about (a resubscription after a reconnect) pile up.
const REFUSALS_KEPT: usize = 16;

/// The longest refusal text kept: the server's names a subject and a queue group.
const REFUSAL_LEN: usize = 512;

/// How the server begins the text of an error refusing a subscription.
const REFUSED_SUBSCRIPTION: &str = "Permissions Violation for Subscription to ";

/// A reply (or the error that took its place) for one waiting call.
pub(crate) type Slot = Sender<Result<NatsMessage, WireError>>;

/// The calls waiting for a reply, shared with the runtime's reply task and its event
/// callback.
pub(crate) struct Calls {
    table: Mutex<Table>,
    /// The next transaction id; ids below it were issued.
    next_xid: AtomicU64,
    /// Who the connection is to, for messages.
    pub(crate) peer: String,
    pub(crate) anomalies: Anomalies,
}

struct Table {
    waiting: HashMap<u64, Slot>,
    /// Why the node closed, once it has.
    closed: Option<String>,
    /// The server's latest refusals of a subscription, at most [`REFUSALS_KEPT`].
    refused: VecDeque<String>,
}

impl Calls {
    pub(crate) fn new(peer: String) -> Self {
        Calls {
            table: Mutex::new(Table {
                waiting: HashMap::new(),
                closed: None,
                refused: VecDeque::new(),
            }),
            next_xid: AtomicU64::new(1),
            peer,
            anomalies: Anomalies::default(),
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        lock(&self.table)
    }

    pub(crate) fn disconnected(&self, reason: &str) -> WireError {
        WireError::Disconnected {
            peer: self.peer.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Registers a call: its transaction id and where its reply will come.
    pub(crate) fn register(
        &self,
    ) -> Result<(u64, Receiver<Result<NatsMessage, WireError>>), WireError> {
        let (slot, reply) = crossbeam_channel::bounded(1);
        let mut table = self.table();
        if let Some(reason) = &table.closed {
            return Err(self.disconnected(reason));
        }
        let xid = self.next_xid.fetch_add(1, Ordering::Relaxed);
        table.waiting.insert(xid, slot);
        Ok((xid, reply))
    }

    pub(crate) fn forget(&self, xid: u64) {
        self.table().waiting.remove(&xid);
    }

    /// A message on the node's reply subscription: hands it to its call, if still waiting.
    pub(crate) fn deliver(&self, msg: NatsMessage) {
        let xid = msg
            .subject
            .rsplit('.')
            .next()
            .and_then(|token| token.parse::<u64>().ok());
        let Some(xid) = xid else {
            return self.report(WireError::Unexpected {
                what: "reply whose subject names no call",
                side: "NATS node",
            });
        };
        let slot = self.table().waiting.remove(&xid);
        match slot {
            Some(slot) => {
                let _ = slot.send(Ok(msg));
            }
            // An issued id no longer waiting: its caller timed out or was released.
            None if (1..self.next_xid.load(Ordering::Relaxed)).contains(&xid) => {}
            None => self.report(WireError::UnknownTransaction { xid }),
        }
    }

    /// Fails call `xid` (if it still waits) with `error`.
    pub(crate) fn fail(&self, xid: u64, error: WireError) {
        let slot = self.table().waiting.remove(&xid);
        if let Some(slot) = slot {
            let _ = slot.send(Err(error));
        }
    }

    pub(crate) fn report(&self, error: WireError) {
        log::debug!("NATS: {error}");
        self.anomalies.report(error);
    }

    /// The client's events: a lost connection releases every waiting caller.
    pub(crate) fn on_event(&self, event: Event) {
        match event {
            Event::Disconnected => {
                log::warn!("NATS: disconnected from {}; reconnecting", self.peer);
                self.release(LOST);
            }
            Event::Connected => log::info!("NATS: connected to {}", self.peer),
            Event::Closed => self.release("the client closed the connection"),
            Event::LameDuckMode => {
                log::warn!("NATS: the server is shutting down (lame duck mode)")
            }
            Event::SlowConsumer(sid) => self.report(WireError::Limit {
                peer: self.peer.clone(),
                reason: format!(
                    "subscription {sid} fell behind: the client dropped messages past its capacity"
                ),
            }),
            Event::ServerError(ServerError::Other(text)) if text.contains(REFUSED_SUBSCRIPTION) => {
                log::error!("NATS: the server refused a subscription: {text}");
                let mut text = text;
                if text.len() > REFUSAL_LEN {
                    let mut end = REFUSAL_LEN;
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.truncate(end);
                }
                let mut table = self.table();
                if table.refused.len() == REFUSALS_KEPT {
                    table.refused.pop_front();
                }
                table.refused.push_back(text);
            }
            Event::ServerError(e) => log::warn!("NATS: the server reported an error: {e}"),
            Event::ClientError(e) => log::debug!("NATS: {e}"),
            other => log::debug!("NATS: {other}"),
        }
    }

    /// The server's refusal of the subscription to `subject`, if it sent one since the
    /// last look: taken, so a later subscription to it starts clean. The server answers
    /// a subscription before anything sent after it, so once a round trip queued after
    /// the subscription is back, its refusal (if any) is here.
    pub(crate) fn take_refusal(&self, subject: &str) -> Option<String> {
        let quoted = format!("{REFUSED_SUBSCRIPTION}\"{subject}\"");
        let mut table = self.table();
        let at = table
            .refused
            .iter()
            .position(|text| text.contains(&quoted))?;
        table.refused.remove(at)
    }

    /// Releases every waiting caller with `Disconnected`.
    pub(crate) fn release(&self, reason: &str) {
        let waiting = mem::take(&mut self.table().waiting);
        for slot in waiting.into_values() {
            let _ = slot.send(Err(self.disconnected(reason)));
        }
    }

    /// Refuses new calls from now on and releases the waiting ones. Whether this closed it.
    pub(crate) fn close(&self, reason: &str) -> bool {
        let waiting = {
            let mut table = self.table();
            if table.closed.is_some() {
                return false;
            }
            table.closed = Some(reason.to_owned());
            mem::take(&mut table.waiting)
        };
        for slot in waiting.into_values() {
            let _ = slot.send(Err(self.disconnected(reason)));
        }
        true
    }

    pub(crate) fn closed(&self) -> Option<String> {
        self.table().closed.clone()
    }

    /// How many calls wait for their reply.
    pub(crate) fn pending(&self) -> usize {
        self.table().waiting.len()
    }
}
