//! A hostile peer against a DeMux (issue 17): over-deep messages, floods of connections,
//! slow and silent clients, tells past every limit, huge names in the anomaly log, and
//! calls asking for endless timeouts.
//!
//! The server runs in a child process (this binary re-executed, as in `wire_child.rs`), so
//! an attack that crashes it fails a test instead of the run, and its threads, file
//! descriptors and memory are read from `/proc/<pid>` alone. It listens on loopback TCP
//! and prints its port; it exits when its stdin closes. Through every attack, a well-
//! behaved client must go on being served.
//!
//! No libtest harness (see `Cargo.toml`): the child owns its stdout.
#![cfg(feature = "wire")]

#[path = "support/harness.rs"]
mod harness;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/tree.rs"]
mod tree;

use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head, Route};
use actor_core::wire::frame::{Frame, FrameReader, DEFAULT_MAX_FRAME};
use actor_core::wire::{Config, DeMux, Fault, Limits, Mux, Transport, Workers};
use procfs::Resources;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use tree::Tree;

/// Set in the child's environment: serve instead of testing.
const CHILD: &str = "ACTOR_WIRE_ATTACK_CHILD";
/// The child's workers: `pool:N` or `per-request`.
const WORKERS: &str = "ACTOR_WIRE_ATTACK_WORKERS";
/// The child's limits, as `name=value` pairs separated by commas (times in ms).
const LIMITS: &str = "ACTOR_WIRE_ATTACK_LIMITS";
/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Messages

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

/// Answered with that many bytes.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u8>)]
struct Fill(usize);

/// Held at a gate in the child until an [`Open`] comes.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Held;

/// Opens the gate for good.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Open;

/// Never answered: the actor's handler blocks for good.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Stuck;

/// The child's [`Stats`].
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Stats)]
struct GetStats;

/// The child DeMux's `load()`, and what its anomaly log holds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
struct Stats {
    connections: usize,
    queued: usize,
    running: usize,
    reply_bytes: usize,
    stalled: usize,
    refused_connections: u64,
    timed_out: u64,
    refused_requests: u64,
    anomalies: u64,
    /// The length of every kept anomaly's text, added up.
    anomaly_bytes: usize,
}

/// Opens the gate: an actor, so a tell to it needs no worker.
struct Keeper;

#[actor]
impl Keeper {
    #[handles(Open)]
    fn open(&mut self, _: Open) {
        let (open, opened) = &GATE;
        *open.lock().unwrap() = true;
        opened.notify_all();
    }
}

#[derive(Default)]
struct Forest(usize);

#[actor]
impl Forest {
    #[handles(Tree)]
    fn plant(&mut self, tree: Tree) -> usize {
        self.0 += 1;
        tree.depth()
    }

    #[handles(Stuck)]
    fn stuck(&mut self, _: Stuck) {
        loop {
            thread::park(); // until the process ends
        }
    }
}

static GATE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

fn limits_from_env() -> Limits {
    let mut limits = Limits::default();
    let spec = std::env::var(LIMITS).unwrap_or_default();
    for pair in spec.split(',').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').expect("name=value");
        let n: u64 = value.parse().expect("a number");
        let ms = Some(Duration::from_millis(n));
        limits = match name {
            "max_connections" => limits.max_connections(n as usize),
            "idle_timeout" => limits.idle_timeout(ms),
            "read_timeout" => limits.read_timeout(ms),
            "write_timeout" => limits.write_timeout(ms),
            "max_reply_bytes" => limits.max_reply_bytes(n as usize),
            "max_queued" => limits.max_queued(n as usize),
            "max_threads" => limits.max_threads(n as usize),
            "max_call_timeout" => limits.max_call_timeout(Duration::from_millis(n)),
            other => panic!("no limit {other}"),
        };
    }
    limits
}

// ---------------------------------------------------------------------------------------
// The child

