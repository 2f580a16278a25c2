//! A quick Savina report: runs five workloads of the Savina suite (ThreadRing, Big,
//! Fork-Join throughput, chain spawn, ping-pong) and issue 21's spawn-call-stop
//! (`actor-core/benches/savina/mod.rs`, included here by path) with the framework's actors
//! on a `Driver::new(2)`, on dedicated threads, and as plain threads with crossbeam
//! channels, takes the median of a few runs of each, and prints them next to the peers'
//! figures of issues 10 and 21 and the targets (`-` where the issue gives no figure).
//!
//! ```text
//! cargo run --release --example savina_report                       # everything, full size
//! cargo run --release --example savina_report -- --scale 0.1 big    # smaller, only `big`
//! cargo run --release --example savina_report -- --reps 5 --hosting driver
//! cargo run --release --example savina_report -- --hosting driver --threads 1   # vs one thread
//! cargo run --release --example savina_report -- --idle   # what an idle driver's workers burn
//! ```
//!
//! `--idle` measures, instead of the workloads, the CPU time a driver's worker threads
//! run (from `/proc/self/task/*/schedstat`, Linux only): per call from a plain thread to
//! a driver whose workers have been idle for 2 ms, and over 5 s with no work at all.
//!
//! It is a report, not a test: it always exits 0, and its figures are only as quiet as
//! the machine. The targets are tracked in BENCHMARKS.md ("Savina"). Every run still
//! checks its own result (hops, pongs, messages handled, the chain's end) and panics if
//! it is wrong.

#[path = "../actor-core/benches/savina/mod.rs"]
mod savina;

use std::time::{Duration, Instant};

use savina::{Hosting, Workload};

fn main() {
    let mut scale = 1.0;
    let mut reps = 3;
    let mut hostings: Option<String> = None;
    let mut only = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => scale = args.next().and_then(|s| s.parse().ok()).unwrap_or(scale),
            "--reps" => reps = args.next().and_then(|s| s.parse().ok()).unwrap_or(reps),
            "--hosting" => hostings = args.next(),
            "--idle" => {
                idle_report();
                return;
            }
            "--threads" => {
                let threads = args.next().and_then(|s| s.parse().ok()).unwrap_or(2_usize);
                savina::DRIVER_THREADS.store(threads.max(1), std::sync::atomic::Ordering::Relaxed);
            }
            _ => only.push(arg),
        }
    }
    let reps: usize = reps.max(1);
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "savina_report: medians of {reps} runs per hosting at scale {scale}; \
         {threads} hardware threads; driver of {} threads",
        savina::DRIVER_THREADS.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!();

    let mut rows = Vec::new();
    for workload in savina::all() {
        if !only.is_empty() && !only.iter().any(|name| name == workload.name) {
            continue;
        }
        println!(
            "{}: {} ({} {}s per run at this scale)",
            workload.name,
            workload.what,
            (workload.units)(scale),
            workload.unit
        );
        let started = Instant::now();
        let mut medians = Vec::new();
        for &hosting in workload.hostings {
            if hostings.as_ref().is_some_and(|h| h != hosting.name()) {
                continue;
            }
            // One untimed run to warm up, then the timed ones.
            (workload.run)(hosting, scale);
            let mut runs: Vec<f64> = (0..reps)
                .map(|_| (workload.run)(hosting, scale).ns_per_unit())
                .collect();
            runs.sort_by(f64::total_cmp);
            println!(
                "  {:<9} median {} per {} (runs {} .. {})",
                hosting.name(),
                per_unit(runs[reps / 2]),
                workload.unit,
                per_unit(runs[0]),
                per_unit(runs[reps - 1]),
            );
            medians.push((hosting, runs[reps / 2]));
        }
        if workload.name == "pingpong" {
            let mut floor: Vec<f64> = (0..reps)
                .map(|_| savina::channel_floor(scale).ns_per_unit())
                .collect();
            floor.sort_by(f64::total_cmp);
            println!(
                "  floor     median {} per {}: the same sends and receives on one thread, no actors",
                per_unit(floor[reps / 2]),
                workload.unit
            );
        }
        println!("  in {:.1?}", started.elapsed());
        rows.push((workload, medians));
    }

    println!();
    println!(
        "| {:<10} | {:<10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:<26} |",
        "workload", "unit", "driver", "dedicated", "raw", "raw (peer)", "actix", "ractor",
        "kameo", "target"
    );
    println!(
        "|{:-<12}|{:-<12}|{:->12}|{:->12}|{:->12}|{:->12}|{:->12}|{:->12}|{:->12}|{:-<28}|",
        "", "", "", "", "", "", "", "", "", ""
    );
    for (workload, medians) in &rows {
        let of = |hosting: Hosting| {
            medians
                .iter()
                .find(|(h, _)| *h == hosting)
                .map_or("-".to_owned(), |(_, ns)| per_unit(*ns))
        };
        println!(
            "| {:<10} | {:<10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:<26} |",
            workload.name,
            workload.unit,
            of(Hosting::Driver),
            of(Hosting::Dedicated),
            of(Hosting::Raw),
            per_unit(workload.peers[0]),
            per_unit(workload.peers[1]),
            per_unit(workload.peers[2]),
            per_unit(workload.peers[3]),
            target(workload),
        );
    }
    println!();
    for (workload, medians) in &rows {
        let verdict = |hosting: Hosting, target: f64| {
            medians.iter().find(|(h, _)| *h == hosting).map(|(_, ns)| {
                if *ns <= target {
                    "met"
                } else {
                    "not met"
                }
            })
        };
        if let Some(v) = verdict(Hosting::Driver, workload.target_driver) {
            println!("{}: driver target {v}", workload.name);
        }
        if let Some(t) = workload.target_dedicated {
            if let Some(v) = verdict(Hosting::Dedicated, t) {
                println!("{}: dedicated target {v}", workload.name);
            }
        }
    }
}

