//! Feature `metrics`: the figures on the [`metrics`](https://docs.rs/metrics) facade, for
//! whatever recorder the program installs (a Prometheus exporter, statsd, a test's).
//!
//! Labels: `type` (the actor's type name) and `name` (the name it was spawned with,
//! `Spawn::named`, or empty: unnamed actors of one type share their series; a name
//! registered after the spawn shows in spans and the console, not in these labels, which
//! are fixed when the handles are made, at the spawn, so that no message allocates). Nothing on the
//! message path but the host's count in a register: at one message in [`SAMPLE`](super::SAMPLE)
//! (the timed one) the handling time is recorded and the handled counter brought up to
//! date, through handles made when the actor was spawned; [`publish_metrics`]
//! brings every counter up to date too. Gauges (mailbox depth, timers
//! pending, a driver's queue and its workers' busy time) are read, not pushed: call
//! [`publish_metrics`] when the recorder is about to be read (before a scrape), or from a
//! timer.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `actor_messages_handled_total` | counter | `type`, `name` |
//! | `actor_handling_seconds` | histogram (sampled) | `type`, `name` |
//! | `actor_panics_total` | counter | `type`, `name` |
//! | `actor_restarts_total` | counter | `type`, `name` |
//! | `actor_dead_letters_total` | counter | `type`, `name` |
//! | `actor_mailbox_depth` | gauge | `type`, `name` |
//! | `actor_timers_pending` | gauge | `type`, `name` |
//! | `actor_driver_queue_length` | gauge | `driver` |
//! | `actor_driver_worker_busy_microseconds_total` | counter | `driver`, `worker` |

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

use metrics::{Counter, Histogram, Label};

use super::probe::Figures;

/// One actor's handles on the facade.
pub(crate) struct Handles {
    pub(crate) handled: Counter,
    pub(crate) time: Histogram,
    pub(crate) panics: Counter,
    pub(crate) restarts: Counter,
    pub(crate) dead_letters: Counter,
}

fn labels(type_name: &'static str, name: &str) -> Vec<Label> {
    vec![
        Label::new("type", type_name),
        Label::new("name", name.to_owned()),
    ]
}

/// The actor's handles, made at first use (its spawn) with the recorder installed then.
#[inline]
pub(crate) fn handles(figures: &Figures) -> &Handles {
    figures.export.get_or_init(|| {
        let labels = labels(figures.info.name, figures.name());
        Handles {
            handled: metrics::counter!("actor_messages_handled_total", labels.clone()),
            time: metrics::histogram!("actor_handling_seconds", labels.clone()),
            panics: metrics::counter!("actor_panics_total", labels.clone()),
            restarts: metrics::counter!("actor_restarts_total", labels.clone()),
            dead_letters: metrics::counter!("actor_dead_letters_total", labels),
        }
    })
}

/// Tells the facade's counter the messages handled since it was last told. From the
/// actor's thread and from `publish_metrics` at once: `fetch_max` lets each message be
/// told exactly once.
pub(crate) fn flush_handled(figures: &Figures) {
    let handled = figures.handled.load(Relaxed);
    let told = figures.exported.fetch_max(handled, Relaxed);
    if handled > told {
        handles(figures).handled.increment(handled - told);
    }
}

/// A dead letter for an actor no longer listed: counted under its type.
pub(crate) fn dead_letter_of_ended(type_name: &'static str) {
    metrics::counter!("actor_dead_letters_total", labels(type_name, "")).increment(1);
}

/// Sets the gauges from the live actors and drivers: `actor_mailbox_depth` and
/// `actor_timers_pending` per actor type and name (summed over the actors that share
/// them), `actor_driver_queue_length` per driver, and
/// `actor_driver_worker_busy_microseconds_total` per driver worker; and brings
/// `actor_messages_handled_total` up to date (it is otherwise told at one message in
/// [`SAMPLE`](super::SAMPLE)).
///
/// ```
/// # #[cfg(feature = "metrics")] {
/// actor_core::observe::publish_metrics(); // before the recorder is read
/// # }
/// ```
pub fn publish_metrics() {
    let listed: Vec<_> = crate::sync::lock(&super::live::LIVE)
        .values()
        .map(|entry| entry.figures.clone())
        .collect();
    for figures in &listed {
        flush_handled(figures);
    }
    let snapshot = super::snapshot::snapshot();
    let mut sums: BTreeMap<(&'static str, String), (usize, usize)> = BTreeMap::new();
    for actor in &snapshot.actors {
        let sum = sums
            .entry((actor.type_name, actor.name.clone()))
            .or_default();
        sum.0 += actor.mailbox;
        sum.1 += actor.timers;
    }
    for ((type_name, name), (depth, timers)) in sums {
        metrics::gauge!("actor_mailbox_depth", labels(type_name, &name)).set(depth as f64);
        metrics::gauge!("actor_timers_pending", labels(type_name, &name)).set(timers as f64);
    }
    for driver in &snapshot.drivers {
        let id = driver.id.to_string();
        metrics::gauge!("actor_driver_queue_length", "driver" => id.clone())
            .set(driver.queue as f64);
        for (worker, busy) in driver.busy_ns.iter().enumerate() {
            metrics::counter!(
                "actor_driver_worker_busy_microseconds_total",
                "driver" => id.clone(),
                "worker" => worker.to_string()
            )
            .absolute(busy / 1_000);
        }
    }
}
