//! Two actors bounce a counter through `ctx.sender()`: the Pinger sends `Ping`, the
//! Ponger answers whoever sent it with `Pong`. After a fixed number of round trips the
//! Pinger reports to the bridge that started it (its own sender), and the bridge stops
//! both actors.
//!
//! Prints the number of round trips, then the stop results.

use actor_core::prelude::*;
use std::time::{Duration, Instant};

const ROUNDS: u64 = 10_000;

#[derive(Message)]
struct Start {
    target: Recipient<Ping>,
    rounds: u64,
}

#[derive(Message)]
struct Ping(u64);

#[derive(Message)]
struct Pong(u64);

/// Sent back to whoever sent `Start` once the last round trip is done.
#[derive(Message, Debug)]
struct Finished(u64);

#[derive(Default)]
struct Pinger {
    rounds: u64,
    report_to: Sender,
}

#[actor]
impl Pinger {
    #[handles(Start)]
    fn on_start(&mut self, start: Start, ctx: &mut Context<Self>) {
        self.rounds = start.rounds;
        self.report_to = ctx.take_sender();
        start.target.tell(Ping(0)).ok();
    }

    #[handles(Pong)]
    fn on_pong(&mut self, Pong(done): Pong, ctx: &mut Context<Self>) {
        if done < self.rounds {
            ctx.sender().tell(Ping(done)).ok();
        } else {
            self.report_to.tell(Finished(done)).ok();
        }
    }
}

struct Ponger;

#[actor]
impl Ponger {
    #[handles(Ping)]
    fn on_ping(&mut self, Ping(done): Ping, ctx: &mut Context<Self>) {
        ctx.sender().tell(Pong(done + 1)).ok();
    }
}

fn main() -> Result<(), actor_core::Error> {
    let pinger = Pinger::default().spawn();
    let ponger = Ponger.spawn();
    let bridge = Bridge::new();
    let started = Instant::now();
    bridge.tell(
        &pinger,
        Start {
            target: ponger.recipient(),
            rounds: ROUNDS,
        },
    )?;
    let finished = bridge
        .receive(Duration::from_secs(30))
        .and_then(|msg| msg.downcast::<Finished>().ok());
    match finished {
        Some(Finished(rounds)) => println!("{rounds} round trips in {:?}", started.elapsed()),
        None => println!("no report from the pinger within 30 s"),
    }
    println!(
        "{:?}",
        bridge.stop(&[pinger.any(), ponger.any()], Duration::from_secs(1))
    );
    Ok(())
}
