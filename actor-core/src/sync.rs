//! The runtime's own handshakes, small enough to model-check with loom
//! (`RUSTFLAGS="--cfg loom" cargo test -p actor-core --lib loom`): a driver actor's
//! mailbox with its run flag (behind a small spin lock), and the exactly-once delivery of
//! `Terminated` to monitors. Under `cfg(loom)` they use loom's atomics, cells, mutex and
//! condition variable; otherwise std's.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::time::Instant;

#[cfg(loom)]
use loom::sync::{
    atomic::{AtomicBool, Ordering},
    Condvar, Mutex, MutexGuard,
};
#[cfg(not(loom))]
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Condvar, Mutex, MutexGuard,
};

use crate::addr::{Refused, Wait};

/// A lock for critical sections of a few instructions, where no user code runs: taking it
/// is one compare-and-swap and releasing it one plain store, where a futex mutex needs a
/// second atomic swap to release. A waiter spins briefly, then yields its thread, so a
/// holder preempted in the middle is not spun against for a whole time slice.
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    #[cfg(not(loom))]
    value: std::cell::UnsafeCell<T>,
    #[cfg(loom)]
    value: loom::cell::UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and one guard exists at a time.
unsafe impl<T: Send> Sync for SpinLock<T> {}

pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// `Send` and `Sync` as a `&mut T` is, not as the lock is.
    _value: std::marker::PhantomData<&'a mut T>,
    #[cfg(loom)]
    value: loom::cell::MutPtr<T>,
}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            #[cfg(not(loom))]
            value: std::cell::UnsafeCell::new(value),
            #[cfg(loom)]
            value: loom::cell::UnsafeCell::new(value),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard {
            lock: self,
            _value: std::marker::PhantomData,
            #[cfg(loom)]
            value: self.value.get_mut(),
        }
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut spins = 0_u32;
        loop {
            while self.locked.load(Ordering::Relaxed) {
                #[cfg(loom)]
                loom::thread::yield_now();
                #[cfg(not(loom))]
                if spins < 100 {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock.
        #[cfg(not(loom))]
        unsafe {
            &*self.lock.value.get()
        }
        #[cfg(loom)]
        unsafe {
            self.value.deref()
        }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock.
        #[cfg(not(loom))]
        unsafe {
            &mut *self.lock.value.get()
        }
        #[cfg(loom)]
        unsafe {
            self.value.deref()
        }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

/// A driver actor's mailbox and its run flag, under one lock.
///
/// `scheduled` is set while the actor is queued or running. A [`push`](Mailbox::push) that
/// finds it clear sets it and tells its caller to queue the actor; the worker ends a turn
/// with [`pop_or_idle`](Mailbox::pop_or_idle), which clears it in the same critical
/// section that finds the queue empty. So either the pusher sees the flag clear, or the
/// worker sees the message: no message is ever left with no one to run it, and no actor
/// is queued twice. A bounded mailbox makes a pusher wait for room on a condition
/// variable, which each pop signals while someone waits.
///
/// Everything an actor's turn touches sits in this one small struct, next to the actor's
/// state: a hop between actors on a driver costs one lock on each side and no more.
pub(crate) struct Mailbox<T> {
    queue: SpinLock<Queue<T>>,
    /// Pushers waiting for room in a full bounded mailbox sleep on `room` with this lock
    /// held; a pop that makes room takes it before it signals, so no signal falls between
    /// a waiter's last look and its sleep.
    sleep: Mutex<()>,
    room: Condvar,
}

struct Queue<T> {
    items: VecDeque<T>,
    capacity: Option<usize>,
    scheduled: bool,
    closed: bool,
    /// Pushers waiting for room.
    waiting: usize,
}

/// A queue longer than this, found empty, gives its memory back.
const KEEP: usize = 64;

impl<T> Queue<T> {
    fn has_room(&self) -> bool {
        self.capacity
            .is_none_or(|capacity| self.items.len() < capacity)
    }

    /// Queues `item` and sets the run flag; true if it was clear (the actor was idle and
    /// the caller must schedule it).
    fn enqueue(&mut self, item: T) -> bool {
        self.items.push_back(item);
        !std::mem::replace(&mut self.scheduled, true)
    }
}

impl<T> Mailbox<T> {
    /// An open mailbox; `scheduled` when the actor's first turn is queued at spawn.
    pub(crate) fn new(capacity: Option<usize>, scheduled: bool) -> Self {
        Mailbox {
            queue: SpinLock::new(Queue {
                items: VecDeque::new(),
                capacity,
                scheduled,
                closed: false,
                waiting: 0,
            }),
            sleep: Mutex::new(()),
            room: Condvar::new(),
        }
    }

    fn sleep_lock(&self) -> MutexGuard<'_, ()> {
        self.sleep
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes the pushers waiting for room (all of them: each looks again, and those that
    /// find none sleep again).
    #[cold]
    #[inline(never)]
    fn wake_waiters(&self) {
        drop(self.sleep_lock());
        self.room.notify_all();
    }

    /// Queues `item`; `Ok(true)` when the caller must schedule the actor. A full bounded
    /// mailbox waits as `wait` says, once `may_wait` has agreed (it is called at most
    /// once, just before the first wait; `false` refuses as `Full`).
    #[inline]
    pub(crate) fn push(
        &self,
        item: T,
        wait: Wait,
        may_wait: impl FnOnce() -> bool,
    ) -> Result<bool, (T, Refused)> {
        let mut queue = self.queue.lock();
        if queue.closed {
            return Err((item, Refused::Stopped));
        }
        if !queue.has_room() {
            drop(queue);
            return self.push_when_room(item, wait, may_wait);
        }
        Ok(queue.enqueue(item))
    }

    /// `push` into a full bounded mailbox.
    #[cold]
    #[inline(never)]
    fn push_when_room(
        &self,
        item: T,
        wait: Wait,
        may_wait: impl FnOnce() -> bool,
    ) -> Result<bool, (T, Refused)> {
        if matches!(wait, Wait::Never) {
            return Err((item, Refused::Full));
        }
        if !may_wait() {
            return Err((item, Refused::Full));
        }
        let mut asleep = self.sleep_lock();
        loop {
            {
                let mut queue = self.queue.lock();
                if queue.closed {
                    return Err((item, Refused::Stopped));
                }
                if queue.has_room() {
                    return Ok(queue.enqueue(item));
                }
                queue.waiting += 1;
            }
            asleep = match wait {
                Wait::Until(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        self.queue.lock().waiting -= 1;
                        return Err((item, Refused::Timeout));
                    }
                    self.room
                        .wait_timeout(asleep, deadline - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
                _ => self
                    .room
                    .wait(asleep)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            };
            self.queue.lock().waiting -= 1;
        }
    }

    /// The next item; `None` when there is none, which also clears the run flag: the
    /// caller's turn is over, and from then on another worker may own the actor.
    #[inline]
    pub(crate) fn pop_or_idle(&self) -> Option<T> {
        let mut queue = self.queue.lock();
        match queue.items.pop_front() {
            Some(item) => {
                let waiting = queue.waiting > 0;
                drop(queue);
                if waiting {
                    self.wake_waiters();
                }
                Some(item)
            }
            None => {
                queue.scheduled = false;
                if queue.items.capacity() > KEEP {
                    // Rare, and a free under this lock is cheap enough.
                    queue.items.shrink_to(KEEP);
                }
                None
            }
        }
    }

    /// Refuses every later push and hands back what is queued.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut queue = self.queue.lock();
        queue.closed = true;
        let waiting = queue.waiting > 0;
        let items = std::mem::take(&mut queue.items);
        drop(queue);
        if waiting {
            self.wake_waiters();
        }
        items
    }

    /// Items queued now.
    pub(crate) fn len(&self) -> usize {
        self.queue.lock().items.len()
    }
}

/// The monitors of one actor, told exactly once when it ends; one that comes after the
/// end is told at once.
pub(crate) struct Monitors<W, N: Clone> {
    state: Mutex<State<W, N>>,
}

enum State<W, N> {
    Alive(Vec<W>),
    Ended(N),
}

impl<W, N: Clone> Monitors<W, N> {
    pub(crate) fn new() -> Self {
        Monitors {
            state: Mutex::new(State::Alive(Vec::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<W, N>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a monitor, or tells it at once (outside the lock) if the end has come.
    pub(crate) fn add(&self, watcher: W, tell: impl FnOnce(W, N)) {
        let mut state = self.lock();
        match &mut *state {
            State::Alive(watchers) => watchers.push(watcher),
            State::Ended(notice) => {
                let notice = notice.clone();
                drop(state);
                tell(watcher, notice);
            }
        }
    }

    /// Records the end and tells every monitor (outside the lock); later calls do nothing.
    pub(crate) fn end(&self, notice: N, mut tell: impl FnMut(W, N)) {
        let previous = std::mem::replace(&mut *self.lock(), State::Ended(notice.clone()));
        if let State::Alive(watchers) = previous {
            for watcher in watchers {
                tell(watcher, notice.clone());
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{Mailbox, Monitors};
    use crate::addr::{Refused, Wait};
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    /// A sender posting while the worker ends its turn: the message is never stranded,
    /// and the actor is queued again exactly once.
    #[test]
    fn loom_mailbox_never_strands_a_message() {
        loom::model(|| {
            let mailbox = Arc::new(Mailbox::new(None, true)); // the worker is running a turn
            let sender = {
                let mailbox = mailbox.clone();
                thread::spawn(move || mailbox.push(1u8, Wait::Block, || true).ok().unwrap())
            };
            // The worker drains what is there and ends its turn.
            let mut got = Vec::new();
            while let Some(item) = mailbox.pop_or_idle() {
                got.push(item);
            }
            let sender_schedules = sender.join().unwrap();
            // Either the worker saw the message, or the sender queues the actor again.
            assert_eq!(got.len() + usize::from(sender_schedules), 1);
            if sender_schedules {
                assert_eq!(mailbox.pop_or_idle(), Some(1));
            }
        });
    }

    /// A pusher waiting for room in a full bounded mailbox gets in once a pop makes room,
    /// or gets its message back when the mailbox closes: it never waits forever.
    #[test]
    fn loom_bounded_push_waits_for_room_or_close() {
        loom::model(|| {
            let mailbox = Arc::new(Mailbox::new(Some(1), true));
            assert_eq!(mailbox.push(1u8, Wait::Never, || true).ok(), Some(false));
            let pusher = {
                let mailbox = mailbox.clone();
                thread::spawn(move || mailbox.push(2u8, Wait::Block, || true))
            };
            assert_eq!(mailbox.pop_or_idle(), Some(1));
            let leftover = mailbox.close();
            match pusher.join().unwrap() {
                Ok(_) => assert_eq!(leftover, [2]),
                Err((item, Refused::Stopped)) => {
                    assert_eq!(item, 2);
                    assert!(leftover.is_empty());
                }
                Err((_, why)) => panic!("refused as {why:?}"),
            }
        });
    }

    /// Watching races with the end: every monitor is told exactly once.
    #[test]
    fn loom_monitors_are_told_exactly_once() {
        loom::model(|| {
            let monitors = Arc::new(Monitors::<usize, u8>::new());
            let told = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
            let tell = |told: &Arc<[AtomicUsize; 2]>| {
                let told = told.clone();
                move |watcher: usize, _notice: u8| {
                    told[watcher].fetch_add(1, Ordering::Relaxed);
                }
            };
            monitors.add(0, tell(&told));
            let late = {
                let (monitors, told) = (monitors.clone(), told.clone());
                thread::spawn(move || monitors.add(1, tell(&told)))
            };
            monitors.end(7, tell(&told));
            monitors.end(8, tell(&told)); // a second end changes nothing
            late.join().unwrap();
            assert_eq!(told[0].load(Ordering::Relaxed), 1);
            assert_eq!(told[1].load(Ordering::Relaxed), 1);
        });
    }
}
