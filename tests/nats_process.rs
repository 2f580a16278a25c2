//! Actors across processes over NATS: this test binary re-executes itself as serving
//! child processes, each with a node of its own, and the tests call them, spread work
//! over them and publish to them through the test's own `nats-server`.
//!
//! It has no libtest harness (see `Cargo.toml`), so that a child runs this file's `main`
//! instead of the tests. `main` runs the tests and prints the same summary line as
//! libtest; it honours a name filter, `--exact` and `--list`.

#[path = "nats/server.rs"]
mod server;

#[path = "support/harness.rs"]
mod harness;

use actor_core::nats::{NatsLink, Node, NodeConfig};
use actor_core::prelude::*;
use serde::{Deserialize, Serialize};
use server::NatsServer;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::panic;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Set in a child's environment: serve as child number N instead of testing.
const CHILD: &str = "ACTOR_NATS_CHILD";
/// The server a child connects to.
const URL: &str = "ACTOR_NATS_URL";
/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Add(i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = i64)]
struct Total;

#[derive(Default)]
struct Ledger(i64);

#[actor(remote)]
impl Ledger {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.0 += n;
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> i64 {
        self.0
    }
}

/// Answered with the serving process's id.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = u32)]
struct Pid;

/// Answered with how many `Pid` requests the child served.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Served;

/// Tells a child to close its node and exit.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Quit;

#[derive(Message, Clone, Serialize, Deserialize, Debug, PartialEq)]
struct Price(u32);

/// What a child's ticker reports to the parent's `collector`: who saw which price.
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Seen {
    child: usize,
    price: u32,
}

/// A child's subscriber: reports every price it gets to the parent, over NATS.
struct Ticker {
    child: usize,
    link: NatsLink,
}

#[actor]
impl Ticker {
    #[handles(Price)]
    fn price(&mut self, Price(price): Price) {
        let seen = Seen {
            child: self.child,
            price,
        };
        self.link
            .tell("collector", seen)
            .expect("a report to the parent");
    }
}

/// The parent's end of the reports: an actor, so that the reports from one child are
/// handled in the order sent.
struct Collector {
    reports: crossbeam_channel::Sender<(usize, u32)>,
}

#[actor(remote)]
impl Collector {
    #[handles(Seen)]
    fn seen(&mut self, seen: Seen) {
        self.reports.send((seen.child, seen.price)).ok();
    }
}

// ---------------------------------------------------------------------------------------
// The child

/// Serves `ledger`, the worker pool `pool` and a `Price` ticker, and `child-N` for its
/// own control; prints `ready` once all of them are reachable, and exits on `Quit`.
fn child(index: usize, url: &str) -> i32 {
    let node = NodeConfig::new([url])
        .client_name(&format!("child-{index}"))
        .connect()
        .expect("the child's node");
    let served = Arc::new(AtomicUsize::new(0));
    let counting = served.clone();
    node.serve("ledger", &Ledger::default().spawn())
        .expect("serving the ledger");
    node.function("pool", move |Pid| {
        counting.fetch_add(1, Ordering::Relaxed);
        std::process::id()
    })
    .expect("joining the pool");
    let (quit, quitting) = crossbeam_channel::bounded(1);
    let control = format!("child-{index}");
    node.function(&control, move |Served| served.load(Ordering::Relaxed))
        .expect("serving the control name");
    node.function(&control, move |Quit| {
        quit.send(()).ok();
    })
    .expect("serving the control name");
    let ticker = Ticker {
        child: index,
        link: node.link(),
    }
    .spawn();
    node.pubsub()
        .subscribe(&ticker.recipient::<Price>())
        .expect("subscribing to prices");
    println!("ready");
    let _ = quitting.recv();
    node.close();
    0
}

// ---------------------------------------------------------------------------------------
// The parent's helpers

/// A child process, killed if the test ends without it having exited.
struct ChildProcess {
    child: Option<Child>,
    index: usize,
    pid: u32,
}

impl ChildProcess {
    /// Starts child `index` and waits until it serves.
    fn start(server: &NatsServer, index: usize) -> ChildProcess {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut child = Command::new(exe)
            .env(CHILD, index.to_string())
            .env(URL, server.url())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("a child process");
        let stdout = child.stdout.take().expect("the child's stdout");
        let process = ChildProcess {
            pid: child.id(),
            child: Some(child),
            index,
        };
        let (line, ready) = crossbeam_channel::bounded(1);
        thread::spawn(move || {
            let _ = line.send(first_line(stdout));
        });
        match ready.recv_timeout(WAIT) {
            Ok(line) if line.trim() == "ready" => process,
            Ok(line) => panic!("child {index} said {line:?} instead of `ready`"),
            Err(_) => panic!("child {index} was not ready within {WAIT:?}"),
        }
    }

