//! Test actors shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different part

#[path = "../support/procfs.rs"]
mod procfs;

use actor_core::prelude::*;
use crossbeam_channel::{Receiver, Sender as Channel};
use procfs::{Me, Resources};
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
pub const WAIT: Duration = Duration::from_secs(30);

/// The next `Terminated` notice in `bridge`'s inbox (it watched an actor).
pub fn terminated(bridge: &Bridge) -> actor_core::Terminated {
    bridge
        .receive(WAIT)
        .expect("a Terminated notice")
        .downcast()
        .expect("a Terminated notice")
}

/// Recorded in order by the probe.
#[derive(Message)]
pub struct Record(pub u64);

/// Everything recorded so far.
#[derive(Message)]
#[message(reply = Vec<u64>)]
pub struct Recorded;

/// Blocks the probe until the gate gets a value or closes: a busy actor on demand. The
/// handler reports on `entered` as it starts holding.
#[derive(Message)]
pub struct Hold {
    pub gate: Receiver<()>,
    pub entered: Channel<()>,
}

/// Answered with its own number.
#[derive(Message)]
#[message(reply = u64)]
pub struct Echo(pub u64);

/// A simple actor: records numbers, echoes, holds on a gate, reports at stop.
#[derive(Default)]
pub struct Probe {
    pub seen: Vec<u64>,
    /// Gets what was recorded when the probe stops.
    pub on_stop: Option<Channel<Vec<u64>>>,
}

#[actor]
impl Probe {
    #[handles(Record)]
    fn record(&mut self, Record(n): Record) {
        self.seen.push(n);
    }

    #[handles(Recorded)]
    fn recorded(&self, _: Recorded) -> Vec<u64> {
        self.seen.clone()
    }

    #[handles(Hold)]
    fn hold(&mut self, hold: Hold) {
        hold.enter();
    }

    #[handles(Echo)]
    fn echo(&mut self, Echo(n): Echo) -> u64 {
        n
    }

    #[on_stop]
    fn report(&mut self) {
        if let Some(report) = self.on_stop.take() {
            let _ = report.send(std::mem::take(&mut self.seen));
        }
    }
}

/// A probe that reports what it recorded when it stops.
pub fn reporting_probe() -> (Addr<Probe>, Receiver<Vec<u64>>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let probe = Probe {
        on_stop: Some(tx),
        ..Probe::default()
    };
    (probe.spawn(), rx)
}

impl Hold {
    /// Reports that the handler holds, then waits for the gate.
    pub fn enter(self) {
        let _ = self.entered.send(());
        let _ = self.gate.recv();
    }
}

/// Holds `actor` busy until the returned gate is dropped or sent to; returns once the
/// actor's handler is holding, so the hold is no longer in its mailbox.
pub fn hold<A: Handler<Hold>>(actor: &Addr<A>) -> Channel<()> {
    let (open, gate) = crossbeam_channel::bounded(1);
    let (entered, holding) = crossbeam_channel::bounded(1);
    actor.tell(Hold { gate, entered }).unwrap();
    holding.recv_timeout(WAIT).expect("the actor holds");
    open
}

/// How many threads this process has.
pub fn threads() -> u64 {
    Me.threads()
}

/// This process's resident memory, in KiB.
pub fn rss_kib() -> u64 {
    Me.rss_kib()
}
