//! Handles to actors: the typed [`Addr`], the per-message-type [`Recipient`], the
//! type-erased [`AnyAddr`], and the [`Sender`] of the message being handled.
//!
//! All three handles count themselves in the actor's shared state (not only in the
//! `Arc`), so the runtime can keep its own reference yet notice when the last handle
//! goes: that drop posts `Mail::Released`, which stops the actor after everything sent
//! before it.

use std::any::Any;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, SendTimeoutError, Sender as ChannelSender, TrySendError};

use crate::actor::{Actor, Handler, Mail};
use crate::bridge::Bridge;
use crate::context::Context;
use crate::current;
use crate::dead::Undelivered;
use crate::driver::DriverId;
use crate::error::SendError;
use crate::exec::Pending;
use crate::host::Host;
use crate::id::{ActorId, ActorInfo};
use crate::message::{DynMessage, Message, Stop, Stopped};
use crate::reply::ReplyTo;
use crate::supervise::{StopReason, Terminated};
use crate::sync::Monitors;

/// One piece of mail and who sent it.
pub(crate) struct Envelope<A: Actor> {
    mail: Mail<A>,
    sender: Sender,
    /// Records a dead letter if the envelope is dropped without being opened.
    undelivered: Undelivered,
}

impl<A: Actor> Envelope<A> {
    fn new(mail: Mail<A>, sender: Sender) -> Self {
        Envelope {
            mail,
            sender,
            undelivered: Undelivered,
        }
    }

    /// The contents; from here on, whoever holds them accounts for them.
    #[inline]
    pub(crate) fn open(self) -> (Mail<A>, Sender) {
        let Envelope {
            mail,
            sender,
            undelivered,
        } = self;
        undelivered.opened();
        (mail, sender)
    }
}

/// How long a post may wait for room in a bounded mailbox.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    /// Until there is room (never waits on an unbounded mailbox).
    Block,
    /// Not at all.
    Never,
    /// Until this instant.
    Until(Instant),
}

impl Wait {
    /// Until `deadline` if there is one, else for as long as it takes.
    pub(crate) fn until(deadline: Option<Instant>) -> Wait {
        deadline.map_or(Wait::Block, Wait::Until)
    }
}

/// Why a post was refused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refused {
    Stopped,
    Full,
    Timeout,
}

/// Who gets `Terminated` when the actor ends.
pub(crate) enum Watcher {
    /// An actor, held weakly: watching does not keep it alive.
    Actor(Weak<dyn Erased>),
    Bridge(Bridge),
}

/// The state an actor shares with its handles: where to post its mail.
///
/// `repr(C)` with the handle count first: a handle reaches the count through a pointer of
/// any of its types (`Shared<A>`, `dyn Erased`, `dyn Deliver<M>`) without a virtual call,
/// and without a reference to the whole state, which another thread may free as soon as
/// this handle's count is given back.
#[repr(C)]
pub(crate) struct Shared<A: Actor> {
    /// Live handles. Must stay the first field (see above).
    handles: AtomicUsize,
    info: ActorInfo,
    /// The last handle went while a bounded mailbox was full: `Released` is still owed.
    release_pending: AtomicBool,
    stopped: AtomicBool,
    /// Whether the registry may hold a name for it, to forget when it stops.
    registered: AtomicBool,
    monitors: Monitors<Watcher, Terminated>,
    /// A stopped dedicated thread's receiver, when its channel is bounded: kept, not
    /// dropped, so that mail which slips in after the stop can still be taken out and
    /// failed (see `post_bounded`).
    parked: OnceLock<Receiver<Envelope<A>>>,
    /// The mailbox: a channel to a dedicated thread, or a driver cell's own queue.
    pub(crate) host: Host<A>,
}

impl<A: Actor> Shared<A> {
    pub(crate) fn new(host: Host<A>) -> Self {
        Shared {
            handles: AtomicUsize::new(0),
            info: ActorInfo {
                id: ActorId::next(),
                name: A::NAME,
            },
            release_pending: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            monitors: Monitors::new(),
            parked: OnceLock::new(),
            host,
        }
    }

