//! The wire (`Mux` and `DeMux`) beside a hand-written length-prefixed request/reply over
//! the same kind of socket, in the same run.
//!
//! - Framework half: an `EchoServer` actor on its own thread, exposed on a `DeMux` with a
//!   pool of 4 workers, listening on a Unix socket and on loopback TCP. Callers reach it
//!   with `Mux::call("echo", Echo(64 bytes), ..)` and get the bytes back. `function` is
//!   the same echo exposed as a plain function (`DeMux::function`): the request runs on
//!   the pool worker itself, without the hop to an actor's thread; it is there to show
//!   what that hop costs, not as the target.
//! - Raw half (the yardstick): a thread per connection that reads a `u32` big-endian
//!   length and that many bytes, and writes the same frame back; the client writes a
//!   frame and reads the reply with `write_all` / `read_exact`.
//!
//! Groups: `latency-unix` and `latency-tcp` (one caller, one round trip at a time: time per
//! round trip), `throughput-unix-N` and `throughput-tcp-N` for N = 1, 8 and 64 concurrent
//! callers (512 round trips per iteration, shared out; criterion reports round trips per
//! second).
//!
//! Concurrency, and what it means for the comparison: in `wire/actor` and `wire/function`
//! all the framework's callers share **one** `Mux` (one connection; replies matched to
//! callers by transaction id, requests run concurrently on the far side's pool);
//! `wire/actor-own` (8 and 64 callers) gives each caller a `Mux` of its own, so its own
//! connection, as raw has; `wire/actor-lanes2` shares one `Mux` over two connections
//! (`Mux::with_lanes`), the callers spread over them. The raw half gives **each caller
//! its own connection** and server thread: the simplest honest hand-written equivalent,
//! since
//! multiplexing by hand (a mutex-guarded connection with request ids, a reader that
//! routes replies) is the very thing the Mux is. This makes raw easier: no id matching, no
//! shared writer, no hop through a reader or writer thread, no pool; every round trip is
//! one `write` and one `read` on each side. It makes raw harder only in that 64 callers
//! mean 64 connections and 64 server threads on two cores, where the Mux has one
//! connection and a pool of 4.
//!
//! Target (issue "Prove the networked layer"): within 1.2x of raw for latency and
//! throughput.
//!
//! `cargo bench -p actor-core --features wire --bench wire -- --warm-up-time 1 --measurement-time 3`

#[path = "net/mod.rs"]
mod net;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::thread;

use actor_core::prelude::*;
use actor_core::wire::{DeMux, Listening, Mux, Transport, Workers};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use net::{payload, Callers, Echo, EchoServer, BATCH, PAYLOAD, WAIT};

/// Which socket a bench runs over.
#[derive(Clone, Copy)]
enum Socket {
    Unix,
    Tcp,
}

impl Socket {
    fn name(self) -> &'static str {
        match self {
            Socket::Unix => "unix",
            Socket::Tcp => "tcp",
        }
    }
}

/// Where the servers of one socket kind listen: the DeMux and the raw server.
enum Endpoint {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

/// The framework's server: the actor exposed as `echo`, the function as `echo-fn`.
struct WireServer {
    demux: DeMux,
    _actor: Addr<EchoServer>,
    listening: Vec<Listening>,
}

impl WireServer {
    fn start() -> WireServer {
        let demux = DeMux::new(Workers::Pool(4)).expect("a DeMux");
        let actor = EchoServer.spawn();
        demux.expose_actor("echo", &actor);
        demux.function("echo-fn", |Echo(bytes): Echo| bytes);
        WireServer {
            demux,
            _actor: actor,
            listening: Vec::new(),
        }
    }

