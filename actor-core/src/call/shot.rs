//! [`Shot`]: a one-result slot that a blocking waiter and an async poller can both wait on.
//!
//! A reply slot (`ReplyTo`) completes it from the actor's thread; the waiting side either
//! blocks on its condition variable (`Pending::wait`) or registers a `Waker`
//! (`Pending` and `bridge.call_async` as futures). A timeout is a second way to complete
//! it, from the timer thread, so a future completes at its deadline even if no reply ever
//! comes: the shot is its own timer entry ([`Due`]), so a `call_async` allocates it and
//! nothing else for its deadline. Whichever completion comes first wins; later ones are
//! dropped.
//!
//! # The state word
//!
//! No lock on the async path: one atomic byte decides every race, and two cells hold the
//! outcome and the waker, each written only by the party the word gives it to.
//!
//! - `CLAIMED`: a completer won (`fetch_or`; a completer that finds it, or `CLOSED`, drops
//!   its outcome). Only the winner writes the outcome cell, before it sets `DONE`.
//! - `DONE`: the outcome is written. From then on the cell is the receiver's, unless
//!   `CLOSED` came first: then no receiver will look, and the completer drops it itself.
//! - `WAKER`: the receiver's waker is in its cell. The receiver writes the cell only while
//!   the bit is clear; it clears it (`fetch_and`) to replace the waker, and leaves the cell
//!   alone if `DONE` was set by then. A completer that sees the bit with its `DONE` wakes the
//!   waker by reference (it only reads the cell); the waker is dropped with the shot.
//! - `CLOSED`: the receiver gave up. A closer that finds `DONE` drops the outcome itself.
//! - `BLOCKED`: a thread blocks in [`Shot::wait`]: only then does the completer take the
//!   condition variable's mutex and notify (set under that mutex, so no wake-up is lost).
//!
//! A `call_async` costs three atomic read-modify-writes on the shot (the first poll leaves
//! its waker, the reply claims and publishes), where a mutex took three lock round trips.
//!
//! The receiving side (`poll`, `try_take`, `wait`, `close`, `is_done`) belongs to one
//! owner, a `CallFuture` or a `Pending`, which call it through `&mut self` (`is_done`
//! through `&self`, never alongside the others): never two of them at once.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Instant;

use super::NoReply;
use crate::sync::{lock, wait_until};
use crate::timer::Due;

/// What a completed shot holds.
pub(crate) enum Outcome<R> {
    /// The handler's reply, or why there is none.
    Done(Result<R, NoReply>),
    /// The deadline passed first.
    TimedOut,
}

/// A completer won; it writes the outcome.
const CLAIMED: u8 = 1;
/// The outcome is written.
const DONE: u8 = 2;
/// The receiver's waker is in its cell.
const WAKER: u8 = 4;
/// The receiver gave up: a later outcome is dropped.
const CLOSED: u8 = 8;
/// A thread blocks in `wait`.
const BLOCKED: u8 = 16;

/// A one-result slot shared by the completing side and the waiting side.
pub(crate) struct Shot<R> {
    /// `CLAIMED | DONE | WAKER | CLOSED | BLOCKED` (see the module's notes).
    state: AtomicU8,
    /// Written by the winning completer before `DONE`; the receiver's after it.
    outcome: UnsafeCell<Option<Outcome<R>>>,
    /// Written by the receiver while `WAKER` is clear; read by the completer after.
    waker: UnsafeCell<Option<Waker>>,
    /// Only for a thread blocked in `wait`.
    blocking: Mutex<()>,
    ready: Condvar,
}

// Safety: the cells are handed from one party to another by the state word (see the
// module's notes), never accessed by two at once except two reads of the waker; an
// outcome of `R: Send` moves from the completing thread to the receiving one, and a
// `Waker` is `Send + Sync`.
unsafe impl<R: Send> Send for Shot<R> {}
// Safety: as for `Send`.
unsafe impl<R: Send> Sync for Shot<R> {}

