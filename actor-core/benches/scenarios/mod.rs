//! The benchmark scenarios, shared by the criterion benches (`actor-core/benches/actors.rs`)
//! and the quick report (`examples/bench_report.rs`, which includes this file by path).
//!
//! Every scenario comes as a pair: the framework doing a piece of work, and the same work
//! done by hand with a raw `crossbeam-channel` and bare threads (the yardstick of the
//! design's performance rules). Both halves of a pair are always built and run in the same
//! process, one after the other, so their ratio is meaningful on a noisy machine.
//!
//! Nothing here sleeps: every run ends by waiting on a reply, a channel or a thread join.

use std::thread;
use std::time::Duration;

use actor_core::prelude::*;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender as Tx};

/// How long any wait in a scenario may take before the run is declared broken.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One scenario: what it measures and how to build its two halves.
pub struct Spec {
    /// Short name, used as the criterion group and the report's row.
    pub name: &'static str,
    /// What one run does, in a sentence.
    pub what: &'static str,
    /// How many operations one run performs (messages, calls, round trips, actors).
    pub ops: u64,
    /// What one operation is, for per-operation figures.
    pub unit: &'static str,
    /// The highest acceptable ratio framework / raw (medians).
    pub target: f64,
    /// How many timed runs of each half to take (the report's repetitions, criterion's
    /// samples). Latency scenarios get many short runs: their threads either catch each
    /// other while spinning or park and wake through the kernel, and a run tends to stay
    /// in whichever mode it starts in, so only many runs give a stable median.
    pub reps: usize,
    /// Builds the two halves (spawning whatever long-lived threads they need).
    pub build: fn(u64) -> Pair,
}

/// The two halves of a scenario. Each closure performs one run of `Spec::ops` operations
/// and returns only when the work is done (the last reply received).
pub struct Pair {
    /// The work done through the framework.
    pub framework: Box<dyn FnMut()>,
    /// The same work done with raw crossbeam channels and bare threads.
    pub raw: Box<dyn FnMut()>,
}

/// Every scenario, in report order.
pub fn all() -> Vec<Spec> {
    vec![
        Spec {
            name: "tell",
            what: "1,000,000 one-way typed messages to one actor from a plain thread, then one call for the result",
            ops: 1_000_000,
            unit: "message",
            target: 1.25,
            reps: 11,
            build: tell,
        },
        Spec {
            name: "fanin",
            what: "2 producer threads send 500,000 one-way messages each to one actor, then one call for the result",
            ops: 1_000_000,
            unit: "message",
            target: 1.25,
            reps: 11,
            build: fanin,
        },
        Spec {
            name: "call",
            what: "sequential request/reply calls from a plain thread (Bridge::call vs a bounded(1) reply channel per request)",
            ops: 500,
            unit: "call",
            target: 1.5,
            reps: 41,
            build: call,
        },
        Spec {
            name: "drvcall",
            what: "sequential request/reply calls from a plain thread to an actor on a Driver::new(2) (vs a bounded(1) reply channel per request to a bare thread)",
            ops: 500,
            unit: "call",
            target: 1.5,
            reps: 41,
            build: driver_call,
        },
        Spec {
            name: "pingpong",
            what: "two actors on dedicated threads bounce a counter through ctx.sender() (vs two threads holding each other's channel)",
            ops: 2_000,
            unit: "round trip",
            target: 1.3,
            reps: 41,
            build: pingpong,
        },
        Spec {
            name: "spawn",
            what: "per actor: spawn on a dedicated thread, one call, stop (vs thread::spawn + channel, one request, stop request)",
            ops: 100,
            unit: "actor",
            target: 1.2,
            reps: 21,
            build: spawn,
        },
    ]
}

// ---------------------------------------------------------------------------------------
// Messages and actors of the framework halves.

/// One-way: add to the running total.
#[derive(Message)]
pub struct Add(pub u64);

/// The running total so far.
#[derive(Message)]
#[message(reply = u64)]
pub struct Total;

/// Echoes its number back (a request with a reply).
#[derive(Message)]
#[message(reply = u64)]
pub struct Echo(pub u64);

/// Sums what it is told; answers `Total` and `Echo`.
#[derive(Default)]
pub struct Counter {
    sum: u64,
}

#[actor]
impl Counter {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.sum += n;
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> u64 {
        self.sum
    }

    #[handles(Echo)]
    fn echo(&self, Echo(n): Echo) -> u64 {
        n
    }
}

/// Starts a ping-pong of `0` round trips; sent by the bridge, which gets `Finished`.
#[derive(Message)]
pub struct Start(pub u64);

/// Pinger to ponger.
#[derive(Message)]
pub struct Ping(pub u64);

/// Ponger to pinger, with the counter incremented.
#[derive(Message)]
pub struct Pong(pub u64);