    /// Queues mail, or gives it back with the reason it was refused.
    #[inline(always)]
    pub(crate) fn post(
        &self,
        mail: Mail<A>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), (Mail<A>, Refused)> {
        let envelope = Envelope::new(mail, sender);
        let posted = match &self.host {
            Host::Thread(tx) if tx.capacity().is_some() => self.post_bounded(tx, envelope, wait),
            Host::Thread(tx) => self.post_channel(tx, envelope, wait),
            Host::Driver(cell) => cell.post(envelope, wait, || self.may_wait(wait)),
        };
        posted.map_err(|(envelope, why)| (envelope.open().0, why))
    }

    /// Called when a post is about to wait for room in a bounded mailbox: refuses a wait
    /// that only this thread could end, and frees this worker's next slot first.
    fn may_wait(&self, wait: Wait) -> bool {
        if matches!(wait, Wait::Block) && current::would_deadlock(self.info.id, self.host.driver())
        {
            return false;
        }
        crate::driver::before_blocking();
        true
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
        tx: &ChannelSender<Envelope<A>>,
        envelope: Envelope<A>,
        wait: Wait,
    ) -> Result<(), (Envelope<A>, Refused)> {
        // The parked receiver keeps the channel open: refuse here, with the message back.
        if self.stopped.load(Ordering::SeqCst) {
            return Err((envelope, Refused::Stopped));
        }
        self.post_channel(tx, envelope, wait)?;
        fence(Ordering::SeqCst);
        if self.stopped.load(Ordering::SeqCst) {
            self.drain_parked();
        }
        Ok(())
    }

    /// Keeps a stopped dedicated thread's bounded receiver and takes out what it holds.
    /// The caller has marked the actor stopped (see `post_bounded`).
    pub(crate) fn park(
        &self,
        rx: Receiver<Envelope<A>>,
    ) -> std::collections::VecDeque<Envelope<A>> {
        let _ = self.parked.set(rx);
        fence(Ordering::SeqCst);
        self.parked
            .get()
            .map(|rx| rx.try_iter().collect())
            .unwrap_or_default()
    }

    /// Fails, at once, the mail that slipped into a stopped actor's parked channel.
    #[cold]
    fn drain_parked(&self) {
        let Some(rx) = self.parked.get() else {
            // Not parked yet: the stop's own drain, still to come, takes it.
            return;
        };
        // Collected first: a message's drop may post here again (it is refused).
        let left: Vec<Envelope<A>> = rx.try_iter().collect();
        for envelope in left {
            crate::runtime::discard(self, envelope);
        }
    }

