//! Reply slots: where a handler's return value goes.
//!
//! A slot is the sending half of a channel made for one call (or one `multi_call` batch)
//! plus the request's index in it. Because each call waits on its own channel, a reply
//! that comes after its caller gave up finds the channel closed and is dropped: it can
//! never be handed to a later call. A slot dropped without a reply (its message was
//! discarded when the actor stopped) tells its caller at once.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crossbeam_channel::Sender as ChannelSender;

/// Why a slot was closed without a value.
#[derive(Debug)]
pub(crate) enum NoReply {
    /// Dropped unanswered: the actor stopped first.
    Stopped,
    /// The handler panicked with this message.
    Panicked(String),
}

pub(crate) type Outcome<R> = (usize, Result<R, NoReply>);

/// Where the reply to one message goes: nowhere for a `tell`, a waiting caller for a call.
///
/// Generated dispatch code completes it with the handler's return value; users never
/// build one.
pub struct ReplyTo<R> {
    slot: Option<Box<(usize, ChannelSender<Outcome<R>>)>>,
}

impl<R> ReplyTo<R> {
    /// No one waits for the reply (a `tell`).
    pub fn none() -> Self {
        ReplyTo { slot: None }
    }

    pub(crate) fn to(index: usize, tx: ChannelSender<Outcome<R>>) -> Self {
        ReplyTo {
            slot: Some(Box::new((index, tx))),
        }
    }

    /// Whether a caller waits for this reply.
    pub fn is_expected(&self) -> bool {
        self.slot.is_some()
    }

    /// Hands `reply` to the caller, if any is still waiting.
    pub fn send(mut self, reply: R) {
        if let Some(slot) = self.slot.take() {
            let (index, tx) = *slot;
            // A closed channel means the caller timed out: the reply is dropped.
            let _ = tx.try_send((index, Ok(reply)));
        }
    }

    /// Runs a handler and sends its result. If the handler panics, the caller is told
    /// the panic message and the panic goes on to the actor's loop, which applies the
    /// actor's policy.
    #[inline]
    pub fn complete(self, handler: impl FnOnce() -> R) {
        if self.slot.is_none() {
            // A tell: nothing to drop, and the actor's loop already catches panics.
            std::mem::forget(self);
            handler();
            return;
        }
        match panic::catch_unwind(AssertUnwindSafe(handler)) {
            Ok(reply) => self.send(reply),
            Err(payload) => {
                self.fail(NoReply::Panicked(panic_message(&*payload)));
                panic::resume_unwind(payload);
            }
        }
    }

    /// Like [`complete`](ReplyTo::complete), but a panic is only reported to the caller:
    /// the actor goes on as if the handler had returned.
    pub(crate) fn complete_quietly(self, handler: impl FnOnce() -> R) {
        match panic::catch_unwind(AssertUnwindSafe(handler)) {
            Ok(reply) => self.send(reply),
            Err(payload) => self.fail(NoReply::Panicked(panic_message(&*payload))),
        }
    }

    fn fail(mut self, why: NoReply) {
        if let Some(slot) = self.slot.take() {
            let (index, tx) = *slot;
            let _ = tx.try_send((index, Err(why)));
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let (index, tx) = *slot;
            let _ = tx.try_send((index, Err(NoReply::Stopped)));
        }
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
