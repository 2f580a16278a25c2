//! Five workloads of the Savina suite (Imam & Sarkar, AGERE 2014) and issue 21's
//! spawn-call-stop, shared by the criterion
//! bench (`actor-core/benches/savina.rs`) and the quick report (`examples/savina_report.rs`,
//! which includes this file by path).
//!
//! Each workload is written once, as a plain function of a [`Hosting`] and a `scale`
//! (1.0 = the sizes of issue 10's table), and returns a [`Measured`]: the time of the timed
//! part and how many units (hops, messages, actors, round trips) it covers. Setup (spawning
//! long-lived actors or threads, wiring them) and teardown (stopping them, shutting the
//! driver down) are outside the timed part, except for chain spawn and spawn-call-stop,
//! whose spawning and stopping are the thing measured. Every run checks its own result and panics if it is
//! wrong: the token makes exactly the hops asked, every pong is counted, every message is
//! handled, the chain's message reaches its end.
//!
//! Hostings: the framework's actors on a `Driver::new(2)` or each on a dedicated thread
//! (`spawn()`), and the raw baseline: plain threads and crossbeam channels, one thread per
//! actor, as the peers' table measured it.
//!
//! Nothing here sleeps: every run ends by waiting on a channel or a join.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use crossbeam_channel::{unbounded, Receiver, Sender as Tx};

/// Threads of the driver in the driver hosting: 2, as issue 10 asks; the report's
/// `--threads` changes it, to check that two threads are not slower than one.
pub static DRIVER_THREADS: AtomicUsize = AtomicUsize::new(2);

/// How long any wait in a workload may take before the run is declared broken.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Where a workload's actors run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hosting {
    /// The framework, every actor on one `Driver::new(2)` (see [`DRIVER_THREADS`]).
    Driver,
    /// The framework, every actor on a thread of its own (`spawn()`).
    Dedicated,
    /// No framework: plain threads and crossbeam channels, one thread per actor.
    Raw,
}

impl Hosting {
    /// Every hosting, in report order.
    pub const ALL: [Hosting; 3] = [Hosting::Driver, Hosting::Dedicated, Hosting::Raw];

    /// Short name for tables and criterion ids.
    pub fn name(self) -> &'static str {
        match self {
            Hosting::Driver => "driver",
            Hosting::Dedicated => "dedicated",
            Hosting::Raw => "raw",
        }
    }
}

/// One timed run: how long it took and how many units it covered.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    /// The timed part of the run.
    pub elapsed: Duration,
    /// Units covered (hops, messages, actors, round trips).
    pub units: u64,
}

impl Measured {
    /// Nanoseconds per unit.
    pub fn ns_per_unit(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e9 / self.units as f64
    }
}

/// A peer's figure the issue does not give.
pub const UNKNOWN: f64 = f64::NAN;

/// One workload: what it is, the peers' figures and the target, and how to run it.
pub struct Workload {
    /// Short name: the criterion group and the report's row.
    pub name: &'static str,
    /// What one run does at scale 1, in a sentence.
    pub what: &'static str,
    /// The unit of the per-unit figures.
    pub unit: &'static str,
    /// Peers' medians from issue 10, or issue 21 for spawn-call-stop (ns per unit): raw
    /// threads, actix, ractor, kameo; [`UNKNOWN`] where the issue gives none.
    pub peers: [f64; 4],
    /// The target on a driver, ns per unit.
    pub target_driver: f64,
    /// The target on dedicated threads, ns per unit, where the issue sets one.
    pub target_dedicated: Option<f64>,
    /// Hostings this workload runs in.
    pub hostings: &'static [Hosting],
    /// Units one run covers at `scale`.
    pub units: fn(f64) -> u64,
    /// One run.
    pub run: fn(Hosting, f64) -> Measured,
}