fn serve() -> i32 {
    let workers = match std::env::var(WORKERS).as_deref() {
        Ok("per-request") => Workers::PerRequest,
        Ok(pool) => Workers::Pool(pool.trim_start_matches("pool:").parse().expect("pool:N")),
        Err(_) => Workers::Pool(4),
    };
    let demux = DeMux::with_limits(workers, Config::default(), limits_from_env()).expect("a DeMux");
    demux
        .expose("forest", &Forest::default().spawn())
        .handle::<Tree>()
        .handle::<Stuck>();
    demux.expose("keeper", &Keeper.spawn()).handle::<Open>();
    let stats = demux.clone();
    demux
        .function("math", |Square(n): Square| n * n)
        .function("math", |tree: Tree| tree.depth())
        .function("math", |Fill(n): Fill| vec![7; n])
        .function("gate", |_: Held| {
            let (open, opened) = &GATE;
            let _open = opened.wait_while(open.lock().unwrap(), |open| !*open);
        })
        .function("gate", |_: Open| {
            let (open, opened) = &GATE;
            *open.lock().unwrap() = true;
            opened.notify_all();
        })
        .function("stats", move |_: GetStats| {
            let load = stats.load();
            Stats {
                connections: load.connections,
                queued: load.queued,
                running: load.running,
                reply_bytes: load.reply_bytes,
                stalled: load.stalled,
                refused_connections: load.refused_connections,
                timed_out: load.timed_out,
                refused_requests: load.refused_requests,
                anomalies: stats.anomaly_count(),
                anomaly_bytes: stats.anomalies().iter().map(|e| e.to_string().len()).sum(),
            }
        });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    let _listening = demux.listen(listener).expect("listening");
    println!("{port}");
    // Serve until the parent closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    0
}

// ---------------------------------------------------------------------------------------
// The parent's helpers

/// A server in a child process.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
}

impl Resources for Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        let env: Vec<(&str, &str)> = env
            .iter()
            .map(|&(key, value)| match key {
                "workers" => (WORKERS, value),
                "limits" => (LIMITS, value),
                other => (other, value),
            })
            .collect();
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = Command::new(exe);
        command
            .env(CHILD, "serve")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in &env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("a child");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the child's port");
        let port: u16 = line.trim().parse().expect("a port number");
        Server {
            child,
            stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn mux(&self) -> Mux {
        Mux::new(Transport::connect_tcp(self.addr).expect("a connection")).expect("a Mux")
    }

    /// Asks the server for its stats until `done` holds (at most [`WAIT`]).
    fn stats_until(&self, mux: &Mux, what: &str, done: impl Fn(&Stats) -> bool) -> Stats {
        let deadline = Instant::now() + WAIT;
        loop {
            let stats = mux
                .call("stats", GetStats, WAIT)
                .expect("the server's stats");
            if done(&stats) {
                return stats;
            }
            assert!(Instant::now() < deadline, "never {what}: {stats:?}");
            thread::sleep(Duration::from_millis(20)); // polling the server: no event to wait on
        }
    }

    fn raw(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("a connection");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream
    }

    /// Closes the child's stdin and waits (at most [`WAIT`]) for it to exit.
    fn stop(mut self) -> ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit within {WAIT:?}");
            }
            thread::sleep(Duration::from_millis(10)); // polling a child's exit: no event to wait on
        }
    }
}

fn frame(head: &Head<'_>, body: &[u8]) -> Vec<u8> {
    let mut frame = Frame::new();
    frame.extend_from_slice(&codec::to_vec(head).unwrap());
    frame.extend_from_slice(body);
    frame.finish(DEFAULT_MAX_FRAME).unwrap()
}

fn call_frame(xid: u64, actor: &str, message: &str, body: &[u8]) -> Vec<u8> {
    let route = Route { actor, message };
    frame(
        &Head::Call {
            xid,
            timeout_ms: WAIT.as_millis() as u64,
            route,
        },
        body,
    )
}

