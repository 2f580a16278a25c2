//! How long a driver worker has been busy: it clocks only its idle waits (a worker about
//! to sleep pays a system call anyway), and busy time is the rest of its life.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// No idle wait under way.
const NOT_IDLE: u64 = u64::MAX;

/// One worker's clock; written by the worker alone.
pub(crate) struct WorkerClock {
    started: Instant,
    /// Idle time of the waits that ended, in nanoseconds.
    idle: AtomicU64,
    /// When the idle wait under way began (nanoseconds since `started`), or `NOT_IDLE`.
    since: AtomicU64,
}

impl WorkerClock {
    pub(crate) fn new() -> WorkerClock {
        WorkerClock {
            started: Instant::now(),
            idle: AtomicU64::new(0),
            since: AtomicU64::new(NOT_IDLE),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// Runs an idle wait (looking for work, then sleeping), clocked as idle.
    #[inline]
    pub(crate) fn idle<T>(&self, wait: impl FnOnce() -> T) -> T {
        let from = self.now();
        self.since.store(from, Relaxed);
        let found = wait();
        let to = self.now();
        self.since.store(NOT_IDLE, Relaxed);
        self.idle
            .store(self.idle.load(Relaxed) + to.saturating_sub(from), Relaxed);
        found
    }

    /// Nanoseconds since the clock started.
    pub(crate) fn age_ns(&self) -> u64 {
        self.now()
    }

    /// Nanoseconds spent busy (not in an idle wait) since the worker started.
    pub(crate) fn busy_ns(&self) -> u64 {
        // Not one atomic read: a wait that begins or ends in between is off by its length
        // until the next read.
        let since = self.since.load(Relaxed);
        let idle = self.idle.load(Relaxed);
        let now = self.now();
        let current = if since == NOT_IDLE {
            0
        } else {
            now.saturating_sub(since)
        };
        now.saturating_sub(idle).saturating_sub(current)
    }
}