/// Every workload, in report order.
pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            name: "threadring",
            what: "500 actors in a ring pass one token 200,000 hops",
            unit: "hop",
            peers: [9_620.0, 81.0, 527.0, 665.0],
            target_driver: 75.0,
            target_dedicated: None,
            hostings: &Hosting::ALL,
            units: |scale| ring_hops(scale),
            run: thread_ring,
        },
        Workload {
            name: "big",
            what: "100 actors each send 2,000 pings to seeded-random peers, each answered with a pong (pings and pongs both counted)",
            unit: "msg",
            peers: [1_362.0, 78.0, 201.0, 228.0],
            target_driver: 70.0,
            target_dedicated: None,
            hostings: &Hosting::ALL,
            units: |scale| BIG_ACTORS as u64 * big_pings(scale) * 2,
            run: big,
        },
        Workload {
            name: "forkjoin",
            what: "60 actors get 20,000 messages each, round-robin from one plain thread, sin^2 work per message",
            unit: "msg",
            peers: [30.0, 191.0, 201.0, 321.0],
            target_driver: 60.0,
            target_dedicated: Some(40.0),
            hostings: &Hosting::ALL,
            units: |scale| FJ_ACTORS as u64 * fj_messages(scale),
            run: fork_join,
        },
        Workload {
            name: "chainspawn",
            what: "spawn 10,000 actors in a chain, one message down the chain, stop them all",
            unit: "actor",
            peers: [116_000.0, 1_700.0, 7_100.0, 9_200.0],
            target_driver: 1_500.0,
            target_dedicated: None,
            hostings: &Hosting::ALL,
            units: |scale| chain_len(scale),
            run: chain_spawn,
        },
        Workload {
            name: "spawncall",
            what: "a plain thread spawns 2,000 actors, calls each once, then stops them all (Bridge::stop; raw: a Stop to every thread, then every ack)",
            unit: "actor",
            peers: [UNKNOWN, 5_800.0, UNKNOWN, UNKNOWN],
            target_driver: 4_000.0,
            target_dedicated: None,
            hostings: &Hosting::ALL,
            units: |scale| spawn_call_len(scale),
            run: spawn_call_stop,
        },
        Workload {
            name: "pingpong",
            what: "two actors bounce a counter 100,000 round trips through ctx.sender()",
            unit: "round trip",
            peers: [329.0, 146.0, 882.0, 1_007.0],
            target_driver: 130.0,
            target_dedicated: None,
            hostings: &Hosting::ALL,
            units: |scale| pingpong_rounds(scale),
            run: ping_pong,
        },
    ]
}

/// CPU time (user and system, every thread of the process) of the timed part of the last
/// `thread_ring_of` or `big_of`, in nanoseconds; 0 where it cannot be read. On a loaded
/// machine it is inflated less than the wall time: the scale report prints both.
pub static TIMED_CPU_NS: AtomicU64 = AtomicU64::new(0);

/// CPU time of the whole process so far, in nanoseconds, from `/proc/self/stat` (Linux;
/// clock ticks of 10 ms, fine for timed parts of a good part of a second).
pub fn process_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((user + system) * 10_000_000)
}

/// Records the CPU time since `before` as the last timed part's.
fn record_cpu(before: Option<u64>) {
    let spent = process_cpu_ns()
        .zip(before)
        .map_or(0, |(after, before)| after.saturating_sub(before));
    TIMED_CPU_NS.store(spent, Ordering::Relaxed);
}

fn scaled(full: u64, scale: f64) -> u64 {
    ((full as f64 * scale) as u64).max(1)
}

// ---------------------------------------------------------------------------------------
// Framework plumbing shared by the workloads.

/// The framework hosting of one run: a fresh driver, or none for dedicated threads.
struct Host {
    driver: Option<Driver>,
    actors: Vec<AnyAddr>,
}

impl Host {
    fn new(hosting: Hosting) -> Host {
        let driver = match hosting {
            Hosting::Driver => Some(Driver::new(DRIVER_THREADS.load(Ordering::Relaxed))),
            Hosting::Dedicated => None,
            Hosting::Raw => unreachable!("the raw hosting has no actors"),
        };
        Host {
            driver,
            actors: Vec::new(),
        }
    }

    fn spawn<A: Actor>(&mut self, actor: A) -> Addr<A> {
        let addr = match &self.driver {
            Some(driver) => actor.spawn_on(driver),
            None => actor.spawn(),
        };
        self.actors.push(addr.any());
        addr
    }