fn tell_frame(actor: &str, message: &str, body: &[u8]) -> Vec<u8> {
    frame(
        &Head::Tell {
            route: Route { actor, message },
        },
        body,
    )
}

/// What came back to a raw call: its xid and its reply body, or its fault.
fn read_answer(stream: &TcpStream) -> (u64, Result<Vec<u8>, Fault>) {
    let packet = FrameReader::new(stream, DEFAULT_MAX_FRAME)
        .read_frame()
        .expect("an answer")
        .expect("an answer, not the end of the stream");
    let (head, body) = codec::decode_packet(&packet).unwrap();
    match head {
        Head::Reply { xid } => (xid, Ok(body.to_vec())),
        Head::Fault { xid, fault } => (xid, Err(fault)),
        other => panic!("expected an answer, got {other:?}"),
    }
}

/// The encoding of a [`Tree`] `depth` deep, written by hand (building one that deep would
/// overflow this side's stack too).
fn deep_tree(depth: usize) -> Vec<u8> {
    let mut body = vec![0x01; depth];
    body.push(0x00);
    body
}

// ---------------------------------------------------------------------------------------
// The tests

/// Finding 1: 200,000 nested `Some`s (200 KB, far under the frame limit) overflowed a
/// worker's stack and aborted the whole server.
fn an_over_deep_message_gets_a_fault_and_the_server_lives() {
    let server = Server::start(&[]);
    let mut raw = server.raw();
    let tree = codec::wire_name::<Tree>();
    let deep = deep_tree(200_000);

    // A call to a function (decoded on a worker).
    raw.write_all(&call_frame(1, "math", tree, &deep)).unwrap();
    match read_answer(&raw) {
        (1, Err(Fault::BadRequest { reason, .. })) => {
            assert!(reason.contains("nested deeper than the limit"), "{reason}")
        }
        (xid, other) => panic!("expected a bad request for call 1, got {xid}: {other:?}"),
    }
    // A call to an actor, and a tell (decoded on the connection's reader thread).
    raw.write_all(&call_frame(2, "forest", tree, &deep))
        .unwrap();
    assert!(matches!(
        read_answer(&raw),
        (2, Err(Fault::BadRequest { .. }))
    ));
    raw.write_all(&tell_frame("forest", tree, &deep)).unwrap();

    // The same connection goes on; a tree of a sane depth still decodes.
    let square = codec::to_vec(&Square(12)).unwrap();
    raw.write_all(&call_frame(
        3,
        "math",
        codec::wire_name::<Square>(),
        &square,
    ))
    .unwrap();
    let (xid, reply) = read_answer(&raw);
    assert_eq!(
        (xid, codec::decode::<u64>(&reply.unwrap()).unwrap()),
        (3, 144)
    );
    raw.write_all(&call_frame(4, "forest", tree, &deep_tree(20)))
        .unwrap();
    let (xid, reply) = read_answer(&raw);
    assert_eq!(
        (xid, codec::decode::<usize>(&reply.unwrap()).unwrap()),
        (4, 20)
    );
    // So does everyone else.
    assert_eq!(server.mux().call("math", Square(5), WAIT).unwrap(), 25);
    drop(raw);
    let status = server.stop();
    assert!(status.success(), "the server died: {status}");
}

/// Finding 2: 3,000 idle connections took a server to 5,971 threads. Past the cap, a new
/// connection is closed at once; an established client goes on.
fn connections_past_the_cap_are_refused_and_established_clients_go_on() {
    const CAP: usize = 32;
    const FLOOD: usize = 300;
    let server = Server::start(&[("limits", &format!("max_connections={CAP}"))]);
    let mux = server.mux();
    assert_eq!(mux.call("math", Square(2), WAIT).unwrap(), 4);
    let before = server.resources();
    let flood: Vec<TcpStream> = (0..FLOOD).map(|_| server.raw()).collect();
    let stats = server.stats_until(&mux, "took in or refused every connection", |s| {
        s.connections as u64 + s.refused_connections == FLOOD as u64 + 1
    });
    let during = server.resources();
    assert_eq!(stats.connections, CAP, "{stats:?}");
    assert_eq!(stats.refused_connections, (FLOOD + 1 - CAP) as u64);
    // Two threads per connection served, and none for a refused one.
    assert!(server.threads() < 2 * CAP as u64 + 16, "{during}");
    assert_eq!(mux.call("math", Square(3), WAIT).unwrap(), 9);
    drop(flood);
    println!("{FLOOD} connections, cap {CAP}: before {before}; during {during}; {stats:?}");
    assert!(server.stop().success());
}

