//! The console's three views of the processes it shows: JSON (`/api/snapshot`), the
//! Prometheus text format (`/metrics`) and the page (`/`, the JSON inlined so that it
//! draws at once).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use super::history::History;
use super::model::{Process, Ref};

/// The page, with `__SNAPSHOT__` where the first snapshot's JSON goes.
const PAGE: &str = include_str!("page.html");

/// One process shown: its node's name (`""` for this process when no cluster is
/// gathered), its latest picture, and how old that is (`None`: read just now).
pub(super) struct Shown {
    pub(super) node: String,
    pub(super) process: Arc<Process>,
    pub(super) age_ms: Option<u64>,
}

/// How the gathering of a cluster's snapshots goes (feature `nats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ClusterStatus {
    /// Snapshots taken in.
    pub(super) received: u64,
    /// Dropped: not a snapshot, or one that does not decode or passes a bound.
    pub(super) malformed: u64,
    /// Dropped: over the console's byte bound, before decoding.
    pub(super) oversized: u64,
    /// Dropped: arrived while the console's queue of undecoded snapshots was full.
    pub(super) dropped: u64,
    /// Dropped: from a new node while as many nodes as allowed were shown.
    pub(super) refused_nodes: u64,
    /// Nodes forgotten because they stopped publishing.
    pub(super) expired: u64,
    /// After how long without a snapshot a node is forgotten.
    pub(super) stale_after_ms: u64,
    /// Nodes shown at most (this one included).
    pub(super) max_nodes: u64,
}

/// Everything one response shows.
pub(super) struct View {
    pub(super) shown: Vec<Shown>,
    pub(super) cluster: Option<ClusterStatus>,
}

/// The page, drawn at once from `view`, then kept up to date by its script.
pub(super) fn page(view: &View, history: &History) -> String {
    PAGE.replace("__SNAPSHOT__", &json(view, history))
}

/// A JSON string literal; `<` escaped too, so that the text is safe inside a `<script>`.
fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite number for JSON (NaN and infinities as 0).
fn number(out: &mut String, x: f64) {
    let x = if x.is_finite() { x } else { 0.0 };
    let _ = write!(out, "{}", (x * 1000.0).round() / 1000.0);
}

fn actor_ref(out: &mut String, actor: &Ref) {
    let _ = write!(out, "{{\"id\":{},\"label\":", actor.id);
    string(out, &actor.label);
    out.push('}');
}

/// `,"node":"..."`.
fn node_field(out: &mut String, node: &str) {
    out.push_str(",\"node\":");
    string(out, node);
}

/// A comma before every item but the first.
fn separate(out: &mut String, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(',');
    }
}

