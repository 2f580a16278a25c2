//! One actor's figures ([`Figures`]), the host's [`Tally`] of its messages and the
//! [`Turn`] of one handler.
// With `tracing` alone, the figures are kept but nothing reads them.
#![cfg_attr(not(any(feature = "metrics", feature = "console")), allow(dead_code))]

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

use super::SAMPLE;
use crate::id::ActorInfo;

/// Buckets of the handling-time histogram: bucket `i` counts times in `[2^i, 2^(i+1))`
/// nanoseconds (bucket 0 also takes zero), the last one everything from about 18 minutes.
pub(crate) const BUCKETS: usize = 41;

/// One actor's figures. The counters the host running the actor writes (`handled`, from
/// its [`Tally`], and the histogram) have one writer at a time, so they take a relaxed
/// load and store; the others come from anywhere, rarely, and add atomically.
pub(crate) struct Figures {
    pub(crate) info: ActorInfo,
    /// The first name the actor was registered under.
    pub(crate) name: OnceLock<Box<str>>,
    /// The actor that was running when this one was spawned: its supervisor, for a child.
    pub(crate) parent: Option<crate::id::ActorId>,
    pub(crate) handled: AtomicU64,
    /// How many of `handled` the facade's counter has been told (feature `metrics`).
    #[cfg(feature = "metrics")]
    pub(crate) exported: AtomicU64,
    pub(crate) panics: AtomicU64,
    pub(crate) restarts: AtomicU64,
    pub(crate) dead_letters: AtomicU64,
    pub(crate) times: Histogram,
    /// The facade's handles, made at the spawn, labelled with the name the actor had
    /// then (`Spawn::named`).
    #[cfg(feature = "metrics")]
    pub(crate) export: OnceLock<super::export::Handles>,
}

impl Figures {
    pub(crate) fn name(&self) -> &str {
        self.name.get().map_or("", |name| name)
    }
}

/// Handling times in powers of two of nanoseconds; one writer.
pub(crate) struct Histogram {
    pub(crate) buckets: [AtomicU64; BUCKETS],
    /// The sum of the sampled times, in nanoseconds.
    pub(crate) sum: AtomicU64,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0),
        }
    }

    /// Adds one time; called by the histogram's one writer.
    #[inline]
    pub(crate) fn record(&self, nanos: u64) {
        let bucket = bucket_of(nanos);
        let slot = &self.buckets[bucket];
        slot.store(slot.load(Relaxed) + 1, Relaxed);
        self.sum
            .store(self.sum.load(Relaxed).wrapping_add(nanos), Relaxed);
    }

    /// The counts per bucket and the sum, as read now.
    pub(crate) fn read(&self) -> ([u64; BUCKETS], u64) {
        (
            std::array::from_fn(|i| self.buckets[i].load(Relaxed)),
            self.sum.load(Relaxed),
        )
    }
}

/// The bucket of a time: its number of significant bits less one, capped.
#[inline]
pub(crate) fn bucket_of(nanos: u64) -> usize {
    let bits = (u64::BITS - nanos.leading_zeros()) as usize;
    bits.saturating_sub(1).min(BUCKETS - 1)
}

/// The upper bound of bucket `i`, in nanoseconds.
pub(crate) fn bucket_bound(i: usize) -> u64 {
    if i + 1 >= 64 {
        u64::MAX
    } else {
        1u64 << (i + 1)
    }
}

/// The `q` quantile (0..=1) of a bucketed distribution, as its bucket's upper bound in
/// nanoseconds; `None` with no samples.
pub(crate) fn quantile(buckets: &[u64; BUCKETS], q: f64) -> Option<u64> {
    // Saturating: the console reads other processes' histograms too (untrusted).
    let total = buckets.iter().fold(0u64, |sum, &n| sum.saturating_add(n));
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    for (i, &n) in buckets.iter().enumerate() {
        seen = seen.saturating_add(n);
        if seen >= rank {
            return Some(bucket_bound(i));
        }
    }
    Some(bucket_bound(BUCKETS - 1))
}

/// One handler's turn: its span (feature `tracing`), or nothing.
pub(crate) struct Turn {
    #[cfg(feature = "tracing")]
    pub(crate) span: Option<tracing::span::EnteredSpan>,
}

impl Turn {
    /// A turn with no span (yet).
    #[inline(always)]
    pub(crate) fn none() -> Turn {
        Turn {
            #[cfg(feature = "tracing")]
            span: None,
        }
    }
}

/// A host's count of the messages an actor handles, kept in a register for a run of its
/// turns and written to the actor's figures when the host lets go of it
/// ([`Probe::publish`](super::Probe::publish)) and at each sampled message. So the figures
/// are behind by at most the run under way; the message path itself writes nothing.
#[derive(Default)]
pub(crate) struct Tally {
    /// The figures' count with this run's messages.
    next: u64,
    /// The figures' count as last written.
    published: u64,
}

impl Tally {
    /// A tally going on from the figures' count.
    #[inline(always)]
    pub(crate) fn from(figures: &Figures) -> Tally {
        let n = figures.handled.load(Relaxed);
        Tally {
            next: n,
            published: n,
        }
    }

    /// Counts one more envelope: true for one in [`SAMPLE`], the first included, whose
    /// handler is timed.
    #[inline(always)]
    pub(crate) fn count(&mut self) -> bool {
        let sampled = self.next.is_multiple_of(SAMPLE);
        self.next += 1;
        sampled
    }

    /// Takes back the count of mail no handler saw (a stop, a release).
    #[inline(always)]
    pub(crate) fn uncount(&mut self) {
        self.next -= 1;
    }

    /// Writes the count to `figures` (their one writer: the host running the actor).
    #[inline(always)]
    pub(crate) fn publish(&mut self, figures: &Figures) {
        if self.next != self.published {
            figures.handled.store(self.next, Relaxed);
            self.published = self.next;
        }
    }
}

/// Records a sampled message's handling time.
#[cold]
#[inline(never)]
pub(crate) fn timed(figures: &Figures, start: Instant) {
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    figures.times.record(nanos);
    #[cfg(feature = "metrics")]
    {
        super::export::handles(figures)
            .time
            .record(nanos as f64 / 1e9);
        // The facade's counter is brought up to date here, at one message in `SAMPLE`,
        // and by `publish_metrics`, not at every message.
        super::export::flush_handled(figures);
    }
}

#[cfg(test)]
mod tests {
    use super::{bucket_bound, bucket_of, quantile, BUCKETS};

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(3), 1);
        assert_eq!(bucket_of(1024), 10);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket_bound(10), 2048);
    }

    #[test]
    fn quantiles_come_from_the_cumulative_counts() {
        let mut buckets = [0; BUCKETS];
        assert_eq!(quantile(&buckets, 0.5), None);
        buckets[10] = 98; // about a microsecond
        buckets[20] = 2; // about a millisecond
        assert_eq!(quantile(&buckets, 0.5), Some(2048));
        assert_eq!(quantile(&buckets, 0.98), Some(2048));
        assert_eq!(quantile(&buckets, 0.99), Some(1 << 21));
    }
}