/// Finding 2: 200 connections writing a byte a second stayed open for good. A frame must
/// now arrive within the read timeout, and a connection without requests is closed after
/// the idle timeout; a busy client goes on.
fn slow_and_idle_connections_are_closed_by_their_timeouts() {
    const SLOW: usize = 20;
    let server = Server::start(&[("limits", "read_timeout=1000,idle_timeout=2000")]);
    let mux = server.mux();
    let before = server.resources();
    let slow: Vec<_> = (0..SLOW)
        .map(|_| {
            let mut stream = server.raw();
            thread::spawn(move || {
                // A slow client by design: a byte of a 100-byte frame every 100 ms, paced
                // by the read timeout, until the server closes the connection.
                stream
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let header = 100_u32.to_be_bytes();
                let deadline = Instant::now() + WAIT;
                for at in 0.. {
                    if stream.write_all(&[*header.get(at).unwrap_or(&1)]).is_err() {
                        return true;
                    }
                    match stream.read(&mut [0; 1]) {
                        Ok(0) => return true,
                        Ok(_) => panic!("the server sent something"),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return true, // reset: closed all the same
                    }
                    if Instant::now() > deadline {
                        return false;
                    }
                }
                unreachable!()
            })
        })
        .collect();
    let idle = server.raw();
    let idle = thread::spawn(move || matches!((&idle).read(&mut [0; 1]), Ok(0) | Err(_)));
    // The well-behaved client keeps calling, so it is never idle, until the others end.
    let mut calls = 0_u64;
    while !(slow.iter().all(|s| s.is_finished()) && idle.is_finished()) {
        assert_eq!(
            mux.call("math", Square(calls), WAIT).unwrap(),
            calls * calls
        );
        calls += 1;
    }
    assert!(
        slow.into_iter().all(|s| s.join().unwrap()),
        "a slow client outlived {WAIT:?}"
    );
    assert!(idle.join().unwrap(), "the idle client was not closed");
    let stats = server.stats_until(&mux, "counted the timeouts", |s| s.timed_out > SLOW as u64);
    println!("{SLOW} slowloris + 1 idle: before {before}; after {}; {calls} calls served meanwhile; {stats:?}", server.resources());
    assert!(server.stop().success());
}

/// Finding 3: 4 connections of 256 KiB replies that were never read held 1.07 GB. Past
/// `max_reply_bytes` of replies waiting, a connection is no longer read.
fn replies_a_client_never_reads_stop_its_reading() {
    const CALLS: u64 = 600;
    const REPLY: usize = 256 * 1024;
    let server = Server::start(&[("workers", "pool:4"), ("limits", "write_timeout=60000")]);
    let mux = server.mux();
    let budget = Limits::default().max_reply_bytes;
    let (rss_before, before) = (server.rss_kib(), server.resources());
    let fill = codec::to_vec(&Fill(REPLY)).unwrap();
    let silent: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = server.raw();
            for xid in 0..CALLS {
                stream
                    .write_all(&call_frame(xid, "math", codec::wire_name::<Fill>(), &fill))
                    .unwrap();
            }
            stream
        })
        .collect();
    // Every call read is answered (a reply, or a refusal past the budget), or its
    // connection is no longer read.
    let stats = server.stats_until(&mux, "answered the silent clients", |s| {
        s.queued == 0 && s.running <= 1 && s.reply_bytes >= 2 * budget
    });
    let (rss_during, during) = (server.rss_kib(), server.resources());
    assert_eq!(mux.call("math", Square(7), WAIT).unwrap(), 49);
    assert!(stats.reply_bytes <= 2 * (budget + 4 * REPLY), "{stats:?}");
    let grown = rss_during.saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB: {during}");
    drop(silent);
    println!(
        "2 clients x {CALLS} unread 256 KiB replies: before {before}; during {during}; {stats:?}"
    );
    assert!(server.stop().success());
}

