//! A hostile NATS client against a serving node (findings 1 and 7 of the network-edge issue):
//! an over-deep message, floods of foreign tells and of calls. The node runs in a child process (this binary
//! re-executed), so its threads and memory are read from `/proc/<pid>/status` alone and a
//! crash fails a test instead of the run; the attacker speaks the NATS text protocol
//! itself on loopback, to the test's own `nats-server`. Through each attack a well-behaved
//! caller, on its own node, must be served.
//!
//! The child reports its load by a tell to its `reporter` actor, which tells the parent's
//! `collector` back: tells to actors need no worker, so the report comes even while every
//! worker is held.
//!
//! No libtest harness (see `Cargo.toml`): the child owns its stdout.

#[path = "nats/raw.rs"]
mod raw;
#[path = "nats/server.rs"]
mod server;

#[path = "support/harness.rs"]
mod harness;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/tree.rs"]
mod tree;

use actor_core::nats::{Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head, Route};
use actor_core::wire::frame::VERSION;
use actor_core::wire::{Fault, Limits, Workers};
use crossbeam_channel::{Receiver, Sender as Channel};
use procfs::Resources;
use raw::{publish, Raw};
use serde::{Deserialize, Serialize};
use server::NatsServer;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use tree::Tree;

/// Set in the child's environment: serve instead of testing.
const CHILD: &str = "ACTOR_NATS_ATTACK_CHILD";
/// The server the child connects to.
const URL: &str = "ACTOR_NATS_ATTACK_URL";
/// The child's workers: `pool:N` or `per-request`.
const WORKERS: &str = "ACTOR_NATS_ATTACK_WORKERS";
/// The child's `max_queued` and `max_threads`.
const LIMITS: &str = "ACTOR_NATS_ATTACK_LIMITS";
/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

/// Held at the gate until it opens.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Held;

/// Opens the gate for good.
#[derive(Message, Serialize, Deserialize)]
struct Open;

/// Asks the child's reporter for a [`Stats`].
#[derive(Message, Serialize, Deserialize)]
struct Report;

/// The child node's `load()` and anomaly count, told back to the parent's collector.
#[derive(Message, Serialize, Deserialize, Debug, Clone, Copy)]
struct Stats {
    queued: usize,
    running: usize,
    refused_requests: u64,
    anomalies: u64,
}

static GATE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

fn wait_at_gate() {
    let (open, opened) = &GATE;
    let _open = opened.wait_while(open.lock().unwrap(), |open| !*open);
}

/// The child's: opens the gate, and reports the node's load.
struct Keeper {
    node: Node,
}

#[actor(remote)]
impl Keeper {
    #[handles(Open)]
    fn open(&mut self, _: Open) {
        let (open, opened) = &GATE;
        *open.lock().unwrap() = true;
        opened.notify_all();
    }

    #[handles(Report)]
    fn report(&mut self, _: Report) {
        let load = self.node.load();
        let stats = Stats {
            queued: load.queued,
            running: load.running,
            refused_requests: load.refused_requests,
            anomalies: self.node.anomaly_count(),
        };
        self.node
            .tell("collector", stats)
            .expect("a report to the parent");
    }
}

/// The parent's end of the reports.
struct Collector {
    reports: Channel<Stats>,
}

#[actor(remote)]
impl Collector {
    #[handles(Stats)]
    fn stats(&mut self, stats: Stats) {
        self.reports.send(stats).ok();
    }
}

// ---------------------------------------------------------------------------------------
// The child

