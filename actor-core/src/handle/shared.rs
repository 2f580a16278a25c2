//! [`Shared`], the state an actor shares with its handles (its host, handle count and
//! stopped flag, its monitors), and the two erasure traits through which a handle that
//! does not know the actor's type reaches it: [`Erased`] for every handle, [`Deliver`]
//! for a [`Recipient`](crate::Recipient) of one message type.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};

use crossbeam_channel::Receiver;

use super::sender::{notify, Watcher};
use super::timers::Rare;
use super::Sender;
use crate::actor::{Actor, Handler, Mail};
use crate::call::ReplyTo;
use crate::error::SendError;
use crate::hosting::lifecycle::discard;
use crate::hosting::{current, DriverId};
use crate::id::{ActorId, ActorInfo};
use crate::mailbox::{Envelope, Host, Refused, Wait};
use crate::message::{DynMessage, Message, Stop, Stopped};
use crate::supervise::{StopReason, Terminated};

/// The actor a simulated post comes from: the one running, or the one stamped as sender.
#[cold]
#[inline(never)]
fn sim_sender(sender: &Sender) -> Option<ActorId> {
    current::id().or(match sender {
        Sender::Actor(actor) => Some(actor.info().id),
        _ => None,
    })
}

/// The state an actor shares with its handles: where to post its mail.
///
/// `repr(C)` with the handle count first: a handle reaches the count through a pointer of
/// any of its types (`Shared<A>`, `dyn Erased`, `dyn Deliver<M>`) without a virtual call,
/// and without a reference to the whole state, which another thread may free as soon as
/// this handle's count is given back.
#[repr(C)]
pub(crate) struct Shared<A: Actor> {
    /// Live handles. Must stay the first field (see above; pinned by a test).
    pub(super) count: AtomicUsize,
    /// Its id; its type name is `A::NAME` (see `info`), not a copy in every actor.
    id: ActorId,
    /// The last handle went while a bounded mailbox was full: `Released` is still owed.
    release_pending: AtomicBool,
    stopped: AtomicBool,
    /// Whether the registry may hold a name for it, to forget when it stops.
    registered: AtomicBool,
    /// Its slot in its driver's roster (`hosting/roster.rs`), set at spawn; `UNLISTED`
    /// on other hosts. Beside the flags, in what was padding.
    slot: AtomicU32,
    /// The actor's timers, cancelled when it ends, and its monitors, told when it ends
    /// (`handle/timers.rs`): behind one lock and one pointer, as few actors have either.
    pub(super) rare: Rare,
    /// The mailbox: a channel to a dedicated thread, or a driver cell's own queue (the
    /// cell itself, mailbox and actor, is part of this block: one allocation per actor).
    pub(crate) host: Host<A>,
}

impl<A: Actor> Shared<A> {
    pub(crate) fn new(host: Host<A>) -> Self {
        Shared {
            count: AtomicUsize::new(0),
            id: ActorId::next(),
            release_pending: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            slot: AtomicU32::new(crate::hosting::UNLISTED),
            rare: Rare::new(),
            host,
        }
    }

    /// Queues mail that keeps no sender (a stop, a release, an ask's resumption, an `exec`
    /// job, whose closure captures its own), or gives it back with the reason it was
    /// refused. `sender` only orders it among its sender's mail in a simulation; typed and
    /// catch-all mail is packed with its sender instead ([`post_packed`](Self::post_packed),
    /// `post_dyn`, `post_typed`).
    #[inline(always)]
    pub(crate) fn post(
        &self,
        mail: Mail<A>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), (Mail<A>, Refused)> {
        debug_assert!(
            !matches!(mail, Mail::Typed(_) | Mail::Other(_)),
            "typed and catch-all mail is packed with its sender"
        );
        debug_assert!(
            !matches!(mail, Mail::Exec(_)) || sender.is_nobody(),
            "exec mail is posted unstamped"
        );
        let from = self.sim_from(&sender);
        drop(sender);
        self.post_stamped(mail, from, wait)
    }

    /// Queues a typed message packed with its sender: its variant keeps the sender or drops
    /// it, which is known where it is packed, so nothing is matched to find out.
    #[inline(always)]
    pub(crate) fn post_packed<M: Message>(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), (Mail<A>, Refused)>
    where
        A: Handler<M>,
    {
        let from = self.sim_from(&sender);
        self.post_stamped(A::__pack(msg, reply, sender), from, wait)
    }

    /// Who a simulated post comes from, read before the sender goes into the mail (where
    /// a handler that cannot look drops it): a simulation keeps each sender's order. `None`
    /// for the other hosts, which do not need it.
    #[inline(always)]
    fn sim_from(&self, sender: &Sender) -> Option<ActorId> {
        match &self.host {
            Host::Sim(_) => sim_sender(sender),
            _ => None,
        }
    }

