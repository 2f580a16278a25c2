//! The timer thread and its heap: one [`Service`] for the process (more only in tests).
//!
//! Locking: the heap's mutex is never held while a timer's closure runs or is dropped, and
//! never together with a timer's own closure mutex, so no lock order exists to get wrong.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io;
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Fire, Timer, TimerState};

/// Below this many entries the heap is never compacted: a scan would cost more than the
/// cancelled entries do.
pub(super) const COMPACT_MIN: usize = 64;

/// At most this many due timers are taken off the heap per lock, so a flood of due timers
/// does not need a second heap's worth of memory.
const BATCH: usize = 1024;

/// A running timer thread. Dropping it stops the thread (only test instances are dropped;
/// the process's own lives in a static).
pub(super) struct Service {
    inner: Arc<Inner>,
}

/// What the timer thread, the schedulers and the cancellers share.
pub(super) struct Inner {
    queue: Mutex<Queue>,
    /// Signalled when an entry becomes the earliest, and on shutdown.
    wake: Condvar,
}

struct Queue {
    heap: BinaryHeap<Entry>,
    /// Ties between equal deadlines go to the timer scheduled first.
    next_seq: u64,
    /// About how many heap entries are cancelled (an estimate: a cancel racing with its
    /// entry leaving the heap may count it once too often, which only compacts earlier).
    cancelled: usize,
    shutdown: bool,
}

/// One heap entry: 32 bytes on 64-bit Linux (`Instant` is 16).
pub(super) struct Entry {
    deadline: Instant,
    seq: u64,
    shared: Arc<TimerState>,
}

// `BinaryHeap` is a max-heap: the earliest (deadline, seq) must compare greatest.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}

impl Eq for Entry {}

impl Service {
    /// Starts a timer thread named `actor-timer`, detached.
    pub(super) fn start() -> io::Result<Service> {
        let inner = Arc::new(Inner {
            queue: Mutex::new(Queue {
                heap: BinaryHeap::new(),
                next_seq: 0,
                cancelled: 0,
                shutdown: false,
            }),
            wake: Condvar::new(),
        });
        let thread_inner = Arc::clone(&inner);
        thread::Builder::new()
            .name("actor-timer".into())
            .spawn(move || run(&thread_inner))?;
        Ok(Service { inner })
    }

    /// Puts a timer in the heap, waking the thread if it is now the earliest.
    pub(super) fn schedule(
        &self,
        deadline: Instant,
        period: Option<Duration>,
        fire: Fire,
    ) -> Timer {
        let shared = Arc::new(TimerState::new(period, fire, Arc::clone(&self.inner)));
        let mut queue = self.inner.lock();
        let seq = queue.push(deadline, Arc::clone(&shared));
        let earliest = queue.heap.peek().is_some_and(|top| top.seq == seq);
        drop(queue);
        if earliest {
            self.inner.wake.notify_one();
        }
        Timer { shared }
    }

    /// Entries in the heap: pending timers and cancelled ones not yet compacted away.
    pub(super) fn len(&self) -> usize {
        self.inner.lock().heap.len()
    }

    /// The heap's allocated capacity, in entries.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.inner.lock().heap.capacity()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.inner.lock().shutdown = true;
        self.inner.wake.notify_one();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // No closure ever runs under this lock, so poisoning cannot carry a broken heap.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pending timer was cancelled in place: count it, and once cancelled entries are
    /// more than half of the heap, drop them all (amortised O(1) per cancel: a compaction
    /// of n entries follows at least n/2 cancels). Cancelled entries hold no closure, so
    /// dropping them here under the lock runs no program code.
    pub(super) fn cancelled_one(&self) {
        let mut queue = self.lock();
        queue.cancelled += 1;
        let len = queue.heap.len();
        if len > COMPACT_MIN && queue.cancelled * 2 > len {
            queue.heap.retain(|entry| entry.shared.is_pending());
            queue.cancelled = 0;
            let len = queue.heap.len();
            if queue.heap.capacity() > 4 * len.max(COMPACT_MIN) {
                queue.heap.shrink_to(2 * len);
            }
        }
    }
}

impl Queue {
    fn push(&mut self, deadline: Instant, shared: Arc<TimerState>) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            deadline,
            seq,
            shared,
        });
        seq
    }

    /// Moves the entries due at `now` (at most [`BATCH`]) into `due`, in firing order, and
    /// drops the cancelled ones met on the way.
    fn take_due(&mut self, now: Instant, due: &mut Vec<Entry>) {
        while due.len() < BATCH && self.heap.peek().is_some_and(|top| top.deadline <= now) {
            let Some(entry) = self.heap.pop() else { break };
            if entry.shared.is_pending() {
                due.push(entry);
            } else {
                self.cancelled = self.cancelled.saturating_sub(1);
            }
        }
    }
}

/// The timer thread: sleep until the earliest deadline, fire what is due outside the lock,
/// put periodic timers back, until the service is dropped.
fn run(inner: &Inner) {
    let mut due: Vec<Entry> = Vec::new();
    let mut again: Vec<(Instant, Arc<TimerState>)> = Vec::new();
    let mut queue = inner.lock();
    loop {
        if queue.shutdown {
            let rest = mem::take(&mut queue.heap);
            drop(queue);
            for entry in rest {
                entry.shared.abandon();
            }
            return;
        }
        let now = Instant::now();
        match queue.heap.peek().map(|top| top.deadline) {
            None => {
                queue = inner
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner)
            }
            Some(deadline) if deadline > now => {
                // May wake early or spuriously: the loop looks at the clock again.
                queue = inner
                    .wake
                    .wait_timeout(queue, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            Some(_) => {
                queue.take_due(now, &mut due);
                drop(queue);
                for entry in due.drain(..) {
                    if let Some(next) = entry.shared.fire_due(entry.deadline) {
                        again.push((next, entry.shared));
                    }
                }
                queue = inner.lock();
                for (deadline, shared) in again.drain(..) {
                    queue.push(deadline, shared);
                }
            }
        }
    }
}
