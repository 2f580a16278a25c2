//! Sequential wire calls as a plain program, counting what wall time on a shared machine
//! hides: the threads woken per round trip.
//!
//! `cargo run --release --example wire_count --features wire -- MODE N`, MODE one of:
//! - `wire`: `N` calls, one after another, from one thread through a `Mux` over a Unix
//!   socket to an echo actor (on a thread of its own) behind a `DeMux`, 64 bytes each way;
//! - `raw`: the hand-written yardstick of `benches/wire.rs`: a length-prefixed frame
//!   written and the echo read back with `write_all` / `read_exact`, a server thread on
//!   the other end;
//! - `slow`: `N` calls as in `wire`, each to an actor that takes 100 ms to answer (a
//!   slow call or a long poll): what waiting costs the process's threads meanwhile.
//!
//! It prints, per round trip, the context switches of the whole process (every thread's
//! `voluntary_ctxt_switches` and `nonvoluntary_ctxt_switches` in `/proc/self/task`, read
//! after the calls and before anything stops, less those read before them) and the wall
//! time. A context switch is a thread going to sleep (or being put off the core); each
//! thread woken for a round trip adds one. Linux only (it reads `/proc`).

use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::wire::{DeMux, Mux, Transport, Workers};
use serde::{Deserialize, Serialize};

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u8>)]
struct Echo(Vec<u8>);

/// Echoes, after `delay`.
struct EchoServer {
    delay: Duration,
}

#[actor(remote)]
impl EchoServer {
    #[handles(Echo)]
    fn echo(&mut self, Echo(bytes): Echo) -> Vec<u8> {
        if !self.delay.is_zero() {
            thread::sleep(self.delay);
        }
        bytes
    }
}

const PAYLOAD: usize = 64;
const WAIT: Duration = Duration::from_secs(30);

/// The context switches of every thread of this process so far.
fn switches() -> u64 {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Runs `calls` round trips after `warm` unmeasured ones; the switches and the time.
fn measure(warm: u64, calls: u64, mut call: impl FnMut()) -> (u64, Duration) {
    for _ in 0..warm {
        call();
    }
    let (before, start) = (switches(), Instant::now());
    for _ in 0..calls {
        call();
    }
    let elapsed = start.elapsed();
    (switches().saturating_sub(before), elapsed)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "wire".into());
    let n: u64 = match args.next().map_or(Ok(20_000), |n| n.parse()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("wire_count: the count must be a whole number: {e}");
            std::process::exit(2);
        }
    };
    let payload = vec![7u8; PAYLOAD];
    let (switched, elapsed) = match mode.as_str() {
        "wire" | "slow" => {
            let demux = DeMux::new(Workers::Pool(4)).expect("a DeMux");
            let delay = match mode.as_str() {
                "slow" => Duration::from_millis(100),
                _ => Duration::ZERO,
            };
            let server = EchoServer { delay }.spawn();
            demux.expose_actor("echo", &server);
            let (ours, theirs) = UnixStream::pair().expect("a socket pair");
            let _served = demux
                .serve(Transport::unix(theirs).expect("a transport"))
                .expect("served");
            let mux = Mux::new(Transport::unix(ours).expect("a transport")).expect("a Mux");
            measure(n.div_ceil(10), n, || {
                let back = mux
                    .call("echo", Echo(payload.clone()), WAIT)
                    .expect("a reply");
                assert_eq!(back.len(), PAYLOAD);
            })
        }
        "raw" => {
            let (mut ours, mut theirs) = UnixStream::pair().expect("a socket pair");
            thread::spawn(move || {
                let mut buf = Vec::new();
                loop {
                    let mut len = [0u8; 4];
                    if theirs.read_exact(&mut len).is_err() {
                        return;
                    }
                    buf.resize(u32::from_be_bytes(len) as usize, 0);
                    if theirs.read_exact(&mut buf).is_err() {
                        return;
                    }
                    if theirs
                        .write_all(&len)
                        .and_then(|()| theirs.write_all(&buf))
                        .is_err()
                    {
                        return;
                    }
                }
            });
            let mut back = vec![0u8; PAYLOAD];
            measure(n / 10, n, || {
                let mut frame = (PAYLOAD as u32).to_be_bytes().to_vec();
                frame.extend_from_slice(&payload);
                ours.write_all(&frame).expect("written");
                let mut len = [0u8; 4];
                ours.read_exact(&mut len).expect("a reply");
                ours.read_exact(&mut back).expect("a reply");
            })
        }
        other => {
            eprintln!("wire_count: unknown mode {other}: wire, slow or raw");
            std::process::exit(2);
        }
    };
    println!(
        "{mode}: {:.2} context switches and {:.1} µs per round trip ({n} round trips)",
        switched as f64 / n.max(1) as f64,
        elapsed.as_nanos() as f64 / 1000.0 / n.max(1) as f64
    );
}
