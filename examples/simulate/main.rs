//! Finding an interleaving bug with the deterministic simulation (`actor_core::sim`).
//!
//! `bank.rs` holds a bank whose teller checks a balance and then debits it in two
//! messages. A plain test on a driver passes; the simulation explores interleavings seed
//! by seed, finds one that overdraws an account, prints the seed and its trace, and
//! replays it. The fixed teller then passes 100,000 seeds. Last, how many seeds a second
//! the simulation runs for a scenario of 10 actors and 100 messages.
//!
//! `cargo run --release --example simulate`

mod bank;

use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::sim::{SimConfig, Simulation};

fn main() {
    // The plain test: it passes, run after run.
    let driver = Driver::new(1);
    let passed = (0..200).filter(|_| bank::plain(&driver).is_ok()).count();
    println!("plain test on a driver: {passed} of 200 runs pass");

    // The simulation finds the race.
    let failure = Simulation::explore(0..10_000, |sim| bank::scenario(sim, false))
        .expect_err("the racy teller overdraws an account under some seed");
    println!("\nthe simulation found it:\n{failure}");

    // The seed replays the same run, step by step.
    let replay = Simulation::new(failure.seed);
    assert!(bank::scenario(&replay, false).is_err());
    assert_eq!(replay.trace(), failure.trace);
    println!(
        "replayed seed {}: the same {} steps",
        failure.seed,
        failure.trace.len()
    );

    // The fixed teller.
    let seeds = 100_000;
    let start = Instant::now();
    let passed = SimConfig::new(0)
        .trace(false)
        .explore(0..seeds, |sim| bank::scenario(sim, true))
        .unwrap_or_else(|failure| panic!("the safe teller failed:\n{failure}"));
    println!(
        "the safe teller passes {passed} seeds ({:.1?})",
        start.elapsed()
    );

    speed();
}

#[derive(Message)]
struct Hop(u32);

/// Passes each hop on to the next actor of the ring until it has made its round.
struct Node {
    next: Option<Addr<Node>>,
}

#[derive(Message)]
struct Link(Addr<Node>);

#[actor]
impl Node {
    #[handles(Link)]
    fn link(&mut self, Link(next): Link) {
        self.next = Some(next);
    }

    #[handles(Hop)]
    fn hop(&mut self, Hop(left): Hop) {
        if let (Some(next), true) = (&self.next, left > 0) {
            next.tell(Hop(left - 1)).ok();
        }
    }
}

/// 10 actors in a ring, 10 hops of 10 messages each in flight at once: 100 messages.
fn ring(sim: &Simulation) {
    let nodes: Vec<Addr<Node>> = (0..10).map(|_| Node { next: None }.spawn_in(sim)).collect();
    for (n, node) in nodes.iter().enumerate() {
        node.tell(Link(nodes[(n + 1) % 10].clone())).unwrap();
    }
    for node in &nodes {
        node.tell(Hop(9)).unwrap();
    }
    sim.run_until_idle().unwrap();
}

fn speed() {
    let seeds = 20_000;
    let config = SimConfig::new(0).trace(false);
    let start = Instant::now();
    let mut steps = 0;
    for seed in 0..seeds {
        let sim = SimConfig::new(seed).trace(false).build();
        ring(&sim);
        steps += sim.steps();
    }
    let took = start.elapsed().max(Duration::from_nanos(1));
    let _ = config;
    println!(
        "speed: {seeds} seeds of 10 actors and 100 messages ({} steps each) in {took:.1?}: {:.0} seeds/s",
        steps / seeds,
        seeds as f64 / took.as_secs_f64()
    );
}
