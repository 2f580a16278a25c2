//! [`Context::ask`]: a request from inside an actor, answered later on the asking actor.
//!
//! One block, [`Ask`], is the whole request: its one-shot decision (an atomic state
//! word), the continuation (unboxed), the reply slot's hook ([`Hook`]), its timer entry
//! ([`Due`]) and the mail that carries the continuation back ([`Resumable`]). Whatever ends
//! the request first wins the state word (the reply, the request's refusal, or its
//! deadline on the timer thread) and posts the same state to the asking actor as
//! `Mail::Resume`, so the continuation runs exactly once, between two of the asker's
//! messages, on the asker's own thread. Nothing blocks: the asker goes on handling its
//! other mail meanwhile. The deadline's entry goes to the asking thread's young list (see
//! `timer`; no clock is read per ask): a reply that wins before the timer thread looks
//! there leaves it dead, dropped from that list by the thread's next request; one that
//! wins later leaves it dead in the heap, skipped at its deadline. No lock is taken to
//! cancel it. A block that nothing else holds once its continuation has run is kept as
//! a spare for this thread's next ask of the same type ([`spare`]): an actor that asks
//! again from its continuation allocates nothing.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::bridge::failure;
use super::reply::{Hook, HookHeader};
use super::{CallTarget, NoReply, ReplyTo};
use super::{Job, JobHeader, Resumable};
use crate::actor::{Actor, Mail};
use crate::context::Context;
use crate::error::CallError;
use crate::handle::{Sender, Shared};
use crate::hosting::current;
use crate::id::ActorInfo;
use crate::mailbox::Wait;
use crate::message::Message;
use crate::sync::SpinLock;
use crate::timer::{self, Due};

/// The request is being delivered: an outcome that comes now (the reply slot dropped with
/// a refused request) waits in `early`, so that the refusal, which gives the request back,
/// is what the continuation sees.
const SENDING: u8 = 0;
/// An outcome came while the request was being delivered; it is in `early`.
const EARLY: u8 = 1;
/// In the target's mailbox: the reply or the deadline decides.
const WAITING: u8 = 2;
/// Decided: the continuation is posted to the asker, run, or dropped.
const DONE: u8 = 3;

fn short<M>() -> String {
    crate::message::short_type_name(std::any::type_name::<M>())
}

type Outcome<M> = Result<<M as Message>::Reply, CallError<M>>;

/// One request in flight, from `ctx.ask` until its continuation has run.
///
/// `repr(C)`, its reply slot's header first: the slot is a thin pointer to this block.
///
/// The continuation and the outcome sit in cells that the state word hands from one
/// party to the next, without a lock: the party that moves the state to `DONE` writes
/// `outcome`, then posts the block to the asker (the mailbox's hand-off orders the write
/// before the read); `then` and `outcome` are taken by whichever of [`Resumable::resume`]
/// and [`Resumable::discard`] runs, and exactly one does (the `Resume` mail runs it or its
/// drop discards it; with no `Resume` made, `finish` discards it itself). `early` is
/// written by a replier that came while the request was being delivered, so it keeps its
/// lock (a rare path).
#[repr(C)]
struct Ask<A: Actor, M: Message, F> {
    hook: HookHeader<M::Reply>,
    /// What the `Resume` mail that carries this block points at.
    resume: JobHeader<A>,
    /// `SENDING`, `EARLY`, `WAITING` or `DONE`: exactly one party moves it to `DONE`.
    state: AtomicU8,
    /// Weak: a request in flight never keeps its asker alive.
    asker: Weak<Shared<A>>,
    actor: ActorInfo,
    timeout: Duration,
    /// The continuation; written once when the request is made, taken by `resume` or
    /// `discard`.
    then: UnsafeCell<Option<F>>,
    /// The outcome that won, for the continuation: written by the party that moved the
    /// state to `DONE`, taken with `then`.
    outcome: UnsafeCell<Option<Outcome<M>>>,
    /// An outcome that came while the request was being delivered.
    early: SpinLock<Option<Outcome<M>>>,
}

// Safety: `then` and `outcome` are never reached by two threads at once (see the type's
// notes); what they hold is `Send` (`F: Send`, `M` and its reply are `Send`), and moves
// from the thread that writes it to the one that takes it. The rest is `Send + Sync`.
unsafe impl<A: Actor, M: Message, F: Send> Send for Ask<A, M, F> {}
// Safety: as for `Send`: a shared `&Ask` reaches the cells only through the hand-off.
unsafe impl<A: Actor, M: Message, F: Send> Sync for Ask<A, M, F> {}