/// Finding 4: with a thread per request, 3,000 tells made 3,005 threads. Tells now take a
/// permit like calls, request threads are capped, and past the cap the sender's own
/// requests are refused; a client with nothing running is still served.
fn tells_past_the_thread_cap_are_refused_to_their_sender_only() {
    const TELLS: u64 = 3000;
    const CAP: usize = 64;
    let server = Server::start(&[
        ("workers", "per-request"),
        ("limits", &format!("max_threads={CAP}")),
    ]);
    let mux = server.mux();
    let before = server.resources();
    let mut raw = server.raw();
    let tells: Vec<u8> = (0..TELLS)
        .flat_map(|_| tell_frame("gate", codec::wire_name::<Held>(), &[]))
        .collect();
    raw.write_all(&tells).unwrap();
    let stats = server.stats_until(&mux, "ran or refused every tell", |s| {
        // The stats call itself is running too.
        s.running as u64 - 1 + s.refused_requests == TELLS
    });
    let during = server.resources();
    assert_eq!(stats.running, CAP + 1, "{stats:?}");
    assert!(server.threads() < CAP as u64 + 16, "{during}");
    // Someone else is served while the gate holds every thread the cap allows.
    assert_eq!(mux.call("math", Square(8), WAIT).unwrap(), 64);
    assert!(
        stats.anomalies >= TELLS - CAP as u64,
        "every dropped tell is recorded: {stats:?}"
    );
    mux.call("gate", Open, WAIT).unwrap();
    server.stats_until(&mux, "finished the held tells", |s| s.running <= 1);
    println!("{TELLS} tells, thread cap {CAP}: before {before}; during {during}; {stats:?}");
    assert!(server.stop().success());
}

/// Finding 4: with a pool, the job queue was unbounded. Past `max_queued`, requests are
/// refused.
fn tells_past_the_queue_limit_are_refused() {
    const TELLS: u64 = 3000;
    const QUEUE: usize = 100;
    const WORKERS: u64 = 2;
    let server = Server::start(&[
        ("workers", "pool:2"),
        ("limits", &format!("max_queued={QUEUE}")),
    ]);
    let mux = server.mux();
    let before = server.resources();
    let mut raw = server.raw();
    let mut tells: Vec<u8> = (0..TELLS)
        .flat_map(|_| tell_frame("gate", codec::wire_name::<Held>(), &[]))
        .collect();
    // The workers are held at the gate, so the gate is opened by a tell to an actor,
    // which the reader delivers itself, after every tell before it was queued or refused.
    tells.extend(tell_frame("keeper", codec::wire_name::<Open>(), &[]));
    raw.write_all(&tells).unwrap();
    let stats = server.stats_until(&mux, "finished the tells", |s| {
        s.running <= 1 && s.queued == 0 && s.refused_requests > 0
    });
    let accepted = TELLS - stats.refused_requests;
    assert!(
        accepted <= WORKERS + QUEUE as u64 + 1,
        "{accepted} tells were taken: {stats:?}"
    );
    assert_eq!(mux.call("math", Square(4), WAIT).unwrap(), 16);
    println!(
        "{TELLS} tells, queue limit {QUEUE}: before {before}; after {}; {stats:?}",
        server.resources()
    );
    assert!(server.stop().success());
}

