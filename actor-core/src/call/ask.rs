//! [`Context::ask`]: a request from inside an actor, answered later on the asking actor.
//!
//! The request carries a reply slot whose destination is a hook, not a waiting thread.
//! Whatever ends the request first (the reply, the request's failure, or its deadline on
//! the timer thread) takes the continuation out of the shared [`Asking`] state and posts it
//! to the asking actor as mail (`Mail::Exec`), so it runs exactly once, between two of the
//! asker's messages, on the asker's own thread. Nothing blocks: the asker goes on handling
//! its other mail meanwhile.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::bridge::failure;
use super::{CallTarget, NoReply, ReplyTo};
use crate::actor::{Actor, ExecFn, Mail};
use crate::context::Context;
use crate::error::CallError;
use crate::handle::{Sender, Shared};
use crate::hosting::current;
use crate::mailbox::Wait;
use crate::message::Message;
use crate::sync::lock;
use crate::timer::{self, Timer};

type Then<A, M> =
    Box<dyn FnOnce(&mut A, Result<<M as Message>::Reply, CallError<M>>, &mut Context<A>) + Send>;

/// One request in flight: its continuation until something ends it.
struct Asking<A: Actor, M: Message> {
    state: Mutex<State<A, M>>,
    asker: Weak<Shared<A>>,
}

struct State<A: Actor, M: Message> {
    then: Option<Then<A, M>>,
    /// False until the request is in the target's mailbox: an outcome that comes before
    /// (the reply slot dropped with a refused request) waits in `early`, so that the
    /// refusal, which gives the request back, is what the continuation sees.
    armed: bool,
    early: Option<Result<M::Reply, CallError<M>>>,
    timer: Option<Timer>,
}

impl<A: Actor, M: Message> Asking<A, M> {
    /// The reply slot's hook: ends the request with the handler's outcome.
    fn reply(&self, outcome: Result<M::Reply, CallError<M>>) {
        let mut state = lock(&self.state);
        if state.armed {
            let then = state.then.take();
            let timer = state.timer.take();
            drop(state);
            self.run(then, timer, outcome);
        } else {
            state.early = Some(outcome);
        }
    }

    /// Ends the request with `outcome`, unless something ended it first.
    fn end(&self, outcome: Result<M::Reply, CallError<M>>) {
        let mut state = lock(&self.state);
        let then = state.then.take();
        let timer = state.timer.take();
        drop(state);
        self.run(then, timer, outcome);
    }

    /// Posts the continuation, if this is the first end, to the asker.
    fn run(
        &self,
        then: Option<Then<A, M>>,
        timer: Option<Timer>,
        outcome: Result<M::Reply, CallError<M>>,
    ) {
        if let Some(timer) = timer {
            timer.cancel();
        }
        let Some(then) = then else {
            return;
        };
        let Some(asker) = self.asker.upgrade() else {
            // The asker has ended: no one is left to continue.
            return;
        };
        let job: ExecFn<A> = Box::new(move |actor, ctx| then(actor, outcome, ctx));
        // Past a driver mailbox's bound: the actor asked for this itself. Refused only if
        // the asker has stopped, and then the continuation is dropped with its mail.
        let _ = asker.post(Mail::Exec(job), Sender::Nobody, Wait::Force);
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
        let asking = Arc::new(Asking::<A, M> {
            state: Mutex::new(State {
                then: Some(Box::new(then)),
                armed: false,
                early: None,
                timer: None,
            }),
            asker: Arc::downgrade(self.shared()),
        });
        let hook = {
            let asking = asking.clone();
            move |outcome: Result<M::Reply, NoReply>| {
                asking.reply(outcome.map_err(|why| failure(actor, why)));
            }
        };
        let sender = if target.__wants_sender() {
            current::sender()
        } else {
            Sender::Nobody
        };
        if let Err(refused) = target.__try_deliver(msg, ReplyTo::hook(hook), sender) {
            asking.end(Err(CallError::Send(refused)));
            return;
        }
        {
            let mut state = lock(&asking.state);
            state.armed = true;
            if let Some(early) = state.early.take() {
                drop(state);
                asking.end(early);
                return;
            }
            if state.then.is_none() {
                return;
            }
        }
        // No deadline at all for a timeout too long to add (`Duration::MAX`). Scheduled
        // outside the state's lock, which the timer's own firing takes.
        if let Some(deadline) = Instant::now().checked_add(timeout) {
            let weak = Arc::downgrade(&asking);
            let timer = timer::after(deadline, move || {
                if let Some(asking) = weak.upgrade() {
                    asking.end(Err(CallError::Timeout { actor, timeout }));
                }
            });
            let mut state = lock(&asking.state);
            if state.then.is_some() {
                state.timer = Some(timer);
            } else {
                // Ended meanwhile: the timer has nothing left to end.
                drop(state);
                timer.cancel();
            }
        }
    }
}
