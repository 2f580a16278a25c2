//! Criterion benchmarks: each scenario of `scenarios/mod.rs` measured through the framework
//! and as the same work on raw crossbeam channels and bare threads, in the same run.
//!
//! Run with `cargo bench -p actor-core`; one scenario with e.g.
//! `cargo bench -p actor-core -- tell`. Criterion prints each half's time per run and its
//! throughput per operation (message, call, round trip or actor); the ratio table with
//! targets comes from `cargo run --release --example bench_report`.
//!
//! Runs are long (a million messages for `tell`), so sampling is flat with few samples:
//! the whole suite stays within a few minutes on a 2-core machine.

mod scenarios;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

/// One criterion group per scenario, with a `framework` and a `raw` function.
fn actors(c: &mut Criterion) {
    for spec in scenarios::all() {
        println!(
            "{}: {}; throughput counts {}s; target ratio framework/raw <= {}",
            spec.name, spec.what, spec.unit, spec.target
        );
        let scenarios::Pair {
            mut framework,
            mut raw,
        } = (spec.build)(spec.ops);
        let mut group = c.benchmark_group(spec.name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(spec.reps.max(10))
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(spec.ops));
        group.bench_function("framework", |b| b.iter(&mut framework));
        group.bench_function("raw", |b| b.iter(&mut raw));
        group.finish();
    }
}

criterion_group!(benches, actors);
criterion_main!(benches);