    /// Queues mail whose sender is already inside it (or that keeps none), `from` as
    /// [`sim_from`](Self::sim_from) read it.
    #[inline(always)]
    fn post_stamped(
        &self,
        mail: Mail<A>,
        from: Option<ActorId>,
        wait: Wait,
    ) -> Result<(), (Mail<A>, Refused)> {
        let envelope = Envelope::new(mail);
        let posted = match &self.host {
            Host::Thread(tx, _) if tx.capacity().is_some() => self.post_bounded(envelope, wait),
            host => host.post(self.id, envelope, from, wait),
        };
        posted.map_err(|(envelope, why)| (envelope.open(), why))
    }

    /// A post to a dedicated thread's bounded channel.
    ///
    /// An unbounded (list) channel frees what it holds when its receiver goes, and refuses
    /// every send after that; a bounded (array) channel refuses later sends too, but keeps
    /// what slipped in between the stop's last drain and the drop of its receiver until
    /// its last sender goes, which a message holding a handle to its own target prevents
    /// for good, and whose callers wait out their timeouts. So a stopping thread does not
    /// drop a bounded receiver: it parks it (`park`), and this handshake takes out
    /// whatever slips in after it:
    ///
    /// - the stop: marks the actor stopped, parks the receiver, SeqCst fence, drains;
    /// - a post: refused at once if already marked stopped; else it sends, SeqCst fence,
    ///   and if it now finds the actor stopped, drains the parked receiver itself.
    ///
    /// Either the post's fence comes first in the fences' single total order, and then the
    /// stop's drain (after its fence) sees the message, or the stop's fence comes first,
    /// and then the post (after its fence) sees both the stopped mark and the parked
    /// receiver, and drains. So no message stays in a stopped actor's channel: each is
    /// handled, refused (given back), or drained and failed at once (its reply slot
    /// dropped, a dead letter recorded). A sender blocked on a full channel is not
    /// stranded either: what fills the channel has a drainer still to come.
    #[inline(never)]
    fn post_bounded(
        &self,
        envelope: Envelope<A>,
        wait: Wait,
    ) -> Result<(), (Envelope<A>, Refused)> {
        // The parked receiver keeps the channel open: refuse here, with the message back.
        if self.stopped.load(Ordering::SeqCst) {
            return Err((envelope, Refused::Stopped));
        }
        // A dedicated thread's channel: no simulation to tell who sent it.
        self.host.post(self.id, envelope, None, wait)?;
        fence(Ordering::SeqCst);
        if self.stopped.load(Ordering::SeqCst) {
            self.drain_parked();
        }
        Ok(())
    }

    /// Keeps a stopped dedicated thread's bounded receiver and takes out what it holds.
    /// The caller has marked the actor stopped (see `post_bounded`).
    pub(crate) fn park(&self, rx: Receiver<Envelope<A>>) -> VecDeque<Envelope<A>> {
        let Host::Thread(_, parked) = &self.host else {
            // Only a dedicated thread has a receiver to park.
            return rx.try_iter().collect();
        };
        let _ = parked.set(rx);
        fence(Ordering::SeqCst);
        parked
            .get()
            .map(|rx| rx.try_iter().collect())
            .unwrap_or_default()
    }

    /// Fails, at once, the mail that slipped into a stopped actor's parked channel.
    #[cold]
    fn drain_parked(&self) {
        let Host::Thread(_, parked) = &self.host else {
            return;
        };
        let Some(rx) = parked.get() else {
            // Not parked yet: the stop's own drain, still to come, takes it.
            return;
        };
        // Collected first: a message's drop may post here again (it is refused).
        let left: Vec<Envelope<A>> = rx.try_iter().collect();
        for envelope in left {
            discard(self, envelope);
        }
    }

    #[inline(always)]
    pub(crate) fn deliver<M: Message>(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.post_packed(msg, reply, sender, wait)
            .map_err(|(mail, why)| self.refused(A::__unpack(mail), why))
    }

