//! [`DeadLetters`]: every message that could not be delivered is counted and can be
//! observed through a hook, never silently dropped.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::id::ActorInfo;
use crate::sync::{read, write};

/// Why a message was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadReason {
    /// The target had stopped (the sender got the message back).
    Stopped,
    /// The target's bounded mailbox was full.
    ///
    /// Recorded only where no sender gets the message back: a timer's tick that found the
    /// mailbox full. A full mailbox that hands the message back to its sender is
    /// back-pressure, which [`DeadLetters::refused`] counts apart.
    Full,
    /// A dynamic message found no handler and no catch-all (the sender got it back).
    NotHandled,
    /// An answer to a sender that was plain code (the handler got it back).
    NoSender,
    /// It was queued behind a `Stop` and dropped when the actor stopped.
    Discarded,
}

/// One undelivered message, as the hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The intended receiver, when known.
    pub actor: Option<ActorInfo>,
    /// The message's type name, when known.
    pub message: Option<String>,
    /// Why it was not delivered.
    pub reason: DeadReason,
}

impl fmt::Display for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.as_deref().unwrap_or("a message");
        match &self.actor {
            Some(actor) => write!(
                f,
                "`{message}` for {actor} was not delivered: {:?}",
                self.reason
            ),
            None => write!(f, "`{message}` was not delivered: {:?}", self.reason),
        }
    }
}

type Hook = Arc<dyn Fn(&DeadLetter) + Send + Sync>;

static COUNT: AtomicU64 = AtomicU64::new(0);
static REFUSED: AtomicU64 = AtomicU64::new(0);
static HOOK: RwLock<Option<Hook>> = RwLock::new(None);

/// The process-wide record of undelivered messages.
///
/// A dead letter is mail lost to its receiver: refused because the receiver had stopped,
/// discarded when it stopped, not handled, or an answer to no one. Those are counted by
/// [`count`](DeadLetters::count) and passed to the hook, so a rising count can serve as
/// an alarm. A message refused by a full bounded mailbox (`try_tell`, `tell_timeout`,
/// a [`PubSub`](crate::PubSub) publish that skips a full subscriber) is not one: its
/// sender got it back, and may retry. That back-pressure is counted apart, by
/// [`refused`](DeadLetters::refused), and not passed to the hook.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::DeadLetters;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Ping;
///
/// struct Gone;
/// #[actor]
/// impl Gone {
///     #[handles(Ping)]
///     fn ping(&mut self, _: Ping) {}
/// }
///
/// let gone = Gone.spawn();
/// Bridge::new().stop(&[gone.any()], Duration::from_secs(5));
/// let before = DeadLetters::count();
/// assert!(gone.tell(Ping).is_err());
/// assert!(DeadLetters::count() > before);
/// ```
pub struct DeadLetters;

impl DeadLetters {
    /// How many messages could not be delivered since the process started (back-pressure
    /// excluded: see [`refused`](DeadLetters::refused)).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::DeadLetters;
    ///
    /// #[derive(Message)]
    /// struct Ping;
    ///
    /// let before = DeadLetters::count();
    /// // Plain code has no mailbox: the answer cannot be delivered, and is counted.
    /// assert!(Sender::Nobody.tell(Ping).is_err());
    /// assert_eq!(DeadLetters::count(), before + 1);
    /// ```
    pub fn count() -> u64 {
        COUNT.load(Ordering::Relaxed)
    }

    /// How many messages a full bounded mailbox handed back to their senders since the
    /// process started (back-pressure, not dead letters).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{DeadLetters, Spawn};
    /// use std::sync::mpsc;
    ///
    /// #[derive(Message)]
    /// struct Hold(mpsc::Receiver<()>);
    /// #[derive(Message)]
    /// struct Job;
    ///
    /// struct Busy;
    /// #[actor]
    /// impl Busy {
    ///     #[handles(Hold)]
    ///     fn hold(&mut self, Hold(gate): Hold) { let _ = gate.recv(); }
    ///     #[handles(Job)]
    ///     fn job(&mut self, _: Job) {}
    /// }
    ///
    /// let busy = Spawn::new(Busy).bounded(1).spawn();
    /// let (open, gate) = mpsc::channel();
    /// busy.tell(Hold(gate)).unwrap();
    /// busy.tell(Job).unwrap(); // gets in once `Hold` is being handled: the mailbox is full
    /// let refused = DeadLetters::refused();
    /// assert!(matches!(busy.try_tell(Job), Err(SendError::Full { .. })));
    /// assert_eq!(DeadLetters::refused(), refused + 1);
    /// open.send(()).unwrap();
    /// ```
    pub fn refused() -> u64 {
        REFUSED.load(Ordering::Relaxed)
    }

    /// Counts a message a full mailbox gave back to its sender.
    pub(crate) fn record_refused() {
        REFUSED.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls `hook` for every undelivered message from now on (replacing any earlier
    /// hook). It runs on the thread that found the message undeliverable: keep it short.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{DeadLetter, DeadLetters, DeadReason};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Ping;
    ///
    /// struct Gone;
    /// #[actor]
    /// impl Gone {
    ///     #[handles(Ping)]
    ///     fn ping(&mut self, _: Ping) {}
    /// }
    ///
    /// let gone = Gone.spawn();
    /// Bridge::new().stop(&[gone.any()], Duration::from_secs(5));
    ///
    /// let seen: Arc<Mutex<Vec<DeadLetter>>> = Arc::default();
    /// let log = seen.clone();
    /// DeadLetters::set_hook(move |letter| log.lock().unwrap().push(letter.clone()));
    /// assert!(gone.tell(Ping).is_err()); // the hook ran on this thread, before this returned
    /// let seen = seen.lock().unwrap();
    /// assert_eq!(seen.len(), 1);
    /// assert_eq!(seen[0].actor, Some(gone.info()));
    /// assert_eq!(seen[0].message.as_deref(), Some("Ping"));
    /// assert_eq!(seen[0].reason, DeadReason::Stopped);
    /// ```
    pub fn set_hook(hook: impl Fn(&DeadLetter) + Send + Sync + 'static) {
        *write(&HOOK) = Some(Arc::new(hook));
    }

    /// Removes the hook; undelivered messages are still counted.
    pub fn clear_hook() {
        *write(&HOOK) = None;
    }

    pub(crate) fn record(actor: Option<ActorInfo>, message: Option<String>, reason: DeadReason) {
        COUNT.fetch_add(1, Ordering::Relaxed);
        crate::observe::dead_letter(actor);
        let letter = DeadLetter {
            actor,
            message,
            reason,
        };
        log::debug!("dead letter: {letter}");
        let hook = read(&HOOK).clone();
        if let Some(hook) = hook {
            // The hook is user code, run wherever mail is found undeliverable (a sender's
            // thread, an actor discarding its mailbox as it stops): its panic must not
            // unwind into the runtime, where it could cut an ending short, or abort the
            // process by panicking again while another panic unwinds.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&letter)));
            if called.is_err() {
                log::error!("the dead-letter hook panicked on: {letter}");
            }
        }
    }
}

/// Rides inside every envelope: dropped with an envelope that was never opened (mail the
/// channel discarded in the instant an actor stopped), it records a dead letter.
pub(crate) struct Undelivered;

impl Undelivered {
    /// The envelope was opened: whatever happens to its contents is accounted for there.
    #[inline]
    pub(crate) fn opened(self) {
        std::mem::forget(self);
    }
}

impl Drop for Undelivered {
    fn drop(&mut self) {
        DeadLetters::record(None, None, DeadReason::Discarded);
    }
}
