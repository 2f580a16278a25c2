//! The wait-for record: which actor's thread is blocked waiting for which actor, so that a
//! wait that could never end is refused before it starts instead of hanging.
//!
//! Only a thread that runs an actor (its own thread, or a driver worker in the middle of
//! the actor's turn) is recorded: nothing ever waits for plain code, so a wait by plain
//! code can close no cycle and costs nothing here. The record is touched only when such a
//! thread is about to block (a blocking `Bridge::call`, `multi_call`, `Bridge::stop`, an
//! `exec(..)` wait, a bounded post waiting for room), never on the send path.
//!
//! A wait *ends* when its target makes progress. An actor makes progress unless
//! - it is in the middle of a handler that is itself blocked: then only when that wait
//!   ends;
//! - it lives on a driver every one of whose threads is blocked: then only when one of
//!   their waits ends.
//!
//! An actor on a thread of its own, or on a driver with a thread not blocked, makes
//! progress (a busy thread is assumed to finish its handler). A wait about to start is
//! refused when, counting every recorded wait as lasting, no route leads from it to an
//! actor that makes progress: every route comes back to this thread. Each wait is checked
//! and recorded under one lock, so of the waits that would close a cycle, the last to come
//! sees it. A wait that ends by its timeout breaks a cycle only by failing, which is why
//! the record counts waits as lasting.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{LazyLock, Mutex};

use super::{current, DriverId};
use crate::id::{ActorId, ActorInfo};
use crate::sync::lock;

/// An actor, and where it runs: `None` for a thread of its own, else its driver and that
/// driver's thread count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Party {
    pub(crate) info: ActorInfo,
    pub(crate) host: Option<(DriverId, usize)>,
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host {
            None => write!(f, "{} (own thread)", self.info),
            Some((driver, _)) => write!(f, "{} (driver {})", self.info, driver.0),
        }
    }
}

/// One blocked thread.
struct Record {
    /// The actor whose handler is blocked.
    waiter: Party,
    /// How it waits (the first wait it recorded).
    #[cfg_attr(not(any(feature = "metrics", feature = "console")), allow(dead_code))]
    kind: Kind,
    /// The driver this thread works for, if it is a worker.
    worker: Option<DriverId>,
    /// What it waits for: it goes on once any of them makes progress (more than one for a
    /// `multi_call`).
    targets: Vec<Party>,
}

#[derive(Default)]
struct Graph {
    next: u64,
    records: HashMap<u64, Record>,
    /// The record of the thread blocked in each actor's handler.
    by_actor: HashMap<ActorId, u64>,
    /// The records of each driver's blocked workers.
    by_driver: HashMap<DriverId, Vec<u64>>,
}

static GRAPH: LazyLock<Mutex<Graph>> = LazyLock::new(Mutex::default);

thread_local! {
    /// This thread's record, while it has one.
    static MINE: Cell<Option<u64>> = const { Cell::new(None) };
    /// The cycle that made a post refuse to wait, for the error made from it.
    static REFUSAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// How a blocked thread waits: what the console labels each wait with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A blocking call (`Bridge::call`, `multi_call`, `stop`).
    Call,
    /// `exec(..).wait()`.
    Exec,
    /// A bounded `tell` waiting for room in a full mailbox.
    Room,
}

impl Kind {
    /// The word the console shows.
    #[cfg_attr(not(any(feature = "metrics", feature = "console")), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Exec => "exec",
            Kind::Room => "full mailbox",
        }
    }
}

/// A recorded wait: the record goes when this is dropped, after the wait.
#[derive(Debug)]
pub(crate) struct Waiting {
    record: Option<u64>,
}

impl Waiting {
    /// A wait with nothing recorded yet.
    pub(crate) fn none() -> Waiting {
        Waiting { record: None }
    }

