//! [`Context::ask`]: a request from inside an actor, answered later on the asking actor.
//!
//! One allocation, [`Ask`], is the whole request: its one-shot decision (an atomic state
//! word), the continuation (unboxed), the reply slot's hook ([`Hook`]), its timer entry
//! ([`Due`]) and the mail that carries the continuation back ([`Resumable`]). Whatever ends
//! the request first wins the state word (the reply, the request's refusal, or its
//! deadline on the timer thread) and posts the same state to the asking actor as
//! `Mail::Resume`, so the continuation runs exactly once, between two of the asker's
//! messages, on the asker's own thread. Nothing blocks: the asker goes on handling its
//! other mail meanwhile. The deadline's entry goes to the asking thread's young list (see
//! `timer`): a reply that wins before the timer thread looks there leaves it dead, dropped
//! from that list by the thread's next request; one that wins later leaves it dead in the
//! heap, skipped at its deadline. No lock is taken to cancel it.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::bridge::failure;
use super::reply::{Hook, HookHeader};
use super::{CallTarget, NoReply, ReplyTo};
use crate::actor::{Actor, Mail, Resumable, Resume};
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
#[repr(C)]
struct Ask<A: Actor, M: Message, F> {
    hook: HookHeader<M::Reply>,
    /// `SENDING`, `EARLY`, `WAITING` or `DONE`: exactly one party moves it to `DONE`.
    state: AtomicU8,
    /// Weak: a request in flight never keeps its asker alive.
    asker: Weak<Shared<A>>,
    actor: ActorInfo,
    timeout: Duration,
    /// Taken by one party at a time, never held while program code runs.
    slot: SpinLock<Slot<M, F>>,
}

struct Slot<M: Message, F> {
    then: Option<F>,
    /// The outcome that won, for the continuation.
    outcome: Option<Outcome<M>>,
    /// An outcome that came while the request was being delivered.
    early: Option<Outcome<M>>,
}

impl<A, M, F> Ask<A, M, F>
where
    A: Actor,
    M: Message,
    F: FnOnce(&mut A, Outcome<M>, &mut Context<A>) + Send + 'static,
{
    /// Ends the request with `outcome`: the caller has just moved the state to `DONE`.
    /// Posts this state to the asker, which runs the continuation with the outcome.
    fn finish(self: &Arc<Self>, outcome: Outcome<M>) {
        let Some(asker) = self.asker.upgrade() else {
            // The asker has ended: no one is left to continue.
            self.discard();
            drop(outcome);
            return;
        };
        self.slot.lock().outcome = Some(outcome);
        let resume = Resume::new(Arc::clone(self) as Arc<dyn Resumable<A>>);
        // Past a driver mailbox's bound: the actor asked for this itself. Refused only if
        // the asker has stopped, and then the mail's drop drops the continuation.
        let _ = asker.post(Mail::Resume(resume), Sender::Nobody, Wait::Force);
    }

    /// An outcome came while the request was still being delivered.
    fn early(self: &Arc<Self>, outcome: Outcome<M>) {
        self.slot.lock().early = Some(outcome);
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
                let early = self.slot.lock().early.take();
                if let (true, Some(early)) = (won, early) {
                    self.finish(early);
                }
            }
        }
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

impl<A, M, F> Resumable<A> for Ask<A, M, F>
where
    A: Actor,
    M: Message,
    F: FnOnce(&mut A, Outcome<M>, &mut Context<A>) + Send + 'static,
{
    fn resume(&self, actor: &mut A, ctx: &mut Context<A>) {
        let (then, outcome) = {
            let mut slot = self.slot.lock();
            (slot.then.take(), slot.outcome.take())
        };
        if let (Some(then), Some(outcome)) = (then, outcome) {
            then(actor, outcome, ctx);
        }
    }

    fn discard(&self) {
        let (then, outcome) = {
            let mut slot = self.slot.lock();
            (slot.then.take(), slot.outcome.take())
        };
        // Dropped outside the lock: their `Drop` is program code.
        drop(then);
        drop(outcome);
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
        let ask = Arc::new(Ask::<A, M, F> {
            hook: HookHeader::new::<Ask<A, M, F>>(),
            state: AtomicU8::new(SENDING),
            asker: Arc::downgrade(self.shared()),
            actor,
            timeout,
            slot: SpinLock::new(Slot {
                then: Some(then),
                outcome: None,
                early: None,
            }),
        });
        let sender = if target.__wants_sender() {
            current::sender()
        } else {
            Sender::Nobody
        };
        let reply = ReplyTo::hook(Arc::clone(&ask));
        if let Err(refused) = target.__try_deliver(msg, reply, sender) {
            // Whatever came early (the dropped slot's "stopped") gives way to the refusal.
            ask.state.store(DONE, Ordering::Release);
            let early = ask.slot.lock().early.take();
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
            let early = ask.slot.lock().early.take();
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
        // an ask answered before the timer thread looks never reaches the heap. The clock
        // is read there, after the request went out: a deadline a little later than the
        // ask, never earlier. None for a timeout too long to count (`Duration::MAX`).
        timer::schedule_due(timeout, ask);
    }
}
