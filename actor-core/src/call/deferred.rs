//! Replies given later: a handler returns [`Deferred<R>`] instead of `R`, and answers with
//! the [`Reply<R>`] that [`Context::defer`] hands it, from any thread, whenever the answer
//! is known.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};

use super::{panic_message, NoReply, ReplyTo};
use crate::actor::Actor;
use crate::context::Context;

/// What a handler returns when it answers later: proof that it took the message's
/// [`Reply`] with [`Context::defer`].
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u64)]
/// struct Get;
///
/// #[derive(Message)]
/// struct Set(u64);
///
/// #[derive(Default)]
/// struct Slot { value: Option<u64>, waiting: Vec<Reply<u64>> }
///
/// #[actor]
/// impl Slot {
///     #[handles(Get)]
///     fn get(&mut self, _: Get, ctx: &mut Context<Self>) -> Deferred<u64> {
///         let (later, reply) = ctx.defer();
///         match self.value {
///             Some(value) => reply.send(value),
///             None => self.waiting.push(reply), // answered when the value comes
///         }
///         later
///     }
///
///     #[handles(Set)]
///     fn set(&mut self, Set(value): Set) {
///         self.value = Some(value);
///         for reply in self.waiting.drain(..) {
///             reply.send(value);
///         }
///     }
/// }
///
/// let slot = Slot::default().spawn();
/// let asker = {
///     let slot = slot.clone();
///     std::thread::spawn(move || Bridge::new().call(&slot, Get, Duration::from_secs(5)))
/// };
/// slot.tell(Set(7)).unwrap();
/// assert_eq!(asker.join().unwrap().unwrap(), 7);
/// ```
#[must_use = "return it from the handler: it stands for the reply given later"]
pub struct Deferred<R> {
    _reply: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Deferred<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Deferred")
    }
}

/// The reply to one message, to send later: `Send`, so it may move to any thread, a
/// continuation, or another actor's message.
///
/// Dropped unsent, it fails its caller at once with
/// [`CallError::Unanswered`](crate::CallError::Unanswered). For a message that was told,
/// not called, the reply goes nowhere.
pub struct Reply<R> {
    slot: Option<ReplyTo<R>>,
}

impl<R> Reply<R> {
    /// Sends the reply to the waiting caller (if it still waits).
    pub fn send(mut self, value: R) {
        if let Some(slot) = self.slot.take() {
            slot.send(value);
        }
    }

    /// Whether a caller waits for this reply (false for a `tell`).
    pub fn is_expected(&self) -> bool {
        self.slot.as_ref().is_some_and(ReplyTo::is_expected)
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.fail(NoReply::Dropped);
        }
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("expected", &self.is_expected())
            .finish()
    }
}

impl<A: Actor> Context<A> {
    /// Takes the reply to the message being handled, to send later: for a handler that
    /// returns [`Deferred<R>`]. In any other handler (or called twice) the [`Reply`] goes
    /// nowhere.
    pub fn defer<R: Send + 'static>(&mut self) -> (Deferred<R>, Reply<R>) {
        let slot = take_slot::<A, R>(self);
        let later = Deferred {
            _reply: PhantomData,
        };
        (later, Reply { slot })
    }
}

/// Runs a handler that returns [`Deferred<R>`]: its reply slot waits in the context for
/// `ctx.defer()`. A slot the handler did not take fails its caller
/// ([`CallError::Unanswered`](crate::CallError::Unanswered)); a panic before it was taken
/// carries the panic message, as for any handler.
#[doc(hidden)]
pub fn __deferred<A: Actor, R: Send + 'static>(
    reply: ReplyTo<R>,
    ctx: &mut Context<A>,
    handler: impl FnOnce(&mut Context<A>) -> Deferred<R>,
) {
    if !reply.is_expected() {
        // A tell: `defer` finds no slot and its `Reply` goes nowhere.
        let _later = handler(ctx);
        return;
    }
    ctx.deferred = Some(Box::new(reply) as Box<dyn Any + Send>);
    match panic::catch_unwind(AssertUnwindSafe(|| handler(ctx))) {
        Ok(_) => {
            if let Some(slot) = take_slot::<A, R>(ctx) {
                slot.fail(NoReply::Dropped);
            }
        }
        Err(payload) => {
            if let Some(slot) = take_slot::<A, R>(ctx) {
                slot.fail(NoReply::Panicked(panic_message(&*payload)));
            }
            panic::resume_unwind(payload);
        }
    }
}

fn take_slot<A: Actor, R: Send + 'static>(ctx: &mut Context<A>) -> Option<ReplyTo<R>> {
    ctx.deferred
        .take()
        .and_then(|slot| slot.downcast::<ReplyTo<R>>().ok())
        .map(|slot| *slot)
}
