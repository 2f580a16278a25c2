//! Where an actor's mail goes, as the sending side sees it: a dedicated thread, whose
//! crossbeam channel wakes it by itself, or a driver, whose cell holds the mailbox and
//! puts the actor on a run queue when mail reaches it idle. Both flavours of a post live
//! here, side by side.

use std::sync::{Arc, OnceLock};

use crossbeam_channel::{Receiver, SendTimeoutError, Sender as ChannelSender, TrySendError};

use super::{Envelope, Refused, Wait};
use crate::actor::Actor;
use crate::hosting::waits::{self, Party, Waiting};
use crate::hosting::{self, DriverCell, DriverId};
use crate::id::{ActorId, ActorInfo};
use crate::sim::{SimCell, SimInner};

pub(crate) enum Host<A: Actor> {
    /// A thread of its own, blocking on the other end of this channel; and once it has
    /// stopped, when the channel is bounded, its receiver, kept, not dropped, so that mail
    /// which slips in after the stop can still be taken out and failed
    /// (`Shared::post_bounded`).
    Thread(ChannelSender<Envelope<A>>, OnceLock<Receiver<Envelope<A>>>),
    /// A shared driver: the actor's cell itself, in the same allocation as its `Shared`.
    Driver(DriverCell<A>),
    /// A deterministic simulation, which runs the actor on the test's thread.
    Sim(Arc<SimCell<A>>),
}

impl<A: Actor> Host<A> {
    /// Queues an envelope for actor `id`, or gives it back with the reason it was refused.
    /// `from`: the actor it comes from, running or stamped as its sender, for a simulation
    /// (which keeps each sender's order); read by `Shared::post` before the sender went
    /// into the mail, and `None` for the other hosts, which do not need it.
    #[inline(always)]
    pub(crate) fn post(
        &self,
        id: ActorId,
        envelope: Envelope<A>,
        from: Option<ActorId>,
        wait: Wait,
    ) -> Result<(), (Envelope<A>, Refused)> {
        match self {
            Host::Thread(tx, _) => self.post_channel(id, tx, envelope, wait),
            Host::Driver(cell) => cell.post(envelope, wait, || self.may_wait(id)),
            Host::Sim(cell) => cell.post(envelope, from, wait),
        }
    }

    /// Called when a post is about to wait for room in a bounded mailbox: refuses a wait
    /// that could never end (only this thread, or a chain of waits coming back to it, could
    /// make room: see `hosting::waits`), records it for the others, and frees this
    /// worker's next slot first. The record lasts as long as the returned guard.
    #[cold]
    fn may_wait(&self, id: ActorId) -> Result<Waiting, Refused> {
        let target = Party {
            info: ActorInfo { id, name: A::NAME },
            host: self.driver(),
        };
        let waiting = waits::wait_for(target, waits::Kind::Room).map_err(|cycle| {
            waits::set_refusal(cycle);
            Refused::WouldDeadlock
        })?;
        hosting::before_blocking();
        Ok(waiting)
    }

    fn post_channel(
        &self,
        id: ActorId,
        tx: &ChannelSender<Envelope<A>>,
        envelope: Envelope<A>,
        wait: Wait,
    ) -> Result<(), (Envelope<A>, Refused)> {
        let disconnected = |e: crossbeam_channel::SendError<Envelope<A>>| (e.0, Refused::Stopped);
        match (wait, tx.capacity()) {
            (Wait::Block | Wait::Force, None) => tx.send(envelope).map_err(disconnected),
            (Wait::Never, _) => try_post(tx, envelope),
            (Wait::Block | Wait::Force, Some(_)) => match try_post(tx, envelope) {
                Err((envelope, Refused::Full)) => match self.may_wait(id) {
                    Ok(_waiting) => tx.send(envelope).map_err(disconnected),
                    Err(why) => Err((envelope, why)),
                },
                posted => posted,
            },
            (Wait::Until(deadline), _) => match try_post(tx, envelope) {
                Err((envelope, Refused::Full)) => match self.may_wait(id) {
                    Ok(_waiting) => tx.send_deadline(envelope, deadline).map_err(|e| match e {
                        SendTimeoutError::Timeout(envelope) => (envelope, Refused::Timeout),
                        SendTimeoutError::Disconnected(envelope) => (envelope, Refused::Stopped),
                    }),
                    Err(why) => Err((envelope, why)),
                },
                posted => posted,
            },
        }
    }

    /// The driver and its thread count, for a driver-hosted actor.
    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        match self {
            Host::Thread(..) => None,
            Host::Driver(cell) => Some((cell.driver().id(), cell.driver().threads())),
            // No thread of its own: a blocking wait for it could never end (the thread
            // that would step it is the one waiting).
            Host::Sim(_) => Some((DriverId::SIMULATED, 0)),
        }
    }

    /// Messages waiting in the mailbox.
    pub(crate) fn mailbox_len(&self) -> usize {
        match self {
            Host::Thread(tx, _) => tx.len(),
            Host::Driver(cell) => cell.mailbox_len(),
            Host::Sim(cell) => cell.mailbox_len(),
        }
    }

    /// The simulation hosting the actor, if it is simulated.
    #[inline]
    pub(crate) fn sim(&self) -> Option<&Arc<SimInner>> {
        match self {
            Host::Sim(cell) => Some(cell.sim()),
            _ => None,
        }
    }
}

fn try_post<A: Actor>(
    tx: &ChannelSender<Envelope<A>>,
    envelope: Envelope<A>,
) -> Result<(), (Envelope<A>, Refused)> {
    tx.try_send(envelope).map_err(|e| match e {
        TrySendError::Full(envelope) => (envelope, Refused::Full),
        TrySendError::Disconnected(envelope) => (envelope, Refused::Stopped),
    })
}