fn serve() -> i32 {
    let url = std::env::var(URL).expect("the server's URL");
    let workers = match std::env::var(WORKERS).as_deref() {
        Ok("per-request") => Workers::PerRequest,
        Ok(pool) => Workers::Pool(pool.trim_start_matches("pool:").parse().expect("pool:N")),
        Err(_) => Workers::Pool(2),
    };
    let limits = std::env::var(LIMITS).unwrap_or_default();
    let (queued, threads) = limits.split_once(',').unwrap_or(("4096", "256"));
    let node = NodeConfig::new([url])
        .workers(workers)
        .limits(
            Limits::default()
                .max_queued(queued.parse().expect("max_queued"))
                .max_threads(threads.parse().expect("max_threads")),
        )
        .connect()
        .expect("the child's node");
    node.function("math", |Square(n): Square| n * n)
        .expect("serving math");
    node.function("gate", |_: Held| wait_at_gate())
        .expect("serving the gate");
    node.function("forest", |tree: Tree| tree.depth())
        .expect("serving the forest");
    node.serve("keeper", &Keeper { node: node.clone() }.spawn())
        .expect("serving the keeper");
    println!("ready");
    // Serve until the parent closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    0
}

// ---------------------------------------------------------------------------------------
// The parent's helpers

/// The serving node in a child process.
struct Served {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The parent's own node: the well-behaved caller, and the collector of reports.
    node: Node,
    reports: Receiver<Stats>,
}

impl Resources for Served {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Served {
    fn start(server: &NatsServer, workers: &str, limits: &str) -> Served {
        let node = NodeConfig::new([server.url()]).connect().expect("a node");
        let (reports_to, reports) = crossbeam_channel::unbounded();
        node.serve(
            "collector",
            &Collector {
                reports: reports_to,
            }
            .spawn(),
        )
        .expect("serving the collector");
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut child = Command::new(exe)
            .env(CHILD, "serve")
            .env(URL, server.url())
            .env(WORKERS, workers)
            .env(LIMITS, limits)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("a child");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the child's word");
        assert_eq!(line.trim(), "ready", "the child did not start");
        Served {
            child,
            stdin,
            node,
            reports,
        }
    }

    /// Asks the child for its stats until `done` holds (at most [`WAIT`]).
    fn stats_until(&self, what: &str, done: impl Fn(&Stats) -> bool) -> Stats {
        let deadline = Instant::now() + WAIT;
        loop {
            self.node
                .tell("keeper", Report)
                .expect("asking for a report");
            let stats = self
                .reports
                .recv_deadline(deadline)
                .unwrap_or_else(|_| panic!("no report while waiting until {what}"));
            if done(&stats) {
                return stats;
            }
            assert!(Instant::now() < deadline, "never {what}: {stats:?}");
            thread::sleep(Duration::from_millis(10)); // polling the child: no event to wait on
        }
    }

    fn open_gate(&self) {
        self.node.tell("keeper", Open).expect("opening the gate");
    }

    /// Closes the child's stdin and waits (at most [`WAIT`]) for it to exit cleanly.
    fn stop(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                assert!(status.success(), "the child died: {status}");
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the child did not exit within {WAIT:?}");
            }
            thread::sleep(Duration::from_millis(10)); // polling a child's exit: no event to wait on
        }
    }
}

/// A request as the node takes it: the version byte, the head, the body.
fn packet(head: &Head<'_>, body: &[u8]) -> Vec<u8> {
    let mut packet = vec![VERSION];
    packet.extend(codec::to_vec(head).unwrap());
    packet.extend_from_slice(body);
    packet
}

// ---------------------------------------------------------------------------------------
// The tests