impl<A, M, F> Ask<A, M, F>
where
    A: Actor,
    M: Message,
    F: FnOnce(&mut A, Outcome<M>, &mut Context<A>) + Send + 'static,
{
    /// Ends the request with `outcome`: the caller has just moved the state to `DONE`.
    /// Posts this state to the asker, which runs the continuation with the outcome.
    #[inline]
    fn finish(self: Arc<Self>, outcome: Outcome<M>) {
        let Some(asker) = self.asker.upgrade() else {
            // The asker has ended: no one is left to continue.
            self.discard();
            drop(outcome);
            return;
        };
        // Safety: this caller moved the state to `DONE`, so it alone writes the outcome,
        // before the block goes to the asker.
        unsafe { *self.outcome.get() = Some(outcome) };
        let resume = Job::resume(self);
        // Past a driver mailbox's bound: the actor asked for this itself. Refused only if
        // the asker has stopped, and then the mail's drop drops the continuation.
        let _ = asker.post(Mail::Resume(resume), Sender::Nobody, Wait::Force);
    }

    /// An outcome came while the request was still being delivered.
    #[cold]
    fn early(self: Arc<Self>, outcome: Outcome<M>) {
        *self.early.lock() = Some(outcome);
        match self
            .state
            .compare_exchange(SENDING, EARLY, Ordering::AcqRel, Ordering::Acquire)
        {
            // The asking thread, back from delivering, ends the request.
            Ok(_) => {}
            // Delivered meanwhile: this outcome still ends the request, unless its
            // deadline was quicker.
            Err(_) => {
                let won = self
                    .state
                    .compare_exchange(WAITING, DONE, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                let early = self.early.lock().take();
                if let (true, Some(early)) = (won, early) {
                    self.finish(early);
                }
            }
        }
    }

    /// A request block for a new ask: this thread's spare one of this type if it has one
    /// (see [`spare`]), else a new allocation.
    #[inline]
    fn make(asker: &Arc<Shared<A>>, actor: ActorInfo, timeout: Duration, then: F) -> Arc<Self> {
        if let Some(block) = spare::take::<Self>() {
            // Safety: a spare block is the only reference to its allocation, strong or
            // weak (`spare::keep` checked, and nothing reaches a kept block but this
            // thread's `take`), so this is the `&mut` that `Arc::get_mut` would give,
            // without its atomic read-modify-write to prove it.
            let ask = unsafe { &mut *Arc::as_ptr(&block).cast_mut() };
            // Kept only once its continuation and outcome were taken, its early
            // outcome never set or taken, and its state `DONE`.
            *ask.state.get_mut() = SENDING;
            if !std::ptr::eq(ask.asker.as_ptr(), Arc::as_ptr(asker)) {
                ask.asker = Arc::downgrade(asker);
            }
            ask.actor = actor;
            ask.timeout = timeout;
            *ask.then.get_mut() = Some(then);
            return block;
        }
        Arc::new(Ask {
            hook: HookHeader::new::<Self>(),
            resume: JobHeader::resume::<Self>(),
            state: AtomicU8::new(SENDING),
            asker: Arc::downgrade(asker),
            actor,
            timeout,
            then: UnsafeCell::new(Some(then)),
            outcome: UnsafeCell::new(None),
            early: SpinLock::new(None),
        })
    }

    /// Takes the continuation and the outcome out of their cells.
    ///
    /// Safety: called once, by `resume` or `discard` (see the type's notes).
    unsafe fn take(&self) -> (Option<F>, Option<Outcome<M>>) {
        // Safety: as above: no other party reaches the cells any more.
        unsafe { ((*self.then.get()).take(), (*self.outcome.get()).take()) }
    }
}

// Safety: `repr(C)`, with the header made for this type first (`Context::ask`).
unsafe impl<A, M, F> Hook<M::Reply> for Ask<A, M, F>
where
    A: Actor,
    M: Message,
    F: FnOnce(&mut A, Outcome<M>, &mut Context<A>) + Send + 'static,
{
    fn deliver(self: Arc<Self>, result: Result<M::Reply, NoReply>) {
        let outcome = result.map_err(|why| failure(self.actor, why));
        match self
            .state
            .compare_exchange(WAITING, DONE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => self.finish(outcome),
            Err(SENDING) => self.early(outcome),
            // Timed out first: the late reply is dropped here.
            Err(_) => {}
        }
    }
}

impl<A, M, F> Due for Ask<A, M, F>
where
    A: Actor,
    M: Message,
    F: FnOnce(&mut A, Outcome<M>, &mut Context<A>) + Send + 'static,
{
    fn is_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    fn fire_due(self: Arc<Self>, _deadline: Instant) -> Option<Instant> {
        if self
            .state
            .compare_exchange(WAITING, DONE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let (actor, timeout) = (self.actor, self.timeout);
            self.finish(Err(CallError::Timeout { actor, timeout }));
        }
        None
    }

    /// Only test services shut down; an ask's deadline is on the process's own.
    fn abandon(&self) {}
}

// SAFETY: `resume` is made by `JobHeader::resume::<Self>` (in `new`), at `HEADER_AT`.
unsafe impl<A, M, F> Resumable<A> for Ask<A, M, F>
where
    A: Actor,
    M: Message,
    F: FnOnce(&mut A, Outcome<M>, &mut Context<A>) + Send + 'static,
{
    const HEADER_AT: usize = std::mem::offset_of!(Self, resume);

    fn resume(self: Arc<Self>, actor: &mut A, ctx: &mut Context<A>) {
        // Safety: the `Resume` mail runs this once, instead of `discard`.
        let (then, outcome) = unsafe { self.take() };
        if let (Some(then), Some(outcome)) = (then, outcome) {
            then(actor, outcome, ctx);
        }
        // Ended, its cells empty: this thread's next ask of this type may reuse it.
        spare::keep(self);
    }

    fn discard(&self) {
        // Safety: the `Resume` mail's drop, or `finish` with no `Resume` made, runs this
        // once, instead of `resume`.
        let (then, outcome) = unsafe { self.take() };
        drop(then);
        drop(outcome);
    }
}

/// Spare request blocks: the blocks of this thread's ended asks that nothing else holds
/// any more, kept for its next asks of the same type (same asker, message and
/// continuation types) to reuse instead of allocating. An asker's continuation usually
/// makes its next ask, and its block is the one that just ended, so an actor asking in a
/// loop allocates nothing once it has two blocks. At most [`spare::MAX`] per thread, of
/// any types; when full, an ended block is freed as before. A spare block holds nothing
/// of the program's: its continuation and outcome are gone; only a weak pointer to its
/// last asker, which keeps that actor's freed state's memory (not the actor) until the
/// block is reused or the thread ends.
mod spare {
    use std::any::{Any, TypeId};
    use std::cell::RefCell;
    use std::sync::atomic::{fence, Ordering};
    use std::sync::Arc;

    /// At most this many spare blocks per thread.
    pub(super) const MAX: usize = 8;

    type Block = Arc<dyn Any + Send + Sync>;

    thread_local! {
        static SPARE: RefCell<Vec<(TypeId, Block)>> = const { RefCell::new(Vec::new()) };
    }

    /// Keeps `block` for a later [`take`], if nothing else holds it and there is room;
    /// else drops this reference as usual.
    ///
    /// Uniqueness is proven here, once, by two plain loads: with this the only strong
    /// reference and no weak one, no other party can reach the block again (a new
    /// reference is made only from an existing one), so [`take`] hands out a block its
    /// caller may write through without `Arc::get_mut`'s compare-and-swap. The two loads
    /// need not be one atomic snapshot (what `get_mut`'s lock of the weak count gives):
    /// the only weak references to a request block are a simulation's, made, upgraded
    /// and dropped on the simulation's thread, which is the asker's, this one.
    #[inline]
    pub(super) fn keep<T: Any + Send + Sync>(block: Arc<T>) {
        // Held elsewhere too (its deadline's entry, not yet dropped; a simulation's weak
        // reference to its deadline): freed by the last.
        if Arc::strong_count(&block) != 1 || Arc::weak_count(&block) != 0 {
            return;
        }
        // The other holders' last accesses (the timer thread's `is_pending`, say) come
        // before their release of the count that was just read: this orders them before
        // the next ask's writes to the block, as `Arc::get_mut`'s acquire would.
        fence(Ordering::Acquire);
        // Not kept (no room, or the thread is ending): dropped here as usual.
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < MAX {
                    spare.push((TypeId::of::<T>(), block as Block));
                }
            }
        });
    }

    /// A spare block of type `T`, if this thread keeps one: the only reference to its
    /// allocation, strong or weak (see [`keep`]).
    #[inline]
    pub(super) fn take<T: Any + Send + Sync>() -> Option<Arc<T>> {
        SPARE
            .try_with(|spare| {
                let mut spare = spare.try_borrow_mut().ok()?;
                let at = spare.iter().rposition(|(id, _)| *id == TypeId::of::<T>())?;
                let (_, block) = spare.swap_remove(at);
                // Safety: it was listed under `T`'s type id, so it is an `Arc<T>`.
                Some(unsafe { Arc::from_raw(Arc::into_raw(block).cast::<T>()) })
            })
            .ok()
            .flatten()
    }
}

