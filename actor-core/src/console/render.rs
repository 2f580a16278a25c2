//! The console's three views of a snapshot: JSON (`/api/snapshot`), the Prometheus text
//! format (`/metrics`) and the page (`/`, the JSON inlined so that it draws at once).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::history::History;
use crate::id::ActorInfo;
use crate::observe::{Hosting, Snapshot};

/// The page, with `__SNAPSHOT__` where the first snapshot's JSON goes.
const PAGE: &str = include_str!("page.html");

/// The page, drawn at once from `snapshot`, then kept up to date by its script.
pub(super) fn page(snapshot: &Snapshot, history: &History) -> String {
    PAGE.replace("__SNAPSHOT__", &json(snapshot, history))
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

fn actor_ref(out: &mut String, actor: &ActorInfo, labels: &HashMap<u64, String>) {
    let id = actor.id.get();
    let _ = write!(out, "{{\"id\":{id},\"label\":");
    match labels.get(&id) {
        Some(label) => string(out, label),
        None => string(out, &actor.to_string()),
    }
    out.push('}');
}

/// The snapshot and the rates and histories as JSON.
pub(super) fn json(snapshot: &Snapshot, history: &History) -> String {
    let labels: HashMap<u64, String> = snapshot
        .actors
        .iter()
        .map(|actor| (actor.id, actor.label()))
        .collect();
    // A named actor's row counts its name's earlier incarnations too (a supervisor's
    // restarts of a child are new actors under the same name).
    let ended: HashMap<(&str, &str), &crate::observe::Ended> = snapshot
        .ended
        .iter()
        .filter(|ended| !ended.name.is_empty())
        .map(|ended| ((ended.type_name, ended.name.as_str()), ended))
        .collect();
    let mut out = String::with_capacity(256 + 300 * snapshot.actors.len());
    out.push_str("{\"actors\":[");
    for (i, actor) in snapshot.actors.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"id\":{},\"type\":", actor.id);
        string(&mut out, actor.type_name);
        out.push_str(",\"name\":");
        string(&mut out, &actor.name);
        out.push_str(",\"label\":");
        string(&mut out, &actor.label());
        match actor.hosting {
            Hosting::Thread => out.push_str(",\"hosting\":\"thread\",\"driver\":null"),
            Hosting::Driver { id, threads } => {
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
        let past = history.actors.get(&actor.id);
        let before = ended.get(&(actor.type_name, actor.name.as_str()));
        let earlier = |count: fn(&crate::observe::Ended) -> u64| before.map_or(0, |e| count(e));
        let _ = write!(
            out,
            ",\"mailbox\":{},\"timers\":{},\"handled\":{},\"panics\":{},\"restarts\":{},\"dead_letters\":{},\"depths\":[",
            actor.mailbox,
            actor.timers,
            actor.handled + earlier(|e| e.handled),
            actor.panics + earlier(|e| e.panics),
            actor.restarts + earlier(|e| e.restarts),
            actor.dead_letters + earlier(|e| e.dead_letters)
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
            match actor.handling_quantile(q) {
                Some(time) => number(&mut out, time.as_secs_f64() * 1e6),
                None => out.push_str("null"),
            }
        }
        out.push('}');
    }
    out.push_str("],\"drivers\":[");
    for (i, driver) in snapshot.drivers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"id\":{},\"threads\":{},\"actors\":{},\"queue\":{},\"utilisation\":[",
            driver.id, driver.threads, driver.actors, driver.queue
        );
        let utilisation = history.drivers.get(&driver.id);
        for worker in 0..driver.threads {
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
    out.push_str("],\"waits\":[");
    for (i, wait) in snapshot.waits.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"waiter\":");
        actor_ref(&mut out, &wait.waiter, &labels);
        let _ = write!(out, ",\"kind\":\"{}\"", wait.kind);
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
            actor_ref(&mut out, target, &labels);
        }
        out.push_str("]}");
    }
    out.push_str("],\"refused\":[");
    for (i, refused) in snapshot.refused.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"cycle\":");
        string(&mut out, &refused.cycle);
        out.push_str(",\"route\":[");
        for (j, actor) in refused.route.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            actor_ref(&mut out, actor, &labels);
        }
        let _ = write!(out, "],\"ago_ms\":{}}}", refused.ago.as_millis());
    }
    let _ = write!(out, "],\"dead_letters\":{}}}", snapshot.dead_letters);
    out
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

