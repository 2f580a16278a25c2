//! Where an actor's handlers run, as the sending side sees it. A dedicated thread blocks
//! in `recv` and needs no notice of new mail; a driver must be told when an idle actor has
//! mail, so it can put the actor on a run queue.

use std::sync::Arc;

use crate::actor::Actor;
use crate::driver::{DriverCell, DriverId};

pub(crate) enum Host<A: Actor> {
    /// A thread of its own, woken by the channel itself.
    Thread,
    /// A shared driver.
    Driver(Arc<DriverCell<A>>),
}

impl<A: Actor> Host<A> {
    /// Called after each successful post.
    #[inline]
    pub(crate) fn notify(&self) {
        match self {
            Host::Thread => {}
            Host::Driver(cell) => cell.notify(),
        }
    }

    /// The driver and its thread count, for a driver-hosted actor.
    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        match self {
            Host::Thread => None,
            Host::Driver(cell) => Some((cell.driver().id(), cell.driver().threads())),
        }
    }
}