    /// A `tell` of every kind: no reply, stamped with the running actor if the handler
    /// can look, waiting for room in a bounded mailbox as `wait` says.
    #[inline(always)]
    pub(crate) fn tell<M: Message>(&self, msg: M, wait: Wait) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.deliver(msg, ReplyTo::none(), current::sender_for::<A, M>(), wait)
    }

    /// The error for a refused message, recorded as a dead letter.
    pub(crate) fn refused<M>(&self, msg: M, why: Refused) -> SendError<M> {
        let actor = self.info();
        let error = match why {
            Refused::Stopped => SendError::Stopped { actor, msg },
            Refused::Full => SendError::Full { actor, msg },
            Refused::Timeout => SendError::Timeout { actor, msg },
            Refused::WouldDeadlock => SendError::WouldDeadlock {
                actor,
                msg,
                cycle: crate::hosting::waits::take_refusal(),
            },
        };
        error.record();
        error
    }

    /// Its slot in its driver's roster.
    pub(crate) fn slot(&self) -> u32 {
        self.slot.load(Ordering::Relaxed)
    }

    /// Records its slot in its driver's roster, at spawn, before anyone can end it: its
    /// ender (a turn queued after the spawn, or a shutdown that takes the roster's lock
    /// after it) reads it later.
    pub(crate) fn set_slot(&self, slot: u32) {
        self.slot.store(slot, Ordering::Relaxed);
    }

    pub(crate) fn handle_count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Posts the `Released` that a full mailbox refused earlier, if one is owed.
    #[inline(always)]
    pub(crate) fn retry_release(&self) {
        if self.release_pending.load(Ordering::SeqCst) {
            self.retry_release_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn retry_release_slow(&self) {
        if self
            .post(Mail::Released, Sender::Nobody, Wait::Never)
            .is_ok()
        {
            self.release_pending.store(false, Ordering::SeqCst);
        }
    }

    /// Marks the actor stopped; true if the registry may hold a name for it, which the
    /// caller then has the registry forget.
    pub(crate) fn mark_stopped(&self) -> bool {
        self.stopped.store(true, Ordering::SeqCst);
        self.registered.load(Ordering::SeqCst)
    }

    /// The actor's type name and id.
    #[inline]
    pub(crate) fn info(&self) -> ActorInfo {
        ActorInfo {
            id: self.id,
            name: A::NAME,
        }
    }

    /// Tells every monitor, once, that the actor ended and why.
    pub(crate) fn terminate(&self, reason: StopReason) {
        let notice = Terminated {
            actor: self.info(),
            reason,
        };
        self.rare.end_monitors(notice, notify);
    }
}

/// What every handle needs from an actor, whatever its type.
pub(crate) trait Erased: Any + Send + Sync + 'static {
    fn info(&self) -> ActorInfo;
    fn handles(&self) -> &'static [&'static str];
    /// The last handle is gone: queue `Released`.
    fn released(&self);
    fn is_alive(&self) -> bool;
    fn mailbox_len(&self) -> usize;
    fn post_dyn(&self, msg: DynMessage, sender: Sender) -> Result<(), SendError<DynMessage>>;
    /// Posts the message in `slot` (an `&mut Option<M>`) to its typed handler without
    /// boxing it; `Ok(false)` leaves it in the slot when no typed handler takes it.
    fn post_typed(&self, slot: &mut dyn Any, sender: Sender)
        -> Result<bool, SendError<DynMessage>>;
    fn post_stop(
        &self,
        reply: ReplyTo<Stopped>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<Stop>>;
    /// The driver hosting the actor and its thread count, if not a thread of its own.
    fn driver(&self) -> Option<(DriverId, usize)>;
    fn mark_registered(&self);
    /// Ends a driver actor at its driver's shutdown (`DriverCell::shut_down`); nothing
    /// for any other host.
    fn shut_down(&self);
    /// Adds a monitor; one that comes after the end is told at once.
    fn watch(&self, watcher: Watcher);
}

impl<A: Actor> Erased for Shared<A> {
    fn info(&self) -> ActorInfo {
        Shared::info(self)
    }

