//! The seed's CallQueue: run closures in another thread's context and collect their
//! results. [`Addr::exec`](crate::Addr::exec) does it for an actor; [`CallQueue`] for plain
//! threads that call [`CallQueue::receive`] now and then, or for a pool of consumers.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

use super::{NoReply, Outcome, ReplyTo};
use crate::actor::{Actor, ExecFn, ExecJob, Mail};
use crate::context::Context;
use crate::handle::Addr;
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
        NoReply::Stopped => ExecError::Stopped,
        NoReply::Panicked(panic) => ExecError::Panicked(panic),
    })
}

/// The result of a closure running elsewhere, to poll or wait for.
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
#[derive(Debug)]
pub struct Pending<R> {
    rx: Receiver<Outcome<R>>,
    ready: Option<Result<R, ExecError>>,
    /// The actor that runs the closure, for the wait-for record (`hosting::waits`).
    target: Option<Party>,
}

impl<R> Pending<R> {
    pub(crate) fn new() -> (ReplyTo<R>, Pending<R>) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        (
            ReplyTo::to(0, tx),
            Pending {
                rx,
                ready: None,
                target: None,
            },
        )
    }

    /// Records the wait for the closure's actor, or says why it would never end.
    fn record(&self) -> Result<Waiting, ExecError> {
        match self.target {
            Some(target) => waits::wait_for(target).map_err(ExecError::WouldDeadlock),
            None => Ok(Waiting::none()),
        }
    }

    /// Whether the result (or the failure) is there to take.
    pub fn is_done(&self) -> bool {
        self.ready.is_some() || !self.rx.is_empty()
    }

    /// The result if it is there, without waiting; `None` if it is not (yet), or was
    /// already taken.
    pub fn try_take(&mut self) -> Option<Result<R, ExecError>> {
        self.ready.take().or_else(|| match self.rx.try_recv() {
            Ok((_, result)) => Some(outcome(result)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => None,
        })
    }

    /// Waits up to `timeout`. A timeout leaves the pending result usable: wait again or
    /// poll later.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<R, ExecError> {
        if let Some(ready) = self.ready.take() {
            return ready;
        }
        if let Some(ready) = self.try_take() {
            return ready;
        }
        let _waiting = self.record()?;
        crate::hosting::before_blocking();
        match self.rx.recv_timeout(timeout) {
            Ok((_, result)) => outcome(result),
            Err(RecvTimeoutError::Timeout) => Err(ExecError::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(ExecError::Stopped),
        }
    }

    /// Waits for the result however long it takes.
    pub fn wait(mut self) -> Result<R, ExecError> {
        if let Some(ready) = self.ready.take() {
            return ready;
        }
        if let Some(ready) = self.try_take() {
            return ready;
        }
        let _waiting = self.record()?;
        crate::hosting::before_blocking();
        match self.rx.recv() {
            Ok((_, result)) => outcome(result),
            Err(_) => Err(ExecError::Stopped),
        }
    }
}

impl<A: Actor> Addr<A> {
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
        let (reply, mut pending) = Pending::new();
        pending.target = Some(Party {
            info: self.info(),
            host: self.shared().host.driver(),
        });
        self.exec_to(reply, f, raise);
        pending
    }

    pub(crate) fn post_job(&self, job: Mail<A>) {
        if let Err((_, why)) = self.shared().post(job, current::sender(), Wait::Block) {
            // Dropping the job dropped its reply slot: the waiter learns it was not run.
            let _ = self.shared().refused(ExecJob, why);
        }
    }

    pub(crate) fn exec_to<R, F>(&self, reply: ReplyTo<R>, f: F, raise: bool)
    where
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
        R: Send + 'static,
    {
        let job: ExecFn<A> = Box::new(move |actor, ctx| {
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