    fn post_channel(
        &self,
        tx: &ChannelSender<Envelope<A>>,
        envelope: Envelope<A>,
        wait: Wait,
    ) -> Result<(), (Envelope<A>, Refused)> {
        match (wait, tx.capacity()) {
            (Wait::Block, None) => tx
                .send(envelope)
                .map_err(|e| (e.into_inner(), Refused::Stopped)),
            (Wait::Never, _) => try_post(tx, envelope),
            (Wait::Block, Some(_)) => match try_post(tx, envelope) {
                Err((envelope, Refused::Full)) if self.may_wait(wait) => tx
                    .send(envelope)
                    .map_err(|e| (e.into_inner(), Refused::Stopped)),
                posted => posted,
            },
            (Wait::Until(deadline), _) => match try_post(tx, envelope) {
                Err((envelope, Refused::Full)) if self.may_wait(wait) => {
                    tx.send_deadline(envelope, deadline).map_err(|e| match e {
                        SendTimeoutError::Timeout(envelope) => (envelope, Refused::Timeout),
                        SendTimeoutError::Disconnected(envelope) => (envelope, Refused::Stopped),
                    })
                }
                posted => posted,
            },
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
        self.post(A::__pack(msg, reply), sender, wait)
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
    fn refused<M>(&self, msg: M, why: Refused) -> SendError<M> {
        let actor = self.info;
        let error = match why {
            Refused::Stopped => SendError::Stopped { actor, msg },
            Refused::Full => SendError::Full { actor, msg },
            Refused::Timeout => SendError::Timeout { actor, msg },
        };
        error.record();
        error
    }

    pub(crate) fn handle_count(&self) -> usize {
        self.handles.load(Ordering::Acquire)
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

    /// Marks the actor stopped and lets the registry forget its names.
    pub(crate) fn mark_stopped(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if self.registered.load(Ordering::SeqCst) {
            crate::registry::Registry::forget(self.info.id);
        }
    }

    /// Tells every monitor, once, that the actor ended and why.
    pub(crate) fn terminate(&self, reason: StopReason) {
        let notice = Terminated {
            actor: self.info,
            reason,
        };
        self.monitors.end(notice, notify);
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

fn notify(watcher: Watcher, notice: Terminated) {
    match watcher {
        Watcher::Actor(actor) => {
            if let Some(actor) = actor.upgrade() {
                // A watcher without a handler for it makes a dead letter, recorded there.
                let _ = actor.post_dyn(DynMessage::new(notice), Sender::Nobody);
            }
        }
        Watcher::Bridge(bridge) => bridge.post(DynMessage::new(notice)),
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
        deadline: Option<Instant>,
    ) -> Result<(), SendError<Stop>>;
    /// The driver hosting the actor and its thread count, if not a thread of its own.
    fn driver(&self) -> Option<(DriverId, usize)>;
    fn mark_registered(&self);
    /// Adds a monitor; one that comes after the end is told at once.
    fn watch(&self, watcher: Watcher);
}

impl<A: Actor> Erased for Shared<A> {
    fn info(&self) -> ActorInfo {
        self.info
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

    fn post_dyn(&self, msg: DynMessage, sender: Sender) -> Result<(), SendError<DynMessage>> {
        let mail = if msg.is::<Stop>() {
            Mail::Stop(ReplyTo::none())
        } else {
            match A::__from_dyn(msg) {
                Ok(typed) => Mail::Typed(typed),
                Err(msg) if A::__CATCH_ALL => Mail::Other(msg),
                Err(msg) => {
                    let error = SendError::NotHandled {
                        actor: self.info,
                        msg,
                    };
                    error.record();
                    return Err(error);
                }
            }
        };
        self.post(mail, sender, Wait::Block)
            .map_err(|(mail, why)| self.refused(mail.into_dyn(), why))
    }

    fn post_typed(
        &self,
        slot: &mut dyn Any,
        sender: Sender,
    ) -> Result<bool, SendError<DynMessage>> {
        let Some(typed) = A::__take(slot) else {
            return Ok(false);
        };
        self.post(Mail::Typed(typed), sender, Wait::Block)
            .map(|()| true)
            .map_err(|(mail, why)| self.refused(mail.into_dyn(), why))
    }

    fn driver(&self) -> Option<(DriverId, usize)> {
        self.host.driver()
    }

    fn mark_registered(&self) {
        self.registered.store(true, Ordering::SeqCst);
    }

    fn watch(&self, watcher: Watcher) {
        self.monitors.add(watcher, notify);
    }

    fn post_stop(
        &self,
        reply: ReplyTo<Stopped>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<Stop>> {
        self.post(Mail::Stop(reply), sender, Wait::until(deadline))
            .map_err(|(_, why)| self.refused(Stop, why))
    }
}

/// Posting a typed message to an actor that handles it, whatever the actor's type.
pub(crate) trait Deliver<M: Message>: Erased {
    /// Posts a typed message; with a deadline, waits for room in a bounded mailbox only
    /// until then.
    fn deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        deadline: Option<Instant>,
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
        deadline: Option<Instant>,
    ) -> Result<(), SendError<M>> {
        Shared::deliver(self, msg, reply, sender, Wait::until(deadline))
    }

    fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        Shared::tell(self, msg, Wait::Block)
    }

    fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        Shared::tell(self, msg, Wait::Never)
    }
}

/// A counted reference: one live handle to an actor.
///
/// Handles count themselves in the actor's shared state, and all the live handles of an
/// actor share one strong reference to it: the handle that brings the count up from zero
/// keeps the `Arc` it was made from, and the one that brings it back to zero gives that
/// reference back. So cloning or dropping a handle (a sender stamp on every message sent
/// from a handler, say) is one atomic operation, not two.
///
/// `P` is always a `Shared<A>` behind its own type or a trait object (`Erased` and
/// `Deliver` are implemented by `Shared` alone), so the count is the pointee's first word.
struct Handle<P: ?Sized + Erased>(NonNull<P>);

// SAFETY: `Erased` is `Send + Sync`, and a handle is a shared reference to it.
unsafe impl<P: ?Sized + Erased> Send for Handle<P> {}
unsafe impl<P: ?Sized + Erased> Sync for Handle<P> {}

impl<P: ?Sized + Erased> Handle<P> {
    fn new(inner: Arc<P>) -> Self {
        let handle = Handle(NonNull::from(&*inner));
        if handle.acquire() {
            // The first live handle: `inner` becomes the handles' strong reference.
            std::mem::forget(inner);
        }
        handle
    }

    /// A handle made from the actor running on this thread.
    ///
    /// # Safety
    ///
    /// `ptr` comes from `Arc::as_ptr` (or `into_raw`) of a `Shared`, and that `Arc` is
    /// alive.
    unsafe fn from_raw(ptr: *const P) -> Self {
        // SAFETY: the caller's `Arc` keeps the pointee alive for this call.
        let handle = Handle(unsafe { NonNull::new_unchecked(ptr.cast_mut()) });
        if handle.acquire() {
            // SAFETY: `ptr` came from a live `Arc`; this is the handles' reference.
            unsafe { Arc::increment_strong_count(ptr) };
        }
        handle
    }

    /// Counts one more handle; true if it is the only one, which must then take the
    /// handles' strong reference.
    #[inline]
    fn acquire(&self) -> bool {
        self.count().fetch_add(1, Ordering::Relaxed) == 0
    }

    /// The actor's handle count: the first field of its `repr(C)` `Shared`.
    #[inline]
    fn count(&self) -> &AtomicUsize {
        // SAFETY: the pointee is a `Shared<A>` (see `Handle`), alive while this handle
        // is counted.
        unsafe { &*self.0.as_ptr().cast::<AtomicUsize>() }
    }

    /// A strong reference of the caller's own.
    fn arc(&self) -> Arc<P> {
        // SAFETY: the handles' strong reference keeps the allocation alive while this
        // handle lives, and the pointer came from that `Arc`.
        unsafe {
            Arc::increment_strong_count(self.0.as_ptr());
            Arc::from_raw(self.0.as_ptr())
        }
    }
}

impl<P: ?Sized + Erased> std::ops::Deref for Handle<P> {
    type Target = P;

    #[inline]
    fn deref(&self) -> &P {
        // SAFETY: as in `arc`.
        unsafe { self.0.as_ref() }
    }
}

impl<P: ?Sized + Erased> Clone for Handle<P> {
    #[inline]
    fn clone(&self) -> Self {
        // The count is at least one (this handle), so the strong reference is there.
        self.acquire();
        Handle(self.0)
    }
}

impl<P: ?Sized + Erased> Drop for Handle<P> {
    #[inline]
    fn drop(&mut self) {
        // Only the count is touched until it is known to be the last handle: another
        // thread may free the state as soon as the count comes down.
        if self.count().fetch_sub(1, Ordering::AcqRel) == 1 {
            // The handles' strong reference is still held here.
            (**self).released();
            // The last live handle gives that reference back; nothing of the actor is
            // touched after this.
            // SAFETY: the pointer came from the `Arc` whose reference this is.
            unsafe { Arc::decrement_strong_count(self.0.as_ptr()) };
        }
    }
}

/// A typed handle to an actor: send it any message its type handles.
///
/// Cheap to clone and `Send`. When every handle to an actor (its `Addr`s, `Recipient`s
/// and `AnyAddr`s) is dropped, the actor handles what was sent, stops on its own and its
/// thread ends.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Add(i64);
///
/// #[derive(Message)]
/// #[message(reply = i64)]
/// struct Total;
///
/// #[derive(Default)]
/// struct Sum(i64);
///
/// #[actor]
/// impl Sum {
///     #[handles(Add)]
///     fn add(&mut self, Add(n): Add) { self.0 += n }
///
///     #[handles(Total)]
///     fn total(&self, _: Total) -> i64 { self.0 }
/// }
///
/// let sum = Sum::default().spawn();
/// for n in 1..=10 {
///     sum.tell(Add(n)).unwrap();
/// }
/// assert_eq!(Bridge::new().call(&sum, Total, Duration::from_secs(5)).unwrap(), 55);
/// ```
pub struct Addr<A: Actor> {
    handle: Handle<Shared<A>>,
}

impl<A: Actor> Addr<A> {
    pub(crate) fn new(shared: Arc<Shared<A>>) -> Self {
        Addr {
            handle: Handle::new(shared),
        }
    }

    pub(crate) fn shared(&self) -> &Shared<A> {
        &self.handle
    }

    /// Sends `msg` without waiting. A reply, if the message has one, is dropped.
    ///
    /// Sent from inside a handler, the message carries the running actor as its sender;
    /// from plain code, no sender. If the actor has stopped, the message comes back in
    /// the error.
    #[inline(always)]
    pub fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.shared().tell(msg, Wait::Block)
    }

    /// Like [`tell`](Addr::tell), but gives the message back at once
    /// ([`SendError::Full`]) instead of waiting when a bounded mailbox is full.
    pub fn try_tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.shared().tell(msg, Wait::Never)
    }

    /// Like [`tell`](Addr::tell), but waits at most `timeout` for room in a bounded
    /// mailbox, then gives the message back ([`SendError::Timeout`]).
    pub fn tell_timeout<M: Message>(&self, msg: M, timeout: Duration) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        let wait = Wait::until(Instant::now().checked_add(timeout));
        self.shared().tell(msg, wait)
    }

    /// Runs `f` on the actor's own thread, between two messages, with the actor and its
    /// context: the seed CallQueue's call. The result comes back through the returned
    /// [`Pending`]; a panic in `f` is carried there too and does not affect the actor.
    /// Use [`exec_raising`](Addr::exec_raising) to also let the actor's panic policy see it.
    pub fn exec<R, F>(&self, f: F) -> Pending<R>
    where
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec_with(f, false)
    }

