//! The actor whose handler is running on this thread, if any.
//!
//! The runtime sets it around an actor's turn (for a whole dedicated thread, or for one
//! batch on a driver). `tell` reads it to name the sender; `Bridge::call` reads it to
//! refuse a call an actor makes to itself.

use std::cell::Cell;

use super::DriverId;
use crate::actor::Handler;
use crate::handle::{AnyAddr, Erased, Sender};
use crate::id::{ActorId, ActorInfo};
use crate::message::Message;

thread_local! {
    /// The running actor, lent by the `Entered` guard that owns the reference: a `Copy`
    /// pointer, so reading it is one TLS load (no `RefCell` flag, no destructor state).
    static CURRENT: Cell<Option<*const dyn Erased>> = const { Cell::new(None) };
}

/// The sender to stamp on a message sent from this thread now.
#[inline]
pub(crate) fn sender() -> Sender {
    match CURRENT.get() {
        None => Sender::Nobody,
        // SAFETY: `enter`'s caller keeps the `Arc` that `ptr` came from alive while the
        // `Entered` guard is set.
        Some(ptr) => Sender::Actor(unsafe { AnyAddr::from_raw(ptr) }),
    }
}

/// The sender to stamp on an `M` for `A`: the current actor, or no one when `A`'s handler
/// for `M` takes no `Context` and so could never look.
#[inline(always)]
pub(crate) fn sender_for<A: Handler<M>, M: Message>() -> Sender {
    if <A as Handler<M>>::__SENDER {
        sender()
    } else {
        Sender::Nobody
    }
}

/// The id of the actor running on this thread, if any.
#[inline]
pub(crate) fn id() -> Option<ActorId> {
    // SAFETY: as in `sender`, the guard keeps the pointee alive while it is set.
    CURRENT.get().map(|ptr| unsafe { (*ptr).info().id })
}

/// The actor running on this thread, if any: its name and id, and the driver and thread
/// count hosting it (`None`: a thread of its own). For the wait-for record.
pub(crate) fn running() -> Option<(ActorInfo, Option<(DriverId, usize)>)> {
    // SAFETY: as in `sender`, the guard keeps the pointee alive while it is set.
    CURRENT
        .get()
        .map(|ptr| unsafe { ((*ptr).info(), (*ptr).driver()) })
}

/// Marks `actor` as running on this thread until the guard is dropped. No reference count
/// is taken: entering costs two thread-local writes.
///
/// # Safety
///
/// `actor` comes from `Arc::as_ptr` (or `Arc::into_raw`), and that `Arc` keeps the actor
/// alive until the guard is dropped.
#[inline]
pub(crate) unsafe fn enter(actor: *const dyn Erased) -> Entered {
    let previous = CURRENT.replace(Some(actor));
    Entered { previous }
}

pub(crate) struct Entered {
    previous: Option<*const dyn Erased>,
}

impl Drop for Entered {
    #[inline]
    fn drop(&mut self) {
        CURRENT.set(self.previous);
    }
}

/// The driver this thread works for (and its thread count), if it is a driver's worker:
/// kept with the worker's next slot (`worker.rs`), which the send path reads anyway.
#[inline]
pub(crate) fn worker() -> Option<(DriverId, usize)> {
    super::worker::identity()
}

/// Whether a blocking call from this thread to an actor hosted as `target` can never be
/// answered: the caller is the target, or the target's only serving thread is this one.
pub(crate) fn would_deadlock(target: ActorId, target_driver: Option<(DriverId, usize)>) -> bool {
    if id() == Some(target) {
        return true;
    }
    match (worker(), target_driver) {
        (Some((mine, _)), Some((theirs, 1))) => mine == theirs,
        // A simulated actor runs only when the test's thread steps it.
        (_, Some((_, 0))) => true,
        _ => false,
    }
}
