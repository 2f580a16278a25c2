//! Features `console` and `nats`: one console for a whole cluster. Child processes (this
//! binary re-executed) each publish their snapshot; the test process's console shows
//! them beside its own actors in `/api/snapshot`, `/metrics` and the page as headless
//! Chromium renders it; a node that stops publishing is forgotten after the staleness
//! the console was given; malformed, oversized and spoofed snapshots published raw on the
//! reserved subjects are dropped and counted while the console goes on serving.
//!
//! No libtest harness (see `Cargo.toml`): the children own their stdout. `main` runs the
//! tests and prints libtest's summary line; it honours a name filter, `--exact` and
//! `--list`.

#[path = "nats/raw.rs"]
mod raw;

#[path = "nats/server.rs"]
mod server;

#[path = "support/harness.rs"]
mod harness;

#[path = "support/prometheus.rs"]
mod prometheus;

#[path = "support/chromium.rs"]
mod chromium;

#[path = "support/held.rs"]
mod held;

#[path = "support/http.rs"]
mod http;

use actor_core::console::{self, Cluster, Console, Options};
use actor_core::nats::{Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head, Route};
use actor_core::wire::frame::VERSION;
use actor_core::Spawn;
use crossbeam_channel::{bounded, Sender as Channel};
use held::{Hold, Job, Ping, Slow};
use raw::Raw;
use serde_json::Value;
use server::NatsServer;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough never to expire on a healthy run.
const WAIT: Duration = Duration::from_secs(30);
/// The environment variables that make this binary a child: its node's name, the URL.
const CHILD: &str = "OBSERVE_CLUSTER_CHILD";
const URL: &str = "OBSERVE_CLUSTER_URL";
/// How often the children publish.
const PERIOD: Duration = Duration::from_millis(100);
/// Jobs queued behind each process's held actor.
const QUEUED: u64 = 5;

#[derive(Message)]
struct CallSlow(Addr<Slow>);

/// Blocks in a call to the held actor: a wait the console shows under its node.
struct Caller;

#[actor]
impl Caller {
    #[handles(CallSlow)]
    fn call(&mut self, CallSlow(slow): CallSlow) {
        let _ = Bridge::new().call(&slow, Ping, Duration::from_secs(600));
    }
}

struct Idle;

#[actor]
impl Idle {}

/// The actors every process runs, named after its node: `{node}-slow` held with
/// [`QUEUED`] jobs and a `Ping` behind it, `{node}-caller` waiting for it, `{node}-idle`.
/// Returns the gate that releases the held actor (dropped: released).
fn actors(node: &str) -> (Channel<()>, Vec<AnyAddr>) {
    let slow = Spawn::new(Slow)
        .named(&format!("{node}-slow"))
        .spawn()
        .unwrap();
    let (gate, held) = bounded(0);
    let (entered, holding) = bounded(1);
    slow.tell(Hold(entered, held)).unwrap();
    holding.recv_timeout(WAIT).unwrap();
    for _ in 0..QUEUED {
        slow.tell(Job).unwrap();
    }
    let caller = Spawn::new(Caller)
        .named(&format!("{node}-caller"))
        .spawn()
        .unwrap();
    caller.tell(CallSlow(slow.clone())).unwrap();
    let idle = Spawn::new(Idle)
        .named(&format!("{node}-idle"))
        .spawn()
        .unwrap();
    (gate, vec![slow.any(), caller.any(), idle.any()])
}

/// The child: its actors, its snapshots published, until its stdin closes.
fn child(name: &str, url: &str) {
    let node = NodeConfig::new([url])
        .client_name(name)
        .connect()
        .expect("the child connects");
    let (_gate, _actors) = actors(name);
    let publisher = node.publish_snapshots(PERIOD).expect("publishing starts");
    println!("ready {}", publisher.subject());
    std::io::stdout().flush().unwrap();
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    // Out at once: the held actor and the waiting caller would otherwise be joined.
    std::process::exit(0);
}

/// A child process, killed when dropped.
struct Process {
    child: Child,
    _stdin: ChildStdin,
    subject: String,
}

