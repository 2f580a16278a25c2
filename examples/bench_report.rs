//! A quick benchmark report: runs every scenario of the criterion benches
//! (`actor-core/benches/scenarios/mod.rs`, included here by path) through the framework and
//! as the same work on raw crossbeam channels and bare threads, takes the median of several
//! runs of each, and prints a table of framework vs raw with their ratio and its target.
//!
//! ```text
//! cargo run --release --example bench_report            # every scenario
//! cargo run --release --example bench_report -- tell    # only the named ones
//! ```
//!
//! Exits with status 1 if any median ratio is above its target. It measures, it does not
//! test: it is not part of the test suite, and its figures are only as quiet as the
//! machine. Next to the medians it prints the best run of each half and their ratio (the
//! two halves at their quietest), the middle half of the run-by-run ratios, and how steady
//! each half is: the middle half of its runs and its slowest run, per operation.

#[path = "../actor-core/benches/scenarios/mod.rs"]
mod scenarios;

use std::process::ExitCode;
use std::time::{Duration, Instant};

/// One row of the table. Times are per operation, in ns.
struct Row {
    name: &'static str,
    unit: &'static str,
    reps: usize,
    /// Median through the framework.
    framework: f64,
    /// Median on raw crossbeam.
    raw: f64,
    /// Best (fastest) run through the framework.
    framework_best: f64,
    /// Best run on raw crossbeam.
    raw_best: f64,
    /// The first and third quartiles of the ratios of runs taken side by side.
    pairwise: (f64, f64),
    /// How steady the framework's runs were: first quartile, third quartile, slowest.
    framework_spread: (f64, f64, f64),
    /// The same for the raw runs.
    raw_spread: (f64, f64, f64),
    target: f64,
}

impl Row {
    /// The ratio the target applies to: median over median.
    fn ratio(&self) -> f64 {
        self.framework / self.raw
    }

    fn best_ratio(&self) -> f64 {
        self.framework_best / self.raw_best
    }

    fn verdict(&self) -> &'static str {
        if self.ratio() <= self.target {
            "pass"
        } else {
            "FAIL"
        }
    }
}

fn main() -> ExitCode {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("bench_report: medians of alternating timed runs; {threads} hardware threads");
    println!();

    let mut rows = Vec::new();
    for spec in scenarios::all() {
        if !only.is_empty() && !only.iter().any(|name| name == spec.name) {
            continue;
        }
        println!("{}: {}", spec.name, spec.what);
        let started = Instant::now();
        let row = measure(&spec);
        println!(
            "  {} in {:.1?}: {} runs of {} {}s per half; median framework {} / raw {} = {:.2}; \
             best {} / {} = {:.2}; run-by-run ratios {:.2}..{:.2} (middle half)",
            row.verdict(),
            started.elapsed(),
            row.reps,
            spec.ops,
            row.unit,
            per_op(row.framework),
            per_op(row.raw),
            row.ratio(),
            per_op(row.framework_best),
            per_op(row.raw_best),
            row.best_ratio(),
            row.pairwise.0,
            row.pairwise.1,
        );
        let spread = |(q1, q3, worst): (f64, f64, f64)| {
            format!("{}..{}, slowest {}", per_op(q1), per_op(q3), per_op(worst))
        };
        println!(
            "  steadiness, per {} (middle half of the runs): framework {}; raw {}",
            row.unit,
            spread(row.framework_spread),
            spread(row.raw_spread),
        );
        rows.push(row);
    }
    if rows.is_empty() {
        eprintln!("no scenario named {only:?}");
        return ExitCode::FAILURE;
    }

    println!();
    println!(
        "| {:<9} | {:>10} | {:>10} | {:>10} | {:>5} | {:>7} | {:<6} | {:>10} |",
        "scenario", "framework", "raw", "per", "ratio", "target", "result", "best ratio"
    );
    println!(
        "|{:-<11}|{:->12}|{:->12}|{:->12}|{:->7}|{:->9}|{:-<8}|{:->12}|",
        "", "", "", "", "", "", "", ""
    );
    for row in &rows {
        println!(
            "| {:<9} | {:>10} | {:>10} | {:>10} | {:>5.2} | {:>7} | {:<6} | {:>10.2} |",
            row.name,
            per_op(row.framework),
            per_op(row.raw),
            row.unit,
            row.ratio(),
            format!("<= {:.2}", row.target),
            row.verdict(),
            row.best_ratio(),
        );
    }
    let failed = rows.iter().filter(|row| row.ratio() > row.target).count();
    println!();
    if failed == 0 {
        println!("every ratio within its target");
        ExitCode::SUCCESS
    } else {
        println!("{failed} ratio(s) above target");
        ExitCode::FAILURE
    }
}

/// Builds a scenario, warms both halves up, then times them alternately (which half goes
/// first swaps every repetition, so drift in the machine's load hits both alike).
fn measure(spec: &scenarios::Spec) -> Row {
    let scenarios::Pair {
        mut framework,
        mut raw,
    } = (spec.build)(spec.ops);
    framework();
    raw();
    let mut framework_runs = Vec::with_capacity(spec.reps);
    let mut raw_runs = Vec::with_capacity(spec.reps);
    for rep in 0..spec.reps {
        if rep % 2 == 0 {
            framework_runs.push(time(&mut framework));
            raw_runs.push(time(&mut raw));
        } else {
            raw_runs.push(time(&mut raw));
            framework_runs.push(time(&mut framework));
        }
    }
    let mut pairwise: Vec<f64> = framework_runs
        .iter()
        .zip(&raw_runs)
        .map(|(f, r)| f.as_secs_f64() / r.as_secs_f64())
        .collect();
    pairwise.sort_by(f64::total_cmp);
    framework_runs.sort();
    raw_runs.sort();
    let per_op = |d: Duration| d.as_secs_f64() * 1e9 / spec.ops as f64;
    let spread = |runs: &[Duration]| {
        (
            per_op(runs[spec.reps / 4]),
            per_op(runs[spec.reps * 3 / 4]),
            per_op(runs[spec.reps - 1]),
        )
    };
    Row {
        name: spec.name,
        unit: spec.unit,
        reps: spec.reps,
        framework: per_op(framework_runs[spec.reps / 2]),
        raw: per_op(raw_runs[spec.reps / 2]),
        framework_best: per_op(framework_runs[0]),
        raw_best: per_op(raw_runs[0]),
        pairwise: (pairwise[spec.reps / 4], pairwise[spec.reps * 3 / 4]),
        framework_spread: spread(&framework_runs),
        raw_spread: spread(&raw_runs),
        target: spec.target,
    }
}

fn time(run: &mut dyn FnMut()) -> Duration {
    let started = Instant::now();
    run();
    started.elapsed()
}

/// A time per operation, in ns below 1 µs, else in µs.
fn per_op(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.1} ns")
    } else {
        format!("{:.2} µs", ns / 1e3)
    }
}