    /// Like [`exec`](Addr::exec), but a panic in `f` is also raised in the actor, whose
    /// panic policy then applies (the seed's `raise_exception = 3`).
    pub fn exec_raising<R, F>(&self, f: F) -> Pending<R>
    where
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec_with(f, true)
    }

    fn exec_with<R, F>(&self, f: F, raise: bool) -> Pending<R>
    where
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (reply, pending) = Pending::new();
        self.exec_to(reply, f, raise);
        pending
    }

    pub(crate) fn post_job(&self, job: Mail<A>) {
        if let Err((_, why)) = self.shared().post(job, current::sender(), Wait::Block) {
            // Dropping the job dropped its reply slot: the waiter learns it was not run.
            let _ = self.shared().refused(crate::actor::ExecJob, why);
        }
    }

    /// A handle that sends only `M`, hiding the actor's type: for lists of different
    /// actors that take the same message.
    pub fn recipient<M: Message>(&self) -> Recipient<M>
    where
        A: Handler<M>,
    {
        let inner: Arc<dyn Deliver<M>> = self.handle.arc();
        Recipient {
            handle: Handle::new(inner),
        }
    }

    /// A handle that hides the actor's type entirely: it can be stopped and sent dynamic
    /// messages.
    pub fn any(&self) -> AnyAddr {
        AnyAddr::from_arc(self.handle.arc())
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.handle.info.id
    }

    /// The actor's type name and id.
    pub fn info(&self) -> ActorInfo {
        self.handle.info
    }

    /// Whether the actor still handles messages (it has not stopped).
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// How many messages wait in the actor's mailbox.
    pub fn mailbox_len(&self) -> usize {
        self.handle.mailbox_len()
    }
}