impl Process {
    fn start(name: &str, server: &NatsServer) -> Process {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, name)
            .env(URL, server.url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the test binary re-executed");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let subject = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("child {name} said {line:?}"))
            .to_owned();
        Process {
            child,
            _stdin: stdin,
            subject,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    http::request(addr, raw.as_bytes(), WAIT)
}

fn snapshot(console: &Console) -> Value {
    let (status, body) = get(console.addr(), "/api/snapshot");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls `/api/snapshot` until `ready` holds (bounded).
fn snapshot_when(console: &Console, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + WAIT;
    loop {
        let snapshot = snapshot(console);
        if ready(&snapshot) {
            return snapshot;
        }
        assert!(Instant::now() < until, "never {what}: {snapshot}");
        std::thread::sleep(Duration::from_millis(50)); // between polls, not a sync
    }
}

/// The actor labelled `label` on `node`, if shown.
fn actor<'a>(snapshot: &'a Value, node: &str, label: &str) -> Option<&'a Value> {
    snapshot["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["node"] == node && a["label"] == label)
}

fn nodes(snapshot: &Value) -> Vec<String> {
    snapshot["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Whether `node`'s caller is shown waiting (a call) for its held actor.
fn waits(snapshot: &Value, node: &str) -> bool {
    snapshot["waits"].as_array().unwrap().iter().any(|w| {
        w["node"] == node
            && w["kind"] == "call"
            && w["waiter"]["label"] == format!("{node}-caller").as_str()
            && w["targets"][0]["label"] == format!("{node}-slow").as_str()
    })
}

/// Every node's actors, with the held one's depth and the caller's wait.
fn complete(snapshot: &Value, node: &str) -> bool {
    actor(snapshot, node, &format!("{node}-idle")).is_some()
        && actor(snapshot, node, &format!("{node}-slow"))
            .is_some_and(|slow| slow["mailbox"] == QUEUED + 1)
        && waits(snapshot, node)
}

fn gathering(cluster: Cluster) -> Console {
    console::serve_with(
        "127.0.0.1:0",
        Options {
            cluster: Some(cluster),
            ..Options::default()
        },
    )
    .expect("the console serves")
}

fn connect(server: &NatsServer, name: &str) -> Node {
    NodeConfig::new([server.url()])
        .client_name(name)
        .connect()
        .expect("the test's node connects")
}

fn two_child_processes_and_this_one_show_in_one_console() {
    let server = NatsServer::start();
    let node = connect(&server, "watcher-1");
    let (_gate, _actors) = actors("watcher-1");
    let console = gathering(Cluster::new(&node));
    // One console gathers per node, and a period must be longer than zero.
    let second = console::serve_with(
        "127.0.0.1:0",
        Options {
            cluster: Some(Cluster::new(&node)),
            ..Options::default()
        },
    )
    .expect_err("a second console on the same node");
    assert!(
        second.to_string().contains("already subscribed"),
        "{second}"
    );
    let zero = node.publish_snapshots(Duration::ZERO).unwrap_err();
    assert!(zero.to_string().contains("snapshot period"), "{zero}");
    let _a = Process::start("child-a", &server);
    let _b = Process::start("child-b", &server);
    let all = ["watcher-1", "child-a", "child-b"];
    let shown = snapshot_when(&console, "every node's actors", |s| {
        all.iter().all(|node| complete(s, node))
    });
    assert_eq!(nodes(&shown), all.map(str::to_owned), "this process first");
    assert_eq!(shown["nodes"][0]["age_ms"], Value::Null, "read live");
    assert!(shown["nodes"][1]["age_ms"].is_u64());
    for node in all {
        let slow = actor(&shown, node, &format!("{node}-slow")).unwrap();
        assert_eq!(slow["type"], "Slow", "{slow}");
        assert_eq!(slow["hosting"], "thread", "{slow}");
    }
    // A child's ids are its own: the same id may show on two nodes.
    let cluster = &shown["cluster"];
    assert!(cluster["received"].as_u64().unwrap() >= 2, "{cluster}");
    assert_eq!(cluster["malformed"], 0, "{cluster}");

    let (status, text) = get(console.addr(), "/metrics");
    assert_eq!(status, 200);
    let samples = prometheus::parse_prometheus(&text);
    for node in all {
        let depth =
            format!("actor_mailbox_depth{{node=\"{node}\",type=\"Slow\",name=\"{node}-slow\"}}");
        assert_eq!(
            samples.get(&depth),
            Some(&((QUEUED + 1) as f64)),
            "{depth} in {text}"
        );
        let live = format!("actor_live{{node=\"{node}\",type=\"Idle\",name=\"{node}-idle\"}}");
        assert_eq!(samples.get(&live), Some(&1.0), "{live} in {text}");
    }
    assert_eq!(samples.get("actor_console_nodes"), Some(&3.0), "{text}");
    assert!(
        samples
            .keys()
            .filter(|series| series.starts_with("actor_live{"))
            .all(|series| series.starts_with("actor_live{node=\"")),
        "every row has its node: {text}"
    );
}

fn a_node_that_stops_publishing_is_forgotten_after_the_staleness() {
    let server = NatsServer::start();
    let node = connect(&server, "watcher-2");
    let stale = Duration::from_millis(1500);
    let console = gathering(Cluster::new(&node).stale_after(stale));
    let mut gone = Process::start("child-gone", &server);
    let _stays = Process::start("child-stays", &server);
    snapshot_when(&console, "both children", |s| {
        complete(s, "child-gone") && complete(s, "child-stays")
    });
    gone.kill();
    let shown = snapshot_when(&console, "child-gone forgotten", |s| {
        !nodes(s).contains(&"child-gone".to_owned())
    });
    assert!(
        shown["cluster"]["expired"].as_u64().unwrap() >= 1,
        "{shown}"
    );
    assert_eq!(shown["cluster"]["stale_after_ms"], 1500);
    assert!(actor(&shown, "child-gone", "child-gone-slow").is_none());
    // The other one goes on being shown, publishing within the staleness.
    assert!(complete(&shown, "child-stays"), "{shown}");
    let (_, text) = get(console.addr(), "/metrics");
    assert!(!text.contains("node=\"child-gone\""), "{text}");
    assert!(text.contains("node=\"child-stays\""), "{text}");
}

/// A packet of the wire's shape: its version byte, `head`, then `body`.
fn packet(head: &Head<'_>, body: &[u8]) -> Vec<u8> {
    let mut out = vec![VERSION];
    codec::encode(head, &mut out).unwrap();
    out.extend_from_slice(body);
    out
}

fn malformed_oversized_and_spoofed_snapshots_are_dropped_and_counted() {
    let server = NatsServer::start();
    let node = connect(&server, "watcher-3");
    let max = 16 * 1024;
    let console = gathering(Cluster::new(&node).max_bytes(max));
    let child = Process::start("child-real", &server);
    snapshot_when(&console, "the child", |s| complete(s, "child-real"));

    // A real snapshot, taken off the wire, to replay where it does not belong.
    let mut listener = Raw::connect(&server);
    // The child publishes all along: its messages may come before the PONG.
    let said = listener.subscribe(&child.subject, None);
    assert!(
        !said.iter().any(|line| line.starts_with("-ERR")),
        "{said:?}"
    );
    let real = listener.next_msg().payload;
    drop(listener);
    let mut raw = Raw::connect(&server);
    let snapshot_head = |node| Head::Tell {
        route: Route {
            actor: node,
            message: console::FORMAT,
        },
    };
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("actors.console.garbage", b"\xff\xfe not a packet".to_vec()),
        ("actors.console.empty", Vec::new()),
        // The right head, a body that does not decode.
        (
            "actors.console.evil",
            packet(&snapshot_head("evil"), &[0xff; 40]),
        ),
        // A body claiming four billion actors.
        (
            "actors.console.evil",
            packet(&snapshot_head("evil"), &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ),
        // Another format.
        (
            "actors.console.evil",
            packet(
                &Head::Tell {
                    route: Route {
                        actor: "evil",
                        message: "actor_core::console::Snapshot/0",
                    },
                },
                &[],
            ),
        ),
        // A real snapshot on another node's subject, and one with a byte too many.
        ("actors.console.spoofed", real.clone()),
        (&child.subject, [real.as_slice(), &[0]].concat()),
    ];
    for (subject, payload) in &bad {
        assert!(raw.publish(subject, None, payload).is_empty());
    }
    // Over the console's bound: dropped before decoding.
    assert!(raw
        .publish("actors.console.huge", None, &vec![0u8; max + 1])
        .is_empty());
    let shown = snapshot_when(&console, "every bad snapshot counted", |s| {
        s["cluster"]["malformed"].as_u64() == Some(bad.len() as u64)
            && s["cluster"]["oversized"] == 1
    });
    assert_eq!(
        nodes(&shown),
        ["watcher-3", "child-real"].map(str::to_owned),
        "none of them shows as a node"
    );
    // Still serving, the real child still taken in.
    let received = shown["cluster"]["received"].as_u64().unwrap();
    snapshot_when(&console, "the child's next snapshots", |s| {
        s["cluster"]["received"].as_u64().unwrap() > received && complete(s, "child-real")
    });
    let (status, text) = get(console.addr(), "/metrics");
    assert_eq!(status, 200);
    let samples = prometheus::parse_prometheus(&text);
    assert_eq!(
        samples.get("actor_console_snapshots_malformed_total"),
        Some(&(bad.len() as f64))
    );
    assert_eq!(
        samples.get("actor_console_snapshots_oversized_total"),
        Some(&1.0)
    );
}

fn chromium_shows_the_actors_of_every_node() {
    let server = NatsServer::start();
    let node = connect(&server, "watcher-4");
    let (_gate, _actors) = actors("watcher-4");
    let console = gathering(Cluster::new(&node));
    let _a = Process::start("child-a", &server);
    snapshot_when(&console, "both nodes", |s| {
        complete(s, "watcher-4") && complete(s, "child-a")
    });
    let dom = chromium::chromium(&["--dump-dom"], &console.url());
    for node in ["watcher-4", "child-a"] {
        for actor in ["slow", "caller", "idle"] {
            let row =
                format!("<td class=\"node\">{node}</td><td class=\"name\">{node}-{actor}</td>");
            assert!(dom.contains(&row), "{row} not in {dom}");
        }
        let slow = dom
            .split("<tr ")
            .find(|row| row.contains(&format!(">{node}-slow<")))
            .expect("a row for the held actor");
        assert!(slow.contains(&format!("data-node=\"{node}\"")), "{slow}");
        assert!(
            slow.contains(&format!("data-depth=\"{}\"", QUEUED + 1)),
            "{slow}"
        );
        // Each process's wait, under its node.
        let wait = format!("{node}-caller @{node} waits (call) for {node}-slow");
        assert!(dom.contains(&wait), "{wait} not in {dom}");
        assert!(
            dom.contains(&format!("<li class=\"cluster-node\" data-node=\"{node}\">")),
            "{dom}"
        );
    }
    assert!(dom.contains("<body class=\"cluster\">"), "{dom}");
}

fn main() {
    if let Some(name) = std::env::var_os(CHILD) {
        let url = std::env::var(URL).expect("the server's URL");
        child(&name.to_string_lossy(), &url);
        return;
    }
    harness::run(&[
        (
            "two_child_processes_and_this_one_show_in_one_console",
            two_child_processes_and_this_one_show_in_one_console,
        ),
        (
            "a_node_that_stops_publishing_is_forgotten_after_the_staleness",
            a_node_that_stops_publishing_is_forgotten_after_the_staleness,
        ),
        (
            "malformed_oversized_and_spoofed_snapshots_are_dropped_and_counted",
            malformed_oversized_and_spoofed_snapshots_are_dropped_and_counted,
        ),
        (
            "chromium_shows_the_actors_of_every_node",
            chromium_shows_the_actors_of_every_node,
        ),
    ]);
}