    /// Tells the child to quit and waits (at most [`WAIT`]) for it to exit cleanly.
    fn quit(mut self, node: &Node) {
        node.tell(&format!("child-{}", self.index), Quit)
            .expect("the child takes `Quit`");
        let mut child = self.child.take().expect("a running child");
        let (exited, status) = crossbeam_channel::bounded(1);
        thread::spawn(move || {
            let _ = exited.send(child.wait());
        });
        match status.recv_timeout(WAIT) {
            Ok(status) => {
                let status = status.expect("the child's exit status");
                assert!(status.success(), "child {} failed: {status}", self.index);
            }
            Err(_) => {
                kill(self.pid);
                panic!("child {} did not exit within {WAIT:?}", self.index)
            }
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn kill(pid: u32) {
    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
}

fn first_line(stdout: ChildStdout) -> String {
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    line
}

fn node(server: &NatsServer) -> Node {
    Node::connect(&server.url()).expect("a node")
}

// ---------------------------------------------------------------------------------------
// The tests

fn a_child_process_serves_typed_calls_and_tells() {
    let server = NatsServer::start();
    let child = ChildProcess::start(&server, 0);
    let parent = node(&server);
    let ledger = parent.remote::<Ledger>("ledger");
    for n in 1..=100 {
        ledger.tell(Add(n)).unwrap();
    }
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 5050);
    assert_eq!(parent.call("pool", Pid, WAIT).unwrap(), child.pid);
    child.quit(&parent);
    // The child unsubscribed as it closed: no one serves the ledger now.
    assert!(ledger.call(Total, WAIT).unwrap_err().is_no_responders());
}

fn a_queue_group_spreads_requests_over_processes_and_serves_each_once() {
    const CALLERS: usize = 4;
    const CALLS: usize = 50; // per caller
    let server = NatsServer::start();
    let children = [
        ChildProcess::start(&server, 0),
        ChildProcess::start(&server, 1),
    ];
    let parent = node(&server);
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let parent = parent.clone();
            thread::spawn(move || {
                (0..CALLS)
                    .map(|_| parent.call("pool", Pid, WAIT).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut answered_by = BTreeMap::new();
    for caller in callers {
        for pid in caller.join().unwrap() {
            *answered_by.entry(pid).or_insert(0) += 1;
        }
    }
    let mut served = BTreeMap::new();
    for child in &children {
        let count = parent
            .call(&format!("child-{}", child.index), Served, WAIT)
            .unwrap();
        served.insert(child.pid, count);
    }
    // Each call answered by the process that ran it, none run twice, both took a share.
    assert_eq!(answered_by, served);
    assert_eq!(served.values().sum::<usize>(), CALLERS * CALLS);
    assert!(served.values().all(|&n| n > 0), "{served:?}");
    for child in children {
        child.quit(&parent);
    }
}

fn a_publish_reaches_the_subscribers_in_every_process() {
    let server = NatsServer::start();
    let parent = node(&server);
    let (report, reports) = crossbeam_channel::unbounded();
    let collector = Collector { reports: report }.spawn();
    parent.serve("collector", &collector).unwrap();
    let children = [
        ChildProcess::start(&server, 0),
        ChildProcess::start(&server, 1),
    ];
    let prices = parent.pubsub();
    for price in [101, 102, 103] {
        prices.publish(Price(price)).unwrap();
    }
    let mut seen: Vec<(usize, u32)> = (0..6)
        .map(|_| {
            reports
                .recv_timeout(WAIT)
                .expect("every child reports every price")
        })
        .collect();
    // Each child gets the prices in the order published.
    let in_order = |child| {
        seen.iter()
            .filter(|(c, _)| *c == child)
            .map(|(_, p)| *p)
            .collect::<Vec<_>>()
    };
    assert_eq!(in_order(0), [101, 102, 103]);
    assert_eq!(in_order(1), [101, 102, 103]);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 6);
    for child in children {
        child.quit(&parent);
    }
}

// ---------------------------------------------------------------------------------------
// The harness

const TESTS: &[harness::Test] = &[
    (
        "a_child_process_serves_typed_calls_and_tells",
        a_child_process_serves_typed_calls_and_tells,
    ),
    (
        "a_queue_group_spreads_requests_over_processes_and_serves_each_once",
        a_queue_group_spreads_requests_over_processes_and_serves_each_once,
    ),
    (
        "a_publish_reaches_the_subscribers_in_every_process",
        a_publish_reaches_the_subscribers_in_every_process,
    ),
];

fn main() {
    if let Some(index) = std::env::var_os(CHILD) {
        let index = index.to_string_lossy().parse().expect("a child number");
        let url = std::env::var(URL).expect("the server's URL");
        std::process::exit(child(index, &url));
    }
    harness::run(TESTS);
}
