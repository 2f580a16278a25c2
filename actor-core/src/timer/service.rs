//! The timer thread and its heap: one [`Service`] for the process (more only in tests).
//!
//! Locking: the heap's mutex is never held while a timer's closure runs or is dropped, and
//! never together with a timer's own closure mutex, so no lock order exists to get wrong.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io;
use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Due, Fire, Timer, TimerState};

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
    /// The instant deadlines are counted from, in nanoseconds (see [`Entry`]).
    base: Instant,
    /// About how many heap entries are cancelled (an estimate: a cancel racing with its
    /// entry leaving the heap may count it once too often, and one racing a compaction
    /// may be missed, which only compacts earlier or later). Counted without the heap's
    /// lock: a cancel takes that lock only to compact.
    cancelled: AtomicUsize,
    /// The heap's length as of its last change, for a cancel to compare against without
    /// the lock.
    len: AtomicUsize,
}

struct Queue {
    heap: BinaryHeap<Entry>,
    /// Ties between equal deadlines go to the timer scheduled first.
    next_seq: u64,
    /// By when the timer thread looks at the heap again on its own: the deadline it sleeps
    /// until (`u64::MAX`: it sleeps until woken), or 0 while it is awake (it looks again
    /// before it sleeps). A schedule wakes it only for an entry due before this, so the
    /// steady stream of far deadlines that requests put here wakes nobody.
    wakes_at: u64,
    shutdown: bool,
}

/// One heap entry: 32 bytes on 64-bit Linux. The deadline is kept as nanoseconds since
/// the service's `base` (8 bytes, where an `Instant` takes 16), so that the entry can
/// point at any kind of [`Due`] (a fat pointer) and still be 32 bytes.
pub(super) struct Entry {
    /// Nanoseconds since `base`; `u64::MAX` (584 years on) stands for "never".
    at: u64,
    seq: u64,
    shared: Arc<dyn Due>,
}

