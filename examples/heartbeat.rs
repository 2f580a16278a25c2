//! A monitor that pings a few workers with `tell_every`, marks a worker dead when its
//! answer does not come within a deadline (`ctx.ask`), and holds only weak handles, so it
//! keeps no worker alive.
//!
//! ```text
//! cargo run --example heartbeat
//! ```
//!
//! Three workers on a driver; one of them stalls (it holds every ping it gets), one is
//! stopped halfway. The monitor reports each worker's state after a few rounds; the
//! program checks the report and exits.

use std::time::Duration;

use actor_core::prelude::*;
use crossbeam_channel::{bounded, Sender as Chan};

/// The monitor's own tick: one round of pings.
#[derive(Message)]
struct Round;

/// Are you alive? Answered with the worker's name.
#[derive(Message)]
#[message(reply = &'static str)]
struct Ping;

/// What the monitor knows about one worker after a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Alive,
    /// Did not answer within the deadline.
    Silent,
    /// Ended: its weak handle no longer upgrades.
    Gone,
}

struct Worker {
    name: &'static str,
    /// A stalled worker keeps every ping's reply and never sends it.
    stalled: bool,
    held: Vec<Reply<&'static str>>,
}

#[actor]
impl Worker {
    #[handles(Ping)]
    fn ping(&mut self, _: Ping, ctx: &mut Context<Self>) -> Deferred<&'static str> {
        let (later, reply) = ctx.defer();
        if self.stalled {
            self.held.push(reply);
        } else {
            reply.send(self.name);
        }
        later
    }
}

struct Monitor {
    workers: Vec<(&'static str, WeakAddr<Worker>)>,
    health: Vec<Health>,
    deadline: Duration,
    rounds: u32,
    /// Each round's report goes here.
    report: Chan<(u32, Vec<Health>)>,
}

#[actor]
impl Monitor {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        // The timer holds no strong handle: it never keeps the monitor alive either.
        ctx.tell_every(Duration::from_millis(20), || Round);
    }

    #[handles(Round)]
    fn round(&mut self, _: Round, ctx: &mut Context<Self>) {
        // Report what the previous round found, then ping again.
        if self.rounds > 0 {
            let _ = self.report.send((self.rounds, self.health.clone()));
        }
        self.rounds += 1;
        for (index, (_, weak)) in self.workers.iter().enumerate() {
            let Some(worker) = weak.upgrade() else {
                self.health[index] = Health::Gone;
                continue;
            };
            // Silent until the answer comes; the continuation runs on this actor.
            self.health[index] = Health::Silent;
            ctx.ask(&worker, Ping, self.deadline, move |this, answer, _| {
                this.health[index] = match answer {
                    Ok(_) => Health::Alive,
                    Err(CallError::Timeout { .. }) => Health::Silent,
                    Err(_) => Health::Gone,
                };
            });
        }
    }
}

pub fn main() {
    let driver = Driver::new(2);
    let names = ["steady", "stalled", "doomed"];
    let workers: Vec<Addr<Worker>> = names
        .iter()
        .map(|&name| {
            Worker {
                name,
                stalled: name == "stalled",
                held: Vec::new(),
            }
            .spawn_on(&driver)
        })
        .collect();
    let (report, reports) = bounded(64);
    let monitor = Monitor {
        workers: names
            .iter()
            .zip(&workers)
            .map(|(&name, worker)| (name, worker.downgrade()))
            .collect(),
        health: vec![Health::Silent; names.len()],
        deadline: Duration::from_millis(10),
        rounds: 0,
        report,
    }
    .spawn_on(&driver);

    let wait = Duration::from_secs(10);
    let mut last = Vec::new();
    // A few rounds with every worker there: the steady one answers, the stalled one never.
    while last.len() < 3 {
        let (round, health) = reports.recv_timeout(wait).expect("the monitor reports");
        println!("round {round}: {:?}", names.iter().zip(&health).collect::<Vec<_>>());
        if health[0] == Health::Alive && health[1] == Health::Silent {
            last.push(health);
        }
    }
    // The doomed worker stops; the monitor's weak handle sees it gone.
    let doomed = workers[2].clone();
    Bridge::new().call(&doomed, Stop, wait).unwrap();
    loop {
        let (round, health) = reports.recv_timeout(wait).expect("the monitor reports");
        println!("round {round}: {:?}", names.iter().zip(&health).collect::<Vec<_>>());
        if health[2] == Health::Gone {
            assert_eq!(health[0], Health::Alive);
            assert_eq!(health[1], Health::Silent);
            break;
        }
    }
    // Weak handles keep nothing alive: dropping our strong ones ends the workers.
    let watcher = Bridge::new();
    for worker in &workers {
        watcher.watch(&worker.any());
    }
    drop(workers);
    drop(doomed);
    let mut ended = 0;
    while ended < 3 {
        let notice = watcher.receive(wait).expect("every worker ends");
        if notice.is::<Terminated>() {
            ended += 1;
        }
    }
    println!("every worker ended; the monitor held no one alive");
    Bridge::new().call(&monitor, Stop, wait).unwrap();
    driver.shutdown(wait).unwrap();
}