impl<A: Actor> Clone for Addr<A> {
    fn clone(&self) -> Self {
        Addr {
            handle: self.handle.clone(),
        }
    }
}

impl<A: Actor> fmt::Debug for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Addr({})", self.info())
    }
}

impl<A: Actor> PartialEq for Addr<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> Eq for Addr<A> {}

/// A handle to any actor that handles `M`, whatever the actor's type.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Item(u32);
///
/// #[derive(Message)]
/// #[message(reply = Vec<u32>)]
/// struct Contents;
///
/// #[derive(Default)]
/// struct Bin(Vec<u32>);
///
/// #[actor]
/// impl Bin {
///     #[handles(Item)]
///     fn put(&mut self, Item(n): Item) { self.0.push(n) }
///     #[handles(Contents)]
///     fn contents(&self, _: Contents) -> Vec<u32> { self.0.clone() }
/// }
///
/// let bin = Bin::default().spawn();
/// let sink: Recipient<Item> = bin.recipient();
/// sink.tell(Item(1)).unwrap();
/// sink.tell(Item(2)).unwrap();
/// assert_eq!(Bridge::new().call(&bin, Contents, Duration::from_secs(5)).unwrap(), [1, 2]);
/// ```
pub struct Recipient<M: Message> {
    handle: Handle<dyn Deliver<M>>,
}

