//! The seed's CallQueue: run closures in another thread's context and collect their
//! results. [`Addr::exec`](crate::Addr::exec) does it for an actor; [`CallQueue`] for plain
//! threads that call [`CallQueue::receive`] now and then, or for a pool of consumers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use super::shot::{self, Shot};
use super::{Job, NoReply, ReplyTo};
use crate::actor::{Actor, ExecJob, Mail};
use crate::context::Context;
use crate::handle::{Addr, Sender};
use crate::hosting::current;
use crate::hosting::waits::{self, Party, Waiting};
use crate::mailbox::Wait;

/// Why a closure gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The closure panicked; its message is carried here.
    #[error("the call panicked: {0}")]
    Panicked(String),
    /// The target stopped (or the queue closed) before running the closure.
    #[error("the call was dropped unrun: its target stopped")]
    Stopped,
    /// No result within the timeout; the closure may still run later.
    #[error("no result within {0:?}")]
    Timeout(Duration),
    /// Waiting could never end, so it was refused at once: the closure's actor can only
    /// run it once this thread goes on (it is this thread's own actor, or a chain of
    /// blocked waits comes back here), named inside. The result stays pending.
    #[error("waiting for the result would never end: {0}")]
    WouldDeadlock(String),
}

pub(super) fn outcome<R>(outcome: Result<R, NoReply>) -> Result<R, ExecError> {
    outcome.map_err(|why| match why {
        NoReply::Stopped | NoReply::Dropped => ExecError::Stopped,
        NoReply::Panicked(panic) => ExecError::Panicked(panic),
    })
}

/// The result of a closure running elsewhere, to poll, wait for, or `.await`.
///
/// ```
/// use actor_core::CallQueue;
/// use std::time::Duration;
///
/// let queue = CallQueue::new();
/// let mut pending = queue.call(|| 6 * 7);
/// assert!(!pending.is_done());
/// assert_eq!(queue.receive(), 1); // this thread runs the queued call
/// assert!(pending.is_done());
/// assert_eq!(pending.wait_timeout(Duration::from_secs(5)), Ok(42));
/// ```
///
/// It is also a [`Future`]: any executor can poll it, and polling never blocks the
/// thread (the result wakes the task that awaits it).
pub struct Pending<R> {
    shot: Arc<Shot<R>>,
    /// The actor that runs the closure, for the wait-for record (`hosting::waits`).
    target: Option<Party>,
}

impl<R> Pending<R> {
    pub(crate) fn new() -> (ReplyTo<R>, Pending<R>) {
        let shot = Shot::new();
        (ReplyTo::shot(shot.clone()), Pending { shot, target: None })
    }

    /// Records the wait for the closure's actor, or says why it would never end.
    fn record(&self) -> Result<Waiting, ExecError> {
        match self.target {
            // A simulated actor runs only when its simulation is stepped, never while a
            // thread blocks (as `Bridge::call` refuses it too).
            Some(target) if matches!(target.host, Some((_, 0))) => {
                Err(ExecError::WouldDeadlock(format!(
                    "{target} is simulated: it runs only when its simulation is stepped \
                     (take the result with `sim.run_until_idle()` then `try_take`)"
                )))
            }
            Some(target) => {
                waits::wait_for(target, waits::Kind::Exec).map_err(ExecError::WouldDeadlock)
            }
            None => Ok(Waiting::none()),
        }
    }

    /// Whether the result (or the failure) is there to take.
    pub fn is_done(&self) -> bool {
        self.shot.is_done()
    }

    /// The result if it is there, without waiting; `None` if it is not (yet), or was
    /// already taken.
    ///
    /// ```
    /// use actor_core::CallQueue;
    ///
    /// let queue = CallQueue::new();
    /// let mut pending = queue.call(|| "done");
    /// assert_eq!(pending.try_take(), None); // not run yet
    /// queue.receive();
    /// assert_eq!(pending.try_take(), Some(Ok("done")));
    /// assert_eq!(pending.try_take(), None); // already taken
    /// ```
    pub fn try_take(&mut self) -> Option<Result<R, ExecError>> {
        self.shot.try_take().map(finished)
    }

    /// Waits up to `timeout`. A timeout leaves the pending result usable: wait again or
    /// poll later.
    ///
    /// ```
    /// use actor_core::{CallQueue, ExecError};
    /// use std::time::Duration;
    ///
    /// let queue = CallQueue::new();
    /// let mut pending = queue.call(|| 6 * 7);
    /// let short = Duration::from_millis(1);
    /// assert_eq!(pending.wait_timeout(short), Err(ExecError::Timeout(short))); // nobody ran it
    /// queue.receive();
    /// assert_eq!(pending.wait_timeout(Duration::from_secs(5)), Ok(42)); // still usable
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<R, ExecError> {
        if let Some(ready) = self.shot.try_take() {
            return finished(ready);
        }
        let _waiting = self.record()?;
        crate::hosting::before_blocking();
        match self.shot.wait(Instant::now().checked_add(timeout)) {
            Some(ready) => finished(ready),
            None => Err(ExecError::Timeout(timeout)),
        }
    }

