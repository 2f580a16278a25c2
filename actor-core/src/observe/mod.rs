//! What the runtime shows of itself: a [`tracing`](https://docs.rs/tracing) span per
//! handled message (feature `tracing`), counters, histograms and gauges on the
//! [`metrics`](https://docs.rs/metrics) facade (feature `metrics`), and the data behind the
//! live console (feature `console`, [`crate::console`]).
//!
//! The runtime touches this module at a few places, each a call that compiles to nothing
//! with every feature off (the types are then zero-sized and their methods empty): a
//! host counts the messages of a run of turns in a `Tally`, `Life::handle` begins and
//! ends a `Turn` (a span) around each handler, an `Envelope` carries the sender's span
//! (`Cause`), `Life::new` and `Life::finish` list and unlist the actor, the registry names
//! it, a dead letter is counted, and a driver worker clocks its idle waits
//! (`WorkerClock`).
//!
//! The per-actor figures live in a `Probe`: counters with one writer at a time (the host
//! running the actor; the others, rare, add atomically), and a histogram of handling times
//! in powers of two. The count of handled messages is not written per message: the host
//! keeps it in a register for its run of the actor's turns and publishes it as it lets go
//! of the actor (a driver worker before the actor goes idle or yields its batch, a thread
//! before it blocks on an empty mailbox, either as the actor ends) and at each sampled
//! message, so a reader is behind by at most the run under way. Handling time is sampled:
//! one message in [`SAMPLE`] is timed (two clock reads), handled out of line, so the
//! cost per message stays a few nanoseconds whatever the clock costs.

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
pub(crate) use off::{dead_letter, named, Probe, Tally, Turn};
#[cfg(any(feature = "tracing", feature = "metrics", feature = "console"))]
pub(crate) use probe::{Tally, Turn};

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
