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

use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head, Route};
use actor_core::wire::frame::{Frame, FrameReader, DEFAULT_MAX_FRAME};
use actor_core::wire::{DeMux, Fault, Mux, Transport, Workers};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Set in the child's environment: serve instead of testing.
const CHILD: &str = "ACTOR_WIRE_ATTACK_CHILD";
/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Messages

/// A recursive message: `n` nested `Some`s are `n` bytes of `0x01` and a `0x00`.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Tree(Option<Box<Tree>>);

impl Tree {
    fn depth(&self) -> usize {
        let mut depth = 0;
        let mut at = self;
        while let Some(next) = &at.0 {
            depth += 1;
            at = next;
        }
        depth
    }
}

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

/// Answered with that many bytes.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u8>)]
struct Fill(usize);

#[derive(Default)]
struct Forest(usize);

#[actor]
impl Forest {
    #[handles(Tree)]
    fn plant(&mut self, tree: Tree) -> usize {
        self.0 += 1;
        tree.depth()
    }
}

// ---------------------------------------------------------------------------------------
// The child

fn serve() -> i32 {
    let demux = DeMux::new(Workers::Pool(4)).expect("a DeMux");
    demux
        .expose("forest", &Forest::default().spawn())
        .handle::<Tree>();
    demux
        .function("math", |Square(n): Square| n * n)
        .function("math", |tree: Tree| tree.depth())
        .function("math", |Fill(n): Fill| vec![7; n]);
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

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = Command::new(exe);
        command
            .env(CHILD, "serve")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
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

// ---------------------------------------------------------------------------------------
// The harness

const TESTS: &[harness::Test] = &[(
    "an_over_deep_message_gets_a_fault_and_the_server_lives",
    an_over_deep_message_gets_a_fault_and_the_server_lives,
)];

fn main() {
    if std::env::var_os(CHILD).is_some() {
        std::process::exit(serve());
    }
    harness::run(TESTS);
}