/// The CPU time a driver's workers burn: per call to a driver idle for a while (each call
/// finds its workers asleep, or spinning), and while it has nothing to do at all.
fn idle_report() {
    use actor_core::prelude::*;
    let wait = Duration::from_secs(10);
    let driver = Driver::new(savina::DRIVER_THREADS.load(std::sync::atomic::Ordering::Relaxed));
    let actor = savina::Numbered(7).spawn_on(&driver);
    let bridge = Bridge::new();
    let cpu = || workers_cpu_ns(driver.id().get()).expect("/proc/self/task readable (Linux)");
    let (calls, gap) = (500_u32, Duration::from_millis(2));
    let (per_call, waited) = calls_after_pauses(
        calls,
        || std::thread::sleep(gap),
        || {
            assert_eq!(
                bridge.call(&actor, savina::Number, wait).expect("answers"),
                7
            )
        },
        &cpu,
    );
    let before = cpu();
    let quiet = Duration::from_secs(5);
    std::thread::sleep(quiet);
    let idle = cpu() - before;
    println!(
        "idle: {calls} calls, each after {gap:?} of nothing: {} of worker CPU per call, \
         {} per call round trip",
        per_unit(per_call as f64),
        per_unit(waited.as_nanos() as f64),
    );
    println!(
        "idle: {} threads with nothing to do for {quiet:?}: {} of worker CPU in all",
        driver.threads(),
        per_unit(idle as f64),
    );
    driver.shutdown(wait).expect("driver shuts down");
    dedicated_idle_report(&bridge, wait);
}

/// What a dedicated thread's spin before it blocks costs (`hosting/thread.rs`): its
/// thread's CPU per call, for calls that come long after the last (2 ms: it learns not to
/// spin) and soon after it (a 20 µs busy pause of the caller: it spins through the gap).
fn dedicated_idle_report(bridge: &actor_core::Bridge, wait: Duration) {
    use actor_core::prelude::*;
    let actor = savina::Numbered(7).spawn();
    let cpu = || threads_cpu_ns("Numbered").expect("/proc/self/task readable (Linux)");
    for (calls, gap, sleeps) in [
        (500_u32, Duration::from_millis(2), true),
        (5_000, Duration::from_micros(20), false),
    ] {
        let (per_call, waited) = calls_after_pauses(
            calls,
            || {
                // A benchmark, not a test: the pause is the thing measured.
                if sleeps {
                    std::thread::sleep(gap);
                } else {
                    let until = Instant::now() + gap;
                    while Instant::now() < until {
                        std::hint::spin_loop();
                    }
                }
            },
            || {
                assert_eq!(
                    bridge.call(&actor, savina::Number, wait).expect("answers"),
                    7
                )
            },
            &cpu,
        );
        println!(
            "idle: dedicated thread, {calls} calls, each after {gap:?} of nothing ({}): {} of \
             its thread's CPU per call, {} per call round trip",
            if sleeps { "sleeping" } else { "busy" },
            per_unit(per_call as f64),
            per_unit(waited.as_nanos() as f64),
        );
    }
    bridge.stop(&[actor.any()], wait);
}

/// One call first (the actor is awake), then `calls` calls each after a `pause`, and a
/// last pause (for what the callee does once idle); the CPU per call that `cpu` counted
/// meanwhile, in ns, and the mean round trip of a call.
fn calls_after_pauses(
    calls: u32,
    pause: impl Fn(),
    call: impl Fn(),
    cpu: &dyn Fn() -> u64,
) -> (u64, Duration) {
    call();
    let mut waited = Duration::ZERO;
    let before = cpu();
    for _ in 0..calls {
        pause();
        let started = Instant::now();
        call();
        waited += started.elapsed();
    }
    pause();
    ((cpu() - before) / u64::from(calls), waited / calls)
}

/// The nanoseconds the threads of driver `id` have run, from each thread's `schedstat`.
fn workers_cpu_ns(id: u64) -> Option<u64> {
    threads_cpu_ns(&format!("driver{id}-"))
}

/// The nanoseconds this process's threads whose names start with `prefix` have run, from
/// each thread's `schedstat`.
fn threads_cpu_ns(prefix: &str) -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let path = entry.ok()?.path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue; // a thread that ended meanwhile
        };
        if name.trim_end().starts_with(prefix) {
            let stat = std::fs::read_to_string(path.join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
    }
    Some(total)
}

fn target(workload: &Workload) -> String {
    match workload.target_dedicated {
        Some(t) => format!(
            "<= {} drv, <= {} ded",
            per_unit(workload.target_driver),
            per_unit(t)
        ),
        None => format!("<= {} drv", per_unit(workload.target_driver)),
    }
}

/// A time per unit, in ns below 1 µs, else in µs; `-` for a figure not known.
fn per_unit(ns: f64) -> String {
    if ns.is_nan() {
        "-".to_owned()
    } else if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{:.2} µs", ns / 1e3)
    }
}
