//! What the runtime shows of itself: a [`tracing`](https://docs.rs/tracing) span per
//! handled message (feature `tracing`), counters, histograms and gauges on the
//! [`metrics`](https://docs.rs/metrics) facade (feature `metrics`), and the data behind the
//! live console (feature `console`, [`crate::console`]).
//!
//! The runtime touches this module at a few places, each a call that compiles to nothing
//! with every feature off (the types are then zero-sized and their methods empty):
//! `Life::handle` begins and ends a `Turn` around each handler, an `Envelope` carries the
//! sender's span (`Cause`), `Life::new` and `Life::finish` list and unlist the actor,
//! the registry names it, a dead letter is counted, and a driver worker clocks its idle
//! waits (`WorkerClock`).
//!
//! The per-actor figures live in a `Probe`: plain counters written by the actor's own
//! thread only (an actor handles one message at a time, so a relaxed load and store
//! replace a locked read-modify-write), and a histogram of handling times in powers of
//! two. Handling time is sampled: one message in [`SAMPLE`] is timed (two clock reads),
//! so the cost per message stays a few nanoseconds whatever the clock costs.

#[cfg(any(feature = "metrics", feature = "console"))]
mod clock;
#[cfg(feature = "metrics")]
mod export;
#[cfg(any(feature = "tracing", feature = "metrics", feature = "console"))]
mod live;
mod off;
#[cfg(any(feature = "tracing", feature = "metrics", feature = "console"))]
mod probe;
#[cfg(any(feature = "metrics", feature = "console"))]
mod snapshot;
#[cfg(feature = "tracing")]
mod trace;

#[cfg(any(feature = "tracing", feature = "metrics", feature = "console"))]
pub(crate) use live::{dead_letter, named, Probe};
#[cfg(not(any(feature = "tracing", feature = "metrics", feature = "console")))]
pub(crate) use off::{dead_letter, named, Probe};

#[cfg(not(feature = "tracing"))]
pub(crate) use off::{discarded, Cause};
#[cfg(feature = "tracing")]
pub(crate) use trace::{discarded, Cause};

#[cfg(any(feature = "metrics", feature = "console"))]
pub(crate) use clock::WorkerClock;
#[cfg(not(any(feature = "metrics", feature = "console")))]
pub(crate) use off::WorkerClock;

#[cfg(any(feature = "metrics", feature = "console"))]
pub(crate) use live::register_driver;
#[cfg(not(any(feature = "metrics", feature = "console")))]
pub(crate) use off::register_driver;

#[cfg(any(feature = "metrics", feature = "console"))]
pub use snapshot::{
    snapshot, ActorView, DriverView, Ended, Hosting, RefusedWait, Snapshot, WaitView,
};

#[cfg(feature = "metrics")]
pub use export::publish_metrics;

#[cfg(feature = "console")]
pub(crate) use probe::quantile;

/// How many buckets the handling-time histograms have ([`ActorView::handling_ns`]).
#[cfg(any(feature = "metrics", feature = "console"))]
pub const BUCKETS: usize = probe::BUCKETS;

#[cfg(any(feature = "tracing", feature = "metrics", feature = "console"))]
/// One message in `SAMPLE` has its handling time measured (the first of each actor's
/// included): two clock reads for one message in 64 keep the cost per message low (a
/// clock read costs about 20-40 ns on a virtual machine), and a uniform sample keeps the
/// quantiles honest. A power of two, so the test is a mask.
pub const SAMPLE: u64 = 64;
