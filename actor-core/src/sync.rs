//! The runtime's own lock-free handshakes, small enough to model-check with loom
//! (`RUSTFLAGS="--cfg loom" cargo test -p actor-core --lib loom`): the driver's run flag
//! and the exactly-once delivery of `Terminated` to monitors. Under `cfg(loom)` they use
//! loom's atomics and mutex; otherwise std's.

#[cfg(loom)]
use loom::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, MutexGuard,
};
#[cfg(not(loom))]
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, MutexGuard,
};

/// Who may run an actor's turn: set while the actor is queued or running on a driver.
///
/// A sender posts, then [`claim`](RunFlag::claim)s: if it was clear, the sender queues the
/// actor. The worker ends a turn with [`release`](RunFlag::release), then looks at the
/// mailbox and claims again if mail is there. Both sides swap with acquire-release, so
/// either the sender sees the flag clear, or the worker's swap reads the sender's set
/// and then sees its mail: no message is ever left with no one to run it.
pub(crate) struct RunFlag(AtomicBool);

impl RunFlag {
    /// A flag already claimed (the actor's first turn is queued at spawn).
    pub(crate) fn claimed() -> Self {
        RunFlag(AtomicBool::new(true))
    }

    /// Whether this caller won the right to queue the actor.
    #[inline]
    pub(crate) fn claim(&self) -> bool {
        !self.0.swap(true, Ordering::AcqRel)
    }

    /// Ends a turn; the caller must then check for mail and `claim` if there is some.
    #[inline]
    pub(crate) fn release(&self) {
        self.0.swap(false, Ordering::AcqRel);
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
    use super::{Monitors, RunFlag};
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    /// A sender posting while the worker ends its turn: the message is never stranded.
    #[test]
    fn loom_run_flag_never_strands_a_message() {
        loom::model(|| {
            let flag = Arc::new(RunFlag::claimed()); // the worker is running a turn
            let mailbox = Arc::new(AtomicUsize::new(0));
            let queued = Arc::new(AtomicUsize::new(0));
            let sender = {
                let (flag, mailbox, queued) = (flag.clone(), mailbox.clone(), queued.clone());
                thread::spawn(move || {
                    mailbox.fetch_add(1, Ordering::Release);
                    if flag.claim() {
                        queued.fetch_add(1, Ordering::Relaxed);
                    }
                })
            };
            // The worker found the mailbox empty and ends its turn.
            flag.release();
            if mailbox.load(Ordering::Acquire) > 0 && flag.claim() {
                queued.fetch_add(1, Ordering::Relaxed);
            }
            sender.join().unwrap();
            // The message is there, so exactly one party queued the actor again.
            assert_eq!(mailbox.load(Ordering::Acquire), 1);
            assert_eq!(queued.load(Ordering::Relaxed), 1);
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
