//! What one snapshot cannot say: rates (messages per second, a driver's utilisation) and
//! each actor's recent mailbox depths, per process: this one from a sampler thread that
//! reads it every so often, each other one (feature `nats`) as its published snapshots
//! arrive.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::model::Process;
use crate::sync::lock;

/// Depths kept per actor.
pub(super) const KEPT: usize = 60;

/// One actor's recent past.
#[derive(Default)]
pub(super) struct Past {
    /// Its latest depths, oldest first.
    pub(super) depths: VecDeque<u64>,
    /// Messages per second over the last interval.
    pub(super) rate: f64,
    handled: u64,
}

/// Every actor's and driver's recent past in one process.
#[derive(Default)]
pub(super) struct NodeHistory {
    pub(super) actors: HashMap<u64, Past>,
    /// Per driver, each worker's utilisation (0 to 1) over the last interval.
    pub(super) drivers: HashMap<u64, Vec<f64>>,
    busy: HashMap<u64, Vec<u64>>,
    at: Option<Instant>,
}

/// The recent past of each process shown, by node name (`""` for this process when the
/// console gathers no cluster).
#[derive(Default)]
pub(super) struct History {
    nodes: HashMap<String, NodeHistory>,
}

impl History {
    /// The past of the process shown as `node`, if it has one yet.
    pub(super) fn node(&self, node: &str) -> Option<&NodeHistory> {
        self.nodes.get(node)
    }

    /// Forgets a process no longer shown.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(super) fn forget(&mut self, node: &str) {
        self.nodes.remove(node);
    }

    /// Folds in a picture of the process shown as `node`, read (or received) at `now`.
    pub(super) fn update(&mut self, node: &str, process: &Process, now: Instant) {
        if !self.nodes.contains_key(node) {
            self.nodes.insert(node.to_owned(), NodeHistory::default());
        }
        if let Some(history) = self.nodes.get_mut(node) {
            history.update(process, now);
        }
    }
}

impl NodeHistory {
    fn update(&mut self, process: &Process, now: Instant) {
        let elapsed = self.at.map(|at| now.duration_since(at).as_secs_f64());
        self.at = Some(now);
        let mut actors = HashMap::with_capacity(process.actors.len());
        for actor in &process.actors {
            let mut past = self.actors.remove(&actor.id).unwrap_or_default();
            if past.depths.len() == KEPT {
                past.depths.pop_front();
            }
            past.depths.push_back(actor.mailbox);
            past.rate = match elapsed {
                Some(secs) if secs > 0.0 && past.depths.len() > 1 => {
                    actor.handled.saturating_sub(past.handled) as f64 / secs
                }
                _ => 0.0,
            };
            past.handled = actor.handled;
            actors.insert(actor.id, past);
        }
        self.actors = actors;
        let mut busy = HashMap::new();
        let mut drivers = HashMap::new();
        for driver in &process.drivers {
            let before = self.busy.get(&driver.id);
            let utilisation = driver
                .busy_ns
                .iter()
                .enumerate()
                .map(
                    |(i, &now_busy)| match (elapsed, before.and_then(|b| b.get(i))) {
                        (Some(secs), Some(&then)) if secs > 0.0 => {
                            (now_busy.saturating_sub(then) as f64 / 1e9 / secs).clamp(0.0, 1.0)
                        }
                        _ => 0.0,
                    },
                )
                .collect();
            drivers.insert(driver.id, utilisation);
            busy.insert(driver.id, driver.busy_ns.clone());
        }
        self.drivers = drivers;
        self.busy = busy;
    }
}

/// The sampler thread's loop, until `stopping`: this process, shown as `node`.
pub(super) fn sample(history: &Mutex<History>, node: &str, stopping: &AtomicBool, every: Duration) {
    while !stopping.load(Ordering::SeqCst) {
        let process = Process::local();
        lock(history).update(node, &process, Instant::now());
        // Wakes at least every 50 ms to notice a stop.
        let until = Instant::now() + every;
        while !stopping.load(Ordering::SeqCst) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::park_timeout(left.min(Duration::from_millis(50)));
        }
    }
}
