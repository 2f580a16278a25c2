//! The monitors of one actor: who gets [`Terminated`](crate::Terminated) when it ends,
//! told exactly once (model-checked with loom, `loom_tests` below).

use crate::sync::model::{self, Mutex, MutexGuard};

/// The monitors of one actor, told exactly once when it ends; one that comes after the
/// end is told at once.
///
/// Every actor has one and few are ever watched, so the state is boxed, made by the first
/// watcher or the end: an unwatched live actor pays a lock and one null pointer for it.
pub(crate) struct Monitors<W, N: Clone> {
    /// `None`: alive and unwatched.
    state: Mutex<Option<Box<State<W, N>>>>,
}

enum State<W, N> {
    Alive(Vec<W>),
    Ended(N),
}

impl<W, N: Clone> Monitors<W, N> {
    pub(crate) fn new() -> Self {
        Monitors {
            state: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Box<State<W, N>>>> {
        model::lock(&self.state)
    }

    /// Adds a monitor, or tells it at once (outside the lock) if the end has come.
    pub(crate) fn add(&self, watcher: W, tell: impl FnOnce(W, N)) {
        let mut state = self.lock();
        match state.as_deref_mut() {
            None => *state = Some(Box::new(State::Alive(vec![watcher]))),
            Some(State::Alive(watchers)) => watchers.push(watcher),
            Some(State::Ended(notice)) => {
                let notice = notice.clone();
                drop(state);
                tell(watcher, notice);
            }
        }
    }

    /// Records the end and tells every monitor (outside the lock); later calls do nothing.
    pub(crate) fn end(&self, notice: N, mut tell: impl FnMut(W, N)) {
        let mut state = self.lock();
        if let Some(State::Ended(_)) = state.as_deref() {
            return;
        }
        let previous = state.replace(Box::new(State::Ended(notice.clone())));
        drop(state);
        if let Some(State::Alive(watchers)) = previous.map(|state| *state) {
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