    /// Adds `target` to what this thread waits for, or says why the wait would never end.
    /// A thread that runs no actor records nothing. Inside another recorded wait (a post
    /// waiting for room within a call), the target is only checked.
    pub(crate) fn add(&mut self, target: Party, kind: Kind) -> Result<(), String> {
        let Some((info, host)) = current::running() else {
            return Ok(());
        };
        let waiter = Party { info, host };
        let worker = current::worker().map(|(id, _)| id);
        let mut graph = lock(&GRAPH);
        let outer = MINE.get().filter(|id| graph.records.contains_key(id));
        let (own, created) = match self.record.or(outer) {
            Some(own) => (own, false),
            None => (graph.insert(waiter, worker, kind), true),
        };
        match graph.check(own, target) {
            Ok(()) => {
                if created || self.record == Some(own) {
                    self.record = Some(own);
                    MINE.set(Some(own));
                    if let Some(record) = graph.records.get_mut(&own) {
                        record.targets.push(target);
                    }
                }
                Ok(())
            }
            Err(cycle) => {
                #[cfg(any(feature = "metrics", feature = "console"))]
                refusals::keep(&graph, own, target, &cycle);
                if created {
                    graph.remove(own);
                }
                Err(cycle)
            }
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(own) = self.record.take() {
            lock(&GRAPH).remove(own);
            if MINE.get() == Some(own) {
                MINE.set(None);
            }
        }
    }
}

/// Before this thread blocks until `target` makes progress: the recorded wait, or the
/// cycle that would keep it from ever ending.
pub(crate) fn wait_for(target: Party, kind: Kind) -> Result<Waiting, String> {
    let mut waiting = Waiting::none();
    waiting.add(target, kind)?;
    Ok(waiting)
}

/// Keeps the cycle a post was refused for, for the error that `Shared::refused` makes.
pub(crate) fn set_refusal(cycle: String) {
    REFUSAL.with_borrow_mut(|slot| *slot = Some(cycle));
}

/// The cycle kept by [`set_refusal`] on this thread.
pub(crate) fn take_refusal() -> String {
    REFUSAL
        .with_borrow_mut(Option::take)
        .unwrap_or_else(|| "the wait would never end".to_owned())
}

impl Graph {
    fn insert(&mut self, waiter: Party, worker: Option<DriverId>, kind: Kind) -> u64 {
        self.next += 1;
        let id = self.next;
        self.by_actor.insert(waiter.info.id, id);
        if let Some(driver) = worker {
            self.by_driver.entry(driver).or_default().push(id);
        }
        self.records.insert(
            id,
            Record {
                waiter,
                kind,
                worker,
                targets: Vec::new(),
            },
        );
        id
    }

    fn remove(&mut self, id: u64) {
        let Some(record) = self.records.remove(&id) else {
            return;
        };
        if self.by_actor.get(&record.waiter.info.id) == Some(&id) {
            self.by_actor.remove(&record.waiter.info.id);
        }
        if let Some(driver) = record.worker {
            if let Some(blocked) = self.by_driver.get_mut(&driver) {
                blocked.retain(|&other| other != id);
                if blocked.is_empty() {
                    self.by_driver.remove(&driver);
                }
            }
        }
    }

    /// Whether the thread of record `own`, waiting for `target`, would ever go on.
    fn check(&self, own: u64, target: Party) -> Result<(), String> {
        let mut seen = HashSet::from([own]);
        if self.progresses(&target, &mut seen) {
            Ok(())
        } else {
            Err(self.describe(own, target))
        }
    }

    /// Whether `actor` makes progress, counting the waits in `seen` as lasting.
    fn progresses(&self, actor: &Party, seen: &mut HashSet<u64>) -> bool {
        if let Some(&blocked) = self.by_actor.get(&actor.info.id) {
            // In a handler blocked in a wait: it goes on when that wait ends.
            return self.ends(blocked, seen);
        }
        match actor.host {
            None => true,
            Some((driver, threads)) => {
                let blocked = self.blocked_workers(driver);
                blocked.len() < threads || blocked.iter().any(|&wait| self.ends(wait, seen))
            }
        }
    }

    /// Whether the wait of record `id` ends: one of its targets makes progress. A record
    /// seen before is being (or was) explored from elsewhere: no new route through it.
    fn ends(&self, id: u64, seen: &mut HashSet<u64>) -> bool {
        if !seen.insert(id) {
            return false;
        }
        self.records.get(&id).is_none_or(|record| {
            record
                .targets
                .iter()
                .any(|target| self.progresses(target, seen))
        })
    }

    fn blocked_workers(&self, driver: DriverId) -> &[u64] {
        self.by_driver.get(&driver).map_or(&[], Vec::as_slice)
    }

    /// The cycle, in words: from this thread's wait for `target`, along the first route,
    /// until it comes back to a wait already named.
    fn describe(&self, own: u64, target: Party) -> String {
        self.walk(own, target, &mut Vec::new())
    }