impl<M: Message> Recipient<M> {
    /// Sends `msg` without waiting; gives it back if the actor has stopped. A full bounded
    /// mailbox makes it wait for room, as [`Addr::tell`] does.
    pub fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        self.handle.tell(msg)
    }

    /// Like [`tell`](Recipient::tell), but gives the message back at once
    /// ([`SendError::Full`]) instead of waiting when a bounded mailbox is full.
    pub fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        self.handle.try_tell(msg)
    }

    pub(crate) fn deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<M>> {
        self.handle.deliver(msg, reply, sender, deadline)
    }

    /// The actor's type name and id.
    pub fn info(&self) -> ActorInfo {
        self.handle.info()
    }

    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        self.handle.driver()
    }

    /// Whether the actor still handles messages.
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// A handle that hides the message type too.
    pub fn any(&self) -> AnyAddr {
        AnyAddr::from_arc(self.handle.arc())
    }
}

impl<M: Message> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient {
            handle: self.handle.clone(),
        }
    }
}

impl<M: Message> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.info())
    }
}

/// A handle to an actor of any type, for heterogeneous lists: it can be stopped (see
/// [`Bridge::stop`]) and sent dynamic messages, which reach the handler for their type,
/// else the catch-all handler, else come back in the error.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Ping;
///
/// struct A;
/// #[actor]
/// impl A {
///     #[handles(Ping)]
///     fn ping(&mut self, _: Ping) {}
/// }
///
/// struct B;
/// #[actor]
/// impl B {}
///
/// let all: Vec<AnyAddr> = vec![A.spawn().any(), B.spawn().any()];
/// assert!(all[0].tell(Ping).is_ok());
/// assert!(all[1].tell(Ping).is_err()); // B handles no Ping and has no catch-all
/// let stopped = Bridge::new().stop(&all, Duration::from_secs(5));
/// assert_eq!(stopped, [Some(Stopped), Some(Stopped)]);
/// ```
pub struct AnyAddr {
    handle: Handle<dyn Erased>,
}

impl AnyAddr {
    pub(crate) fn from_arc(inner: Arc<dyn Erased>) -> Self {
        AnyAddr {
            handle: Handle::new(inner),
        }
    }

    /// A handle to the actor running on this thread.
    ///
    /// # Safety
    ///
    /// As `Handle::from_raw`.
    pub(crate) unsafe fn from_raw(ptr: *const dyn Erased) -> Self {
        AnyAddr {
            // SAFETY: passed on to the caller.
            handle: unsafe { Handle::from_raw(ptr) },
        }
    }

    /// Sends `msg` to the actor's handler for its type, or to its catch-all handler; gives
    /// it back if there is neither or the actor has stopped.
    pub fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>> {
        let back = |e: SendError<DynMessage>| {
            e.map(|msg| {
                msg.downcast::<M>()
                    .unwrap_or_else(|_| crate::actor::__mismatched_mail())
            })
        };
        // A typed handler takes it straight from this slot, unboxed; only a message for
        // the catch-all (or for no one) is boxed.
        let mut slot = Some(msg);
        match self.handle.post_typed(&mut slot, current::sender()) {
            Ok(true) => Ok(()),
            Ok(false) => match slot {
                Some(msg) => self.tell_dyn(DynMessage::new(msg)).map_err(back),
                None => crate::actor::__mismatched_mail(),
            },
            Err(e) => Err(back(e)),
        }
    }