/// Finding 7: 100,000 foreign tells took a node from 6 to 240 MB: its dispatch channel
/// and its pool's queue were unbounded. Past `max_queued`, a tell is dropped and
/// counted; a caller with nothing in is let in, and answered once the gate opens.
fn a_flood_of_tells_is_bounded_by_the_queue_limit() {
    const TELLS: u64 = 100_000;
    const CHUNK: u64 = 1_000;
    const QUEUE: usize = 100;
    const WORKERS: u64 = 2;
    let server = NatsServer::start();
    let served = Served::start(&server, "pool:2", &format!("{QUEUE},256"));
    assert_eq!(served.node.call("math", Square(2), WAIT).unwrap(), 4);
    let (rss_before, before) = (served.rss_kib(), served.resources());
    let mut raw = Raw::connect(&server);
    let route = Route {
        actor: "",
        message: codec::wire_name::<Held>(),
    };
    let tell = packet(&Head::Tell { route }, &codec::to_vec(&Held).unwrap());
    let mut sent = 0;
    let mut peak_rss = rss_before;
    while sent < TELLS {
        let mut chunk = Vec::new();
        for _ in 0..CHUNK {
            publish(&mut chunk, "actors.actor.gate", None, &tell);
        }
        raw.write(&chunk);
        sent += CHUNK;
        // Paced so that every tell reaches the node's own accounting, none lost on the
        // way (a burst past the subscription's capacity would be dropped by the client).
        let stats = served.stats_until("took in or refused the tells sent", |s| {
            s.running as u64 + s.queued as u64 + s.refused_requests == sent
        });
        assert!(stats.queued <= QUEUE, "{stats:?}");
        peak_rss = peak_rss.max(served.rss_kib());
    }
    let during = served.resources();
    let stats = served.stats_until("settled", |_| true);
    assert_eq!(stats.running as u64, WORKERS, "{stats:?}");
    assert_eq!(stats.queued, QUEUE, "{stats:?}");
    assert_eq!(stats.refused_requests, TELLS - WORKERS - QUEUE as u64);
    assert!(
        stats.anomalies >= stats.refused_requests,
        "each recorded: {stats:?}"
    );
    assert!(served.threads() < 32, "{during}");
    let grown = peak_rss.saturating_sub(rss_before);
    assert!(grown < 32 * 1024, "RSS grew by {grown} KiB: {during}");
    // A caller with nothing in is let in past the limit, and answered once the gate opens.
    let caller = {
        let node = served.node.clone();
        thread::spawn(move || node.call("math", Square(9), WAIT))
    };
    served.stats_until("let the caller in", |s| s.queued == QUEUE + 1);
    served.open_gate();
    assert_eq!(caller.join().unwrap().unwrap(), 81);
    served.stats_until("ran what it took", |s| s.queued == 0 && s.running == 0);
    println!(
        "{TELLS} tells, pool of {WORKERS}, queue limit {QUEUE}: before {before}; during {during} \
         (peak RSS {peak_rss} KiB); {stats:?}"
    );
    served.stop();
}

/// Finding 7: 3,000 calls to a node with a thread per request made 3,004 threads. Past
/// `max_threads`, a call is answered at once with `Fault::Unavailable`; a caller with
/// nothing in is still served.
fn a_flood_of_calls_is_bounded_by_the_thread_cap() {
    const CALLS: u64 = 3_000;
    const CAP: usize = 64;
    let server = NatsServer::start();
    let served = Served::start(&server, "per-request", &format!("4096,{CAP}"));
    let before = served.resources();
    let mut raw = Raw::connect(&server);
    assert!(raw.subscribe("raw.reply.*", None).is_empty());
    let route = Route {
        actor: "",
        message: codec::wire_name::<Held>(),
    };
    let mut flood = Vec::new();
    for xid in 0..CALLS {
        let head = Head::Call {
            xid,
            timeout_ms: WAIT.as_millis() as u64,
            route,
        };
        let call = packet(&head, &codec::to_vec(&Held).unwrap());
        publish(
            &mut flood,
            "actors.actor.gate",
            Some(&format!("raw.reply.{xid}")),
            &call,
        );
    }
    raw.write(&flood);
    // Every call past the cap is answered at once, with a fault the caller can tell apart.
    let refused = CALLS - CAP as u64;
    for _ in 0..refused {
        let payload = raw.next_msg().payload;
        let (head, _) = codec::decode_packet(&payload[1..]).unwrap();
        assert!(
            matches!(
                head,
                Head::Fault {
                    fault: Fault::Unavailable { .. },
                    ..
                }
            ),
            "{head:?}"
        );
    }
    let stats = served.stats_until("refused the calls past the cap", |s| {
        s.refused_requests == refused
    });
    let during = served.resources();
    assert_eq!(stats.running, CAP, "{stats:?}");
    assert!(served.threads() < CAP as u64 + 24, "{during}");
    // A caller with nothing in is let in past the cap, and served while the gate holds.
    assert_eq!(served.node.call("math", Square(8), WAIT).unwrap(), 64);
    served.open_gate();
    for _ in 0..CAP {
        let payload = raw.next_msg().payload;
        let (head, _) = codec::decode_packet(&payload[1..]).unwrap();
        assert!(matches!(head, Head::Reply { .. }), "{head:?}");
    }
    served.stats_until("ended the held calls", |s| s.running == 0);
    println!(
        "{CALLS} calls, thread per request, cap {CAP}: before {before}; during {during}; {stats:?}"
    );
    served.stop();
}