/// Per actor type and name (the actors that share them summed, the ended ones included),
/// per driver and worker, in the Prometheus text format 0.0.4. The histogram counts the
/// live actors' samples only.
pub(super) fn prometheus(snapshot: &Snapshot) -> String {
    #[derive(Default)]
    struct Sum {
        handled: u64,
        panics: u64,
        restarts: u64,
        dead_letters: u64,
        mailbox: usize,
        timers: usize,
        actors: usize,
        buckets: Vec<u64>,
        sum_ns: u64,
    }
    let mut sums: BTreeMap<(&str, &str), Sum> = BTreeMap::new();
    for actor in &snapshot.actors {
        let sum = sums.entry((actor.type_name, &actor.name)).or_default();
        sum.handled += actor.handled;
        sum.panics += actor.panics;
        sum.restarts += actor.restarts;
        sum.dead_letters += actor.dead_letters;
        sum.mailbox += actor.mailbox;
        sum.timers += actor.timers;
        sum.actors += 1;
        sum.buckets.resize(crate::observe::BUCKETS, 0);
        for (total, n) in sum.buckets.iter_mut().zip(actor.handling_ns) {
            *total += n;
        }
        sum.sum_ns += actor.handling_sum_ns;
    }
    // The ended actors' counts stay in their series: counters never go down.
    for ended in &snapshot.ended {
        let sum = sums.entry((ended.type_name, &ended.name)).or_default();
        sum.handled += ended.handled;
        sum.panics += ended.panics;
        sum.restarts += ended.restarts;
        sum.dead_letters += ended.dead_letters;
        sum.buckets.resize(crate::observe::BUCKETS, 0);
    }
    let mut out = String::new();
    let series =
        |out: &mut String, name: &str, help: &str, kind: &str, value: &dyn Fn(&Sum) -> String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((type_name, actor_name), sum) in &sums {
                let _ = write!(out, "{name}{{type=\"");
                label(out, type_name);
                out.push_str("\",name=\"");
                label(out, actor_name);
                let _ = writeln!(out, "\"}} {}", value(sum));
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
    for ((type_name, actor_name), sum) in &sums {
        let mut labels = String::from("type=\"");
        label(&mut labels, type_name);
        labels.push_str("\",name=\"");
        label(&mut labels, actor_name);
        labels.push('"');
        let mut cumulative = 0;
        for (i, n) in sum.buckets.iter().enumerate() {
            cumulative += n;
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
    for driver in &snapshot.drivers {
        let _ = writeln!(
            out,
            "actor_driver_queue_length{{driver=\"{}\"}} {}",
            driver.id, driver.queue
        );
    }
    let _ = writeln!(
        out,
        "# HELP actor_driver_worker_busy_seconds_total Time a driver worker spent busy.\n# TYPE actor_driver_worker_busy_seconds_total counter"
    );
    for driver in &snapshot.drivers {
        for (worker, busy) in driver.busy_ns.iter().enumerate() {
            let _ = writeln!(
                out,
                "actor_driver_worker_busy_seconds_total{{driver=\"{}\",worker=\"{worker}\"}} {:e}",
                driver.id,
                *busy as f64 / 1e9
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP actor_dead_letters_process_total Dead letters in the process.\n# TYPE actor_dead_letters_process_total counter\nactor_dead_letters_process_total {}",
        snapshot.dead_letters
    );
    out
}
