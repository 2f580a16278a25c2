//! [`Bridge::call_async`]: a call as a plain `std::task` future, which any executor polls
//! (tokio, smol, `futures::executor::block_on`) and which never blocks the polling thread.
//!
//! The request carries a reply slot whose destination is a one-result [`Shot`]; the
//! handler's reply completes it and wakes the task. The deadline is the same shot put on
//! the shared timer's entry (no timer handle, no closure: one allocation for the shot and
//! its deadline), which completes it with "timed out", so the future completes at its
//! timeout even if no reply ever comes. The entry goes first to the calling thread's young
//! list (no heap lock; see `timer`), and to the heap only if it is still pending when the
//! timer thread looks. Dropping the future closes the shot (a late reply is dropped where
//! it is made), which makes its entry dead: dropped from the young list, or skipped in the
//! heap at its deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use super::bridge::failure;
use super::shot::{self, Shot};
use super::{Bridge, CallTarget, ReplyTo};
use crate::error::CallError;
use crate::id::ActorInfo;
use crate::message::Message;
use crate::timer::{self, Due};

/// The future of a [`Bridge::call_async`]: the typed reply, or why there is none.
///
/// `Send + 'static`; it needs no async runtime of ours, and completes at its timeout
/// even if no reply ever comes.
#[must_use = "a call_async does nothing useful unless awaited: the reply is dropped"]
pub struct CallFuture<M: Message> {
    state: State<M>,
}

enum State<M: Message> {
    /// The request never went out (or the outcome was taken): given back here once.
    Failed(Option<CallError<M>>),
    Waiting {
        shot: Arc<Shot<M::Reply>>,
        actor: ActorInfo,
        timeout: Duration,
    },
    Done,
}

// No field is pinned: the future may move between polls.
impl<M: Message> Unpin for CallFuture<M> {}

impl<M: Message> Future for CallFuture<M> {
    type Output = Result<M::Reply, CallError<M>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let outcome = match &mut this.state {
            State::Failed(error) => match error.take() {
                Some(error) => Err(error),
                None => panic!("a CallFuture polled after it completed"),
            },
            State::Waiting {
                shot,
                actor,
                timeout,
            } => match shot.poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(shot::Outcome::Done(result)) => {
                    let actor = *actor;
                    result.map_err(|why| failure(actor, why))
                }
                Poll::Ready(shot::Outcome::TimedOut) => Err(CallError::Timeout {
                    actor: *actor,
                    timeout: *timeout,
                }),
            },
            State::Done => panic!("a CallFuture polled after it completed"),
        };
        this.state = State::Done;
        Poll::Ready(outcome)
    }
}

impl<M: Message> Drop for CallFuture<M> {
    fn drop(&mut self) {
        if let State::Waiting { shot, .. } = &mut self.state {
            // Completed or not, the shot's deadline entry is now dead: dropped from its
            // thread's young list, or skipped in the heap.
            shot.close();
        }
    }
}

impl<M: Message> fmt::Debug for CallFuture<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Failed(_) => "failed",
            State::Waiting { .. } => "waiting",
            State::Done => "done",
        };
        f.debug_struct("CallFuture").field("state", &state).finish()
    }
}

impl Bridge {
    /// [`call`](Bridge::call) as a future: the typed reply, or a timeout, or the error
    /// (stopped, panicked, or refused with the request given back), with the same outcomes
    /// as `call`. Polling never blocks the thread: a full bounded mailbox refuses the
    /// request at once ([`SendError::Full`](crate::SendError::Full)) instead of waiting
    /// for room.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u64)]
    /// struct Square(u64);
    ///
    /// struct Math;
    /// #[actor]
    /// impl Math {
    ///     #[handles(Square)]
    ///     fn square(&mut self, Square(n): Square) -> u64 { n * n }
    /// }
    ///
    /// let math = Math.spawn();
    /// let bridge = Bridge::new();
    /// let call = bridge.call_async(&math, Square(9), Duration::from_secs(5));
    /// // Any executor: here, a minimal one that parks the thread between polls.
    /// assert_eq!(futures_lite_block_on(call).unwrap(), 81);
    /// # fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     use std::sync::Arc;
    /// #     use std::task::{Context, Poll, Wake, Waker};
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl Wake for Unpark { fn wake(self: Arc<Self>) { self.0.unpark() } }
    /// #     let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    /// #     let mut cx = Context::from_waker(&waker);
    /// #     let mut future = std::pin::pin!(future);
    /// #     loop {
    /// #         if let Poll::Ready(out) = future.as_mut().poll(&mut cx) { return out; }
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// ```
    pub fn call_async<T, M>(&self, target: &T, msg: M, timeout: Duration) -> CallFuture<M>
    where
        T: CallTarget<M> + ?Sized,
        M: Message,
    {
        let actor = target.__info();
        let shot = Shot::new();
        let sender = self.sender_for(target);
        if let Err(refused) = target.__try_deliver(msg, ReplyTo::shot(shot.clone()), sender) {
            return CallFuture {
                state: State::Failed(Some(CallError::Send(refused))),
            };
        }
        // None for a timeout too long to count (`Duration::MAX`).
        timer::schedule_due(timeout, Arc::clone(&shot) as Arc<dyn Due>);
        CallFuture {
            state: State::Waiting {
                shot,
                actor,
                timeout,
            },
        }
    }
}
