//! The child-process transport: this test binary re-executes itself as a child that
//! serves a DeMux on its stdin and stdout, and the tests call it through a Mux.
//!
//! It has no libtest harness (see `Cargo.toml`): libtest prints to stdout before a test
//! runs, which would corrupt the child's side of the stream. `main` below runs the tests
//! and prints the same summary line as libtest; it honours a name filter, `--exact` and
//! `--list`.

#[path = "support/harness.rs"]
mod harness;

use actor_core::prelude::*;
use actor_core::wire::{DeMux, Fault, Mux, RemoteError, Transport, WireError, Workers};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::panic;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Set in the child's environment: serve instead of testing.
const CHILD: &str = "ACTOR_WIRE_CHILD";
/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);
/// The child's exit code when its connection ended on bad input.
const BAD_INPUT: i32 = 3;

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Result<i64, String>)]
struct Divide(i64, i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = u32)]
struct Explode;

/// Never answered: the child holds it until it dies.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = ())]
struct Hang(u32);

/// Answered once `n` `Hang`s are being held at the same time.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct AwaitHangs(usize);

/// The child exits with this code, mid-call.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = ())]
struct Exit(i32);

#[derive(Message, Serialize, Deserialize)]
struct Add(i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = i64)]
struct Total;

#[derive(Default)]
struct Ledger(i64);

#[actor]
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

// ---------------------------------------------------------------------------------------
// The child

fn serve() -> i32 {
    let demux = DeMux::new(Workers::PerRequest).expect("a DeMux");
    demux
        .expose("ledger", &Ledger::default().spawn())
        .handle::<Add>()
        .handle::<Total>();
    let hangs = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let (held, waiting) = (hangs.clone(), hangs);
    demux
        .function("math", |Square(n): Square| n * n)
        .function("math", |Divide(a, b): Divide| {
            a.checked_div(b)
                .ok_or_else(|| format!("cannot divide {a} by zero"))
        })
        .function("math", |_: Explode| -> u32 { panic!("the child exploded") })
        .function("life", |Exit(code): Exit| std::process::exit(code))
        .function("life", move |Hang(_): Hang| {
            let (count, changed) = &*held;
            *count.lock().unwrap() += 1;
            changed.notify_all();
            loop {
                thread::park(); // until the process ends
            }
        })
        .function("life", move |AwaitHangs(n): AwaitHangs| {
            let (count, changed) = &*waiting;
            let _held = changed
                .wait_while(count.lock().unwrap(), |count| *count < n)
                .unwrap();
        });
    let served = demux.serve(Transport::stdio()).expect("serving stdio");
    match served.join() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            BAD_INPUT
        }
    }
}

// ---------------------------------------------------------------------------------------
// The parent's helpers

fn spawn_child(stderr: Stdio) -> (Mux, Child) {
    let exe = std::env::current_exe().expect("the test binary's path");
    // The child panics once on purpose: keep its report short.
    let mut command = Command::new(exe);
    command
        .env(CHILD, "serve")
        .env("RUST_BACKTRACE", "0")
        .stderr(stderr);
    let (transport, child) = Transport::spawn(&mut command).expect("a child");
    assert!(transport.peer().starts_with("child process "));
    (Mux::new(transport).expect("a Mux"), child)
}

/// Waits at most [`WAIT`] for the child to exit; kills it if it does not.
fn exit_status(mut child: Child) -> ExitStatus {
    let deadline = Instant::now() + WAIT;
    let (done, status) = crossbeam_channel::bounded(1);
    let pid = child.id();
    thread::spawn(move || {
        let _ = done.send(child.wait());
    });
    match status.recv_deadline(deadline) {
        Ok(status) => status.expect("the child's exit status"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("child process {pid} did not exit within {WAIT:?}")
        }
    }
}

// ---------------------------------------------------------------------------------------
// The tests

