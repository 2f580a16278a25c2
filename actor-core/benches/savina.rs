//! Criterion benchmarks of five Savina workloads (`savina/mod.rs`): ThreadRing, Big,
//! Fork-Join throughput, chain spawn and ping-pong, and issue 21's spawn-call-stop, each with the framework's actors on a
//! `Driver::new(2)`, on dedicated threads, and as plain threads with crossbeam channels.
//!
//! Run with `cargo bench -p actor-core --bench savina`; one workload with e.g.
//! `cargo bench -p actor-core --bench savina -- threadring`. Throughput counts the
//! workload's unit (hop, message, actor, round trip). The table against the peers'
//! figures and the targets comes from `cargo run --release --example savina_report`.
//!
//! The thread-per-actor hostings of ThreadRing, Big, chain spawn and ping-pong take a
//! second or more per run at full size on a loaded 2-core machine, so they run at a smaller scale here (the per-unit figure is what
//! counts); the whole bench stays within about three minutes on a 2-core machine.

#[path = "savina/mod.rs"]
mod savina;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use savina::Hosting;

/// The scale a workload runs at in a hosting.
fn scale(workload: &str, hosting: Hosting) -> f64 {
    match (workload, hosting) {
        (_, Hosting::Driver) => 1.0,
        ("threadring" | "chainspawn" | "pingpong", _) => 0.1,
        ("big" | "spawncall", _) => 0.25,
        _ => 1.0,
    }
}

fn savina(c: &mut Criterion) {
    for workload in savina::all() {
        println!(
            "{}: {}; throughput counts {}s; peers (raw threads, actix, ractor, kameo) {:?} ns; \
             target <= {} ns on a driver, {:?} ns on dedicated threads",
            workload.name,
            workload.what,
            workload.unit,
            workload.peers,
            workload.target_driver,
            workload.target_dedicated,
        );
        let mut group = c.benchmark_group(workload.name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        for &hosting in workload.hostings {
            let scale = scale(workload.name, hosting);
            let units = (workload.units)(scale);
            // One checked run first, as a warm-up and a sanity line in the log.
            let first = (workload.run)(hosting, scale);
            println!(
                "  {} at scale {scale}: first run {:.1} ns per {}",
                hosting.name(),
                first.ns_per_unit(),
                workload.unit
            );
            group.throughput(Throughput::Elements(units));
            group.bench_function(hosting.name(), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            let run = (workload.run)(hosting, scale);
                            assert_eq!(run.units, units);
                            run.elapsed
                        })
                        .sum()
                })
            });
        }
        if workload.name == "pingpong" {
            // The same channel operations on one thread, with no actors: the floor.
            group.throughput(Throughput::Elements((workload.units)(1.0)));
            group.bench_function("floor", |b| {
                b.iter_custom(|iters| (0..iters).map(|_| savina::channel_floor(1.0).elapsed).sum())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, savina);
criterion_main!(benches);
