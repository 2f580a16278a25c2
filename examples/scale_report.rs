//! How cost grows with the number of actors (issue 21, "Scale"): ThreadRing and Big at
//! 100, 10,000 and 1,000,000 actors on one `Driver::new(2)` (the workloads of
//! `actor-core/benches/savina/mod.rs`, included here by path, with the actor count as a
//! parameter), the memory per idle actor at 1,000,000 actors, and one publish to 100,000
//! subscribers.
//!
//! ```text
//! cargo run --release --example scale_report                  # everything, 3 runs each
//! cargo run --release --example scale_report -- --reps 5
//! cargo run --release --example scale_report -- --largest 100000   # a smaller top size
//! cargo run --release --example scale_report -- --sizes 100,10000 --messages 200000 \
//!     --only big --reps 1      # one workload, a tenth of the messages (for valgrind)
//! ```
//!
//! Every size does about the same number of messages, so the cost per message is
//! comparable from the smallest size to the largest:
//!
//! - ThreadRing makes [`RING_HOPS`] hops whatever the ring's size (20,000 laps of 100
//!   actors, 2 laps of 1,000,000);
//! - Big sends [`BIG_PINGS`] pings in all, split evenly among the actors (20,000 each at
//!   100 actors, 2 each at 1,000,000), each answered with a pong. Its per-message figure
//!   counts every message the actors handle in the timed part: the pings, the pongs and
//!   the one start message each actor gets from the main thread.
//!
//! The ratio largest/smallest is printed against the issue's 1.5x target. Figures are the
//! median of `--reps` runs (after one warm-up run at the smallest size), as quiet as the
//! machine. It is a report, not a test: it always exits 0, but every run checks its own
//! result (hops made, pongs counted, copies delivered) and panics if it is wrong. The
//! memory figure is the growth of the resident set (`/proc/self/statm`, Linux) over the
//! spawn of the idle actors, handles included; elsewhere it prints "n/a".

#[allow(dead_code)]
#[path = "../actor-core/benches/savina/mod.rs"]
mod savina;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::PubSub;
use savina::{Hosting, Measured};