    /// Stops every actor spawned here (and the driver's threads), checking they all stop.
    fn stop(mut self) {
        self.stop_actors(&Bridge::new());
        self.shut_down();
    }

    /// Stops every actor spawned here, checking they all stop; the driver goes on.
    fn stop_actors(&mut self, bridge: &Bridge) {
        let stopped = bridge.stop(&std::mem::take(&mut self.actors), TIMEOUT);
        assert!(
            stopped.iter().all(Option::is_some),
            "every actor stops in time"
        );
    }

    /// Shuts the driver down, if there is one.
    fn shut_down(self) {
        if let Some(driver) = self.driver {
            driver.shutdown(TIMEOUT).expect("driver shuts down");
        }
    }
}

fn wait(done: &Receiver<u64>) -> u64 {
    done.recv_timeout(TIMEOUT).expect("the workload finishes")
}

// ---------------------------------------------------------------------------------------
// ThreadRing.

const RING_ACTORS: usize = 500;

fn ring_hops(scale: f64) -> u64 {
    scaled(200_000, scale)
}

/// The token: hops still to make, and hops made so far.
#[derive(Message)]
pub struct Token {
    left: u64,
    made: u64,
}

/// Wires a ring node to the next one.
#[derive(Message)]
pub struct SetNext(Addr<RingNode>);

/// One node of the ring.
pub struct RingNode {
    next: Option<Addr<RingNode>>,
    done: Tx<u64>,
}

#[actor]
impl RingNode {
    #[handles(SetNext)]
    fn set_next(&mut self, SetNext(next): SetNext) {
        self.next = Some(next);
    }

    #[handles(Token)]
    fn token(&mut self, Token { left, made }: Token) {
        if left == 0 {
            let _ = self.done.send(made);
        } else if let Some(next) = &self.next {
            next.tell(Token {
                left: left - 1,
                made: made + 1,
            })
            .expect("ring node alive");
        }
    }
}

/// ThreadRing: one token around a ring of 500 actors.
pub fn thread_ring(hosting: Hosting, scale: f64) -> Measured {
    let hops = ring_hops(scale);
    if hosting == Hosting::Raw {
        let (done_tx, done) = unbounded();
        return raw_thread_ring(hops, done_tx, done);
    }
    thread_ring_of(hosting, RING_ACTORS, hops)
}

/// ThreadRing of `actors` framework actors (not the raw hosting), the token making `hops`
/// hops: what the scale report (`examples/scale_report.rs`) runs at several sizes.
pub fn thread_ring_of(hosting: Hosting, actors: usize, hops: u64) -> Measured {
    let (done_tx, done) = unbounded();
    let mut host = Host::new(hosting);
    let nodes: Vec<Addr<RingNode>> = (0..actors)
        .map(|_| {
            host.spawn(RingNode {
                next: None,
                done: done_tx.clone(),
            })
        })
        .collect();
    for (n, node) in nodes.iter().enumerate() {
        node.tell(SetNext(nodes[(n + 1) % actors].clone()))
            .expect("ring node alive");
    }
    let cpu = process_cpu_ns();
    let started = Instant::now();
    nodes[0]
        .tell(Token {
            left: hops,
            made: 0,
        })
        .expect("ring node alive");
    let made = wait(&done);
    let elapsed = started.elapsed();
    record_cpu(cpu);
    assert_eq!(made, hops, "the token makes exactly the hops asked");
    drop(nodes);
    host.stop();
    Measured {
        elapsed,
        units: hops,
    }
}

/// The raw ring's token: hops left and made; `None` ends each thread in turn.
type RawToken = Option<(u64, u64)>;

