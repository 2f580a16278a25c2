//! [`Snapshot`]: every live actor with its figures, every driver, every blocked wait and
//! the waits refused lately, as plain data: what the console draws, `/api/snapshot`
//! serves and [`publish_metrics`](super::publish_metrics) reads. Plain data so that a
//! node can also send its snapshot to another process (a console for a cluster).

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::live::{DRIVERS, LIVE};
use super::probe::quantile;
use super::BUCKETS;
use crate::hosting::waits;
use crate::id::ActorInfo;
use crate::sync::lock;

/// Where an actor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosting {
    /// A thread of its own.
    Thread,
    /// A shared driver: its id and thread count.
    Driver {
        /// The driver's id ([`DriverId`](crate::DriverId)'s number).
        id: u64,
        /// How many threads it has.
        threads: usize,
    },
}

/// One live actor, as a snapshot saw it.
#[derive(Debug, Clone)]
pub struct ActorView {
    /// Its id's number.
    pub id: u64,
    /// Its type name.
    pub type_name: &'static str,
    /// The first name it was registered under, or empty.
    pub name: String,
    /// Where it runs.
    pub hosting: Hosting,
    /// The actor that was running where it was spawned (its supervisor, for a child).
    pub parent: Option<u64>,
    /// Messages waiting in its mailbox.
    pub mailbox: usize,
    /// Its timers still pending.
    pub timers: usize,
    /// Messages it has handled (a panicking handler included).
    pub handled: u64,
    /// Handlers that panicked.
    pub panics: u64,
    /// Times it was rebuilt from its factory after a panic.
    pub restarts: u64,
    /// Messages for it that could not be delivered.
    pub dead_letters: u64,
    /// Sampled handling times: bucket `i` counts times in `[2^i, 2^(i+1))` nanoseconds.
    pub handling_ns: [u64; BUCKETS],
    /// The sum of the sampled handling times, in nanoseconds.
    pub handling_sum_ns: u64,
}

impl ActorView {
    /// The `q` quantile (0 to 1) of its sampled handling times, rounded up to a power of
    /// two of nanoseconds; `None` before the first sample.
    pub fn handling_quantile(&self, q: f64) -> Option<Duration> {
        quantile(&self.handling_ns, q).map(Duration::from_nanos)
    }

    /// How it is shown: its name, or `Type#id`.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("{}#{}", self.type_name, self.id)
        } else {
            self.name.clone()
        }
    }
}

/// One driver.
#[derive(Debug, Clone)]
pub struct DriverView {
    /// Its id's number.
    pub id: u64,
    /// Its thread count.
    pub threads: usize,
    /// Live actors on it.
    pub actors: usize,
    /// Turns queued on its shared queue, waiting for a worker.
    pub queue: usize,
    /// Per worker, the nanoseconds it has been busy (not waiting for work) since it
    /// started.
    pub busy_ns: Vec<u64>,
    /// Nanoseconds since its workers started.
    pub uptime_ns: u64,
}

/// One blocked thread: an actor waiting (a call, an `exec`, a full mailbox) for others.
#[derive(Debug, Clone)]
pub struct WaitView {
    /// The actor whose handler is blocked.
    pub waiter: ActorInfo,
    /// How: `"call"` (a blocking call), `"exec"` (`exec(..).wait()`) or `"full mailbox"`
    /// (a bounded tell waiting for room).
    pub kind: &'static str,
    /// The driver whose worker is blocked, if it is one.
    pub driver: Option<u64>,
    /// What it waits for: it goes on once any of them makes progress.
    pub targets: Vec<ActorInfo>,
}

/// A wait refused because it would never have ended: a deadlock that did not happen.
#[derive(Debug, Clone)]
pub struct RefusedWait {
    /// The cycle, in words, as the error said it.
    pub cycle: String,
    /// The actors along the cycle, from the one that asked to wait back to it.
    pub route: Vec<ActorInfo>,
    /// How long ago it was refused.
    pub ago: Duration,
}

/// Everything the console shows, read at one moment (each part under its own lock, so
/// not one atomic picture).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Live actors, by id.
    pub actors: Vec<ActorView>,
    /// Live drivers, by id.
    pub drivers: Vec<DriverView>,
    /// Blocked waits now.
    pub waits: Vec<WaitView>,
    /// The latest refused waits, newest last.
    pub refused: Vec<RefusedWait>,
    /// Dead letters since the process started.
    pub dead_letters: u64,
    /// The totals of the actors that ended, per type and name.
    pub ended: Vec<Ended>,
}

/// The totals of the actors of one type and name that have ended: a supervised child's
/// earlier incarnations. A crash (a panic that stopped it, a restart limit, a failed
/// start, an escalation) counts as a restart of the name.
#[derive(Debug, Clone)]
pub struct Ended {
    /// Their type name.
    pub type_name: &'static str,
    /// Their name, or empty.
    pub name: String,
    /// Messages they handled.
    pub handled: u64,
    /// Their handlers that panicked.
    pub panics: u64,
    /// Their restarts, each crash that ended one included.
    pub restarts: u64,
    /// Messages for them that could not be delivered.
    pub dead_letters: u64,
}

/// Reads every live actor, driver and wait now. Takes the table's lock and each driver
/// mailbox's briefly: no actor is stopped or called.
///
/// ```
/// use actor_core::prelude::*;
///
/// struct Idle;
/// #[actor]
/// impl Idle {}
///
/// let idle = Idle.spawn();
/// let snapshot = actor_core::observe::snapshot();
/// assert!(snapshot.actors.iter().any(|actor| actor.id == idle.info().id.get()));
/// ```
pub fn snapshot() -> Snapshot {
    // Copied out first: reading an actor upgrades a weak pointer, and the last strong one
    // dropped here would drop the actor's state (and its queued mail, user code) under
    // the table's lock.
    let listed: Vec<_> = lock(&LIVE)
        .values()
        .map(|entry| (entry.figures.clone(), entry.actor.clone()))
        .collect();
    let mut actors = Vec::with_capacity(listed.len());
    for (figures, actor) in &listed {
        let id = figures.info.id;
        if !actor.alive() {
            continue;
        }
        let (handling_ns, handling_sum_ns) = figures.times.read();
        actors.push(ActorView {
            id: id.get(),
            type_name: figures.info.name,
            name: figures.name().to_owned(),
            hosting: match actor.host() {
                None => Hosting::Thread,
                Some((driver, threads)) => Hosting::Driver {
                    id: driver.get(),
                    threads,
                },
            },
            parent: figures.parent.map(|parent| parent.get()),
            mailbox: actor.mailbox_len(),
            timers: actor.timers_pending(),
            handled: figures.handled.load(Relaxed),
            panics: figures.panics.load(Relaxed),
            restarts: figures.restarts.load(Relaxed),
            dead_letters: figures.dead_letters.load(Relaxed),
            handling_ns,
            handling_sum_ns,
        });
    }
    let drivers = lock(&DRIVERS)
        .iter()
        .filter_map(|weak| weak.upgrade())
        .map(|driver| driver.view())
        .collect();
    let (waits, refused) = waits::observe();
    let ended = lock(&super::live::RETIRED)
        .iter()
        .map(|((type_name, name), totals)| Ended {
            type_name,
            name: name.to_string(),
            handled: totals.handled,
            panics: totals.panics,
            restarts: totals.restarts,
            dead_letters: totals.dead_letters,
        })
        .collect();
    Snapshot {
        actors,
        drivers,
        waits,
        refused,
        dead_letters: crate::DeadLetters::count(),
        ended,
    }
}