/// Pinger to whoever sent `Start`, once the last round trip is done.
#[derive(Message)]
pub struct Finished(pub u64);

/// Starts each rally and answers every `Pong` through `ctx.sender()`.
pub struct Pinger {
    target: Recipient<Ping>,
    rounds: u64,
    report_to: Sender,
}

#[actor]
impl Pinger {
    #[handles(Start)]
    fn start(&mut self, Start(rounds): Start, ctx: &mut Context<Self>) {
        self.rounds = rounds;
        self.report_to = ctx.take_sender();
        self.target.tell(Ping(0)).ok();
    }

    #[handles(Pong)]
    fn pong(&mut self, Pong(done): Pong, ctx: &mut Context<Self>) {
        if done < self.rounds {
            ctx.sender().tell(Ping(done)).ok();
        } else {
            self.report_to.tell(Finished(done)).ok();
        }
    }
}

/// Answers every `Ping` through `ctx.sender()`.
pub struct Ponger;

#[actor]
impl Ponger {
    #[handles(Ping)]
    fn ping(&mut self, Ping(done): Ping, ctx: &mut Context<Self>) {
        ctx.sender().tell(Pong(done + 1)).ok();
    }
}

// ---------------------------------------------------------------------------------------
// The raw halves: what a user would write with crossbeam alone.

/// The raw counterpart of `Counter`'s mail.
enum RawMsg {
    Add(u64),
    Total(Tx<u64>),
    Echo(u64, Tx<u64>),
    Stop(Tx<()>),
}

/// The raw counterpart of `Counter`'s thread: a bare thread draining a channel.
fn raw_counter(rx: Receiver<RawMsg>) {
    let mut sum = 0u64;
    for msg in rx {
        match msg {
            RawMsg::Add(n) => sum += n,
            RawMsg::Total(reply) => {
                let _ = reply.send(sum);
            }
            RawMsg::Echo(n, reply) => {
                let _ = reply.send(n);
            }
            RawMsg::Stop(reply) => {
                let _ = reply.send(());
                break;
            }
        }
    }
}

/// Spawns a raw counter thread; it ends when every sender is dropped.
fn spawn_raw_counter() -> Tx<RawMsg> {
    let (tx, rx) = unbounded();
    thread::spawn(move || raw_counter(rx));
    tx
}

/// A raw request/reply round trip, the way a user writes one: a bounded(1) reply channel
/// per request.
fn raw_ask(tx: &Tx<RawMsg>, make: impl FnOnce(Tx<u64>) -> RawMsg) -> u64 {
    let (reply, answer) = bounded(1);
    tx.send(make(reply)).expect("raw counter alive");
    answer.recv_timeout(TIMEOUT).expect("raw counter answers")
}

// ---------------------------------------------------------------------------------------
// The scenarios.

fn tell(ops: u64) -> Pair {
    let addr = Counter::default().spawn();
    let bridge = Bridge::new();
    let mut expected = 0;
    let framework = Box::new(move || {
        for _ in 0..ops {
            addr.tell(Add(1)).expect("counter alive");
        }
        expected += ops;
        let total = bridge.call(&addr, Total, TIMEOUT).expect("counter answers");
        assert_eq!(total, expected);
    });

    let tx = spawn_raw_counter();
    let mut expected = 0;
    let raw = Box::new(move || {
        for _ in 0..ops {
            tx.send(RawMsg::Add(1)).expect("raw counter alive");
        }
        expected += ops;
        assert_eq!(raw_ask(&tx, RawMsg::Total), expected);
    });
    Pair { framework, raw }
}

fn fanin(ops: u64) -> Pair {
    const PRODUCERS: u64 = 2;
    let addr = Counter::default().spawn();
    let bridge = Bridge::new();
    let mut expected = 0;
    let framework = Box::new(move || {
        thread::scope(|s| {
            for _ in 0..PRODUCERS {
                let addr = addr.clone();
                s.spawn(move || {
                    for _ in 0..ops / PRODUCERS {
                        addr.tell(Add(1)).expect("counter alive");
                    }
                });
            }
        });
        expected += ops / PRODUCERS * PRODUCERS;
        let total = bridge.call(&addr, Total, TIMEOUT).expect("counter answers");
        assert_eq!(total, expected);
    });

    let tx = spawn_raw_counter();
    let mut expected = 0;
    let raw = Box::new(move || {
        thread::scope(|s| {
            for _ in 0..PRODUCERS {
                let tx = tx.clone();
                s.spawn(move || {
                    for _ in 0..ops / PRODUCERS {
                        tx.send(RawMsg::Add(1)).expect("raw counter alive");
                    }
                });
            }
        });
        expected += ops / PRODUCERS * PRODUCERS;
        assert_eq!(raw_ask(&tx, RawMsg::Total), expected);
    });
    Pair { framework, raw }
}

