//! What `benches/wire.rs` and `benches/nats.rs` share: the payload, a fixed set of caller
//! threads that run the same number of round trips each, and (for NATS) a `nats-server`
//! of the bench's own.
#![allow(dead_code)] // each bench takes a different part

/// The raw `async-nats` half of the NATS figures.
#[cfg(feature = "nats")]
pub mod raw_nats;

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use serde::{Deserialize, Serialize};

/// The request of both benches: answered with its bytes.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u8>)]
pub struct Echo(pub Vec<u8>);

/// The actor both benches serve (behind a DeMux, or on a NATS node).
pub struct EchoServer;

#[actor(remote)]
impl EchoServer {
    #[handles(Echo)]
    fn echo(&mut self, Echo(bytes): Echo) -> Vec<u8> {
        bytes
    }
}

/// The bytes of one request (and of its reply: the server echoes them).
pub const PAYLOAD: usize = 64;

/// How long any one round trip may take before the bench fails: only a hang trips it.
pub const WAIT: Duration = Duration::from_secs(30);

/// How long a batch of round trips may take before the bench fails.
const STUCK: Duration = Duration::from_secs(120);

/// Round trips in one criterion iteration of a throughput bench, shared out evenly among
/// the callers (so 1, 8 and 64 callers do the same total work).
pub const BATCH: u64 = 512;

/// The request's bytes.
pub fn payload() -> Vec<u8> {
    (0..PAYLOAD).map(|i| i as u8).collect()
}

/// `n` caller threads, started once and kept for the whole bench, so thread creation is
/// not part of what is measured. Each runs its own `call` closure (its own connection, or
/// its clone of a shared one) as many times as it is told, then says it is done.
pub struct Callers {
    starts: Vec<Sender<u64>>,
    done: Receiver<()>,
    threads: Vec<JoinHandle<()>>,
}

impl Callers {
    /// Starts `n` callers; caller `i` runs the closure `make(i)` returns.
    pub fn new<C, F>(n: usize, make: F) -> Callers
    where
        C: FnMut() + Send + 'static,
        F: Fn(usize) -> C,
    {
        let (done_tx, done) = unbounded();
        let mut starts = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let (start, rounds) = bounded::<u64>(1);
            let done = done_tx.clone();
            let mut call = make(i);
            threads.push(thread::spawn(move || {
                while let Ok(k) = rounds.recv() {
                    for _ in 0..k {
                        call();
                    }
                    if done.send(()).is_err() {
                        return;
                    }
                }
            }));
            starts.push(start);
        }
        Callers {
            starts,
            done,
            threads,
        }
    }

    /// Every caller makes `per_caller` round trips, all at once; returns how long it took
    /// until the last one was back.
    pub fn run(&self, per_caller: u64) -> Duration {
        let started = Instant::now();
        for start in &self.starts {
            start.send(per_caller).expect("a caller thread is gone");
        }
        for _ in &self.starts {
            // A caller that panicked (a failed call) never reports: fail, never hang.
            self.done
                .recv_timeout(STUCK)
                .expect("a caller did not finish its round trips (see its panic above)");
        }
        started.elapsed()
    }

    /// `iters` criterion iterations of [`BATCH`] round trips each, shared out among the
    /// callers.
    pub fn batches(&self, iters: u64) -> Duration {
        let per_caller = BATCH / self.starts.len() as u64;
        assert_eq!(
            per_caller * self.starts.len() as u64,
            BATCH,
            "callers divide BATCH"
        );
        (0..iters).map(|_| self.run(per_caller)).sum()
    }
}

impl Drop for Callers {
    fn drop(&mut self) {
        self.starts.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The current load average, for the bench's log (`/proc/loadavg`).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// A `nats-server` of the bench's own on a free loopback port
/// (`nats-server -a 127.0.0.1 -p <port>`), killed when dropped. The binary is looked for
/// in `$NATS_SERVER_BIN`, on `PATH` and in `/usr/sbin`; without it the bench fails, saying
/// so.
pub struct NatsServer {
    child: std::process::Child,
    port: u16,
}

impl NatsServer {
    /// Starts one and waits (at most 20 s) until it greets a client.
    pub fn start() -> NatsServer {
        use std::path::PathBuf;
        let binary = std::env::var_os("NATS_SERVER_BIN")
            .map(PathBuf::from)
            .into_iter()
            .chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .chain(["/usr/sbin", "/usr/local/bin"].map(PathBuf::from))
                    .map(|dir| dir.join("nats-server")),
            )
            .find(|path| path.is_file())
            .expect(
                "nats-server was not found ($NATS_SERVER_BIN, PATH, /usr/sbin, /usr/local/bin): \
                 the NATS bench needs it (`apt-get install nats-server`)",
            );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut child = std::process::Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", binary.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nats-server exited at start: {status}");
            }
            if greets(port) {
                return NatsServer { child, port };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("nats-server did not listen on port {port} within 20 s");
            }
            // Readiness is polled: a connection attempt every few milliseconds.
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// `nats://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a NATS server listens on `port` and sends its INFO line.
fn greets(port: u16) -> bool {
    use std::io::{BufRead, BufReader};
    let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO ")
}