impl<R> Shot<R> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Shot {
            state: AtomicU8::new(0),
            outcome: UnsafeCell::new(None),
            waker: UnsafeCell::new(None),
            blocking: Mutex::new(()),
            ready: Condvar::new(),
        })
    }

    /// Empties the shot for another call, if no one else holds it (its last completer has
    /// let it go): whether it did. A shot is reused only then, so nothing from an earlier
    /// call (a late reply, a waker) can reach the next.
    pub(crate) fn reset(this: &mut Arc<Self>) -> bool {
        let Some(shot) = Arc::get_mut(this) else {
            return false;
        };
        *shot.state.get_mut() = 0;
        *shot.outcome.get_mut() = None;
        *shot.waker.get_mut() = None;
        true
    }

    /// Completes the shot, unless it already was or its waiter is gone.
    #[inline]
    pub(crate) fn complete(&self, outcome: Outcome<R>) {
        let before = self.state.fetch_or(CLAIMED, Ordering::AcqRel);
        if before & (CLAIMED | CLOSED) != 0 {
            // Completed first some other way, or no one waits: dropped here.
            return;
        }
        // Safety: `CLAIMED` gives this completer the cell until it sets `DONE`.
        unsafe { *self.outcome.get() = Some(outcome) };
        let before = self.state.fetch_or(DONE, Ordering::AcqRel);
        if before & CLOSED != 0 {
            // Closed while it was being written: no receiver will take it.
            // Safety: a closer that did not see `DONE` leaves the cell to this completer.
            drop(unsafe { (*self.outcome.get()).take() });
            return;
        }
        if before & BLOCKED != 0 {
            // Taking the waiter's mutex, it is waiting (past its check of `DONE`, which it
            // makes under the mutex); the notify comes after the mutex is let go, so the
            // woken waiter does not block on it again at once.
            drop(lock(&self.blocking));
            self.ready.notify_all();
        }
        if before & WAKER != 0 {
            // Safety: the receiver set the waker before `WAKER`, and writes it again only
            // after clearing `WAKER` with `DONE` still clear, which it no longer is.
            if let Some(waker) = unsafe { &*self.waker.get() } {
                waker.wake_by_ref();
            }
        }
    }

    /// The outcome, if it is there and not taken yet. The receiver's, once `DONE` is seen.
    fn take(&self) -> Option<Outcome<R>> {
        // Safety: `DONE` was seen (the callers check), so the cell is the receiver's, and
        // the receiver is the caller (see the module's notes).
        unsafe { (*self.outcome.get()).take() }
    }

    /// Whether an outcome is there to take.
    pub(crate) fn is_done(&self) -> bool {
        let state = self.state.load(Ordering::Acquire);
        // Safety: read only once `DONE` was seen, by the receiver (see `take`).
        state & DONE != 0 && state & CLOSED == 0 && unsafe { (*self.outcome.get()).is_some() }
    }

    /// Takes the outcome if it is there.
    pub(crate) fn try_take(&self) -> Option<Outcome<R>> {
        let state = self.state.load(Ordering::Acquire);
        match state & (DONE | CLOSED) {
            DONE => self.take(),
            _ => None,
        }
    }

    /// Waits until the outcome is there, or `deadline` passes (`None`: no deadline).
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Option<Outcome<R>> {
        let mut blocking = lock(&self.blocking);
        loop {
            // Under the mutex, before waiting: a completion after this sees `BLOCKED`
            // and notifies under the same mutex.
            let state = self.state.fetch_or(BLOCKED, Ordering::AcqRel);
            if state & DONE != 0 {
                drop(blocking);
                return match state & CLOSED {
                    0 => self.take(),
                    _ => None,
                };
            }
            blocking = wait_until(&self.ready, blocking, deadline)?;
        }
    }

    /// A future's poll: the outcome, or `Pending` with `cx`'s waker kept for the
    /// completion.
    #[inline]
    pub(crate) fn poll(&self, cx: &mut TaskContext<'_>) -> Poll<Outcome<R>> {
        let state = self.state.load(Ordering::Acquire);
        if state & DONE != 0 {
            return self.ready_or_taken(state);
        }
        if state & WAKER != 0 {
            // Safety: only a completer that set `DONE` reads it meanwhile; both only read.
            let same = unsafe { &*self.waker.get() }
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()));
            if same {
                return Poll::Pending;
            }
            // Take the cell back, unless the outcome came meanwhile (then its completer
            // may be reading the waker: leave it).
            let state = self.state.fetch_and(!WAKER, Ordering::AcqRel);
            if state & DONE != 0 {
                return self.ready_or_taken(state);
            }
        }
        // Safety: `WAKER` is clear, so no completer reads the cell (see the notes).
        unsafe { *self.waker.get() = Some(cx.waker().clone()) };
        let state = self.state.fetch_or(WAKER, Ordering::AcqRel);
        if state & DONE != 0 {
            // Completed before the waker was there: its completer did not wake it.
            return self.ready_or_taken(state);
        }
        Poll::Pending
    }

    /// `DONE` was seen in `state`: the outcome, unless it was taken (or closed) already.
    fn ready_or_taken(&self, state: u8) -> Poll<Outcome<R>> {
        match state & CLOSED {
            0 => self.take().map_or(Poll::Pending, Poll::Ready),
            _ => Poll::Pending,
        }
    }

    /// The waiting side is gone: drop whatever comes later.
    pub(crate) fn close(&self) {
        let state = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if state & DONE != 0 && state & CLOSED == 0 {
            // The outcome, if not taken, is dropped here.
            drop(self.take());
        }
    }
}

