//! Counting what wall time on a shared machine hides, for `examples/wire_count.rs` and
//! `examples/nats_count.rs` (which include this file by path): each thread's context
//! switches and CPU time over a run of round trips, read from `/proc/self/task` (Linux
//! only), grouped by thread name.
#![allow(dead_code)] // each example takes a different part

use std::fs;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

/// What one thread of this process has done so far.
pub struct Task {
    name: String,
    switches: u64,
    cpu_ns: u64,
}

/// Every thread of this process, by id.
pub fn tasks() -> Vec<(u64, Task)> {
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|task| {
            let id = task.file_name().to_str()?.parse().ok()?;
            let status = fs::read_to_string(task.path().join("status")).ok()?;
            let switches = status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            let cpu_ns = fs::read_to_string(task.path().join("schedstat"))
                .ok()?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            let name = fs::read_to_string(task.path().join("comm")).ok()?;
            Some((
                id,
                Task {
                    name: name.trim().to_owned(),
                    switches,
                    cpu_ns,
                },
            ))
        })
        .collect()
}

/// What the threads did between `before` and now, by thread name: the context switches
/// and the CPU time, the busiest first.
pub fn since(before: &[(u64, Task)]) -> Vec<(String, u64, u64)> {
    let mut by_name: Vec<(String, u64, u64)> = Vec::new();
    for (id, now) in tasks() {
        let then = before.iter().find(|(was, _)| *was == id).map(|(_, t)| t);
        let switched = now.switches - then.map_or(0, |t| t.switches);
        let used = now.cpu_ns - then.map_or(0, |t| t.cpu_ns);
        match by_name.iter_mut().find(|(name, ..)| *name == now.name) {
            Some((_, switches, cpu)) => {
                *switches += switched;
                *cpu += used;
            }
            None => by_name.push((now.name, switched, used)),
        }
    }
    by_name.sort_by_key(|(_, _, cpu)| std::cmp::Reverse(*cpu));
    by_name
}

/// Runs `calls` round trips shared by `callers` threads (made by `caller`, each told its
/// index) after unmeasured ones; the switches, the CPU by thread and the time.
pub fn measure<F: FnMut()>(
    callers: u64,
    calls: u64,
    caller: impl Fn(u64) -> F + Sync,
) -> (Vec<(String, u64, u64)>, Duration) {
    let each = calls.div_ceil(callers);
    let ready = Barrier::new(callers as usize + 1);
    let done = Barrier::new(callers as usize + 1);
    // Callers stay until they are counted: a thread gone has taken its figures with it.
    let counted = Barrier::new(callers as usize + 1);
    thread::scope(|scope| {
        for index in 0..callers {
            let (caller, ready, done, counted) = (&caller, &ready, &done, &counted);
            thread::Builder::new()
                .name("caller".into())
                .spawn_scoped(scope, move || {
                    let mut call = caller(index);
                    for _ in 0..each.div_ceil(10) {
                        call();
                    }
                    ready.wait();
                    for _ in 0..each {
                        call();
                    }
                    done.wait();
                    counted.wait();
                })
                .expect("a caller thread");
        }
        ready.wait();
        let (before, start) = (tasks(), Instant::now());
        done.wait();
        let elapsed = start.elapsed();
        let threads = since(&before);
        counted.wait();
        (threads, elapsed)
    })
}

/// The count of round trips and of callers, the next two of `args` (`default` round
/// trips and one caller where they are not given); exits with a message for anything but
/// whole numbers above 0.
pub fn numbers(args: &mut impl Iterator<Item = String>, example: &str, default: u64) -> (u64, u64) {
    let mut number = |default: u64| match args.next().map_or(Ok(default), |n| n.parse()) {
        Ok(n) if n > 0 => n,
        _ => {
            eprintln!("{example}: the count and the callers must be whole numbers above 0");
            std::process::exit(2);
        }
    };
    (number(default), number(1))
}

/// Prints a run's figures per round trip: the context switches of the whole process and
/// the wall time, then each kind of thread's CPU time and switches (those that did
/// anything to speak of).
pub fn report(what: &str, callers: u64, n: u64, threads: &[(String, u64, u64)], elapsed: Duration) {
    let per = |x: u64| x as f64 / n as f64;
    let switched: u64 = threads.iter().map(|(_, switches, _)| switches).sum();
    println!(
        "{what}, {callers} caller(s): {:.2} context switches and {:.1} µs per round trip ({n} round trips)",
        per(switched),
        elapsed.as_nanos() as f64 / 1000.0 / n as f64
    );
    let busy: Vec<String> = threads
        .iter()
        .filter(|(_, switches, ns)| per(*ns) >= 50.0 || per(*switches) >= 0.05)
        .map(|(name, switches, ns)| {
            format!("{name} {:.1} µs, {:.2}", per(*ns) / 1000.0, per(*switches))
        })
        .collect();
    println!(
        "  per round trip, by thread: CPU, context switches: {}",
        busy.join("; ")
    );
}
