//! The timer thread and its heap: one [`Service`] for the process (more only in tests).
//!
//! Locking: the heap's mutex is never held while a timer's closure runs or is dropped, and
//! never together with a timer's own closure mutex or a young list's, so no lock order
//! exists to get wrong (the registry of young lists is held only with one list's lock
//! inside it, by the timer thread alone).
//!
//! Young lists (request deadlines, [`Service::schedule_young`]): each thread that makes a
//! request with a deadline has one, registered here on its first request. The thread
//! pushes `(timeout, entry)` at the back and drops ended entries from the front (and, once
//! the list has doubled since it was last swept, from everywhere), so a list holds about
//! as many entries as that thread has requests pending, plus a few. A push reads no clock:
//! the entry gets its deadline when the timer thread takes it off the list, from a clock
//! read after the take (so after the request went out: never early), and the push makes
//! sure that take comes soon enough. `since` is the clock as the timer thread last read it
//! at a take (no later than any push that sees it); `young_due` is the earliest
//! `since + timeout / 2^SLACK_SHIFT` pushed since the timer thread last emptied the lists
//! (lowered with `fetch_min`, after the push): the timer thread looks by then, so a
//! deadline fires at most `timeout / 2^SLACK_SHIFT` (plus the timer thread's own wake-up)
//! after `timeout` past its request. A push that lowers `young_due` below the deadline the
//! timer thread sleeps until wakes it (under the heap's lock, as a schedule does). The
//! timer thread sets `young_due` to "never" before it empties the lists, so a push it does
//! not see in a list lowers it again: no entry is missed, at worst one look is spurious.

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::mem;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Due, Fire, Timer, TimerState};
use crate::sync::SpinLock;

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
    /// Every thread's young list (see the module's notes); a list whose thread has ended
    /// is dropped once emptied.
    young: Mutex<Vec<Arc<Young>>>,
    /// By when (as in [`Entry::at`]) the timer thread must take the young lists, for the
    /// entries pushed since it last did; `u64::MAX`: none.
    young_due: AtomicU64,
    /// The clock (as in [`Entry::at`]) as the timer thread read it when it last took the
    /// young lists: no later than any push that reads it.
    since: AtomicU64,
}

/// One thread's request deadlines not yet in the heap. A spin lock: it is held for a few
/// instructions, by the thread itself and, rarely, by the timer thread.
pub(super) struct Young {
    list: SpinLock<YoungList>,
}

impl Young {
    /// Drops the ended entries of a list that has doubled since its last sweep, outside
    /// its lock.
    #[cold]
    fn sweep(&self) {
        let swept = self.list.lock().sweep();
        drop(swept);
    }
}

#[derive(Default)]
struct YoungList {
    entries: VecDeque<YoungEntry>,
    /// How many entries the last sweep kept: the next sweep comes at twice as many.
    kept: usize,
}

/// A young list is swept of ended entries once it holds `2 * kept + YOUNG_SWEEP`.
const YOUNG_SWEEP: usize = 32;

/// A request's deadline fires at most `timeout >> SLACK_SHIFT` (a sixteenth) after it is
/// due, plus the timer thread's wake-up: the timer thread takes the young lists at least
/// that often while requests come (see the module's notes).
pub(super) const SLACK_SHIFT: u32 = 4;

/// A young entry: its timeout in nanoseconds (the deadline is counted from when the timer
/// thread takes it), and the request.
type YoungEntry = (u64, Arc<dyn Due>);

/// What a push did: replaced an ended entry (given back, to be dropped outside the lock),
/// or grew the list (`true`: enough to be swept).
enum Pushed {
    Replaced(YoungEntry),
    Grew(bool),
}

impl YoungList {
    /// Pushes an entry: in place of the front one if that one has ended (the common case:
    /// the thread's previous request was answered), else at the back. The order of the
    /// entries means nothing (each is due its own timeout after the timer thread takes
    /// it); the front is only where ended ones are looked for first.
    #[inline]
    fn push(&mut self, entry: YoungEntry) -> Pushed {
        if let Some(front) = self.entries.front_mut() {
            if !front.1.is_pending() {
                return Pushed::Replaced(mem::replace(front, entry));
            }
        }
        self.entries.push_back(entry);
        Pushed::Grew(self.entries.len() >= 2 * self.kept + YOUNG_SWEEP)
    }