/// Hops of ThreadRing at every size.
const RING_HOPS: u64 = 2_000_000;
/// Pings of Big in all, at every size.
const BIG_PINGS: u64 = 2_000_000;
/// Actors in the memory figure.
const IDLE_ACTORS: usize = 1_000_000;
/// Subscribers of the publish.
const SUBSCRIBERS: usize = 100_000;
/// How long any wait may take before the run is declared broken.
const TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    let mut reps = 3;
    let mut largest = 1_000_000;
    let mut sizes: Vec<usize> = vec![100, 10_000, 1_000_000];
    let (mut ring_hops, mut big_pings) = (RING_HOPS, BIG_PINGS);
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reps" => reps = args.next().and_then(|s| s.parse().ok()).unwrap_or(reps),
            "--largest" => largest = args.next().and_then(|s| s.parse().ok()).unwrap_or(largest),
            "--sizes" => {
                let given: Vec<usize> = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .filter(|&n| n > 0)
                    .collect();
                if !given.is_empty() {
                    sizes = given;
                }
            }
            "--messages" => {
                if let Some(n) = args.next().and_then(|s| s.parse::<u64>().ok()) {
                    (ring_hops, big_pings) = (n.max(1), n.max(1));
                }
            }
            "--only" => only = args.next(),
            other => eprintln!("scale_report: ignoring {other:?}"),
        }
    }
    let reps: usize = reps.max(1);
    let largest: usize = largest.max(1);
    sizes.retain(|&n| n <= largest);
    if sizes.is_empty() {
        sizes.push(largest.max(1));
    }
    let wants = |name: &str| only.as_deref().is_none_or(|only| only == name);
    let started = Instant::now();
    println!(
        "scale_report: medians of {reps} runs; driver of {} threads; {} hardware threads",
        savina::DRIVER_THREADS.load(Ordering::Relaxed),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();

    // First, in a fresh heap: memory freed by the workloads would be reused and hide it.
    let idle = wants("memory").then(|| idle_bytes(IDLE_ACTORS.min(largest)));

    // One warm-up of each at the smallest size.
    if wants("threadring") {
        savina::thread_ring_of(Hosting::Driver, sizes[0], (ring_hops / 10).max(1));
    }
    if wants("big") {
        savina::big_of(
            Hosting::Driver,
            sizes[0],
            (big_pings / 10 / sizes[0] as u64).max(1),
        );
    }

    let ring: Vec<Figure> = sizes
        .iter()
        .filter(|_| wants("threadring"))
        .map(|&actors| {
            let figure = median(reps, || {
                savina::thread_ring_of(Hosting::Driver, actors, ring_hops)
            });
            println!(
                "threadring {actors:>9} actors: {:>7.1} ns per hop, {:>7.1} ns of CPU",
                figure.wall, figure.cpu
            );
            figure
        })
        .collect();
    let big: Vec<Figure> = sizes
        .iter()
        .filter(|_| wants("big"))
        .map(|&actors| {
            let pings = (big_pings / actors as u64).max(1);
            let figure = median(reps, || savina::big_of(Hosting::Driver, actors, pings));
            println!(
                "big        {actors:>9} actors: {:>7.1} ns per message, {:>7.1} ns of CPU \
                 ({pings} pings each)",
                figure.wall, figure.cpu
            );
            figure
        })
        .collect();
    let publish = wants("publish").then(|| publish(SUBSCRIBERS.min(largest), reps));

    println!();
    println!(
        "| workload | unit | {} | largest / smallest | target |",
        header(&sizes)
    );
    println!("|---|---|{}---|---|", "---:|".repeat(sizes.len()));
    if !ring.is_empty() {
        println!(
            "{}",
            row("threadring", "hop, wall", ring.iter().map(|f| f.wall))
        );
        println!(
            "{}",
            row("threadring", "hop, CPU", ring.iter().map(|f| f.cpu))
        );
    }
    if !big.is_empty() {
        println!(
            "{}",
            row("big", "message, wall", big.iter().map(|f| f.wall))
        );
        println!("{}", row("big", "message, CPU", big.iter().map(|f| f.cpu)));
    }
    println!();
    match idle {
        Some(Some(bytes)) => println!(
            "memory per idle actor at {} actors on a 2-thread driver: {bytes} bytes (goal <= 256)",
            IDLE_ACTORS.min(largest)
        ),
        Some(None) => println!("memory per idle actor: n/a (no /proc/self/statm)"),
        None => {}
    }
    if let Some((call, per_copy)) = publish {
        println!(
            "publish to {} subscribers on a 2-thread driver: {call:.2?} for the publish call, \
             {per_copy:.1} ns per delivered copy (publish to last copy handled)",
            SUBSCRIBERS.min(largest),
        );
    }
    println!("in {:.1?}", started.elapsed());
}

/// Nanoseconds per unit of the timed part: wall time, and CPU time of every thread
/// (which a loaded machine inflates less than the wall time).
#[derive(Clone, Copy)]
struct Figure {
    wall: f64,
    cpu: f64,
}

/// The median of `reps` runs, wall and CPU each.
fn median(reps: usize, mut run: impl FnMut() -> Measured) -> Figure {
    let (mut walls, mut cpus): (Vec<f64>, Vec<f64>) = (0..reps)
        .map(|_| {
            let measured = run();
            let cpu = savina::TIMED_CPU_NS.load(Ordering::Relaxed) as f64 / measured.units as f64;
            (measured.ns_per_unit(), cpu)
        })
        .unzip();
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Figure {
        wall: walls[reps / 2],
        cpu: cpus[reps / 2],
    }
}

