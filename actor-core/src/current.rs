//! The actor whose handler is running on this thread, if any.
//!
//! The runtime sets it around an actor's turn (for a whole dedicated thread, or for one
//! batch on a driver). `tell` reads it to name the sender; `Bridge::call` reads it to
//! refuse a call an actor makes to itself.

use std::cell::RefCell;
use std::sync::Arc;

use crate::addr::{AnyAddr, Erased, Sender};
use crate::id::ActorId;

thread_local! {
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