// `BinaryHeap` is a max-heap: the earliest (deadline, seq) must compare greatest.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
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
                wakes_at: 0,
                shutdown: false,
            }),
            wake: Condvar::new(),
            base: Instant::now(),
            cancelled: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
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
        self.inner
            .schedule(deadline, Arc::clone(&shared) as Arc<dyn Due>);
        Timer { shared }
    }

    /// Puts any [`Due`] in the heap (the deadlines of `ctx.ask` and `call_async`, whose
    /// request state is its own timer entry: no handle, no closure, no second allocation).
    pub(super) fn schedule_due(&self, deadline: Instant, due: Arc<dyn Due>) {
        self.inner.schedule(deadline, due);
    }

    /// An entry scheduled with [`schedule_due`](Service::schedule_due) ended before its
    /// deadline.
    pub(super) fn cancelled_one(&self) {
        self.inner.cancelled_one();
    }

    /// Entries in the heap: pending timers and cancelled ones not yet compacted away.
    pub(super) fn len(&self) -> usize {
        self.inner.lock().heap.len()
    }

    /// Whether the timer thread sleeps until exactly `deadline`, as the earliest entry.
    #[cfg(test)]
    pub(super) fn sleeps_until(&self, deadline: Instant) -> bool {
        self.inner.lock().wakes_at == self.inner.at(deadline)
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

    /// `deadline` as nanoseconds since `base` (0 if before it: due at once; `u64::MAX`,
    /// never, if 584 years or more away).
    fn at(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// The instant `at` nanoseconds after `base`.
    fn instant(&self, at: u64) -> Instant {
        self.base + Duration::from_nanos(at)
    }

    fn schedule(&self, deadline: Instant, shared: Arc<dyn Due>) {
        let at = self.at(deadline);
        let mut queue = self.lock();
        queue.push(at, shared);
        self.len.store(queue.heap.len(), AtomicOrdering::Relaxed);
        let sooner = at < queue.wakes_at;
        if sooner {
            // Woken now; it looks again before it sleeps.
            queue.wakes_at = 0;
        }
        drop(queue);
        if sooner {
            self.wake.notify_one();
        }
    }

    /// A pending entry was cancelled in place: count it, and once cancelled entries are
    /// more than half of the heap, drop them all (amortised O(1) per cancel: a compaction
    /// of n entries follows at least n/2 cancels). Only a compaction takes the heap's
    /// lock. Cancelled entries hold no closure, so dropping them here under the lock runs
    /// no program code.
    pub(super) fn cancelled_one(&self) {
        let cancelled = self.cancelled.fetch_add(1, AtomicOrdering::Relaxed) + 1;
        let len = self.len.load(AtomicOrdering::Relaxed);
        if len > COMPACT_MIN && cancelled * 2 > len {
            self.compact();
        }
    }

    #[cold]
    fn compact(&self) {
        let mut queue = self.lock();
        // Looked at again under the lock: another canceller may have compacted first.
        let len = queue.heap.len();
        if len <= COMPACT_MIN || self.cancelled.load(AtomicOrdering::Relaxed) * 2 <= len {
            return;
        }
        queue.heap.retain(|entry| entry.shared.is_pending());
        self.cancelled.store(0, AtomicOrdering::Relaxed);
        let len = queue.heap.len();
        if queue.heap.capacity() > 4 * len.max(COMPACT_MIN) {
            queue.heap.shrink_to(2 * len);
        }
        self.len.store(len, AtomicOrdering::Relaxed);
    }

    /// One cancelled entry left the heap (popped at its deadline).
    fn uncount_cancelled(&self) {
        let _ =
            self.cancelled
                .fetch_update(AtomicOrdering::Relaxed, AtomicOrdering::Relaxed, |n| {
                    n.checked_sub(1)
                });
    }
}

impl Queue {
    fn push(&mut self, at: u64, shared: Arc<dyn Due>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { at, seq, shared });
    }

    /// Moves the entries due at `now` (at most [`BATCH`]) into `due`, in firing order, and
    /// drops the cancelled ones met on the way.
    fn take_due(&mut self, inner: &Inner, now: u64, due: &mut Vec<Entry>) {
        while due.len() < BATCH && self.heap.peek().is_some_and(|top| top.at <= now) {
            let Some(entry) = self.heap.pop() else { break };
            if entry.shared.is_pending() {
                due.push(entry);
            } else {
                inner.uncount_cancelled();
            }
        }
        inner.len.store(self.heap.len(), AtomicOrdering::Relaxed);
    }
}

/// The timer thread: sleep until the earliest deadline, fire what is due outside the lock,
/// put periodic timers back, until the service is dropped.
fn run(inner: &Inner) {
    let mut due: Vec<Entry> = Vec::new();
    let mut again: Vec<(u64, Arc<dyn Due>)> = Vec::new();
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
        // Rounded down: an entry is due only once its deadline has passed.
        let now = inner.at(Instant::now());
        match queue.heap.peek().map(|top| top.at) {
            None => {
                queue.wakes_at = u64::MAX;
                queue = inner
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
                queue.wakes_at = 0;
            }
            Some(at) if at > now => {
                queue.wakes_at = at;
                // May wake early or spuriously: the loop looks at the clock again.
                queue = inner
                    .wake
                    .wait_timeout(queue, Duration::from_nanos(at - now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                queue.wakes_at = 0;
            }
            Some(_) => {
                queue.take_due(inner, now, &mut due);
                drop(queue);
                for entry in due.drain(..) {
                    let deadline = inner.instant(entry.at);
                    if let Some(next) = Arc::clone(&entry.shared).fire_due(deadline) {
                        again.push((inner.at(next), entry.shared));
                    }
                }
                queue = inner.lock();
                for (at, shared) in again.drain(..) {
                    queue.push(at, shared);
                }
                inner.len.store(queue.heap.len(), AtomicOrdering::Relaxed);
            }
        }
    }
}