    /// `describe`, also listing in `route` the actors along the cycle, in order.
    fn walk(&self, own: u64, target: Party, route: &mut Vec<ActorInfo>) -> String {
        let Some(me) = self.records.get(&own) else {
            return format!("waiting for {target} would never end");
        };
        if target.info.id == me.waiter.info.id {
            route.extend([me.waiter.info, me.waiter.info]);
            return format!("{} waits for itself", me.waiter);
        }
        route.extend([me.waiter.info, target.info]);
        let mut text = format!("{} waits for {target}", me.waiter);
        let mut named = HashSet::from([own]);
        let mut actor = target;
        loop {
            // The wait that `actor` needs to end, and whether it is the actor's own.
            let (next, its_own) = if let Some(&blocked) = self.by_actor.get(&actor.info.id) {
                if blocked == own {
                    break;
                }
                (blocked, true)
            } else if let Some((driver, threads)) = actor.host {
                let blocked = self.blocked_workers(driver);
                let whose: Vec<String> = blocked
                    .iter()
                    .filter_map(|id| self.records.get(id))
                    .map(|record| format!("{}'s", record.waiter.info))
                    .collect();
                let threads = if threads == 1 {
                    "only thread is".to_owned()
                } else {
                    format!("{threads} threads are all")
                };
                text.push_str(&format!(", whose {threads} blocked: {}", whose.join(", ")));
                match blocked.iter().find(|id| !named.contains(*id)) {
                    Some(&next) => (next, false),
                    None => break,
                }
            } else {
                break;
            };
            if !named.insert(next) {
                break;
            }
            let Some(record) = self.records.get(&next) else {
                break;
            };
            let Some(&then) = record.targets.first() else {
                break;
            };
            if its_own {
                text.push_str(&format!(", which waits for {then}"));
            } else {
                route.push(record.waiter.info);
                text.push_str(&format!("; {} waits for {then}", record.waiter));
            }
            route.push(then.info);
            actor = then;
        }
        text
    }
}

/// What the console shows of the record: the waits now, and the latest refused ones.
#[cfg(any(feature = "metrics", feature = "console"))]
pub(crate) fn observe() -> (
    Vec<crate::observe::WaitView>,
    Vec<crate::observe::RefusedWait>,
) {
    let waits = {
        let graph = lock(&GRAPH);
        let mut waits: Vec<_> = graph
            .records
            .values()
            .map(|record| crate::observe::WaitView {
                waiter: record.waiter.info,
                kind: record.kind.as_str(),
                driver: record.worker.map(|driver| driver.0),
                targets: record.targets.iter().map(|target| target.info).collect(),
            })
            .collect();
        waits.sort_by_key(|wait| wait.waiter.id);
        waits
    };
    (waits, refusals::latest())
}

/// The latest waits refused for a cycle, kept for the console: a deadlock that was
/// prevented is still a bug to see.
#[cfg(any(feature = "metrics", feature = "console"))]
mod refusals {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Instant;

    use super::{Graph, Party};
    use crate::id::ActorInfo;
    use crate::sync::lock;

    /// How many are kept.
    const KEPT: usize = 16;

    type Kept = (String, Vec<ActorInfo>, Instant);

    static REFUSED: Mutex<VecDeque<Kept>> = Mutex::new(VecDeque::new());

    /// Keeps a refusal (called under the graph's lock, before the refusing record goes).
    pub(super) fn keep(graph: &Graph, own: u64, target: Party, cycle: &str) {
        let mut route = Vec::new();
        graph.walk(own, target, &mut route);
        let mut kept = lock(&REFUSED);
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back((cycle.to_owned(), route, Instant::now()));
    }

    pub(super) fn latest() -> Vec<crate::observe::RefusedWait> {
        lock(&REFUSED)
            .iter()
            .map(|(cycle, route, at)| crate::observe::RefusedWait {
                cycle: cycle.clone(),
                route: route.clone(),
                ago: at.elapsed(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Graph, Party};
    use crate::hosting::DriverId;
    use crate::id::{ActorId, ActorInfo};

    fn party(name: &'static str, host: Option<(u64, usize)>) -> Party {
        Party {
            info: ActorInfo {
                id: ActorId::next(),
                name,
            },
            host: host.map(|(driver, threads)| (DriverId(driver), threads)),
        }
    }

    fn wait(graph: &mut Graph, waiter: Party, target: Party) -> u64 {
        let worker = waiter.host.map(|(driver, _)| driver);
        let id = graph.insert(waiter, worker, super::Kind::Call);
        graph.records.get_mut(&id).unwrap().targets.push(target);
        id
    }

    #[test]
    fn a_chain_back_to_a_one_thread_driver_is_a_cycle_and_is_named() {
        let mut graph = Graph::default();
        let a = party("A", Some((903, 1)));
        let b = party("B", None);
        let c = party("C", Some((903, 1)));
        wait(&mut graph, a, b);
        let own = graph.insert(b, None, super::Kind::Call);
        let cycle = graph.check(own, c).unwrap_err();
        assert!(cycle.starts_with("B"), "{cycle}");
        assert!(
            cycle.contains("(driver 903), whose only thread is blocked: A"),
            "{cycle}"
        );
        assert!(cycle.contains("A"), "{cycle}");
    }

    #[test]
    fn a_driver_with_a_free_thread_can_serve_the_target() {
        let mut graph = Graph::default();
        let a = party("A", Some((904, 2)));
        let b = party("B", None);
        let c = party("C", Some((904, 2)));
        wait(&mut graph, a, b);
        let own = graph.insert(b, None, super::Kind::Call);
        assert!(graph.check(own, c).is_ok());
        // Once the driver's second thread blocks on B too, no one is left to serve C.
        let d = party("D", Some((904, 2)));
        wait(&mut graph, d, b);
        assert!(graph.check(own, c).is_err());
    }

    #[test]
    fn a_wait_on_an_actor_whose_own_wait_can_end_is_allowed() {
        let mut graph = Graph::default();
        let a = party("A", None);
        let b = party("B", None);
        let free = party("Free", None);
        wait(&mut graph, b, free);
        let own = graph.insert(a, None, super::Kind::Call);
        assert!(graph.check(own, b).is_ok());
        let blocked_on_me = party("C", None);
        wait(&mut graph, blocked_on_me, a);
        assert!(graph.check(own, blocked_on_me).is_err());
    }
}
