//! The table of live actors (and drivers), each with its [`Figures`]: what a snapshot
//! reads. An actor is listed when its `Life` is made and unlisted when its [`Probe`] drops
//! with it; only those paths and the registry's naming take the table's lock, never a
//! message.
// With `tracing` alone, only the names and the figures are read.
#![cfg_attr(not(any(feature = "metrics", feature = "console")), allow(dead_code))]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::probe::{self, Figures, Histogram, Tally, Turn};
use super::Cause;
use crate::actor::Actor;
use crate::handle::Shared;
use crate::hosting::{current, DriverId};
use crate::id::{ActorId, ActorInfo};
use crate::sync::lock;

/// What a snapshot asks of a live actor, whatever its type.
pub(crate) trait Observed: Send + Sync {
    fn mailbox_len(&self) -> usize;
    fn timers_pending(&self) -> usize;
    fn host(&self) -> Option<(DriverId, usize)>;
    fn alive(&self) -> bool;
}

/// A live actor seen through a weak pointer: the table never keeps one alive.
struct Seen<A: Actor>(Weak<Shared<A>>);

impl<A: Actor> Observed for Seen<A> {
    fn mailbox_len(&self) -> usize {
        self.0
            .upgrade()
            .map_or(0, |shared| shared.host.mailbox_len())
    }
    fn timers_pending(&self) -> usize {
        #[cfg(any(feature = "metrics", feature = "console"))]
        return self.0.upgrade().map_or(0, |shared| shared.timers_pending());
        #[cfg(not(any(feature = "metrics", feature = "console")))]
        0
    }
    fn host(&self) -> Option<(DriverId, usize)> {
        self.0.upgrade().and_then(|shared| shared.host.driver())
    }
    fn alive(&self) -> bool {
        self.0
            .upgrade()
            .is_some_and(|shared| crate::handle::Erased::is_alive(&*shared))
    }
}

/// One listed actor.
pub(crate) struct Entry {
    pub(crate) figures: Arc<Figures>,
    pub(crate) actor: Arc<dyn Observed>,
}

pub(crate) static LIVE: Mutex<BTreeMap<ActorId, Entry>> = Mutex::new(BTreeMap::new());

/// Every driver started, weakly; pruned as they go.
#[cfg(any(feature = "metrics", feature = "console"))]
pub(crate) static DRIVERS: Mutex<Vec<Weak<crate::hosting::driver::DriverInner>>> =
    Mutex::new(Vec::new());

/// Lists a new driver for snapshots.
#[cfg(any(feature = "metrics", feature = "console"))]
pub(crate) fn register_driver(driver: &Arc<crate::hosting::driver::DriverInner>) {
    let mut drivers = lock(&DRIVERS);
    drivers.retain(|weak| weak.strong_count() > 0);
    drivers.push(Arc::downgrade(driver));
}

/// An actor's figures, kept by its `Life` and listed in the table while it lives.
pub(crate) struct Probe(Arc<Figures>);

impl Probe {
    /// Lists the actor whose `Life` is being made (on the spawning thread, so the running
    /// actor, if any, is its parent).
    pub(crate) fn new<A: Actor>(shared: &Arc<Shared<A>>) -> Probe {
        let info = shared.info();
        let name = OnceLock::new();
        if let Some(first) = crate::registry::first_name(info.id) {
            let _ = name.set(first.into_boxed_str());
        }
        let figures = Arc::new(Figures {
            info,
            name,
            parent: current::id(),
            handled: AtomicU64::new(0),
            #[cfg(feature = "metrics")]
            exported: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            dead_letters: AtomicU64::new(0),
            times: Histogram::new(),
            #[cfg(feature = "metrics")]
            export: OnceLock::new(),
        });
        let entry = Entry {
            figures: figures.clone(),
            actor: Arc::new(Seen(Arc::downgrade(shared))),
        };
        // The facade's handles now, at the spawn: making them allocates, which the first
        // message must not (tests/alloc.rs).
        #[cfg(feature = "metrics")]
        super::export::handles(&figures);
        lock(&LIVE).insert(info.id, entry);
        Probe(figures)
    }