    fn handles(&self) -> &'static [&'static str] {
        A::HANDLES
    }

    fn released(&self) {
        // A stopped actor needs no notice. A full bounded mailbox gets it later: the actor
        // retries after each message (`retry_release`), and with no handle left no one
        // else can fill the room it makes. The debt is recorded before the try, so an
        // actor that empties its mailbox in between still sees it; a second `Released` is
        // harmless (the count is checked again).
        self.release_pending.store(true, Ordering::SeqCst);
        if !matches!(
            self.post(Mail::Released, Sender::Nobody, Wait::Never),
            Err((_, Refused::Full))
        ) {
            self.release_pending.store(false, Ordering::SeqCst);
        }
    }

    fn is_alive(&self) -> bool {
        !self.stopped.load(Ordering::SeqCst)
    }

    fn mailbox_len(&self) -> usize {
        self.host.mailbox_len()
    }

    fn post_dyn(&self, msg: DynMessage, mut sender: Sender) -> Result<(), SendError<DynMessage>> {
        let from = self.sim_from(&sender);
        // Packed with its sender, as a typed tell is: nothing is matched to stamp it after.
        let mail = if msg.is::<Stop>() {
            Mail::Stop(ReplyTo::none())
        } else {
            match A::__from_dyn(msg, &mut sender) {
                Ok(typed) => Mail::Typed(typed),
                Err(msg) if A::__CATCH_ALL => {
                    Mail::Other(Box::new((msg, std::mem::take(&mut sender))))
                }
                Err(msg) => {
                    let error = SendError::NotHandled {
                        actor: self.info(),
                        msg,
                    };
                    error.record();
                    return Err(error);
                }
            }
        };
        // A stop keeps no sender; the others have taken it.
        drop(sender);
        self.post_stamped(mail, from, Wait::Block)
            .map_err(|(mail, why)| self.refused(mail.into_dyn(), why))
    }

    fn post_typed(
        &self,
        slot: &mut dyn Any,
        mut sender: Sender,
    ) -> Result<bool, SendError<DynMessage>> {
        let from = self.sim_from(&sender);
        // Taken with its sender, as a typed tell packs it: nothing is matched to stamp it.
        let Some(typed) = A::__take(slot, &mut sender) else {
            return Ok(false);
        };
        self.post_stamped(Mail::Typed(typed), from, Wait::Block)
            .map(|()| true)
            .map_err(|(mail, why)| self.refused(mail.into_dyn(), why))
    }

    fn driver(&self) -> Option<(DriverId, usize)> {
        self.host.driver()
    }

    fn mark_registered(&self) {
        self.registered.store(true, Ordering::SeqCst);
    }

    fn shut_down(&self) {
        if let Host::Driver(cell) = &self.host {
            cell.shut_down();
        }
    }

    fn watch(&self, watcher: Watcher) {
        self.rare.watch(watcher, notify);
    }

    fn post_stop(
        &self,
        reply: ReplyTo<Stopped>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<Stop>> {
        self.post(Mail::Stop(reply), sender, wait)
            .map_err(|(_, why)| self.refused(Stop, why))
    }
}

/// Posting a typed message to an actor that handles it, whatever the actor's type.
pub(crate) trait Deliver<M: Message>: Erased {
    /// Posts a typed message, waiting for room in a bounded mailbox as `wait` says: the
    /// one delivery signature, shared with `Shared::deliver`.
    fn deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<M>>;

    /// `tell`: posts with no reply, stamped with the current actor if the handler looks.
    fn tell(&self, msg: M) -> Result<(), SendError<M>>;

    /// `try_tell`: as `tell`, but a full bounded mailbox gives the message back at once.
    fn try_tell(&self, msg: M) -> Result<(), SendError<M>>;
}

impl<A: Handler<M>, M: Message> Deliver<M> for Shared<A> {
    fn deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<M>> {
        Shared::deliver(self, msg, reply, sender, wait)
    }

    fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        Shared::tell(self, msg, Wait::Block)
    }

    fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        Shared::tell(self, msg, Wait::Never)
    }
}

#[cfg(test)]
mod tests {
    use super::Shared;
    use crate::prelude::*;

    struct Quiet;
    #[actor]
    impl Quiet {}

    /// `Counted` reads the handle count through a pointer to any of `Shared`'s types,
    /// trusting it to be the first word: pinned here.
    #[test]
    fn the_handle_count_is_the_first_field_of_shared() {
        assert_eq!(std::mem::offset_of!(Shared<Quiet>, count), 0);
    }

    /// An idle actor on a driver is one block: this `Shared`, its `DriverCell` inside
    /// (mailbox 56 bytes, `Life` 88 with a zero-sized actor, the driver's pointer), plus
    /// the `Arc`'s two counts: 216 bytes, a 224-byte chunk of glibc's malloc. Pinned here,
    /// where any field added to the idle actor shows at once (`tests/driver_scale.rs`
    /// bounds the whole cost in resident memory; BENCHMARKS.md, "Session 6", has the
    /// breakdown). The sizes are those of a 64-bit Linux build without the observing
    /// features (which give each `Life` its figures).
    #[cfg(all(
        target_os = "linux",
        target_pointer_width = "64",
        not(any(feature = "tracing", feature = "metrics", feature = "console"))
    ))]
    #[test]
    fn an_idle_driver_actor_is_one_block_of_200_bytes_and_the_arc_counts() {
        use crate::hosting::DriverCell;
        use std::mem::size_of;
        assert!(size_of::<DriverCell<Quiet>>() <= 152);
        assert!(
            size_of::<Shared<Quiet>>() <= 200,
            "{} bytes",
            size_of::<Shared<Quiet>>()
        );
    }
}