fn call(ops: u64) -> Pair {
    calls(Counter::default().spawn(), ops)
}

/// `call` with the actor on a driver: each call finds the driver's workers idle, so what
/// it measures is how fast an idle worker takes work from a plain thread.
fn driver_call(ops: u64) -> Pair {
    // The driver's threads live as long as an actor on it: this one's handle is enough.
    calls(Counter::default().spawn_on(&Driver::new(2)), ops)
}

/// `ops` sequential calls to `addr`, beside as many requests to a raw counter thread.
fn calls(addr: Addr<Counter>, ops: u64) -> Pair {
    let bridge = Bridge::new();
    let framework = Box::new(move || {
        for i in 0..ops {
            let n = bridge
                .call(&addr, Echo(i), TIMEOUT)
                .expect("counter answers");
            assert_eq!(n, i);
        }
    });

    let tx = spawn_raw_counter();
    let raw = Box::new(move || {
        for i in 0..ops {
            assert_eq!(raw_ask(&tx, |reply| RawMsg::Echo(i, reply)), i);
        }
    });
    Pair { framework, raw }
}

/// The raw pinger's mail.
enum RawPinger {
    Start(u64, Tx<u64>),
    Pong(u64),
    Quit,
}

/// The raw ping-pong pair: two bare threads, each holding the other's channel. Dropping it
/// ends both threads.
struct RawRally {
    pinger: Tx<RawPinger>,
}

impl RawRally {
    fn new() -> Self {
        let (pinger, pinger_rx) = unbounded::<RawPinger>();
        let (ponger, ponger_rx) = unbounded::<u64>();
        let to_pinger = pinger.clone();
        thread::spawn(move || {
            // Ends when the pinger quits and drops its sender.
            for done in ponger_rx {
                if to_pinger.send(RawPinger::Pong(done + 1)).is_err() {
                    break;
                }
            }
        });
        thread::spawn(move || {
            let mut rounds = 0;
            let mut report_to = None;
            for msg in pinger_rx {
                match msg {
                    RawPinger::Start(n, done) => {
                        rounds = n;
                        report_to = Some(done);
                        ponger.send(0).expect("raw ponger alive");
                    }
                    RawPinger::Pong(done) if done < rounds => {
                        ponger.send(done).expect("raw ponger alive");
                    }
                    RawPinger::Pong(done) => {
                        if let Some(report_to) = &report_to {
                            let _ = report_to.send(done);
                        }
                    }
                    RawPinger::Quit => break,
                }
            }
        });
        RawRally { pinger }
    }

    fn rally(&self, rounds: u64) -> u64 {
        let (done, finished) = bounded(1);
        self.pinger
            .send(RawPinger::Start(rounds, done))
            .expect("raw pinger alive");
        finished.recv_timeout(TIMEOUT).expect("raw pinger reports")
    }
}

impl Drop for RawRally {
    fn drop(&mut self) {
        let _ = self.pinger.send(RawPinger::Quit);
    }
}

fn pingpong(ops: u64) -> Pair {
    let ponger = Ponger.spawn();
    let pinger = Pinger {
        target: ponger.recipient(),
        rounds: 0,
        report_to: Sender::Nobody,
    }
    .spawn();
    drop(ponger); // the pinger's recipient keeps it alive
    let bridge = Bridge::new();
    let framework = Box::new(move || {
        bridge.tell(&pinger, Start(ops)).expect("pinger alive");
        let finished = bridge
            .receive(TIMEOUT)
            .expect("pinger reports")
            .downcast::<Finished>()
            .unwrap_or_else(|msg| panic!("unexpected {msg:?}"));
        assert_eq!(finished.0, ops);
    });

    let rally = RawRally::new();
    let raw = Box::new(move || {
        assert_eq!(rally.rally(ops), ops);
    });
    Pair { framework, raw }
}

fn spawn(ops: u64) -> Pair {
    let bridge = Bridge::new();
    let framework = Box::new(move || {
        for i in 0..ops {
            let addr = Counter::default().spawn();
            let n = bridge
                .call(&addr, Echo(i), TIMEOUT)
                .expect("fresh actor answers");
            assert_eq!(n, i);
            bridge
                .call(&addr, Stop, TIMEOUT)
                .expect("fresh actor stops");
        }
    });

    let raw = Box::new(move || {
        for i in 0..ops {
            let tx = spawn_raw_counter();
            assert_eq!(raw_ask(&tx, |reply| RawMsg::Echo(i, reply)), i);
            let (reply, stopped) = bounded(1);
            tx.send(RawMsg::Stop(reply)).expect("raw thread alive");
            stopped.recv_timeout(TIMEOUT).expect("raw thread stops");
        }
    });
    Pair { framework, raw }
}