    /// Waits for the result however long it takes.
    ///
    /// ```
    /// use actor_core::{CallQueue, ExecError};
    ///
    /// let queue = CallQueue::with_consumers(1);
    /// assert_eq!(queue.call(|| 2 + 2).wait(), Ok(4));
    ///
    /// // A panic in the call is carried to the waiter.
    /// let failed = queue.call(|| -> u32 { panic!("no answer") }).wait();
    /// assert_eq!(failed, Err(ExecError::Panicked("no answer".into())));
    /// ```
    pub fn wait(self) -> Result<R, ExecError> {
        if let Some(ready) = self.shot.try_take() {
            return finished(ready);
        }
        let _waiting = self.record()?;
        crate::hosting::before_blocking();
        match self.shot.wait(None) {
            Some(ready) => finished(ready),
            None => Err(ExecError::Stopped),
        }
    }
}

fn finished<R>(outcome: shot::Outcome<R>) -> Result<R, ExecError> {
    match outcome {
        shot::Outcome::Done(result) => self::outcome(result),
        // A `Pending` has no deadline of its own; its waits time out without it.
        shot::Outcome::TimedOut => Err(ExecError::Stopped),
    }
}

impl<R> Future for Pending<R> {
    type Output = Result<R, ExecError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.shot.poll(cx).map(finished)
    }
}

impl<R> Drop for Pending<R> {
    fn drop(&mut self) {
        // A result that comes later is dropped where it is made.
        self.shot.close();
    }
}

impl<R> fmt::Debug for Pending<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("done", &self.is_done())
            .finish()
    }
}

impl<A: Actor> Addr<A> {
    /// Runs `f` on the actor's own thread, between two messages, with the actor and its
    /// context: the seed CallQueue's call. The result comes back through the returned
    /// [`Pending`]; a panic in `f` is carried there too and does not affect the actor.
    /// Use [`exec_raising`](Addr::exec_raising) to also let the actor's panic policy see it.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Counter(u64);
    /// #[actor]
    /// impl Counter {}
    ///
    /// let counter = Counter::default().spawn();
    /// // The closure gets the actor itself: no message type needed.
    /// let pending = counter.exec(|counter, _ctx| {
    ///     counter.0 += 10;
    ///     counter.0
    /// });
    /// assert_eq!(pending.wait(), Ok(10));
    ///
    /// // A panic comes back to the caller; the actor goes on.
    /// assert!(counter.exec(|_, _| panic!("oops")).wait().is_err());
    /// assert_eq!(counter.exec(|counter, _| counter.0).wait(), Ok(10));
    /// ```
    pub fn exec<R, F>(&self, f: F) -> Pending<R>
    where
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec_with(f, false)
    }

    /// Like [`exec`](Addr::exec), but a panic in `f` is also raised in the actor, whose
    /// panic policy then applies (the seed's `raise_exception = 3`).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{ExecError, OnPanic, Spawn, StopReason, Terminated};
    /// use std::time::Duration;
    ///
    /// struct Strict;
    /// #[actor]
    /// impl Strict {}
    ///
    /// let strict = Spawn::new(Strict).on_panic(OnPanic::Stop).spawn();
    /// let bridge = Bridge::new();
    /// bridge.watch(&strict.any());
    ///
    /// let failed = strict.exec_raising(|_, _| panic!("bad state")).wait();
    /// assert_eq!(failed, Err(ExecError::Panicked("bad state".into())));
    /// // The actor's policy saw the panic too: it stopped.
    /// let notice = bridge.receive(Duration::from_secs(5)).unwrap();
    /// let Terminated { reason, .. } = notice.downcast().unwrap();
    /// assert_eq!(reason, StopReason::Panicked("bad state".into()));
    /// ```
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
        let (reply, mut pending) = Pending::new();
        pending.target = Some(Party {
            info: self.info(),
            host: self.shared().host.driver(),
        });
        self.exec_to(reply, f, raise);
        pending
    }

    /// Posts a job whose closure sets its own sender (`exec_to`): posted unstamped.
    pub(crate) fn post_job(&self, job: Mail<A>) {
        if let Err((_, why)) = self.shared().post(job, Sender::Nobody, Wait::Block) {
            // Dropping the job dropped its reply slot: the waiter learns it was not run.
            let _ = self.shared().refused(ExecJob, why);
        }
    }

    pub(crate) fn exec_to<R, F>(&self, reply: ReplyTo<R>, f: F, raise: bool)
    where
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
        R: Send + 'static,
    {
        // The sender travels in the closure (no second box): it is set before `f` runs,
        // and the host takes it out after.
        let sender = current::sender();
        let job = Job::exec(move |actor, ctx: &mut Context<A>| {
            ctx.sender = sender;
            if raise {
                reply.complete(|| f(actor, ctx));
            } else {
                reply.complete_quietly(|| f(actor, ctx));
            }
        });
        // Refused, the job and its reply slot are dropped: the caller learns "stopped".
        self.post_job(Mail::Exec(job));
    }
}
