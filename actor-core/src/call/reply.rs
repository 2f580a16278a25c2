//! Reply slots: where a handler's return value goes.
//!
//! A slot is one of three destinations, each made for one call: the sending half of a
//! channel (a blocking `Bridge::call`, or one `multi_call` batch, with the request's index
//! in it), a one-result [`Shot`] (a `Pending`, or `call_async`'s future), or a hook that
//! hands the result on (`ctx.ask`, which posts its continuation to the asking actor).
//! Because each call waits on a destination of its own, a reply that comes after its
//! caller gave up finds it closed and is dropped: it can never be handed to a later call.
//! A slot dropped without a reply (its message was discarded when the actor stopped) tells
//! its caller at once.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crossbeam_channel::Sender as ChannelSender;

use super::shot::{self, Shot};

/// Why a slot was closed without a value.
#[derive(Debug)]
pub(crate) enum NoReply {
    /// Dropped unanswered: the actor stopped first.
    Stopped,
    /// The handler panicked with this message.
    Panicked(String),
    /// A deferred [`Reply`](crate::Reply) was dropped unsent.
    Dropped,
}

pub(crate) type Outcome<R> = (usize, Result<R, NoReply>);

/// Where the reply to one message goes: nowhere for a `tell`, a waiting caller for a call.
///
/// Generated dispatch code completes it with the handler's return value; users never
/// build one.
pub struct ReplyTo<R> {
    slot: Option<Box<Dest<R>>>,
}

/// A reply slot's destination that hands the result on: `ctx.ask`'s request state, which
/// is also its continuation's carrier and its timer entry (one allocation for all three).
pub(crate) trait Hook<R>: Send + Sync {
    /// The handler's result, or why there is none; called once.
    fn deliver(self: Arc<Self>, result: Result<R, NoReply>);
}

/// Where a reply goes.
enum Dest<R> {
    /// A caller blocked on a channel, and the request's index in it.
    Channel(usize, ChannelSender<Outcome<R>>),
    /// A one-result slot: a `Pending`, or `call_async`'s future.
    Shot(Arc<Shot<R>>),
    /// A shared state that hands the result on (`ctx.ask`).
    Hook(Arc<dyn Hook<R>>),
}

impl<R> Dest<R> {
    #[inline]
    fn deliver(self, result: Result<R, NoReply>) {
        match self {
            // A closed channel means the caller timed out: the reply is dropped.
            Dest::Channel(index, tx) => {
                let _ = tx.try_send((index, result));
            }
            Dest::Shot(shot) => shot.complete(shot::Outcome::Done(result)),
            Dest::Hook(hook) => hook.deliver(result),
        }
    }
}

impl<R> ReplyTo<R> {
    /// No one waits for the reply (a `tell`).
    pub fn none() -> Self {
        ReplyTo { slot: None }
    }

    pub(crate) fn to(index: usize, tx: ChannelSender<Outcome<R>>) -> Self {
        ReplyTo {
            slot: Some(Box::new(Dest::Channel(index, tx))),
        }
    }

    pub(crate) fn shot(shot: Arc<Shot<R>>) -> Self {
        ReplyTo {
            slot: Some(Box::new(Dest::Shot(shot))),
        }
    }

    pub(crate) fn hook(hook: Arc<dyn Hook<R>>) -> Self {
        ReplyTo {
            slot: Some(Box::new(Dest::Hook(hook))),
        }
    }

    /// Whether a caller waits for this reply.
    pub fn is_expected(&self) -> bool {
        self.slot.is_some()
    }

    /// Hands `reply` to the caller, if any is still waiting.
    pub fn send(mut self, reply: R) {
        if let Some(slot) = self.slot.take() {
            slot.deliver(Ok(reply));
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

    pub(crate) fn fail(mut self, why: NoReply) {
        if let Some(slot) = self.slot.take() {
            slot.deliver(Err(why));
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            // Unwinding from a panic a simulation injected: the handler "panicked".
            let why = match std::thread::panicking() {
                true => crate::sim::injected_panic().map_or(NoReply::Stopped, NoReply::Panicked),
                false => NoReply::Stopped,
            };
            slot.deliver(Err(why));
        }
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`), if it is one.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

/// The text of a panic payload, for a caller or a log.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    panic_text(payload)
        .unwrap_or("a panic with a non-string payload")
        .to_owned()
}