fn raw_thread_ring(hops: u64, done_tx: Tx<u64>, done: Receiver<u64>) -> Measured {
    let (txs, rxs): (Vec<Tx<RawToken>>, Vec<_>) = (0..RING_ACTORS).map(|_| unbounded()).unzip();
    let threads: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(n, rx)| {
            let next = txs[(n + 1) % RING_ACTORS].clone();
            let done = done_tx.clone();
            thread::spawn(move || {
                for token in rx {
                    match token {
                        Some((0, made)) => {
                            let _ = done.send(made);
                        }
                        Some((left, made)) => {
                            next.send(Some((left - 1, made + 1))).expect("ring thread");
                        }
                        None => {
                            let _ = next.send(None);
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    txs[0].send(Some((hops, 0))).expect("ring thread");
    let made = wait(&done);
    let elapsed = started.elapsed();
    assert_eq!(made, hops, "the token makes exactly the hops asked");
    txs[0].send(None).expect("ring thread");
    for thread in threads {
        thread.join().expect("ring thread ends");
    }
    Measured {
        elapsed,
        units: hops,
    }
}

// ---------------------------------------------------------------------------------------
// Big.

const BIG_ACTORS: usize = 100;

fn big_pings(scale: f64) -> u64 {
    scaled(2_000, scale)
}

/// A small xorshift generator, seeded per actor, so every run sends the same pattern.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Gives a Big actor every peer, itself included.
#[derive(Message)]
pub struct Peers(Arc<[Addr<BigNode>]>);

/// Starts a Big actor's pings.
#[derive(Message)]
pub struct BigStart;

/// A ping from the peer at this index.
#[derive(Message)]
pub struct BigPing(usize);

/// The answer to a ping.
#[derive(Message)]
pub struct BigPong;

/// One Big actor: sends a ping to a random peer, waits for its pong, and again.
pub struct BigNode {
    index: usize,
    peers: Option<Arc<[Addr<BigNode>]>>,
    rng: Rng,
    /// Pings to send in all.
    target: u64,
    pings: u64,
    pongs: u64,
    done: Tx<u64>,
}

impl BigNode {
    fn ping(&mut self) {
        let peers = self.peers.as_ref().expect("peers set before start");
        let to = self.rng.below(peers.len());
        self.pings += 1;
        peers[to].tell(BigPing(self.index)).expect("big peer alive");
    }
}

#[actor]
impl BigNode {
    #[handles(Peers)]
    fn peers(&mut self, Peers(peers): Peers) {
        self.peers = Some(peers);
    }

    #[handles(BigStart)]
    fn start(&mut self, _: BigStart) {
        self.ping();
    }

    #[handles(BigPing)]
    fn on_ping(&mut self, BigPing(from): BigPing) {
        let peers = self.peers.as_ref().expect("peers set before start");
        peers[from].tell(BigPong).expect("big peer alive");
    }

    #[handles(BigPong)]
    fn on_pong(&mut self, _: BigPong) {
        self.pongs += 1;
        if self.pings < self.target {
            self.ping();
        } else {
            let _ = self.done.send(self.pongs);
        }
    }
}

/// Big: 100 actors ping seeded-random peers and count the pongs.
pub fn big(hosting: Hosting, scale: f64) -> Measured {
    let pings = big_pings(scale);
    if hosting == Hosting::Raw {
        let (done_tx, done) = unbounded();
        return raw_big(pings, done_tx, done);
    }
    let measured = big_of(hosting, BIG_ACTORS, pings);
    // The pings and pongs; not the start messages.
    Measured {
        units: BIG_ACTORS as u64 * pings * 2,
        ..measured
    }
}

/// Big of `actors` framework actors (not the raw hosting) sending `pings` pings each.
/// Its units are every message the actors handle in the timed part: the pings, the pongs
/// and each actor's start message, for the scale report (`examples/scale_report.rs`),
/// where the start messages weigh more the more actors there are.
pub fn big_of(hosting: Hosting, actors: usize, pings: u64) -> Measured {
    let units = actors as u64 * (pings * 2 + 1);
    let (done_tx, done) = unbounded();
    let mut host = Host::new(hosting);
    let nodes: Arc<[Addr<BigNode>]> = (0..actors)
        .map(|index| {
            host.spawn(BigNode {
                index,
                peers: None,
                rng: Rng::new(index as u64),
                target: pings,
                pings: 0,
                pongs: 0,
                done: done_tx.clone(),
            })
        })
        .collect();
    for node in nodes.iter() {
        node.tell(Peers(nodes.clone())).expect("big actor alive");
    }
    let cpu = process_cpu_ns();
    let started = Instant::now();
    for node in nodes.iter() {
        node.tell(BigStart).expect("big actor alive");
    }
    let pongs: u64 = (0..actors).map(|_| wait(&done)).sum();
    let elapsed = started.elapsed();
    record_cpu(cpu);
    assert_eq!(pongs, actors as u64 * pings, "every pong is counted");
    drop(nodes);
    host.stop();
    Measured { elapsed, units }
}

enum RawBig {
    Start,
    Ping(usize),
    Pong,
    Quit,
}

fn raw_big(pings: u64, done_tx: Tx<u64>, done: Receiver<u64>) -> Measured {
    let units = BIG_ACTORS as u64 * pings * 2;
    let (txs, rxs): (Vec<Tx<RawBig>>, Vec<Receiver<RawBig>>) =
        (0..BIG_ACTORS).map(|_| unbounded()).unzip();
    let txs: Arc<[Tx<RawBig>]> = txs.into();
    let threads: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(index, rx)| {
            let peers = txs.clone();
            let done = done_tx.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(index as u64);
                let (mut sent, mut pongs) = (0, 0);
                let mut ping = |sent: &mut u64| {
                    *sent += 1;
                    let to = rng.below(peers.len());
                    peers[to].send(RawBig::Ping(index)).expect("big thread");
                };
                for msg in rx {
                    match msg {
                        RawBig::Start => ping(&mut sent),
                        RawBig::Ping(from) => peers[from].send(RawBig::Pong).expect("big thread"),
                        RawBig::Pong => {
                            pongs += 1;
                            if sent < pings {
                                ping(&mut sent);
                            } else {
                                let _ = done.send(pongs);
                            }
                        }
                        RawBig::Quit => break,
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    for tx in txs.iter() {
        tx.send(RawBig::Start).expect("big thread");
    }
    let pongs: u64 = (0..BIG_ACTORS).map(|_| wait(&done)).sum();
    let elapsed = started.elapsed();
    assert_eq!(pongs, BIG_ACTORS as u64 * pings, "every pong is counted");
    for tx in txs.iter() {
        tx.send(RawBig::Quit).expect("big thread");
    }
    for thread in threads {
        thread.join().expect("big thread ends");
    }
    Measured { elapsed, units }
}

// ---------------------------------------------------------------------------------------
// Fork-Join throughput.

const FJ_ACTORS: usize = 60;

fn fj_messages(scale: f64) -> u64 {
    scaled(20_000, scale)
}

/// Savina's per-message work: the square of a sine.
#[inline]
fn sin_squared(theta: f64) -> f64 {
    let sint = black_box(theta).sin();
    sint * sint
}

/// One message of Fork-Join: do the work.
#[derive(Message)]
pub struct Work;

/// One Fork-Join actor: does the work, counts, reports when it has handled all.
pub struct FjNode {
    expected: u64,
    handled: u64,
    sum: f64,
    done: Tx<u64>,
}

#[actor]
impl FjNode {
    #[handles(Work)]
    fn work(&mut self, _: Work) {
        self.sum += sin_squared(37.2);
        self.handled += 1;
        if self.handled == self.expected {
            black_box(self.sum);
            let _ = self.done.send(self.handled);
        }
    }
}

/// Fork-Join throughput: 60 actors, messages round-robin from one plain thread.
pub fn fork_join(hosting: Hosting, scale: f64) -> Measured {
    let each = fj_messages(scale);
    let units = FJ_ACTORS as u64 * each;
    let (done_tx, done) = unbounded();
    if hosting == Hosting::Raw {
        return raw_fork_join(each, done_tx, done);
    }
    let mut host = Host::new(hosting);
    let nodes: Vec<Addr<FjNode>> = (0..FJ_ACTORS)
        .map(|_| {
            host.spawn(FjNode {
                expected: each,
                handled: 0,
                sum: 0.0,
                done: done_tx.clone(),
            })
        })
        .collect();
    let started = Instant::now();
    for _ in 0..each {
        for node in &nodes {
            node.tell(Work).expect("fork-join actor alive");
        }
    }
    let handled: u64 = (0..FJ_ACTORS).map(|_| wait(&done)).sum();
    let elapsed = started.elapsed();
    assert_eq!(handled, units, "every message is handled");
    drop(nodes);
    host.stop();
    Measured { elapsed, units }
}

fn raw_fork_join(each: u64, done_tx: Tx<u64>, done: Receiver<u64>) -> Measured {
    let units = FJ_ACTORS as u64 * each;
    let (txs, rxs): (Vec<Tx<()>>, Vec<Receiver<()>>) = (0..FJ_ACTORS).map(|_| unbounded()).unzip();
    let threads: Vec<_> = rxs
        .into_iter()
        .map(|rx| {
            let done = done_tx.clone();
            thread::spawn(move || {
                let (mut handled, mut sum) = (0, 0.0);
                for () in rx {
                    sum += sin_squared(37.2);
                    handled += 1;
                    if handled == each {
                        black_box(sum);
                        let _ = done.send(handled);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    for _ in 0..each {
        for tx in &txs {
            tx.send(()).expect("fork-join thread");
        }
    }
    let handled: u64 = (0..FJ_ACTORS).map(|_| wait(&done)).sum();
    let elapsed = started.elapsed();
    assert_eq!(handled, units, "every message is handled");
    drop(txs);
    for thread in threads {
        thread.join().expect("fork-join thread ends");
    }
    Measured { elapsed, units }
}

// ---------------------------------------------------------------------------------------
// Chain spawn.

fn chain_len(scale: f64) -> u64 {
    scaled(10_000, scale)
}

/// Goes down the chain, counting the links it passed.
#[derive(Message)]
pub struct Link(u64);

/// One link of the chain: passes `Link` on, or reports at the end.
pub struct ChainNode {
    next: Option<Addr<ChainNode>>,
    done: Tx<u64>,
}

#[actor]
impl ChainNode {
    #[handles(Link)]
    fn link(&mut self, Link(passed): Link) {
        match &self.next {
            Some(next) => next.tell(Link(passed + 1)).expect("chain node alive"),
            None => {
                let _ = self.done.send(passed + 1);
            }
        }
    }
}

/// Chain spawn: spawn the chain (last first), one message down it, stop every link. All
/// of it is timed, including the driver's start and shutdown in the driver hosting.
pub fn chain_spawn(hosting: Hosting, scale: f64) -> Measured {
    let len = chain_len(scale);
    let (done_tx, done) = unbounded();
    if hosting == Hosting::Raw {
        return raw_chain_spawn(len, done_tx, done);
    }
    let started = Instant::now();
    let mut host = Host::new(hosting);
    let mut next = None;
    for _ in 0..len {
        next = Some(host.spawn(ChainNode {
            next,
            done: done_tx.clone(),
        }));
    }
    let head = next.expect("a chain of at least one");
    head.tell(Link(0)).expect("chain head alive");
    let passed = wait(&done);
    drop(head);
    host.stop();
    let elapsed = started.elapsed();
    assert_eq!(passed, len, "the message reaches the end of the chain");
    Measured {
        elapsed,
        units: len,
    }
}

fn raw_chain_spawn(len: u64, done_tx: Tx<u64>, done: Receiver<u64>) -> Measured {
    enum RawLink {
        Link(u64),
        Stop(Tx<()>),
    }
    let started = Instant::now();
    let mut next: Option<Tx<RawLink>> = None;
    let mut links = Vec::with_capacity(len as usize);
    let mut threads = Vec::with_capacity(len as usize);
    for _ in 0..len {
        let (tx, rx) = unbounded::<RawLink>();
        let done = done_tx.clone();
        let to = next.take();
        threads.push(thread::spawn(move || {
            for msg in rx {
                match msg {
                    RawLink::Link(passed) => match &to {
                        Some(to) => to.send(RawLink::Link(passed + 1)).expect("chain thread"),
                        None => {
                            let _ = done.send(passed + 1);
                        }
                    },
                    RawLink::Stop(ack) => {
                        let _ = ack.send(());
                        break;
                    }
                }
            }
        }));
        links.push(tx.clone());
        next = Some(tx);
    }
    let head = next.expect("a chain of at least one");
    head.send(RawLink::Link(0)).expect("chain thread");
    let passed = wait(&done);
    let (ack_tx, acks) = unbounded();
    for link in &links {
        link.send(RawLink::Stop(ack_tx.clone()))
            .expect("chain thread");
    }
    for _ in &links {
        acks.recv_timeout(TIMEOUT).expect("chain thread stops");
    }
    for thread in threads {
        thread.join().expect("chain thread ends");
    }
    let elapsed = started.elapsed();
    assert_eq!(passed, len, "the message reaches the end of the chain");
    Measured {
        elapsed,
        units: len,
    }
}

// ---------------------------------------------------------------------------------------
// Spawn, call, stop (issue 21).

fn spawn_call_len(scale: f64) -> u64 {
    scaled(2_000, scale)
}

/// Asks an actor for its number.
#[derive(Message)]
#[message(reply = u64)]
pub struct Number;

/// An actor that knows its number.
pub struct Numbered(pub u64);

#[actor]
impl Numbered {
    #[handles(Number)]
    fn number(&self, _: Number) -> u64 {
        self.0
    }
}

/// Spawn-call-stop, as issue 21's peers ran it: from a plain thread, spawn every actor,
/// call each once (waiting for each reply in turn), then stop them all. The driver's start
/// and shutdown are outside the timed part (the peers' system is already running).
pub fn spawn_call_stop(hosting: Hosting, scale: f64) -> Measured {
    let count = spawn_call_len(scale);
    if hosting == Hosting::Raw {
        return raw_spawn_call_stop(count);
    }
    let mut host = Host::new(hosting);
    let bridge = Bridge::new();
    let started = Instant::now();
    let actors: Vec<Addr<Numbered>> = (0..count).map(|n| host.spawn(Numbered(n))).collect();
    for (n, actor) in (0..).zip(&actors) {
        let answer = bridge
            .call(actor, Number, TIMEOUT)
            .expect("fresh actor answers");
        assert_eq!(answer, n, "each actor answers its own number");
    }
    drop(actors);
    host.stop_actors(&bridge);
    let elapsed = started.elapsed();
    host.shut_down();
    Measured {
        elapsed,
        units: count,
    }
}

fn raw_spawn_call_stop(count: u64) -> Measured {
    enum RawCall {
        Number(Tx<u64>),
        Stop(Tx<()>),
    }
    let started = Instant::now();
    let mut threads = Vec::with_capacity(count as usize);
    let links: Vec<Tx<RawCall>> = (0..count)
        .map(|n| {
            let (tx, rx) = unbounded::<RawCall>();
            threads.push(thread::spawn(move || {
                for msg in rx {
                    match msg {
                        RawCall::Number(reply) => {
                            let _ = reply.send(n);
                        }
                        RawCall::Stop(ack) => {
                            let _ = ack.send(());
                            break;
                        }
                    }
                }
            }));
            tx
        })
        .collect();
    for (n, link) in (0..).zip(&links) {
        let (reply, answer) = crossbeam_channel::bounded(1);
        link.send(RawCall::Number(reply)).expect("raw thread alive");
        let answer = answer.recv_timeout(TIMEOUT).expect("raw thread answers");
        assert_eq!(answer, n, "each thread answers its own number");
    }
    let (ack_tx, acks) = unbounded();
    for link in &links {
        link.send(RawCall::Stop(ack_tx.clone()))
            .expect("raw thread alive");
    }
    for _ in &links {
        acks.recv_timeout(TIMEOUT).expect("raw thread stops");
    }
    let elapsed = started.elapsed();
    for thread in threads {
        thread.join().expect("raw thread ends");
    }
    Measured {
        elapsed,
        units: count,
    }
}

// ---------------------------------------------------------------------------------------
// Ping-pong.

fn pingpong_rounds(scale: f64) -> u64 {
    scaled(100_000, scale)
}

/// Pinger to ponger.
#[derive(Message)]
pub struct Ping(u64);

/// Ponger to pinger, the counter incremented.
#[derive(Message)]
pub struct Pong(u64);

/// Starts the rally.
#[derive(Message)]
pub struct Serve;

/// Serves, answers every `Pong` through `ctx.sender()`, reports after the last one.
pub struct Pinger {
    target: Recipient<Ping>,
    rounds: u64,
    done: Tx<u64>,
}

#[actor]
impl Pinger {
    #[handles(Serve)]
    fn serve(&mut self, _: Serve) {
        self.target.tell(Ping(0)).expect("ponger alive");
    }

    #[handles(Pong)]
    fn pong(&mut self, Pong(done): Pong, ctx: &mut Context<Self>) {
        if done < self.rounds {
            ctx.sender().tell(Ping(done)).expect("ponger alive");
        } else {
            let _ = self.done.send(done);
        }
    }
}

/// Answers every `Ping` through `ctx.sender()`.
pub struct Ponger;

#[actor]
impl Ponger {
    #[handles(Ping)]
    fn ping(&mut self, Ping(done): Ping, ctx: &mut Context<Self>) {
        ctx.sender().tell(Pong(done + 1)).expect("pinger alive");
    }
}

/// Ping-pong: two actors (on one driver, or each on its own thread) bounce a counter.
pub fn ping_pong(hosting: Hosting, scale: f64) -> Measured {
    let rounds = pingpong_rounds(scale);
    let (done_tx, done) = unbounded();
    if hosting == Hosting::Raw {
        return raw_ping_pong(rounds, done_tx, done);
    }
    let mut host = Host::new(hosting);
    let ponger = host.spawn(Ponger);
    let pinger = host.spawn(Pinger {
        target: ponger.recipient(),
        rounds,
        done: done_tx,
    });
    let started = Instant::now();
    pinger.tell(Serve).expect("pinger alive");
    let made = wait(&done);
    let elapsed = started.elapsed();
    assert_eq!(made, rounds, "every round trip is made");
    drop((pinger, ponger));
    host.stop();
    Measured {
        elapsed,
        units: rounds,
    }
}

/// The floor under a ping-pong on one thread: the same channel operations with no actor
/// around them (per round trip, two unbounded crossbeam sends and two receives, on one
/// thread). The report prints it beside the driver's figure, since both move together
/// with the machine's load.
pub fn channel_floor(scale: f64) -> Measured {
    let rounds = pingpong_rounds(scale);
    let (to_a, a) = unbounded::<u64>();
    let (to_b, b) = unbounded::<u64>();
    let started = Instant::now();
    to_a.send(0).expect("own channel");
    for _ in 0..rounds {
        let n = a.try_recv().expect("sent just before");
        to_b.send(black_box(n) + 1).expect("own channel");
        let n = b.try_recv().expect("sent just before");
        to_a.send(black_box(n) + 1).expect("own channel");
    }
    let made = a.try_recv().expect("sent just before");
    let elapsed = started.elapsed();
    assert_eq!(made, 2 * rounds, "every send was received");
    Measured {
        elapsed,
        units: rounds,
    }
}

fn raw_ping_pong(rounds: u64, done_tx: Tx<u64>, done: Receiver<u64>) -> Measured {
    let (to_pinger, pinger_rx) = unbounded::<u64>();
    let (to_ponger, ponger_rx) = unbounded::<u64>();
    let ponger = thread::spawn(move || {
        for n in ponger_rx {
            if to_pinger.send(n + 1).is_err() {
                break;
            }
        }
    });
    let serve = to_ponger.clone();
    let pinger = thread::spawn(move || {
        for n in pinger_rx {
            if n < rounds {
                to_ponger.send(n).expect("raw ponger");
            } else {
                let _ = done_tx.send(n);
                break;
            }
        }
    });
    let started = Instant::now();
    serve.send(0).expect("raw ponger");
    let made = wait(&done);
    let elapsed = started.elapsed();
    assert_eq!(made, rounds, "every round trip is made");
    drop(serve);
    pinger.join().expect("raw pinger ends");
    ponger.join().expect("raw ponger ends");
    Measured {
        elapsed,
        units: rounds,
    }
}