    fn listen(&mut self, socket: Socket, dir: &Path) -> Endpoint {
        match socket {
            Socket::Unix => {
                let path = dir.join("wire.sock");
                let listener = UnixListener::bind(&path).expect("binding the wire's socket");
                self.listening
                    .push(self.demux.listen(listener).expect("listening"));
                Endpoint::Unix(path)
            }
            Socket::Tcp => {
                let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
                let addr = listener.local_addr().expect("its address");
                self.listening
                    .push(self.demux.listen(listener).expect("listening"));
                Endpoint::Tcp(addr)
            }
        }
    }
}

impl Drop for WireServer {
    fn drop(&mut self) {
        for listening in &self.listening {
            listening.close();
        }
        self.demux.close();
    }
}

fn mux(endpoint: &Endpoint) -> Mux {
    lanes(endpoint, 1)
}

/// A Mux over `n` connections to the DeMux.
fn lanes(endpoint: &Endpoint, n: usize) -> Mux {
    let transports = (0..n).map(|_| {
        match endpoint {
            Endpoint::Unix(path) => Transport::connect_unix(path),
            Endpoint::Tcp(addr) => Transport::connect_tcp(addr),
        }
        .expect("connecting to the DeMux")
    });
    Mux::with_lanes(transports, Default::default()).expect("a Mux")
}

/// One framework round trip to `name`, its reply checked.
fn wire_call(mux: &Mux, name: &str, request: &[u8]) {
    let reply = mux
        .call(name, Echo(request.to_vec()), WAIT)
        .unwrap_or_else(|e| panic!("a wire call failed: {e}"));
    assert_eq!(reply.len(), PAYLOAD);
}

// ---------------------------------------------------------------- the raw half

/// A connected socket of either kind.
trait Stream: Read + Write + Send + 'static {}
impl<S: Read + Write + Send + 'static> Stream for S {}

/// The hand-written server: an accepting thread, and a thread per connection echoing
/// each `u32`-length-prefixed frame. The accepting thread lives as long as the bench
/// process; each connection's thread ends when its client hangs up.
fn raw_server(socket: Socket, dir: &Path) -> Endpoint {
    fn serve(mut stream: impl Stream) {
        let mut buf = Vec::new();
        loop {
            let mut len = [0u8; 4];
            if stream.read_exact(&mut len).is_err() {
                return; // the client hung up
            }
            let n = u32::from_be_bytes(len) as usize;
            assert!(n <= 1 << 20, "the bench's own client sends small frames");
            buf.resize(4 + n, 0);
            buf[..4].copy_from_slice(&len);
            stream.read_exact(&mut buf[4..]).expect("a whole frame");
            stream.write_all(&buf).expect("writing the reply");
        }
    }
    fn accept<S: Stream>(incoming: impl Iterator<Item = io::Result<S>>, nodelay: fn(&S)) {
        for stream in incoming {
            let stream = stream.expect("accepting a raw connection");
            nodelay(&stream);
            thread::spawn(move || serve(stream));
        }
    }
    match socket {
        Socket::Unix => {
            let path = dir.join("raw.sock");
            let listener = UnixListener::bind(&path).expect("binding the raw socket");
            thread::spawn(move || accept(listener.incoming(), |_| ()));
            Endpoint::Unix(path)
        }
        Socket::Tcp => {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
            let addr = listener.local_addr().expect("its address");
            thread::spawn(move || {
                accept(listener.incoming(), |s: &TcpStream| {
                    s.set_nodelay(true).expect("TCP_NODELAY")
                })
            });
            Endpoint::Tcp(addr)
        }
    }
}

/// A raw client: one connection, one round trip at a time.
struct RawClient {
    stream: Box<dyn Stream>,
    frame: Vec<u8>,
    reply: Vec<u8>,
}

impl RawClient {
    fn connect(endpoint: &Endpoint) -> RawClient {
        let stream: Box<dyn Stream> = match endpoint {
            Endpoint::Unix(path) => Box::new(UnixStream::connect(path).expect("connecting")),
            Endpoint::Tcp(addr) => {
                let stream = TcpStream::connect(addr).expect("connecting");
                stream.set_nodelay(true).expect("TCP_NODELAY");
                Box::new(stream)
            }
        };
        RawClient {
            stream,
            frame: Vec::with_capacity(4 + PAYLOAD),
            reply: Vec::new(),
        }
    }

