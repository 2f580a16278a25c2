//! What a [`DeMux`](super::DeMux) allows its peers ([`Limits`]), what it is carrying now
//! ([`Load`]), and the clock its timeouts are measured on.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How much a [`DeMux`](super::DeMux) lets its peers take: every resource a peer can make
/// it spend has a bound here, so no client, however hostile, can take the server down or
/// starve the others. Each is settable; the defaults suit a server with a few hundred
/// clients.
///
/// | limit | default | past it |
/// |---|---|---|
/// | [`max_connections`](Limits::max_connections) | 256 | a new connection is closed at once (established ones go on) |
/// | [`idle_timeout`](Limits::idle_timeout) | 10 min | a connection with no request for that long is closed |
/// | [`read_timeout`](Limits::read_timeout) | 30 s | a frame begun must be complete within it, or its connection is closed |
/// | [`write_timeout`](Limits::write_timeout) | 30 s | a reply that cannot be written within it closes its connection |
/// | [`max_pending`](Limits::max_pending) | 1,024 | requests of one connection not yet answered: past it the connection is not read |
/// | [`max_reply_bytes`](Limits::max_reply_bytes) | 4 MiB | replies of one connection waiting to be written: past it the connection is not read, and its calls already read are refused (a posted call's reply is dropped, its caller told) |
/// | [`max_queued`](Limits::max_queued) | 4,096 | requests waiting for a pool worker: past it requests are refused; also, per exposed actor, tells waiting for room in its full bounded mailbox: past it they are dropped; and calls posted to exposed actors at once: past it they go to the pool |
/// | [`max_threads`](Limits::max_threads) | 256 | request threads at once under [`Workers::PerRequest`](super::Workers::PerRequest): past it requests are refused |
/// | [`max_call_timeout`](Limits::max_call_timeout) | 60 s | a caller asking for a longer timeout gets this one |
///
/// A refused request gets [`Fault::Unavailable`](super::Fault::Unavailable) if it is a
/// call; a refused tell is dropped, and recorded as a [`WireError::Limit`](super::WireError::Limit)
/// anomaly and in [`Load::refused_requests`]. Refusals fall on the clients that fill the
/// workers: a connection with no request waiting or running is always let in (so the
/// queue and the threads may go past their limit by at most one per connection).
///
/// The timeouts are checked by one watchdog thread per DeMux, which closes a connection
/// through its transport's closer: sockets have one; a plain pair of pipes needs
/// [`Transport::on_close`](super::Transport::on_close) for a timeout to end it.
///
/// ```
/// use actor_core::wire::{Config, DeMux, Limits, Workers};
/// use std::time::Duration;
///
/// let limits = Limits::default()
///     .max_connections(64)
///     .read_timeout(Some(Duration::from_secs(5)))
///     .max_call_timeout(Duration::from_secs(10));
/// let demux = DeMux::with_limits(Workers::Pool(4), Config::default(), limits)?;
/// assert_eq!(demux.limits().max_connections, 64);
/// # Ok::<(), actor_core::wire::WireError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections served at once; a connection past it is closed as soon as it is
    /// accepted (or refused by [`serve`](super::DeMux::serve)), before any thread starts.
    pub max_connections: usize,
    /// How long a connection may go without a request (with none in progress) before it
    /// is closed; `None`: forever. A [`Mux`](super::Mux) on the other end then sees
    /// `Disconnected`.
    pub idle_timeout: Option<Duration>,
    /// How long a frame may take to arrive once its first byte has; `None`: forever.
    pub read_timeout: Option<Duration>,
    /// How long writing one frame may take (a peer that does not read its replies);
    /// `None`: forever.
    pub write_timeout: Option<Duration>,
    /// Requests read from one connection and not yet answered (calls) or run (tells
    /// given to workers); past it, the connection is not read until one is.
    pub max_pending: usize,
    /// Bytes of replies of one connection waiting to be written; past it, the connection
    /// is not read until they are (a reply larger than this still goes, alone), and calls
    /// of it already read are answered with
    /// [`Fault::Unavailable`](super::Fault::Unavailable) instead of being run; a call
    /// already posted to an actor whose reply comes past it gets
    /// [`Fault::Failed`](super::Fault::Failed), its reply dropped.
    pub max_reply_bytes: usize,
    /// Requests waiting for a worker of a [`Workers::Pool`](super::Workers::Pool), all
    /// connections together. Also, for each exposed actor, the tells waiting for room in
    /// its full bounded mailbox (they are posted in order as room comes, by one job on
    /// the pool; past this many, a tell is dropped and recorded). And the calls posted to
    /// exposed actors at once, answered from the actors' threads; past this many, a call
    /// goes to the pool (and its limit) instead.
    pub max_queued: usize,
    /// Request threads at once under [`Workers::PerRequest`](super::Workers::PerRequest).
    pub max_threads: usize,
    /// The longest timeout a caller may ask for: a call's handler waits no longer.
    pub max_call_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            idle_timeout: Some(Duration::from_secs(600)),
            read_timeout: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(30)),
            max_pending: 1024,
            max_reply_bytes: 4 * 1024 * 1024,
            max_queued: 4096,
            max_threads: 256,
            max_call_timeout: Duration::from_secs(60),
        }
    }
}

macro_rules! setters {
    ($($field:ident: $ty:ty;)*) => {
        impl Limits {
            $(
                #[doc = concat!("The same limits with another [`", stringify!($field), "`](Limits::", stringify!($field), ").")]
                pub fn $field(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

setters! {
    max_connections: usize;
    idle_timeout: Option<Duration>;
    read_timeout: Option<Duration>;
    write_timeout: Option<Duration>;
    max_pending: usize;
    max_reply_bytes: usize;
    max_queued: usize;
    max_threads: usize;
    max_call_timeout: Duration;
}

/// What a [`DeMux`](super::DeMux) is carrying at one moment, and what it has refused:
/// see [`DeMux::load`](super::DeMux::load).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Load {
    /// Connections being served.
    pub connections: usize,
    /// Requests waiting for a worker.
    pub queued: usize,
    /// Requests being run.
    pub running: usize,
    /// Bytes of replies waiting to be written, all connections together.
    pub reply_bytes: usize,
    /// Connections not being read because their replies or requests are at a limit.
    pub stalled: usize,
    /// Connections refused for being over [`Limits::max_connections`], in all.
    pub refused_connections: u64,
    /// Connections closed for a timeout, in all.
    pub timed_out: u64,
    /// Requests refused because the workers were full, in all.
    pub refused_requests: u64,
}

/// The DeMux's counters, shared with its connections.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) connections: AtomicUsize,
    pub(crate) queued: AtomicUsize,
    pub(crate) running: AtomicUsize,
    /// Calls posted to actors off the pool and not yet answered (at most `max_queued`).
    pub(crate) posted: AtomicUsize,
    pub(crate) stalled: AtomicUsize,
    pub(crate) refused_connections: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    pub(crate) refused_requests: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Milliseconds since the first call, plus one: 0 is never a time, so it can mean "none"
/// in an atomic.
pub(crate) fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
}

/// Whether a time from [`now_ms`] (0: none) is more than `limit` ago.
pub(crate) fn older_than(since: u64, limit: Option<Duration>, now: u64) -> bool {
    match limit {
        Some(limit) if since != 0 => u128::from(now.saturating_sub(since)) > limit.as_millis(),
        _ => false,
    }
}