    /// Takes every ended entry off the list (amortised O(1) per push: a sweep of n entries
    /// follows at least n/2 pushes).
    #[cold]
    fn sweep(&mut self) -> Vec<YoungEntry> {
        let mut swept = Vec::new();
        for entry in mem::take(&mut self.entries) {
            if entry.1.is_pending() {
                self.entries.push_back(entry);
            } else {
                swept.push(entry);
            }
        }
        self.kept = self.entries.len();
        swept
    }
}

/// `d` in nanoseconds; `None` past `u64::MAX` (584 years).
#[inline]
fn nanos(d: Duration) -> Option<u64> {
    d.as_secs()
        .checked_mul(1_000_000_000)?
        .checked_add(d.subsec_nanos().into())
}

thread_local! {
    /// This thread's young list on the process's service, made by its first request.
    static YOUNG: OnceCell<Arc<Young>> = const { OnceCell::new() };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only the runtime's own pushes and pops run under these locks (an ended entry is
    // dropped outside them), so poisoning cannot leave a broken list.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
            young: Mutex::new(Vec::new()),
            young_due: AtomicU64::new(u64::MAX),
            since: AtomicU64::new(0),
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

    /// Puts a request's deadline, `timeout` from now, on this thread's young list (see
    /// the module's notes): no clock read, no heap lock, no heap push; the timer thread
    /// gives it its deadline when it takes it off the list (at most `timeout >>
    /// SLACK_SHIFT` later), and moves it to the heap if it is still pending. A timeout
    /// too long to count in nanoseconds (584 years) never ends: no entry. On a thread
    /// whose thread-local storage is being torn down, straight into the heap. Only for the
    /// process's own service (a thread's young list belongs to the first service it is
    /// used with).
    #[inline]
    pub(super) fn schedule_young(&self, timeout: Duration, due: Arc<dyn Due>) {
        let inner = &*self.inner;
        let Some(timeout) = nanos(timeout).filter(|&t| t != u64::MAX) else {
            return;
        };
        let mut due = Some(due);
        let _ = YOUNG.try_with(|young| {
            let young = young.get_or_init(|| inner.new_young());
            if let Some(due) = due.take() {
                let pushed = young.list.lock().push((timeout, due));
                // Dropped outside the list's lock: an entry's drop may be the program's.
                match pushed {
                    Pushed::Replaced(ended) => drop(ended),
                    Pushed::Grew(false) => {}
                    Pushed::Grew(true) => young.sweep(),
                }
            }
        });
        if let Some(due) = due {
            inner.schedule_late(timeout, due);
            return;
        }
        // `since` is no later than now: the timer thread takes the lists in time.
        let by = inner
            .since
            .load(AtomicOrdering::Relaxed)
            .saturating_add(timeout >> SLACK_SHIFT);
        if by < inner.young_due.load(AtomicOrdering::Relaxed) {
            inner.lower_young_due(by);
        }
    }

    /// By when the timer thread takes the young lists next (`u64::MAX`: not due), and the
    /// clock as of its last take, in nanoseconds since the service started.
    #[cfg(test)]
    pub(super) fn young_due(&self) -> (u64, u64) {
        (
            self.inner.young_due.load(AtomicOrdering::Relaxed),
            self.inner.since.load(AtomicOrdering::Relaxed),
        )
    }

    /// `instant` in nanoseconds since the service started.
    #[cfg(test)]
    pub(super) fn at(&self, instant: Instant) -> u64 {
        self.inner.at(instant)
    }

    /// `timeout` in nanoseconds, as [`Entry::at`] counts.
    #[cfg(test)]
    pub(super) fn at_offset(&self, timeout: Duration) -> u64 {
        nanos(timeout).unwrap_or(u64::MAX)
    }

    /// The deadlines in the heap, in nanoseconds since the service started, soonest first.
    #[cfg(test)]
    pub(super) fn deadlines(&self) -> Vec<u64> {
        let mut at: Vec<u64> = self.inner.lock().heap.iter().map(|e| e.at).collect();
        at.sort_unstable();
        at
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
        self.schedule_at(self.at(deadline), shared);
    }

    /// A young entry that has no young list to go to (its thread is ending): into the
    /// heap at once, `timeout` from now.
    #[cold]
    fn schedule_late(&self, timeout: u64, due: Arc<dyn Due>) {
        let now = self.at(Instant::now());
        self.schedule_at(now.saturating_add(timeout), due);
    }

    /// Registers a new thread's young list.
    #[cold]
    fn new_young(&self) -> Arc<Young> {
        let young = Arc::new(Young {
            list: SpinLock::new(YoungList::default()),
        });
        lock(&self.young).push(Arc::clone(&young));
        young
    }

    /// The young lists must be taken by `at`, earlier than the timer thread knows of:
    /// lower `young_due`, and wake the timer thread if it sleeps past `at`. (Ordered with its
    /// read of `young_due` by the heap's lock: either it reads the lowered value, or it
    /// set `wakes_at` first.)
    #[cold]
    fn lower_young_due(&self, at: u64) {
        if at >= self.young_due.fetch_min(at, AtomicOrdering::Relaxed) {
            return;
        }
        let mut queue = self.lock();
        if at < queue.wakes_at {
            queue.wakes_at = 0;
            drop(queue);
            self.wake.notify_one();
        }
    }

    fn schedule_at(&self, at: u64, shared: Arc<dyn Due>) {
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

    /// Empties every young list: ended entries are dropped, pending ones go to the heap,
    /// due their timeout after the clock read here, after the take (so after their
    /// requests went out: never early). On the timer thread, without the heap's lock held.
    fn drain_young(&self) {
        // Before the lists are read: a push this does not see lowers it again.
        self.young_due.store(u64::MAX, AtomicOrdering::Relaxed);
        let mut taken: Vec<YoungEntry> = Vec::new();
        lock(&self.young).retain(|young| {
            let mut list = young.list.lock();
            taken.extend(list.entries.drain(..));
            list.kept = 0;
            // Only the registry holds it: its thread has ended.
            Arc::strong_count(young) > 1
        });
        // After every take: each entry taken was pushed before this clock read, and a
        // push that reads the new `since` comes after it.
        let now = self.at(Instant::now());
        self.since.store(now, AtomicOrdering::Relaxed);
        let (pending, ended): (Vec<_>, Vec<_>) =
            taken.into_iter().partition(|(_, due)| due.is_pending());
        drop(ended);
        if pending.is_empty() {
            return;
        }
        let mut queue = self.lock();
        for (timeout, due) in pending {
            queue.push(now.saturating_add(timeout), due);
        }
        self.len.store(queue.heap.len(), AtomicOrdering::Relaxed);
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
        // Read once, under the heap's lock: a push that lowers it after this sees
        // `wakes_at`. Once: a push may lower it (outside the lock) between two reads, and
        // a second read could then be at or before `now` (a wait of `at - now` that
        // underflows: the timer thread panicked, every later deadline lost).
        let young = inner.young_due.load(AtomicOrdering::Relaxed);
        if young <= now {
            drop(queue);
            inner.drain_young();
            queue = inner.lock();
            continue;
        }
        let top = queue.heap.peek().map(|top| top.at);
        match top {
            Some(at) if at > now => {
                let at = at.min(young);
                queue.wakes_at = at;
                // May wake early or spuriously: the loop looks at the clock again.
                queue = inner
                    .wake
                    .wait_timeout(queue, Duration::from_nanos(at - now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                queue.wakes_at = 0;
            }
            None => {
                queue.wakes_at = young;
                queue = if young == u64::MAX {
                    inner
                        .wake
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner)
                } else {
                    inner
                        .wake
                        .wait_timeout(queue, Duration::from_nanos(young - now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                };
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