    /// Sends an already type-erased message.
    pub fn tell_dyn(&self, msg: DynMessage) -> Result<(), SendError<DynMessage>> {
        self.handle.post_dyn(msg, current::sender())
    }

    /// Has `watcher` (an actor) receive [`Terminated`], once, when this actor ends, or
    /// at once if it already has. Watching does not keep either actor alive.
    pub fn watch_by(&self, watcher: &AnyAddr) {
        self.handle.watch(Watcher::Actor(watcher.weak()));
    }

    pub(crate) fn watch(&self, watcher: Watcher) {
        self.handle.watch(watcher);
    }

    pub(crate) fn weak(&self) -> Weak<dyn Erased> {
        Arc::downgrade(&self.handle.arc())
    }

    pub(crate) fn post_stop(
        &self,
        reply: ReplyTo<Stopped>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<Stop>> {
        self.handle.post_stop(reply, sender, deadline)
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.handle.info().id
    }

    /// The actor's type name and id.
    pub fn info(&self) -> ActorInfo {
        self.handle.info()
    }

    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        self.handle.driver()
    }

    pub(crate) fn mark_registered(&self) {
        self.handle.mark_registered();
    }

    /// The actor's shared state, if the actor is an `A`.
    pub(crate) fn shared_as<A: Actor>(&self) -> Option<Arc<Shared<A>>> {
        let any: Arc<dyn Any + Send + Sync> = self.handle.arc();
        any.downcast::<Shared<A>>().ok()
    }

    /// The names of the message types the actor handles, in declaration order.
    pub fn handles(&self) -> &'static [&'static str] {
        self.handle.handles()
    }

    /// Whether the actor still handles messages.
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// How many messages wait in the actor's mailbox.
    pub fn mailbox_len(&self) -> usize {
        self.handle.mailbox_len()
    }
}

impl Clone for AnyAddr {
    fn clone(&self) -> Self {
        AnyAddr {
            handle: self.handle.clone(),
        }
    }
}

impl fmt::Debug for AnyAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyAddr({})", self.info())
    }
}

impl PartialEq for AnyAddr {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for AnyAddr {}

impl<A: Actor> From<Addr<A>> for AnyAddr {
    fn from(addr: Addr<A>) -> Self {
        addr.any()
    }
}

/// Who sent the message being handled: an actor, a [`Bridge`], or plain code.
///
/// A handler answers it with [`tell`](Sender::tell); the message reaches the sending
/// actor's handler for its type (or its catch-all), or the bridge's inbox.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Ping;
/// #[derive(Message)]
/// struct Pong;
///
/// struct Ponger;
/// #[actor]
/// impl Ponger {
///     #[handles(Ping)]
///     fn ping(&mut self, _: Ping, ctx: &mut Context<Self>) {
///         ctx.sender().tell(Pong).unwrap();
///     }
/// }
///
/// let ponger = Ponger.spawn();
/// let bridge = Bridge::new();
/// bridge.tell(&ponger, Ping).unwrap();
/// let answer = bridge.receive(Duration::from_secs(5)).unwrap();
/// assert!(answer.is::<Pong>());
/// ```
#[derive(Clone, Debug, Default)]
pub enum Sender {
    /// Plain code, which has no mailbox.
    #[default]
    Nobody,
    /// An actor.
    Actor(AnyAddr),
    /// A bridge: answers land in its inbox.
    Bridge(Bridge),
}

impl Sender {
    /// Sends `msg` back to the sender; gives it back if there is none or it has stopped.
    pub fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>> {
        match self {
            Sender::Nobody => {
                let error = SendError::NoSender { msg };
                error.record();
                Err(error)
            }
            Sender::Actor(actor) => actor.tell(msg),
            Sender::Bridge(bridge) => {
                bridge.post(DynMessage::new(msg));
                Ok(())
            }
        }
    }

    /// The sending actor, if an actor sent the message.
    pub fn actor(&self) -> Option<&AnyAddr> {
        match self {
            Sender::Actor(actor) => Some(actor),
            _ => None,
        }
    }

    /// Whether the message came from plain code.
    pub fn is_nobody(&self) -> bool {
        matches!(self, Sender::Nobody)
    }
}
