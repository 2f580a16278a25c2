//! The monitors of one actor: who gets [`Terminated`](crate::Terminated) when it ends,
//! told exactly once (model-checked with loom, `loom_tests` below).

use crate::sync::model::{self, Mutex, MutexGuard};

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
        model::lock(&self.state)
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
    use super::Monitors;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

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