fn header(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(|n| format!("{n} actors"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn row(name: &str, unit: &str, figures: impl Iterator<Item = f64>) -> String {
    let figures: Vec<f64> = figures.collect();
    let cells: Vec<String> = figures.iter().map(|ns| format!("{ns:.1} ns")).collect();
    let (smallest, largest) = (figures[0], figures[figures.len() - 1]);
    let ratio = largest / smallest;
    let verdict = if ratio <= 1.5 { "met" } else { "not met" };
    format!(
        "| {name} | ns per {unit} | {} | {ratio:.2}x | <= 1.5x: {verdict} |",
        cells.join(" | ")
    )
}

/// The resident set of this process, in bytes (Linux).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[derive(Message)]
struct Nudge;

/// An actor that does nothing: the runtime's own cost per actor is what is measured.
struct Idle;

#[actor]
impl Idle {
    #[handles(Nudge)]
    fn nudge(&mut self, _: Nudge) {}
}

/// Resident bytes per idle actor over the spawn of `actors` of them on a fresh 2-thread
/// driver, their handles (one `Addr`, 8 bytes, each) included.
fn idle_bytes(actors: usize) -> Option<u64> {
    let driver = Driver::new(2);
    let before = rss_bytes()?;
    let addrs: Vec<Addr<Idle>> = (0..actors).map(|_| Idle.spawn_on(&driver)).collect();
    let after = rss_bytes()?;
    assert_eq!(driver.actor_count(), actors);
    // Every actor is alive and answers.
    addrs
        .last()
        .expect("at least one actor")
        .tell(Nudge)
        .expect("alive");
    drop(addrs);
    driver.shutdown(TIMEOUT).expect("driver shuts down");
    Some(after.saturating_sub(before) / actors as u64)
}

#[derive(Message, Clone)]
struct Tick;

/// A subscriber: counts its copy into the shared count; the last copy reports.
struct Subscriber {
    seen: Arc<AtomicUsize>,
    of: usize,
    done: crossbeam_channel::Sender<Instant>,
}

#[actor]
impl Subscriber {
    #[handles(Tick)]
    fn tick(&mut self, _: Tick) {
        if self.seen.fetch_add(1, Ordering::Relaxed) + 1 == self.of {
            let _ = self.done.send(Instant::now());
        }
    }
}

/// One publish to `subscribers` actors on a 2-thread driver, `reps` times: the median
/// time of the `publish` call, and of the whole publish (from the call to the last copy
/// handled) per delivered copy.
fn publish(subscribers: usize, reps: usize) -> (Duration, f64) {
    let driver = Driver::new(2);
    let seen = Arc::new(AtomicUsize::new(0));
    let (done_tx, done) = crossbeam_channel::unbounded();
    let pubsub = PubSub::new();
    let addrs: Vec<Addr<Subscriber>> = (0..subscribers)
        .map(|_| {
            Subscriber {
                seen: seen.clone(),
                of: subscribers,
                done: done_tx.clone(),
            }
            .spawn_on(&driver)
        })
        .collect();
    let subscribing = Instant::now();
    for addr in &addrs {
        pubsub.subscribe(&addr.recipient::<Tick>());
    }
    println!(
        "subscribing {subscribers} actors to one topic took {:.2?}",
        subscribing.elapsed()
    );
    assert_eq!(pubsub.subscriber_count::<Tick>(), subscribers);
    let mut calls = Vec::new();
    let mut wholes = Vec::new();
    for _ in 0..reps {
        seen.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let delivered = pubsub.publish(Tick);
        calls.push(started.elapsed());
        assert_eq!(delivered, subscribers, "every subscriber gets a copy");
        let last = done.recv_timeout(TIMEOUT).expect("every copy is handled");
        wholes.push(last.duration_since(started));
    }
    calls.sort();
    wholes.sort();
    drop(pubsub);
    drop(addrs);
    driver.shutdown(TIMEOUT).expect("driver shuts down");
    let whole = wholes[reps / 2];
    (
        calls[reps / 2],
        whole.as_secs_f64() * 1e9 / subscribers as f64,
    )
}