    /// One round trip: the request written as one frame, the reply read whole and checked.
    fn call(&mut self, request: &[u8]) {
        self.frame.clear();
        self.frame
            .extend_from_slice(&(request.len() as u32).to_be_bytes());
        self.frame.extend_from_slice(request);
        self.stream
            .write_all(&self.frame)
            .expect("sending a raw request");
        let mut len = [0u8; 4];
        self.stream
            .read_exact(&mut len)
            .expect("reading a raw reply");
        self.reply.resize(u32::from_be_bytes(len) as usize, 0);
        self.stream
            .read_exact(&mut self.reply)
            .expect("reading a raw reply");
        assert_eq!(self.reply.len(), PAYLOAD);
    }
}

// ---------------------------------------------------------------- the benches

/// Both halves' servers for one socket kind, in a directory of their own.
struct Servers {
    dir: PathBuf,
    wire: Endpoint,
    raw: Endpoint,
    _server: WireServer,
}

impl Servers {
    fn start(socket: Socket) -> Servers {
        let dir = std::env::temp_dir().join(format!(
            "actor-bench-wire-{}-{}",
            std::process::id(),
            socket.name()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a directory for the sockets");
        let mut server = WireServer::start();
        let wire = server.listen(socket, &dir);
        let raw = raw_server(socket, &dir);
        Servers {
            dir,
            wire,
            raw,
            _server: server,
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn latency(c: &mut Criterion) {
    for socket in [Socket::Unix, Socket::Tcp] {
        let servers = Servers::start(socket);
        let request = payload();
        eprintln!("latency-{}: load {}", socket.name(), net::loadavg());
        let mut group = c.benchmark_group(format!("latency-{}", socket.name()));
        group.sample_size(20).throughput(Throughput::Elements(1));
        let mux = mux(&servers.wire);
        group.bench_function("wire/actor", |b| {
            b.iter(|| wire_call(&mux, "echo", &request))
        });
        group.bench_function("wire/function", |b| {
            b.iter(|| wire_call(&mux, "echo-fn", &request))
        });
        let mut raw = RawClient::connect(&servers.raw);
        group.bench_function("raw", |b| b.iter(|| raw.call(&request)));
        group.finish();
    }
}

fn throughput(c: &mut Criterion) {
    for socket in [Socket::Unix, Socket::Tcp] {
        let servers = Servers::start(socket);
        let shared = mux(&servers.wire);
        for callers in [1usize, 8, 64] {
            eprintln!(
                "throughput-{}-{callers}: load {}",
                socket.name(),
                net::loadavg()
            );
            let mut group = c.benchmark_group(format!("throughput-{}", socket.name()));
            group
                .sample_size(20)
                .throughput(Throughput::Elements(BATCH));
            for (label, name) in [("wire/actor", "echo"), ("wire/function", "echo-fn")] {
                let all = Callers::new(callers, |_| {
                    let (mux, request) = (shared.clone(), payload());
                    move || wire_call(&mux, name, &request)
                });
                group.bench_function(BenchmarkId::new(label, callers), |b| {
                    b.iter_custom(|iters| all.batches(iters))
                });
            }
            if callers > 1 {
                // Each caller its own Mux (and so its own connection), as raw has.
                let all = Callers::new(callers, |_| {
                    let (mux, request) = (mux(&servers.wire), payload());
                    move || wire_call(&mux, "echo", &request)
                });
                group.bench_function(BenchmarkId::new("wire/actor-own", callers), |b| {
                    b.iter_custom(|iters| all.batches(iters))
                });
                // One Mux over two connections, the callers spread over them.
                let two = lanes(&servers.wire, 2);
                let all = Callers::new(callers, |_| {
                    let (mux, request) = (two.clone(), payload());
                    move || wire_call(&mux, "echo", &request)
                });
                group.bench_function(BenchmarkId::new("wire/actor-lanes2", callers), |b| {
                    b.iter_custom(|iters| all.batches(iters))
                });
            }
            let all = Callers::new(callers, |_| {
                let (mut raw, request) = (RawClient::connect(&servers.raw), payload());
                move || raw.call(&request)
            });
            group.bench_function(BenchmarkId::new("raw", callers), |b| {
                b.iter_custom(|iters| all.batches(iters))
            });
            group.finish();
        }
    }
}

criterion_group!(benches, latency, throughput);
criterion_main!(benches);