fn a_child_serves_concurrent_calls_over_its_stdin_and_stdout() {
    let (mux, child) = spawn_child(Stdio::inherit());
    const CALLERS: u64 = 200;
    let start = Arc::new(Barrier::new(CALLERS as usize));
    let callers: Vec<_> = (0..CALLERS)
        .map(|n| {
            let (mux, start) = (mux.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let first = mux.call("math", Square(n), WAIT).unwrap();
                let second = mux.call("math", Square(n + CALLERS), WAIT).unwrap();
                (first, second)
            })
        })
        .collect();
    for (n, caller) in (0..CALLERS).zip(callers) {
        assert_eq!(
            caller.join().unwrap(),
            (n * n, (n + CALLERS) * (n + CALLERS))
        );
    }
    let ledger = mux.remote::<Ledger>("ledger");
    ledger.tell(Add(20)).unwrap();
    ledger.tell(Add(22)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 42);
    assert_eq!(
        mux.call("math", Divide(1, 0), WAIT).unwrap(),
        Err("cannot divide 1 by zero".to_owned())
    );
    let err = mux.call("math", Explode, WAIT).unwrap_err();
    assert!(
        matches!(err.fault(), Some(Fault::Panicked { panic, .. }) if panic == "the child exploded"),
        "{err}"
    );
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
    // Closing the Mux closes the child's stdin: it sees the end of its input and exits.
    mux.close();
    assert!(exit_status(child).success());
}

fn killing_the_child_releases_every_waiting_caller_at_once() {
    let (mux, mut child) = spawn_child(Stdio::inherit());
    const CALLERS: u32 = 50;
    let callers: Vec<_> = (0..CALLERS)
        .map(|n| {
            let mux = mux.clone();
            thread::spawn(move || mux.call("life", Hang(n), WAIT).unwrap_err())
        })
        .collect();
    mux.call("life", AwaitHangs(CALLERS as usize), WAIT)
        .unwrap();
    child.kill().unwrap();
    for caller in callers {
        match caller.join().unwrap() {
            RemoteError::Failed(WireError::Disconnected { peer, reason }) => {
                assert_eq!(peer, format!("child process {}", child.id()));
                assert_eq!(reason, "the peer closed the connection");
            }
            other => panic!("expected a disconnect, got {other:?}"),
        }
    }
    let late = mux.call("math", Square(2), WAIT).unwrap_err();
    assert!(late.is_disconnected());
    assert_eq!(late.into_message(), Some(Square(2)));
    let _ = child.wait();
}

fn a_child_exiting_mid_call_releases_its_caller() {
    let (mux, child) = spawn_child(Stdio::inherit());
    let err = mux.call("life", Exit(7), WAIT).unwrap_err();
    assert!(err.is_disconnected(), "{err:?}");
    assert_eq!(exit_status(child).code(), Some(7));
}

fn garbage_on_the_childs_stdin_ends_its_connection_with_a_clear_error() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .env(CHILD, "serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(exit_status(child).code(), Some(BAD_INPUT));
    let len = u32::from_be_bytes(*b"GET ");
    assert!(
        stderr.contains(&format!("a frame of {len} bytes is over the limit")),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// The harness

const TESTS: &[harness::Test] = &[
    (
        "a_child_serves_concurrent_calls_over_its_stdin_and_stdout",
        a_child_serves_concurrent_calls_over_its_stdin_and_stdout,
    ),
    (
        "killing_the_child_releases_every_waiting_caller_at_once",
        killing_the_child_releases_every_waiting_caller_at_once,
    ),
    (
        "a_child_exiting_mid_call_releases_its_caller",
        a_child_exiting_mid_call_releases_its_caller,
    ),
    (
        "garbage_on_the_childs_stdin_ends_its_connection_with_a_clear_error",
        garbage_on_the_childs_stdin_ends_its_connection_with_a_clear_error,
    ),
];

fn main() {
    if std::env::var_os(CHILD).is_some() {
        std::process::exit(serve());
    }
    harness::run(TESTS);
}