/// Every process shown, the rates and histories, and how the gathering goes, as JSON.
pub(super) fn json(view: &View, history: &History) -> String {
    let actors: usize = view.shown.iter().map(|s| s.process.actors.len()).sum();
    let mut out = String::with_capacity(256 + 300 * actors);
    out.push_str("{\"actors\":[");
    let mut first = true;
    for shown in &view.shown {
        let process = &shown.process;
        let past = history.node(&shown.node);
        // A named actor's row counts its name's earlier incarnations too (a supervisor's
        // restarts of a child are new actors under the same name).
        let ended: HashMap<(&str, &str), &super::model::Ended> = process
            .ended
            .iter()
            .filter(|ended| !ended.name.is_empty())
            .map(|ended| ((ended.type_name.as_str(), ended.name.as_str()), ended))
            .collect();
        for actor in &process.actors {
            separate(&mut out, &mut first);
            let _ = write!(out, "{{\"id\":{},\"type\":", actor.id);
            string(&mut out, &actor.type_name);
            out.push_str(",\"name\":");
            string(&mut out, &actor.name);
            out.push_str(",\"label\":");
            string(&mut out, &actor.label());
            node_field(&mut out, &shown.node);
            match actor.driver {
                None => out.push_str(",\"hosting\":\"thread\",\"driver\":null"),
                Some((id, threads)) => {
                    let _ = write!(
                        out,
                        ",\"hosting\":\"driver {id} ({threads} thread{})\",\"driver\":{id}",
                        if threads == 1 { "" } else { "s" }
                    );
                }
            }
            match actor.parent {
                Some(parent) => {
                    let _ = write!(out, ",\"parent\":{parent}");
                }
                None => out.push_str(",\"parent\":null"),
            }
            let past = past.and_then(|past| past.actors.get(&actor.id));
            let before = ended.get(&(actor.type_name.as_str(), actor.name.as_str()));
            let total = |now: u64, count: fn(&super::model::Ended) -> u64| {
                now.saturating_add(before.map_or(0, |e| count(e)))
            };
            let _ = write!(
                out,
                ",\"mailbox\":{},\"timers\":{},\"handled\":{},\"panics\":{},\"restarts\":{},\"dead_letters\":{},\"depths\":[",
                actor.mailbox,
                actor.timers,
                total(actor.handled, |e| e.handled),
                total(actor.panics, |e| e.panics),
                total(actor.restarts, |e| e.restarts),
                total(actor.dead_letters, |e| e.dead_letters)
            );
            if let Some(past) = past {
                for (j, depth) in past.depths.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{depth}");
                }
            }
            out.push_str("],\"rate\":");
            number(&mut out, past.map_or(0.0, |past| past.rate));
            for (key, q) in [("p50_us", 0.5), ("p99_us", 0.99)] {
                let _ = write!(out, ",\"{key}\":");
                match actor.quantile_ns(q) {
                    Some(ns) => number(&mut out, ns as f64 / 1e3),
                    None => out.push_str("null"),
                }
            }
            out.push('}');
        }
    }
    out.push_str("],\"drivers\":[");
    let mut first = true;
    for shown in &view.shown {
        let past = history.node(&shown.node);
        for driver in &shown.process.drivers {
            separate(&mut out, &mut first);
            let _ = write!(
                out,
                "{{\"id\":{},\"threads\":{},\"actors\":{},\"queue\":{}",
                driver.id, driver.threads, driver.actors, driver.queue
            );
            node_field(&mut out, &shown.node);
            out.push_str(",\"utilisation\":[");
            let utilisation = past.and_then(|past| past.drivers.get(&driver.id));
            for worker in 0..driver.busy_ns.len() {
                if worker > 0 {
                    out.push(',');
                }
                number(
                    &mut out,
                    utilisation
                        .and_then(|u| u.get(worker))
                        .copied()
                        .unwrap_or(0.0),
                );
            }
            out.push_str("]}");
        }
    }
    out.push_str("],\"waits\":[");
    let mut first = true;
    for shown in &view.shown {
        for wait in &shown.process.waits {
            separate(&mut out, &mut first);
            out.push_str("{\"waiter\":");
            actor_ref(&mut out, &wait.waiter);
            out.push_str(",\"kind\":");
            string(&mut out, &wait.kind);
            match wait.driver {
                Some(driver) => {
                    let _ = write!(out, ",\"driver\":{driver}");
                }
                None => out.push_str(",\"driver\":null"),
            }
            out.push_str(",\"targets\":[");
            for (j, target) in wait.targets.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                actor_ref(&mut out, target);
            }
            out.push(']');
            node_field(&mut out, &shown.node);
            out.push('}');
        }
    }
    out.push_str("],\"refused\":[");
    let mut first = true;
    for shown in &view.shown {
        for refused in &shown.process.refused {
            separate(&mut out, &mut first);
            out.push_str("{\"cycle\":");
            string(&mut out, &refused.cycle);
            out.push_str(",\"route\":[");
            for (j, actor) in refused.route.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                actor_ref(&mut out, actor);
            }
            let ago = refused.ago_ms.saturating_add(shown.age_ms.unwrap_or(0));
            let _ = write!(out, "],\"ago_ms\":{ago}");
            node_field(&mut out, &shown.node);
            out.push('}');
        }
    }
    // Figures from other processes are untrusted: every sum saturates.
    let dead_letters = view
        .shown
        .iter()
        .fold(0u64, |sum, s| sum.saturating_add(s.process.dead_letters));
    let _ = write!(out, "],\"dead_letters\":{dead_letters},\"nodes\":[");
    let mut first = true;
    for shown in &view.shown {
        separate(&mut out, &mut first);
        out.push_str("{\"name\":");
        string(&mut out, &shown.node);
        let _ = write!(
            out,
            ",\"actors\":{},\"left_out\":{},\"dead_letters\":{},\"age_ms\":",
            shown.process.actors.len(),
            shown.process.left_out,
            shown.process.dead_letters
        );
        match shown.age_ms {
            Some(age) => {
                let _ = write!(out, "{age}");
            }
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("],\"cluster\":");
    match &view.cluster {
        Some(status) => cluster(&mut out, status),
        None => out.push_str("null"),
    }
    out.push('}');
    out
}

/// How the gathering goes, as a JSON object.
pub(super) fn cluster(out: &mut String, status: &ClusterStatus) {
    let _ = write!(
        out,
        "{{\"received\":{},\"malformed\":{},\"oversized\":{},\"dropped\":{},\"refused_nodes\":{},\"expired\":{},\"stale_after_ms\":{},\"max_nodes\":{}}}",
        status.received,
        status.malformed,
        status.oversized,
        status.dropped,
        status.refused_nodes,
        status.expired,
        status.stale_after_ms,
        status.max_nodes
    );
}

/// A Prometheus label value.
fn label(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Per node (with a cluster gathered), actor type and name (the actors that share them
/// summed, the ended ones included), per driver and worker, in the Prometheus text format
/// 0.0.4. The histogram counts the live actors' samples only. With a cluster gathered,
/// every sample carries the label `node` first.
pub(super) fn prometheus(view: &View) -> String {
    #[derive(Default)]
    struct Sum {
        handled: u64,
        panics: u64,
        restarts: u64,
        dead_letters: u64,
        mailbox: u64,
        timers: u64,
        actors: usize,
        buckets: Vec<u64>,
        sum_ns: u64,
    }
    impl Sum {
        /// Adds the counters a live actor and an ended total both carry.
        fn count(&mut self, handled: u64, panics: u64, restarts: u64, dead_letters: u64) {
            self.handled = self.handled.saturating_add(handled);
            self.panics = self.panics.saturating_add(panics);
            self.restarts = self.restarts.saturating_add(restarts);
            self.dead_letters = self.dead_letters.saturating_add(dead_letters);
            self.buckets.resize(crate::observe::BUCKETS, 0);
        }
    }
    let labelled = view.cluster.is_some();
    // `node="..",` or nothing.
    let node_label = |node: &str| {
        let mut out = String::new();
        if labelled {
            out.push_str("node=\"");
            label(&mut out, node);
            out.push_str("\",");
        }
        out
    };
    let mut sums: BTreeMap<(&str, &str, &str), Sum> = BTreeMap::new();
    for shown in &view.shown {
        for actor in &shown.process.actors {
            let sum = sums
                .entry((&shown.node, &actor.type_name, &actor.name))
                .or_default();
            sum.count(
                actor.handled,
                actor.panics,
                actor.restarts,
                actor.dead_letters,
            );
            sum.mailbox = sum.mailbox.saturating_add(actor.mailbox);
            sum.timers = sum.timers.saturating_add(actor.timers);
            sum.actors += 1;
            for (total, n) in sum.buckets.iter_mut().zip(actor.buckets()) {
                *total = total.saturating_add(n);
            }
            sum.sum_ns = sum.sum_ns.saturating_add(actor.handling_sum_ns);
        }
        // The ended actors' counts stay in their series: counters never go down.
        for ended in &shown.process.ended {
            let sum = sums
                .entry((&shown.node, &ended.type_name, &ended.name))
                .or_default();
            sum.count(
                ended.handled,
                ended.panics,
                ended.restarts,
                ended.dead_letters,
            );
        }
    }
    let row_labels = |node: &str, type_name: &str, actor_name: &str| {
        let mut labels = node_label(node);
        labels.push_str("type=\"");
        label(&mut labels, type_name);
        labels.push_str("\",name=\"");
        label(&mut labels, actor_name);
        labels.push('"');
        labels
    };
    let mut out = String::new();
    let series =
        |out: &mut String, name: &str, help: &str, kind: &str, value: &dyn Fn(&Sum) -> String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((node, type_name, actor_name), sum) in &sums {
                let labels = row_labels(node, type_name, actor_name);
                let _ = writeln!(out, "{name}{{{labels}}} {}", value(sum));
            }
        };
    series(&mut out, "actor_live", "Live actors.", "gauge", &|s| {
        s.actors.to_string()
    });
    series(
        &mut out,
        "actor_messages_handled_total",
        "Messages handled (panicking handlers included).",
        "counter",
        &|s| s.handled.to_string(),
    );
    series(
        &mut out,
        "actor_panics_total",
        "Handlers that panicked.",
        "counter",
        &|s| s.panics.to_string(),
    );
    series(
        &mut out,
        "actor_restarts_total",
        "Actors rebuilt from their factory after a panic.",
        "counter",
        &|s| s.restarts.to_string(),
    );
    series(
        &mut out,
        "actor_dead_letters_total",
        "Messages for the actor that could not be delivered.",
        "counter",
        &|s| s.dead_letters.to_string(),
    );
    series(
        &mut out,
        "actor_mailbox_depth",
        "Messages waiting in mailboxes.",
        "gauge",
        &|s| s.mailbox.to_string(),
    );
    series(
        &mut out,
        "actor_timers_pending",
        "Timers still pending.",
        "gauge",
        &|s| s.timers.to_string(),
    );
    let name = "actor_handling_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Handling time of one message in {} (sampled).\n# TYPE {name} histogram",
        crate::observe::SAMPLE
    );
    for ((node, type_name, actor_name), sum) in &sums {
        let labels = row_labels(node, type_name, actor_name);
        let mut cumulative = 0;
        for (i, n) in sum.buckets.iter().enumerate() {
            cumulative = n.saturating_add(cumulative);
            let bound = (1u64 << (i + 1)) as f64 / 1e9;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels},le=\"{bound:e}\"}} {cumulative}"
            );
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum{{{labels}}} {:e}", sum.sum_ns as f64 / 1e9);
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
    let _ = writeln!(
        out,
        "# HELP actor_driver_queue_length Turns queued on a driver's shared queue.\n# TYPE actor_driver_queue_length gauge"
    );
    for shown in &view.shown {
        let node = node_label(&shown.node);
        for driver in &shown.process.drivers {
            let _ = writeln!(
                out,
                "actor_driver_queue_length{{{node}driver=\"{}\"}} {}",
                driver.id, driver.queue
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP actor_driver_worker_busy_seconds_total Time a driver worker spent busy.\n# TYPE actor_driver_worker_busy_seconds_total counter"
    );
    for shown in &view.shown {
        let node = node_label(&shown.node);
        for driver in &shown.process.drivers {
            for (worker, busy) in driver.busy_ns.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "actor_driver_worker_busy_seconds_total{{{node}driver=\"{}\",worker=\"{worker}\"}} {:e}",
                    driver.id,
                    *busy as f64 / 1e9
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP actor_dead_letters_process_total Dead letters in the process.\n# TYPE actor_dead_letters_process_total counter"
    );
    for shown in &view.shown {
        if labelled {
            let node = node_label(&shown.node);
            let _ = writeln!(
                out,
                "actor_dead_letters_process_total{{{}}} {}",
                node.trim_end_matches(','),
                shown.process.dead_letters
            );
        } else {
            let _ = writeln!(
                out,
                "actor_dead_letters_process_total {}",
                shown.process.dead_letters
            );
        }
    }
    if let Some(status) = &view.cluster {
        for (name, help, value) in [
            (
                "actor_console_snapshots_received_total",
                "Published snapshots taken in.",
                status.received,
            ),
            (
                "actor_console_snapshots_malformed_total",
                "Published snapshots dropped: unreadable or past a bound.",
                status.malformed,
            ),
            (
                "actor_console_snapshots_oversized_total",
                "Published snapshots dropped: over the console's byte bound.",
                status.oversized,
            ),
            (
                "actor_console_snapshots_dropped_total",
                "Published snapshots dropped: the console's queue was full.",
                status.dropped,
            ),
            (
                "actor_console_nodes_refused_total",
                "Published snapshots dropped: from a node past the console's node bound.",
                status.refused_nodes,
            ),
            (
                "actor_console_nodes_expired_total",
                "Nodes forgotten after they stopped publishing.",
                status.expired,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP actor_console_nodes Nodes shown.\n# TYPE actor_console_nodes gauge\nactor_console_nodes {}",
            view.shown.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::{Actor, Driver, Ended, Process};
    use super::*;

    /// Figures as large as a hostile (or very old) process can send.
    fn huge(node: &str) -> Shown {
        let actor = Actor {
            id: 1,
            type_name: "T".to_owned(),
            name: "n".to_owned(),
            driver: Some((1, 1)),
            parent: None,
            mailbox: u64::MAX,
            timers: u64::MAX,
            handled: u64::MAX,
            panics: u64::MAX,
            restarts: u64::MAX,
            dead_letters: u64::MAX,
            handling_first: 0,
            handling_ns: vec![u64::MAX; crate::observe::BUCKETS],
            handling_sum_ns: u64::MAX,
        };
        let ended = Ended {
            type_name: "T".to_owned(),
            name: "n".to_owned(),
            handled: u64::MAX,
            panics: u64::MAX,
            restarts: u64::MAX,
            dead_letters: u64::MAX,
        };
        Shown {
            node: node.to_owned(),
            process: Arc::new(Process {
                actors: vec![actor.clone(), Actor { id: 2, ..actor }],
                drivers: vec![Driver {
                    id: 1,
                    threads: u64::MAX,
                    actors: u64::MAX,
                    queue: u64::MAX,
                    busy_ns: vec![u64::MAX],
                }],
                dead_letters: u64::MAX,
                ended: vec![ended],
                ..Process::default()
            }),
            age_ms: Some(u64::MAX),
        }
    }

    #[test]
    fn the_largest_figures_saturate_rather_than_overflow() {
        let view = View {
            shown: vec![huge("a"), huge("b")],
            cluster: Some(ClusterStatus::default()),
        };
        let json = json(&view, &History::default());
        assert!(
            json.contains(&format!("\"dead_letters\":{}", u64::MAX)),
            "{json}"
        );
        let text = prometheus(&view);
        let depth = format!(
            "actor_mailbox_depth{{node=\"a\",type=\"T\",name=\"n\"}} {}",
            u64::MAX
        );
        assert!(text.contains(&depth), "{text}");
    }
}