/// Finding 5: 128 tells to 8 MiB actor names left 1 GB in the anomaly log. Each kept
/// anomaly is now cut short, and only 64 are kept.
fn huge_names_are_cut_short_in_the_anomaly_log() {
    const TELLS: usize = 128;
    const NAME: usize = 2 * 1024 * 1024;
    let server = Server::start(&[]);
    let mux = server.mux();
    let (rss_before, before) = (server.rss_kib(), server.resources());
    let name = "x".repeat(NAME);
    let mut raw = server.raw();
    for _ in 0..TELLS {
        raw.write_all(&tell_frame(&name, codec::wire_name::<Square>(), &[]))
            .unwrap();
    }
    drop(raw);
    let stats = server.stats_until(&mux, "recorded every tell", |s| s.anomalies >= TELLS as u64);
    let grown = server.rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB");
    assert!(
        stats.anomaly_bytes < 64 * 1024,
        "the log holds {} bytes",
        stats.anomaly_bytes
    );
    println!(
        "{TELLS} tells to {NAME}-byte names: before {before}; after {}; log {} bytes",
        server.resources(),
        stats.anomaly_bytes
    );
    assert!(server.stop().success());
}

/// Finding 6: 4 calls asking for a `u64::MAX` ms timeout took every shared worker for
/// good. The server waits no longer than its ceiling.
fn a_caller_asking_for_an_endless_timeout_gets_the_ceiling() {
    let server = Server::start(&[("workers", "pool:2"), ("limits", "max_call_timeout=1000")]);
    let mut raw = server.raw();
    for xid in 0..2 {
        let route = Route {
            actor: "forest",
            message: codec::wire_name::<Stuck>(),
        };
        let head = Head::Call {
            xid,
            timeout_ms: u64::MAX,
            route,
        };
        raw.write_all(&frame(&head, &codec::to_vec(&Stuck).unwrap()))
            .unwrap();
    }
    // Both workers wait on the stuck actor; a call from someone else gets one once the
    // ceiling is up.
    assert_eq!(server.mux().call("math", Square(9), WAIT).unwrap(), 81);
    // Both answers may come in one read: one reader for both.
    let mut answers = FrameReader::new(&raw, DEFAULT_MAX_FRAME);
    for _ in 0..2 {
        let packet = answers.read_frame().unwrap().expect("an answer");
        match codec::decode_packet(&packet).unwrap().0 {
            Head::Fault {
                fault: Fault::Failed { reason, .. },
                ..
            } => assert!(reason.contains("1s"), "{reason}"),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
    assert!(server.stop().success());
}

// ---------------------------------------------------------------------------------------
// The harness

const TESTS: &[harness::Test] = &[
    (
        "an_over_deep_message_gets_a_fault_and_the_server_lives",
        an_over_deep_message_gets_a_fault_and_the_server_lives,
    ),
    (
        "connections_past_the_cap_are_refused_and_established_clients_go_on",
        connections_past_the_cap_are_refused_and_established_clients_go_on,
    ),
    (
        "slow_and_idle_connections_are_closed_by_their_timeouts",
        slow_and_idle_connections_are_closed_by_their_timeouts,
    ),
    (
        "replies_a_client_never_reads_stop_its_reading",
        replies_a_client_never_reads_stop_its_reading,
    ),
    (
        "tells_past_the_thread_cap_are_refused_to_their_sender_only",
        tells_past_the_thread_cap_are_refused_to_their_sender_only,
    ),
    (
        "tells_past_the_queue_limit_are_refused",
        tells_past_the_queue_limit_are_refused,
    ),
    (
        "huge_names_are_cut_short_in_the_anomaly_log",
        huge_names_are_cut_short_in_the_anomaly_log,
    ),
    (
        "a_caller_asking_for_an_endless_timeout_gets_the_ceiling",
        a_caller_asking_for_an_endless_timeout_gets_the_ceiling,
    ),
];

fn main() {
    if std::env::var_os(CHILD).is_some() {
        std::process::exit(serve());
    }
    harness::run(TESTS);
}
