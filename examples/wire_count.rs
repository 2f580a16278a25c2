//! Sequential wire calls as a plain program, counting what wall time on a shared machine
//! hides: the threads woken per round trip.
//!
//! `cargo run --release --example wire_count --features wire -- MODE N [CALLERS] [unix|tcp]`,
//! MODE one of:
//! - `wire`: `N` calls, one after another, from one thread through a `Mux` over a Unix
//!   socket to an echo actor (on a thread of its own) behind a `DeMux`, 64 bytes each way;
//! - `raw`: the hand-written yardstick of `benches/wire.rs`: a length-prefixed frame
//!   written and the echo read back with `write_all` / `read_exact`, a server thread on
//!   the other end;
//! - `slow`: `N` calls as in `wire`, each to an actor that takes 100 ms to answer (a
//!   slow call or a long poll): what waiting costs the process's threads meanwhile.
//! - `each`: as `wire`, but each caller has a `Mux` (so a connection) of its own to the
//!   same `DeMux` and actor, as each `raw` caller has its own socket.
//! - `lanesK` (`lanes2`, `lanes4`, ..): as `wire`, over one `Mux` of `K` connections
//!   (`Mux::with_lanes`), the callers spread over them.
//!
//! With `CALLERS` (1 unless given) above one, that many threads share the `N` round trips:
//! over one `Mux` in `wire` and `slow`, each over its own connection in `each`, and each
//! over its own connection and server thread in `raw` (as `benches/wire.rs` does). The last argument picks the socket: a Unix socket
//! pair (the default) or loopback TCP.
//!
//! It prints, per round trip, the context switches of the whole process (every thread's
//! `voluntary_ctxt_switches` and `nonvoluntary_ctxt_switches` in `/proc/self/task`, read
//! after the calls and before anything stops, less those read before them) and the wall
//! time. A context switch is a thread going to sleep (or being put off the core); each
//! thread woken for a round trip adds one. It also prints the CPU time each kind of thread
//! spent per round trip (`/proc/self/task/*/schedstat`, grouped by thread name), which
//! shows the stage that bounds a run. Linux only (it reads `/proc`).

#[path = "../actor-core/benches/net/count.rs"]
mod count;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::wire::{DeMux, Mux, Transport, Workers};
use count::measure;
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

/// One end of a connected socket of either kind.
enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    /// Two connected ends: a Unix socket pair, or both ends of a loopback TCP connection.
    fn pair(tcp: bool) -> (Stream, Stream) {
        if !tcp {
            let (ours, theirs) = UnixStream::pair().expect("a socket pair");
            return (Stream::Unix(ours), Stream::Unix(theirs));
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let ours =
            TcpStream::connect(listener.local_addr().expect("its address")).expect("connected");
        let (theirs, _) = listener.accept().expect("accepted");
        for end in [&ours, &theirs] {
            end.set_nodelay(true).expect("no delay");
        }
        (Stream::Tcp(ours), Stream::Tcp(theirs))
    }

    /// The end as a wire transport.
    fn transport(self) -> Transport {
        match self {
            Stream::Unix(stream) => Transport::unix(stream),
            Stream::Tcp(stream) => Transport::tcp(stream),
        }
        .expect("a transport")
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(stream) => stream.read(buf),
            Stream::Tcp(stream) => stream.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(stream) => stream.write(buf),
            Stream::Tcp(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The hand-written echo server: reads a length-prefixed frame, writes it back, until the
/// connection ends.
fn raw_server(mut theirs: Stream) {
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
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "wire".into());
    let (n, callers) = count::numbers(&mut args, "wire_count", 20_000);
    let tcp = match args.next().as_deref() {
        None | Some("unix") => false,
        Some("tcp") => true,
        Some(other) => {
            eprintln!("wire_count: unknown socket {other}: unix or tcp");
            std::process::exit(2);
        }
    };
    let payload = vec![7u8; PAYLOAD];
    let lanes = match mode.strip_prefix("lanes").map(str::parse::<usize>) {
        None => None,
        Some(Ok(lanes)) if lanes > 0 => Some(lanes),
        Some(_) => {
            eprintln!("wire_count: {mode}: say how many lanes, as in lanes4");
            std::process::exit(2);
        }
    };
    let (threads, elapsed) = match mode.as_str() {
        _ if lanes.is_some() || matches!(mode.as_str(), "wire" | "slow" | "each") => {
            let demux = DeMux::new(Workers::Pool(4)).expect("a DeMux");
            let delay = match mode.as_str() {
                "slow" => Duration::from_millis(100),
                _ => Duration::ZERO,
            };
            let server = EchoServer { delay }.spawn();
            demux.expose_actor("echo", &server);
            // One Mux shared by every caller, one of several lanes, or (`each`) one per
            // caller.
            let connect = || {
                let (ours, theirs) = Stream::pair(tcp);
                let served = demux.serve(theirs.transport()).expect("served");
                (ours.transport(), served)
            };
            let (muxes, _served): (Vec<_>, Vec<_>) = match lanes {
                Some(lanes) => {
                    let (ours, served): (Vec<_>, Vec<_>) = (0..lanes).map(|_| connect()).unzip();
                    let mux = Mux::with_lanes(ours, Default::default()).expect("a Mux");
                    (vec![mux], served)
                }
                None => (0..if mode == "each" { callers } else { 1 })
                    .map(|_| {
                        let (ours, served) = connect();
                        (Mux::new(ours).expect("a Mux"), served)
                    })
                    .unzip(),
            };
            measure(callers, n, |index| {
                let mux = &muxes[(index % muxes.len() as u64) as usize];
                let payload = &payload;
                move || {
                    let back = mux
                        .call("echo", Echo(payload.clone()), WAIT)
                        .expect("a reply");
                    assert_eq!(back.len(), PAYLOAD);
                }
            })
        }
        "raw" => {
            let sockets: Vec<_> = (0..callers)
                .map(|_| {
                    let (ours, theirs) = Stream::pair(tcp);
                    thread::Builder::new()
                        .name("raw-server".into())
                        .spawn(move || raw_server(theirs))
                        .expect("a server thread");
                    Mutex::new(ours)
                })
                .collect();
            measure(callers, n, |index| {
                let mut ours = sockets[index as usize]
                    .lock()
                    .expect("a caller's own socket");
                let mut back = vec![0u8; PAYLOAD];
                let payload = &payload;
                move || {
                    let mut frame = (PAYLOAD as u32).to_be_bytes().to_vec();
                    frame.extend_from_slice(payload);
                    ours.write_all(&frame).expect("written");
                    let mut len = [0u8; 4];
                    ours.read_exact(&mut len).expect("a reply");
                    ours.read_exact(&mut back).expect("a reply");
                }
            })
        }
        other => {
            eprintln!("wire_count: unknown mode {other}: wire, slow, each, lanesK or raw");
            std::process::exit(2);
        }
    };
    let kind = if tcp { "TCP" } else { "a Unix socket" };
    count::report(
        &format!("{mode} over {kind}"),
        callers,
        n,
        &threads,
        elapsed,
    );
}
