//! Reply slots: where a handler's return value goes.
//!
//! A slot is one of three destinations, each made for one call (or one batch): the
//! sending half of a channel (a blocking `Bridge::call`, or one `multi_call` batch, with
//! the request's index in it), a one-result [`Shot`] (a `Pending`, or `call_async`'s
//! future), or a hook that hands the result on (`ctx.ask`, which posts its continuation
//! to the asking actor; `Bridge::stop`'s `StopLatch`, which one batch of `Stop`s shares
//! and which only counts the answers). Because each call waits on a destination of its
//! own, a reply that comes after its caller gave up finds it closed and is dropped: it can
//! never be handed to a later call.
//! A slot dropped without a reply (its message was discarded when the actor stopped) tells
//! its caller at once.

use std::any::Any;
use std::marker::PhantomData;
use std::mem::align_of;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
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
///
/// One thin pointer, tagged in its two low bits with the kind of destination (every
/// message carries one, so it stays one word): a box holding a channel's sending half, or
/// the shared block of a one-result shot or of an ask itself, so that a
/// `call_async` or a `ctx.ask` needs no box for its slot.
pub struct ReplyTo<R> {
    slot: Option<NonNull<u8>>,
    _reply: PhantomData<Dest<R>>,
}

// Safety: the pointer is one of the owned destinations of `Dest<R>`, each `Send` and
// `Sync` when `R` is `Send` (a channel's sender of `R`, an `Arc<Shot<R>>`, an `Arc` of a
// `Hook`, which is `Send + Sync`); `ReplyTo` gives no shared access to any of them.
unsafe impl<R: Send> Send for ReplyTo<R> {}
// Safety: as for `Send`; `&ReplyTo` only reads whether the slot is empty.
unsafe impl<R: Send> Sync for ReplyTo<R> {}

/// The tag of a boxed channel destination (`Box<(usize, ChannelSender<..>)>`).
const CHANNEL: usize = 0;
/// The tag of an `Arc<Shot<R>>` (its `into_raw` pointer).
const SHOT: usize = 1;
/// The tag of an `Arc` of a [`Hook`] (its `into_raw` pointer, which is its header's).
const HOOK: usize = 2;
const TAGS: usize = 3;

/// The first field of a [`Hook`]'s block: how to hand it a result through a thin pointer.
pub(crate) struct HookHeader<R> {
    deliver: unsafe fn(*const HookHeader<R>, Result<R, NoReply>),
}

impl<R> HookHeader<R> {
    /// The header of a block of type `H`.
    pub(crate) fn new<H: Hook<R>>() -> Self {
        HookHeader {
            deliver: deliver_hook::<R, H>,
        }
    }
}

/// Safety: `header` is the `Arc::into_raw` pointer of an `Arc<H>`, given up by its slot.
unsafe fn deliver_hook<R, H: Hook<R>>(header: *const HookHeader<R>, result: Result<R, NoReply>) {
    // Safety: as above; `H` starts with its header (`Hook`'s contract), so the pointers
    // are the same.
    let hook = unsafe { Arc::from_raw(header.cast::<H>()) };
    hook.deliver(result);
}

/// A reply slot's destination that hands the result on: `ctx.ask`'s request state, which
/// is also its continuation's carrier and its timer entry (one allocation for all three,
/// and the slot itself), or `Bridge::stop`'s `StopLatch` (one for a batch of `Stop`s).
///
/// # Safety
///
/// The implementing type is `#[repr(C)]` with a [`HookHeader<R>`] made by
/// [`HookHeader::new::<Self>`] as its first field.
pub(crate) unsafe trait Hook<R>: Send + Sync + Sized {
    /// The handler's result, or why there is none; called once.
    fn deliver(self: Arc<Self>, result: Result<R, NoReply>);
}

/// Where a reply goes, taken out of its slot.
enum Dest<R> {
    /// A caller blocked on a channel, and the request's index in it.
    Channel(Box<(usize, ChannelSender<Outcome<R>>)>),
    /// A one-result slot: a `Pending`, or `call_async`'s future.
    Shot(Arc<Shot<R>>),
    /// A shared state that hands the result on (`ctx.ask`, `Bridge::stop`): an `Arc`'s raw
    /// pointer.
    Hook(NonNull<HookHeader<R>>),
}

impl<R> Dest<R> {
    #[inline]
    fn deliver(self, result: Result<R, NoReply>) {
        match self {
            // A closed channel means the caller timed out: the reply is dropped.
            Dest::Channel(channel) => {
                let (index, tx) = *channel;
                let _ = tx.try_send((index, result));
            }
            Dest::Shot(shot) => shot.complete(shot::Outcome::Done(result)),
            // Safety: the pointer came from `ReplyTo::hook`, and the slot gave it up.
            Dest::Hook(header) => unsafe {
                let deliver = (*header.as_ptr()).deliver;
                deliver(header.as_ptr(), result)
            },
        }
    }
}

impl<R> ReplyTo<R> {
    /// No one waits for the reply (a `tell`).
    pub fn none() -> Self {
        ReplyTo {
            slot: None,
            _reply: PhantomData,
        }
    }

    fn tagged<T>(ptr: *const T, tag: usize) -> Self {
        debug_assert_eq!(ptr as usize & TAGS, 0);
        let ptr = ptr.cast::<u8>().cast_mut().map_addr(|addr| addr | tag);
        ReplyTo {
            slot: NonNull::new(ptr),
            _reply: PhantomData,
        }
    }

    pub(crate) fn to(index: usize, tx: ChannelSender<Outcome<R>>) -> Self {
        const { assert!(align_of::<(usize, ChannelSender<Outcome<R>>)>() > TAGS) };
        Self::tagged(Box::into_raw(Box::new((index, tx))), CHANNEL)
    }

    pub(crate) fn shot(shot: Arc<Shot<R>>) -> Self {
        const { assert!(align_of::<Shot<R>>() > TAGS) };
        Self::tagged(Arc::into_raw(shot), SHOT)
    }

    pub(crate) fn hook<H: Hook<R>>(hook: Arc<H>) -> Self {
        const { assert!(align_of::<H>() > TAGS) };
        Self::tagged(Arc::into_raw(hook), HOOK)
    }

    /// Takes the destination out of the slot.
    #[inline]
    fn take(&mut self) -> Option<Dest<R>> {
        let ptr = self.slot.take()?.as_ptr();
        let tag = ptr as usize & TAGS;
        let ptr = ptr.map_addr(|addr| addr & !TAGS);
        // Safety: each pointer was made by `to`, `shot` or `hook` with this tag, and is
        // given up here exactly once (the slot is now empty).
        Some(unsafe {
            match tag {
                CHANNEL => Dest::Channel(Box::from_raw(ptr.cast())),
                SHOT => Dest::Shot(Arc::from_raw(ptr.cast_const().cast())),
                _ => Dest::Hook(NonNull::new_unchecked(ptr.cast())),
            }
        })
    }

    /// Whether a caller waits for this reply.
    pub fn is_expected(&self) -> bool {
        self.slot.is_some()
    }

    /// Hands `reply` to the caller, if any is still waiting.
    #[inline]
    pub fn send(mut self, reply: R) {
        let slot = self.take();
        // Empty now: its drop would do nothing.
        std::mem::forget(self);
        if let Some(slot) = slot {
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
        let slot = self.take();
        // Empty now: its drop would do nothing.
        std::mem::forget(self);
        if let Some(slot) = slot {
            slot.deliver(Err(why));
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.take() {
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