impl<A: Actor> Context<A> {
    /// Sends `msg` to `target` and runs `then` later, on this actor, with the reply, a
    /// timeout, or the error (the request given back if it was never delivered), exactly
    /// once, between two of this actor's messages. It never blocks: this actor goes on
    /// handling its other mail meanwhile, so it works between neighbours on a one-thread
    /// driver, where a blocking call is refused, and across hostings.
    ///
    /// A continuation that panics is handled as a handler panic (the actor's policy
    /// applies). If this actor ends first, the continuation is dropped unrun.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u64)]
    /// struct Double(u64);
    ///
    /// struct Doubler;
    /// #[actor]
    /// impl Doubler {
    ///     #[handles(Double)]
    ///     fn double(&mut self, Double(n): Double) -> u64 { 2 * n }
    /// }
    ///
    /// #[derive(Message)]
    /// #[message(reply = u64)]
    /// struct Quadruple(u64);
    ///
    /// struct Proxy { doubler: Addr<Doubler> }
    /// #[actor]
    /// impl Proxy {
    ///     #[handles(Quadruple)]
    ///     fn quadruple(&mut self, Quadruple(n): Quadruple, ctx: &mut Context<Self>) -> Deferred<u64> {
    ///         let (later, reply) = ctx.defer();
    ///         let doubler = self.doubler.clone();
    ///         ctx.ask(&doubler, Double(n), Duration::from_secs(5), move |this, twice, ctx| {
    ///             let twice = twice.unwrap();
    ///             ctx.ask(&this.doubler, Double(twice), Duration::from_secs(5), move |_, four, _| {
    ///                 reply.send(four.unwrap());
    ///             });
    ///         });
    ///         later
    ///     }
    /// }
    ///
    /// let driver = Driver::new(1); // one thread: a blocking call here would be refused
    /// let doubler = Doubler.spawn_on(&driver);
    /// let proxy = Proxy { doubler }.spawn_on(&driver);
    /// let bridge = Bridge::new();
    /// assert_eq!(bridge.call(&proxy, Quadruple(5), Duration::from_secs(5)).unwrap(), 20);
    /// ```
    pub fn ask<T, M, F>(&mut self, target: &T, msg: M, timeout: Duration, then: F)
    where
        T: CallTarget<M> + ?Sized,
        M: Message,
        F: FnOnce(&mut A, Result<M::Reply, CallError<M>>, &mut Context<A>) + Send + 'static,
    {
        let actor = target.__info();
        // A simulated asker's deadline is on its simulation's clock.
        let sim = self.shared().host.sim().cloned();
        let ask = Ask::<A, M, F>::make(self.shared(), actor, timeout, then);
        let sender = if target.__wants_sender() {
            current::sender()
        } else {
            Sender::Nobody
        };
        let reply = ReplyTo::hook(Arc::clone(&ask));
        if let Err(refused) = target.__try_deliver(msg, reply, sender) {
            // Whatever came early (the dropped slot's "stopped") gives way to the refusal.
            ask.state.store(DONE, Ordering::Release);
            let early = ask.early.lock().take();
            drop(early);
            ask.finish(Err(CallError::Send(refused)));
            return;
        }
        if ask
            .state
            .compare_exchange(SENDING, WAITING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // EARLY: the outcome came during the delivery; it ends the request now.
            ask.state.store(DONE, Ordering::Release);
            let early = ask.early.lock().take();
            if let Some(early) = early {
                ask.finish(early);
            }
            return;
        }
        if let Some(sim) = sim {
            // Listed, for what an idle simulation names as blocked; timed on its clock.
            // No deadline at all for a timeout too long to add (`Duration::MAX`).
            let deadline = sim.now().checked_add(timeout);
            let waiting = format!("{} asks {actor} ({})", self.shared().info(), short::<M>());
            sim.schedule_ask(deadline, ask, waiting);
            return;
        }
        // The request's own state is its timer entry, on this thread's young list first:
        // an ask answered before the timer thread looks never reaches the heap. No clock
        // is read: the timer thread counts the deadline from when it takes the entry,
        // after the request went out (never early; at most a sixteenth of the timeout
        // late). None for a timeout too long to count (`Duration::MAX`).
        timer::schedule_due(timeout, ask);
    }
}