    /// Begins a handler's turn: enters its span (named by `name`, called only when a
    /// span is wanted).
    #[inline(always)]
    pub(crate) fn begin(&self, cause: Cause, name: impl FnOnce() -> Cow<'static, str>) -> Turn {
        #[cfg(not(feature = "tracing"))]
        let _ = (cause, name);
        Turn {
            #[cfg(feature = "tracing")]
            span: super::trace::enter(&self.0, name, cause),
        }
    }

    /// Ends a turn: `ok` unless the handler panicked.
    #[inline(always)]
    pub(crate) fn end(&self, turn: Turn, ok: bool) {
        #[cfg(feature = "tracing")]
        if let Some(span) = turn.span {
            super::trace::exit(span, ok);
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (turn, ok);
    }

    /// A tally of the actor's messages for a host's run of its turns.
    #[inline(always)]
    pub(crate) fn tally(&self) -> Tally {
        Tally::from(&self.0)
    }

    /// Writes what `tally` counted to the figures.
    #[inline(always)]
    pub(crate) fn publish(&self, tally: &mut Tally) {
        tally.publish(&self.0);
    }

    /// Records the handling time of a sampled message that began at `start`.
    #[inline(always)]
    pub(crate) fn timed(&self, start: std::time::Instant) {
        probe::timed(&self.0, start);
    }

    /// A handler panicked.
    #[cold]
    pub(crate) fn panicked(&self) {
        self.0.panics.fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        super::export::handles(&self.0).panics.increment(1);
    }

    /// The actor was rebuilt from its factory after a panic.
    #[cold]
    pub(crate) fn restarted(&self) {
        self.0.restarts.fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        super::export::handles(&self.0).restarts.increment(1);
    }
}

/// The totals of the actors that ended, per type and name: a supervised child's next
/// incarnation carries the same name, and its counts go on from these (and `/metrics`
/// stays monotonic). A crash counts as a restart of the name.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) handled: u64,
    pub(crate) panics: u64,
    pub(crate) restarts: u64,
    pub(crate) dead_letters: u64,
}

pub(crate) static RETIRED: Mutex<BTreeMap<(&'static str, Box<str>), Totals>> =
    Mutex::new(BTreeMap::new());

impl Probe {
    /// The actor ended (`crashed`: by a panic, a restart limit, a failed start, an
    /// escalation): unlisted, its counts kept under its type and name.
    pub(crate) fn ended(self, crashed: bool) {
        let figures = &self.0;
        let mut retired = lock(&RETIRED);
        let totals = retired
            .entry((figures.info.name, figures.name().into()))
            .or_default();
        totals.handled += figures.handled.load(Relaxed);
        totals.panics += figures.panics.load(Relaxed);
        totals.restarts += figures.restarts.load(Relaxed) + u64::from(crashed);
        totals.dead_letters += figures.dead_letters.load(Relaxed);
        drop(retired);
        #[cfg(feature = "metrics")]
        {
            super::export::flush_handled(figures);
            if crashed {
                super::export::handles(figures).restarts.increment(1);
            }
        }
        drop(self);
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        lock(&LIVE).remove(&self.0.info.id);
    }
}

/// The registry bound `name` to actor `id`: the first name an actor gets is its name in
/// spans, metrics and the console.
pub(crate) fn named(id: ActorId, name: &str) {
    if let Some(entry) = lock(&LIVE).get(&id) {
        let _ = entry.figures.name.set(name.into());
    }
}

/// A dead letter for `actor` (when known).
pub(crate) fn dead_letter(actor: Option<ActorInfo>) {
    let Some(actor) = actor else {
        return;
    };
    let live = lock(&LIVE);
    match live.get(&actor.id) {
        Some(entry) => {
            entry.figures.dead_letters.fetch_add(1, Relaxed);
            #[cfg(feature = "metrics")]
            super::export::handles(&entry.figures)
                .dead_letters
                .increment(1);
        }
        None => {
            drop(live);
            #[cfg(feature = "metrics")]
            super::export::dead_letter_of_ended(actor.name);
        }
    }
}