/// Finding 1, on NATS: a foreign client publishing 200,000 nested `Some`s (200 KB, under
/// NATS's payload limit) overflowed a worker's stack and aborted the node. Now the call is
/// answered with a `BadRequest` fault, a tell of it is dropped and recorded, and the node
/// goes on serving: the child exits cleanly at the end.
fn an_over_deep_message_from_a_foreign_client_gets_a_fault_and_the_node_lives() {
    let server = NatsServer::start();
    let served = Served::start(&server, "pool:2", "4096,256");
    let mut raw = Raw::connect(&server);
    assert!(raw.subscribe("raw.reply.*", None).is_empty());
    let route = Route {
        actor: "",
        message: codec::wire_name::<Tree>(),
    };
    let mut deep = vec![0x01; 200_000];
    deep.push(0x00);
    let call = |xid: u64, body: &[u8]| {
        let head = Head::Call {
            xid,
            timeout_ms: WAIT.as_millis() as u64,
            route,
        };
        packet(&head, body)
    };
    let mut out = Vec::new();
    publish(
        &mut out,
        "actors.actor.forest",
        Some("raw.reply.1"),
        &call(1, &deep),
    );
    publish(
        &mut out,
        "actors.actor.forest",
        None,
        &packet(&Head::Tell { route }, &deep),
    );
    let mut sane = vec![0x01; 20];
    sane.push(0x00);
    publish(
        &mut out,
        "actors.actor.forest",
        Some("raw.reply.2"),
        &call(2, &sane),
    );
    raw.write(&out);
    let mut answers = Vec::new();
    for _ in 0..2 {
        let payload = raw.next_msg().payload;
        let (head, body) = codec::decode_packet(&payload[1..]).unwrap();
        answers.push(match head {
            Head::Fault { xid, fault } => (xid, Err(fault)),
            Head::Reply { xid } => (xid, Ok(codec::decode::<usize>(body).unwrap())),
            other => panic!("{other:?}"),
        });
    }
    answers.sort_by_key(|(xid, _)| *xid);
    match &answers[0] {
        (1, Err(Fault::BadRequest { reason, .. })) => {
            assert!(reason.contains("nested deeper than the limit"), "{reason}")
        }
        other => panic!("expected a bad request for call 1, got {other:?}"),
    }
    assert!(matches!(answers[1], (2, Ok(20))), "{:?}", answers[1]);
    // The over-deep tell was recorded; the node serves everyone else.
    served.stats_until("recorded the over-deep tell", |s| s.anomalies >= 1);
    assert_eq!(served.node.call("math", Square(9), WAIT).unwrap(), 81);
    println!(
        "an over-deep call and tell on NATS: {answers:?}; {}",
        served.resources()
    );
    served.stop();
}

// ---------------------------------------------------------------------------------------
// The harness

const TESTS: &[harness::Test] = &[
    (
        "an_over_deep_message_from_a_foreign_client_gets_a_fault_and_the_node_lives",
        an_over_deep_message_from_a_foreign_client_gets_a_fault_and_the_node_lives,
    ),
    (
        "a_flood_of_tells_is_bounded_by_the_queue_limit",
        a_flood_of_tells_is_bounded_by_the_queue_limit,
    ),
    (
        "a_flood_of_calls_is_bounded_by_the_thread_cap",
        a_flood_of_calls_is_bounded_by_the_thread_cap,
    ),
];

fn main() {
    if std::env::var_os(CHILD).is_some() {
        std::process::exit(serve());
    }
    harness::run(TESTS);
}
