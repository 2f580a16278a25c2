//! [`Calls`]: the calls a node is waiting on, by transaction id, shared by its callers,
//! the runtime's reply task and its event callback.

use std::collections::{HashMap, VecDeque};
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_nats::{Event, Message as NatsMessage, ServerError};
use crossbeam_channel::{Receiver, Sender};

use crate::sync::lock;

use crate::wire::{clip, Anomalies, WireError};

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

/// The longest subject read out of a refusal (the server's control lines are 4 KiB by
/// default).
const SUBJECT_LEN: usize = 8 * 1024;

/// The subject a refusal names. The server writes it with Go's `%q`: in double quotes,
/// a quote or backslash escaped by a backslash (a subject is printable ASCII, so no
/// other escape occurs). `None` if the text does not hold one.
fn refused_subject(text: &str) -> Option<String> {
    let quoted = &text[text.find(REFUSED_SUBSCRIPTION)? + REFUSED_SUBSCRIPTION.len()..];
    let mut chars = quoted.strip_prefix('"')?.chars();
    let mut subject = String::new();
    while subject.len() <= SUBJECT_LEN {
        match chars.next()? {
            '"' => return Some(subject),
            '\\' => subject.push(chars.next()?),
            c => subject.push(c),
        }
    }
    None
}

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
    /// The server's latest refusals of a subscription (the subject, the server's text),
    /// at most [`REFUSALS_KEPT`].
    refused: VecDeque<(String, String)>,
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
                let Some(subject) = refused_subject(&text) else {
                    return;
                };
                let mut text = text;
                clip(&mut text, REFUSAL_LEN);
                let mut table = self.table();
                if table.refused.len() == REFUSALS_KEPT {
                    table.refused.pop_front();
                }
                table.refused.push_back((subject, text));
            }
            Event::ServerError(e) => log::warn!("NATS: the server reported an error: {e}"),
            Event::ClientError(e) => log::debug!("NATS: {e}"),
            other => log::debug!("NATS: {other}"),
        }
    }

    /// The server's refusal of the subscription to `subject`, if it sent one since the
    /// last look: taken, so a later subscription to it starts clean. The server answers
    /// a subscription before anything sent after it, and the client hands its error to
    /// the event task before it hands the round trip's reply to the reply task (both
    /// tasks run in that order on the runtime's one thread), so once a round trip queued
    /// after the subscription is back, its refusal (if any) is here.
    pub(crate) fn take_refusal(&self, subject: &str) -> Option<String> {
        let mut table = self.table();
        let at = table.refused.iter().position(|(s, _)| s == subject)?;
        table.refused.remove(at).map(|(_, text)| text)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_subject_as_the_server_quotes_it() {
        let text = |q: &str| format!("{REFUSED_SUBSCRIPTION}{q} using queue \"svc\"");
        assert_eq!(
            refused_subject(&text(r#""actors.actor.svc""#)).as_deref(),
            Some("actors.actor.svc")
        );
        // Go's %q escapes a quote and a backslash in a subject.
        assert_eq!(
            refused_subject(&text(r#""a\"b\\c.x""#)).as_deref(),
            Some(r#"a"b\c.x"#)
        );
        // A long subject is read whole, past the length the text is kept to.
        let long = "n".repeat(REFUSAL_LEN * 2);
        assert_eq!(refused_subject(&text(&format!("\"{long}\""))), Some(long));
        for bad in ["no quote", "\"unterminated", "\"ends in \\"] {
            let text = format!("{REFUSED_SUBSCRIPTION}{bad}");
            assert_eq!(refused_subject(&text), None, "{bad}");
        }
        assert_eq!(
            refused_subject("Permissions Violation for Publish to \"x\""),
            None
        );
    }

    #[test]
    fn a_refusal_is_taken_once_by_its_own_subject() {
        let calls = Calls::new("test".to_owned());
        for subject in ["a.b", "a.b.c"] {
            let text = format!("{REFUSED_SUBSCRIPTION}\"{subject}\"");
            calls.on_event(Event::ServerError(ServerError::Other(text)));
        }
        assert_eq!(calls.take_refusal("a"), None);
        assert!(calls
            .take_refusal("a.b")
            .is_some_and(|t| t.ends_with("\"a.b\"")));
        assert_eq!(calls.take_refusal("a.b"), None);
        assert!(calls.take_refusal("a.b.c").is_some());
    }
}
