//! The actor whose handler is running on this thread, if any.
//!
//! The runtime sets it around an actor's turn (for a whole dedicated thread, or for one
//! batch on a driver). `tell` reads it to name the sender; `Bridge::call` reads it to
//! refuse a call an actor makes to itself.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::addr::{AnyAddr, Erased, Sender};
use crate::driver::DriverId;
use crate::id::ActorId;

thread_local! {
    /// The driver this thread works for, and its thread count.
    static WORKER: Cell<Option<(DriverId, usize)>> = const { Cell::new(None) };
    static CURRENT: RefCell<Option<Arc<dyn Erased>>> = const { RefCell::new(None) };
}

/// The sender to stamp on a message sent from this thread now.
pub(crate) fn sender() -> Sender {
    CURRENT.with_borrow(|current| match current {
        Some(actor) => Sender::Actor(AnyAddr::from_arc(actor.clone())),
        None => Sender::Nobody,
    })
}

/// The id of the actor running on this thread, if any.
pub(crate) fn id() -> Option<ActorId> {
    CURRENT.with_borrow(|current| current.as_ref().map(|actor| actor.info().id))
}

/// Marks `actor` as running on this thread until the guard is dropped.
pub(crate) fn enter(actor: Arc<dyn Erased>) -> Entered {
    let previous = CURRENT.with_borrow_mut(|current| current.replace(actor));
    Entered { previous }
}

pub(crate) struct Entered {
    previous: Option<Arc<dyn Erased>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with_borrow_mut(|current| *current = previous);
    }
}

/// The driver this thread works for, if it is a driver's worker.
pub(crate) fn worker() -> Option<(DriverId, usize)> {
    WORKER.get()
}

/// Marks this thread as a worker of `driver` (with `threads` threads) for its lifetime.
pub(crate) fn enter_worker(driver: DriverId, threads: usize) -> Worker {
    WORKER.set(Some((driver, threads)));
    Worker
}

pub(crate) struct Worker;

impl Drop for Worker {
    fn drop(&mut self) {
        WORKER.set(None);
    }
}

/// Whether a blocking call from this thread to an actor hosted as `target` can never be
/// answered: the caller is the target, or the target's only serving thread is this one.
pub(crate) fn would_deadlock(target: ActorId, target_driver: Option<(DriverId, usize)>) -> bool {
    if id() == Some(target) {
        return true;
    }
    match (worker(), target_driver) {
        (Some((mine, _)), Some((theirs, 1))) => mine == theirs,
        _ => false,
    }
}
