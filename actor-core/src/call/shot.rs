//! [`Shot`]: a one-result slot that a blocking waiter and an async poller can both wait on.
//!
//! A reply slot (`ReplyTo`) completes it from the actor's thread; the waiting side either
//! blocks on its condition variable (`Pending::wait`) or registers a `Waker`
//! (`Pending` and `bridge.call_async` as futures). A timeout is a second way to complete
//! it, from the timer thread, so a future completes at its deadline even if no reply ever
//! comes: the shot is its own timer entry ([`Due`]), so a `call_async` allocates it and
//! nothing else for its deadline. Whichever completion comes first wins; later ones are
//! dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Instant;

use super::NoReply;
use crate::sync::lock;
use crate::timer::Due;

/// What a completed shot holds.
pub(crate) enum Outcome<R> {
    /// The handler's reply, or why there is none.
    Done(Result<R, NoReply>),
    /// The deadline passed first.
    TimedOut,
}

struct State<R> {
    outcome: Option<Outcome<R>>,
    /// Set once the outcome was taken, or the waiting side gave up: later completions
    /// are dropped (a late reply never reaches anyone).
    closed: bool,
    waker: Option<Waker>,
    /// Set once a thread blocks in [`Shot::wait`]: only then is the condition variable
    /// notified (a notify is a system call even with no one waiting, on every reply).
    blocked: bool,
}

/// A one-result slot shared by the completing side and the waiting side.
pub(crate) struct Shot<R> {
    state: Mutex<State<R>>,
    ready: Condvar,
    /// Set once completed or closed: what the timer heap reads (without the state's lock)
    /// to skip the entry of a shot that no longer waits for its deadline.
    ended: AtomicBool,
}

impl<R> Shot<R> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Shot {
            state: Mutex::new(State {
                outcome: None,
                closed: false,
                waker: None,
                blocked: false,
            }),
            ready: Condvar::new(),
            ended: AtomicBool::new(false),
        })
    }

    /// Completes the shot, unless it already was or its waiter is gone.
    pub(crate) fn complete(&self, outcome: Outcome<R>) {
        let mut state = lock(&self.state);
        if state.closed || state.outcome.is_some() {
            return;
        }
        state.outcome = Some(outcome);
        self.ended.store(true, Ordering::Release);
        let waker = state.waker.take();
        let blocked = state.blocked;
        drop(state);
        if blocked {
            self.ready.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether an outcome is there to take.
    pub(crate) fn is_done(&self) -> bool {
        lock(&self.state).outcome.is_some()
    }

    /// Takes the outcome if it is there.
    pub(crate) fn try_take(&self) -> Option<Outcome<R>> {
        let mut state = lock(&self.state);
        let outcome = state.outcome.take();
        if outcome.is_some() {
            state.closed = true;
        }
        outcome
    }

    /// Waits until the outcome is there, or `deadline` passes (`None`: no deadline).
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Option<Outcome<R>> {
        let mut state = lock(&self.state);
        loop {
            if let Some(outcome) = state.outcome.take() {
                state.closed = true;
                return Some(outcome);
            }
            // Under the lock, before waiting: a completion after this sees it.
            state.blocked = true;
            state = match deadline {
                None => self
                    .ready
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    self.ready
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
            };
        }
    }

    /// A future's poll: the outcome, or `Pending` with `cx`'s waker kept for the
    /// completion.
    pub(crate) fn poll(&self, cx: &mut TaskContext<'_>) -> Poll<Outcome<R>> {
        let mut state = lock(&self.state);
        match state.outcome.take() {
            Some(outcome) => {
                state.closed = true;
                Poll::Ready(outcome)
            }
            None => {
                match &mut state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// The waiting side is gone: drop whatever comes later.
    pub(crate) fn close(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        self.ended.store(true, Ordering::Release);
        state.waker = None;
        // The outcome, if any, is dropped here, outside no other lock.
        let outcome = state.outcome.take();
        drop(state);
        drop(outcome);
    }
}

/// A shot as the timer entry of its own deadline (`call_async`): at the deadline it
/// completes with "timed out", unless the reply (or the waiter's going) came first.
impl<R: Send> Due for Shot<R> {
    fn is_pending(&self) -> bool {
        !self.ended.load(Ordering::Acquire)
    }

    fn fire_due(self: Arc<Self>, _deadline: Instant) -> Option<Instant> {
        self.complete(Outcome::TimedOut);
        None
    }

    /// Only test services shut down; a call's deadline is on the process's own.
    fn abandon(&self) {}
}
