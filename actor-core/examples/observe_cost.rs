//! What observing costs per message: `N` tells to one actor on a one-thread driver, then a
//! call that waits for them all. Run it under callgrind with each feature set and compare
//! instruction counts (wall clock on a shared machine is too noisy for a few nanoseconds):
//!
//! ```text
//! cargo build --release -p actor-core --example observe_cost [--features metrics|console|tracing]
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/observe_cost
//! ```
//!
//! `observe_cost self N` instead times `N` messages that one actor on a one-thread driver
//! sends itself, one at a time: every message is a tell, a turn and a handler on that one
//! thread, with nothing to wait for. It prints the thread's own CPU time per message (from
//! `/proc/thread-self/schedstat`, so time spent preempted by other processes is left out)
//! and the wall time; run each build in turn a few times and compare medians:
//!
//! ```text
//! for i in 1 2 3 4 5; do for b in off metrics; do ./observe_cost-$b self 2000000; done; done
//! ```
//!
//! With `console` the console is serving (idle: no requests, its sampler reading twice a
//! second); with `metrics` no recorder is installed (the facade's no-op handles); with
//! `tracing` no subscriber is set.

use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)]
struct Add(u64);

#[derive(Message)]
#[message(reply = u64)]
struct Total;

struct Sum(u64);

#[actor]
impl Sum {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.0 = self.0.wrapping_add(n);
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> u64 {
        self.0
    }
}

/// One message an actor sends itself, `left` more to go.
#[derive(Message)]
struct Step(u64);

/// Sends itself [`Step`]s and reports its thread's CPU time and the wall time for them.
struct Looper {
    me: Option<Addr<Looper>>,
    started: Option<(u64, std::time::Instant)>,
    done: crossbeam_channel::Sender<(u64, Duration)>,
}

#[actor]
impl Looper {
    #[handles(Step)]
    fn step(&mut self, Step(left): Step, ctx: &mut Context<Self>) {
        let me = self.me.get_or_insert_with(|| ctx.myself());
        if self.started.is_none() {
            self.started = Some((cpu_ns(), std::time::Instant::now()));
        }
        if left > 0 {
            me.tell(Step(left - 1)).unwrap();
        } else if let Some((cpu, wall)) = self.started.take() {
            self.me = None;
            self.done.send((cpu_ns() - cpu, wall.elapsed())).unwrap();
        }
    }
}

/// This thread's time on a CPU so far, in nanoseconds.
fn cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    stat.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .expect("a CPU time")
}

fn self_told(n: u64) {
    let driver = Driver::new(1);
    let (done, finished) = crossbeam_channel::bounded(1);
    let looper = Looper {
        me: None,
        started: None,
        done,
    }
    .spawn_on(&driver);
    looper.tell(Step(n)).unwrap();
    let (cpu, wall) = finished.recv_timeout(Duration::from_secs(600)).unwrap();
    let features = [
        (cfg!(feature = "metrics"), "metrics"),
        (cfg!(feature = "console"), "console"),
        (cfg!(feature = "tracing"), "tracing"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect::<Vec<_>>()
    .join("+");
    println!(
        "self {}: {:.2} ns CPU, {:.2} ns wall per message",
        if features.is_empty() {
            "off"
        } else {
            &features
        },
        cpu as f64 / (n + 1) as f64,
        wall.as_nanos() as f64 / (n + 1) as f64
    );
    drop(looper);
    driver.shutdown(Duration::from_secs(10)).unwrap();
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("self") {
        args.next();
        let n = args
            .next()
            .map_or(2_000_000, |arg| arg.parse().expect("a count"));
        #[cfg(feature = "console")]
        let console = actor_core::console::serve("127.0.0.1:0").expect("a loopback port");
        self_told(n);
        #[cfg(feature = "console")]
        console.stop();
        return;
    }
    let n: u64 = args
        .next()
        .map_or(200_000, |arg| arg.parse().expect("a count"));
    #[cfg(feature = "console")]
    let console = actor_core::console::serve("127.0.0.1:0").expect("a loopback port");
    let driver = Driver::new(1);
    let sum = Sum(0).spawn_on(&driver);
    for i in 0..n {
        sum.tell(Add(i)).unwrap();
    }
    let total = Bridge::new()
        .call(&sum, Total, Duration::from_secs(600))
        .unwrap();
    assert_eq!(total, (0..n).fold(0u64, |a, b| a.wrapping_add(b)));
    driver.shutdown(Duration::from_secs(10)).unwrap();
    #[cfg(feature = "console")]
    console.stop();
    println!("{n} messages");
}
