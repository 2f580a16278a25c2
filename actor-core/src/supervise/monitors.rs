//! The monitors of one actor: who gets [`Terminated`](crate::Terminated) when it ends,
//! told exactly once (model-checked with loom, `loom_tests` below, under the spin lock
//! its owner keeps it behind).

/// The monitors of one actor, told exactly once when it ends; one that comes after the
/// end is told at once. No lock of its own: its owner keeps it behind one (the actor's
/// `Rare`, `handle/timers.rs`, with its timers), and tells the watchers this hands back
/// outside that lock.
pub(crate) struct Monitors<W, N> {
    state: State<W, N>,
}

enum State<W, N> {
    Alive(Vec<W>),
    Ended(N),
}

impl<W, N> Default for Monitors<W, N> {
    fn default() -> Self {
        Monitors {
            state: State::Alive(Vec::new()),
        }
    }
}

impl<W, N: Clone> Monitors<W, N> {
    /// Adds a monitor; once the end has come, hands it back with the notice instead, to be
    /// told at once.
    pub(crate) fn add(&mut self, watcher: W) -> Option<(W, N)> {
        match &mut self.state {
            State::Alive(watchers) => {
                watchers.push(watcher);
                None
            }
            State::Ended(notice) => Some((watcher, notice.clone())),
        }
    }

    /// Records the end: the monitors to tell, each with a clone of `notice`. A later call
    /// changes nothing and hands back none.
    pub(crate) fn end(&mut self, notice: &N) -> Vec<W> {
        if let State::Ended(_) = self.state {
            return Vec::new();
        }
        match std::mem::replace(&mut self.state, State::Ended(notice.clone())) {
            State::Alive(watchers) => watchers,
            State::Ended(_) => Vec::new(),
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::Monitors;
    use crate::sync::SpinLock;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    /// As the actor's `Rare` does: the monitors behind a spin lock, told outside it.
    struct Locked(SpinLock<Monitors<usize, u8>>);

    impl Locked {
        fn add(&self, watcher: usize, told: &[AtomicUsize; 2]) {
            let late = self.0.lock().add(watcher);
            if let Some((watcher, _notice)) = late {
                told[watcher].fetch_add(1, Ordering::Relaxed);
            }
        }

        fn end(&self, notice: u8, told: &[AtomicUsize; 2]) {
            let watchers = self.0.lock().end(&notice);
            for watcher in watchers {
                told[watcher].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Watching races with the end: every monitor is told exactly once.
    #[test]
    fn loom_monitors_are_told_exactly_once() {
        loom::model(|| {
            let monitors = Arc::new(Locked(SpinLock::new(Monitors::default())));
            let told = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
            monitors.add(0, &told);
            let late = {
                let (monitors, told) = (monitors.clone(), told.clone());
                thread::spawn(move || monitors.add(1, &told))
            };
            monitors.end(7, &told);
            monitors.end(8, &told); // a second end changes nothing
            late.join().unwrap();
            assert_eq!(told[0].load(Ordering::Relaxed), 1);
            assert_eq!(told[1].load(Ordering::Relaxed), 1);
        });
    }
}
