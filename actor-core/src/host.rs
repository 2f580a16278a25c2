//! Where an actor's handlers run, as the sending side sees it: a dedicated thread, whose
//! crossbeam channel wakes it by itself, or a driver, whose cell holds the mailbox and
//! puts the actor on a run queue when mail reaches it idle.

use std::sync::Arc;

use crossbeam_channel::Sender as ChannelSender;

use crate::actor::Actor;
use crate::addr::Envelope;
use crate::driver::{DriverCell, DriverId};

pub(crate) enum Host<A: Actor> {
    /// A thread of its own, blocking on the other end of this channel.
    Thread(ChannelSender<Envelope<A>>),
    /// A shared driver.
    Driver(Arc<DriverCell<A>>),
}

impl<A: Actor> Host<A> {
    /// The driver and its thread count, for a driver-hosted actor.
    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        match self {
            Host::Thread(_) => None,
            Host::Driver(cell) => Some((cell.driver().id(), cell.driver().threads())),
        }
    }

    /// Messages waiting in the mailbox.
    pub(crate) fn mailbox_len(&self) -> usize {
        match self {
            Host::Thread(tx) => tx.len(),
            Host::Driver(cell) => cell.mailbox_len(),
        }
    }
}