/// A shot as the timer entry of its own deadline (`call_async`): at the deadline it
/// completes with "timed out", unless the reply (or the waiter's going) came first.
impl<R: Send> Due for Shot<R> {
    fn is_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) & (CLAIMED | CLOSED) == 0
    }

    fn fire_due(self: Arc<Self>, _deadline: Instant) -> Option<Instant> {
        self.complete(Outcome::TimedOut);
        None
    }

    /// Only test services shut down; a call's deadline is on the process's own.
    fn abandon(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;
    use std::thread;

    /// Counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn done(n: u32) -> Outcome<u32> {
        Outcome::Done(Ok(n))
    }

    fn value(outcome: Outcome<u32>) -> Option<u32> {
        match outcome {
            Outcome::Done(Ok(n)) => Some(n),
            _ => None,
        }
    }

    #[test]
    fn the_first_completion_wins_and_wakes_the_waker_left_by_the_poll() {
        let shot = Shot::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = TaskContext::from_waker(&waker);
        assert!(shot.poll(&mut cx).is_pending());
        assert!(shot.is_pending());
        shot.complete(done(1));
        assert!(!shot.is_pending());
        shot.complete(Outcome::TimedOut);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(shot.is_done());
        match shot.poll(&mut cx) {
            Poll::Ready(outcome) => assert_eq!(value(outcome), Some(1)),
            Poll::Pending => panic!("completed"),
        }
        assert!(!shot.is_done());
        assert!(shot.try_take().is_none());
    }

    #[test]
    fn a_new_waker_replaces_the_old_one() {
        let shot = Shot::<u32>::new();
        let (first, second) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let wakers = [
            Waker::from(Arc::clone(&first)),
            Waker::from(Arc::clone(&second)),
        ];
        for waker in &wakers {
            assert!(shot.poll(&mut TaskContext::from_waker(waker)).is_pending());
        }
        shot.complete(done(2));
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_closed_shot_drops_a_late_outcome_and_is_no_longer_pending() {
        let shot = Shot::new();
        shot.close();
        assert!(!shot.is_pending());
        shot.complete(done(3));
        assert!(!shot.is_done());
        assert!(shot.try_take().is_none());
    }

    /// Completions racing each other, a poller and a blocked waiter: exactly one outcome
    /// is taken per shot, and a poll that returned `Pending` is always woken after.
    #[test]
    fn racing_completers_and_receivers_take_exactly_one_outcome() {
        for round in 0..500u32 {
            let shot = Shot::new();
            let completers: Vec<_> = (0..2)
                .map(|i| {
                    let shot = Arc::clone(&shot);
                    thread::spawn(move || shot.complete(done(i)))
                })
                .collect();
            let taken = if round % 2 == 0 {
                let count = Arc::new(Count(AtomicUsize::new(0)));
                let waker = Waker::from(Arc::clone(&count));
                let mut cx = TaskContext::from_waker(&waker);
                loop {
                    let woken = count.0.load(Ordering::SeqCst);
                    if let Poll::Ready(outcome) = shot.poll(&mut cx) {
                        break value(outcome);
                    }
                    // Pending: a wake-up must follow (bounded wait for it).
                    let deadline = Instant::now() + std::time::Duration::from_secs(10);
                    while count.0.load(Ordering::SeqCst) == woken {
                        assert!(Instant::now() < deadline, "a pending poll was never woken");
                        thread::yield_now();
                    }
                }
            } else {
                shot.wait(Some(Instant::now() + std::time::Duration::from_secs(10)))
                    .and_then(value)
            };
            assert!(matches!(taken, Some(0 | 1)));
            for completer in completers {
                completer.join().unwrap();
            }
            assert!(shot.try_take().is_none());
            assert!(!shot.is_pending());
        }
    }
}
