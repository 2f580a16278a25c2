//! [`Gauge`]: a count that the hot path moves with one atomic operation, and that a few
//! threads may wait on to fall (a draining DeMux for its requests in progress, a
//! connection's reader for room among its unwritten replies).
//!
//! It replaces a `Mutex<usize>` and a `Condvar` told on every change. On Linux, std's
//! condition variable makes a system call on every notify, waiter or not, and the
//! connection's reader and the actor answering on it took both such mutexes in turn for
//! each request, so they also met in them and woke each other. Now a change notifies only
//! while someone waits, and nobody takes a lock to move the count: one caller's round
//! trip to an actor behind a DeMux went from 6.6 futex calls to 0.26 (BENCHMARKS.md,
//! Session 13).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::sync::{lock, wait_until};

/// A count that threads may wait on (see the module's notes).
#[derive(Default)]
pub(crate) struct Gauge {
    value: AtomicUsize,
    /// Threads in [`wait_while`](Gauge::wait_while), counted under `sleep`.
    waiting: AtomicUsize,
    sleep: Mutex<()>,
    moved: Condvar,
}

impl Gauge {
    /// The count now.
    #[inline]
    pub(crate) fn get(&self) -> usize {
        self.value.load(Ordering::SeqCst)
    }

    /// Adds `n`.
    #[inline]
    pub(crate) fn add(&self, n: usize) {
        self.value.fetch_add(n, Ordering::SeqCst);
    }

    /// Takes away `n` that [`add`](Gauge::add) put there, and wakes whoever waits.
    ///
    /// One `fetch_sub`, not a compare-and-swap loop: every caller takes away only what
    /// it added, so the count cannot fall below zero (checked in debug builds).
    #[inline]
    pub(crate) fn sub(&self, n: usize) {
        let before = self.value.fetch_sub(n, Ordering::SeqCst);
        debug_assert!(before >= n, "a gauge taken below zero: {before} - {n}");
        // After the change, in the one total order of `SeqCst`: a waiter that counted
        // itself before this load is woken; one that counts itself after it reads the
        // new value before it sleeps.
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.wake();
        }
    }

    /// Wakes every waiter to look again (for a change `wait_while`'s condition reads
    /// beside the count, such as a connection closing).
    pub(crate) fn wake(&self) {
        // Taken so that no waiter is between its look and its sleep.
        drop(lock(&self.sleep));
        self.moved.notify_all();
    }

    /// Waits while `holds(count)` is true, until `deadline` if there is one; whether it
    /// stopped holding (`false`: the deadline passed first).
    pub(crate) fn wait_while(
        &self,
        deadline: Option<Instant>,
        mut holds: impl FnMut(usize) -> bool,
    ) -> bool {
        let mut asleep = lock(&self.sleep);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let stopped = loop {
            if !holds(self.get()) {
                break true;
            }
            match wait_until(&self.moved, asleep, deadline) {
                Some(guard) => asleep = guard,
                None => {
                    asleep = lock(&self.sleep);
                    break !holds(self.get());
                }
            }
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        drop(asleep);
        stopped
    }
}

#[cfg(test)]
mod tests {
    use super::Gauge;
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    #[test]
    fn a_waiter_sees_the_count_fall_whenever_it_falls() {
        // Many rounds of a waiter racing the change that releases it: none is missed
        // (a miss hangs until the 30 s deadline and fails).
        for _ in 0..2_000 {
            let gauge = Arc::new(Gauge::default());
            gauge.add(1);
            let waiter = {
                let gauge = gauge.clone();
                thread::spawn(move || {
                    gauge.wait_while(Some(Instant::now() + Duration::from_secs(30)), |n| n > 0)
                })
            };
            gauge.sub(1);
            assert!(waiter.join().unwrap(), "the waiter missed the fall to zero");
        }
    }

    #[test]
    fn a_wait_ends_at_its_deadline_if_the_count_stays_up() {
        let gauge = Gauge::default();
        gauge.add(2);
        assert!(!gauge.wait_while(Some(Instant::now()), |n| n > 0));
        assert!(gauge.wait_while(None, |n| n > 5), "already false: no wait");
        gauge.sub(2);
        assert_eq!(gauge.get(), 0);
    }
}
