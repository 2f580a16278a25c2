//! The Mux/DeMux wire: typed calls to actors over TCP, Unix sockets and any byte stream;
//! many callers at once, timeouts, disconnects, and bad input of every kind.
//!
//! The child-process transport is tested in `wire_child.rs`, the frame decoder fuzzed in
//! `wire_fuzz.rs`.
#![cfg(feature = "wire")]

#[path = "support/hold.rs"]
mod hold;

use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head, Route};
use actor_core::wire::frame::{Frame, FrameReader, DEFAULT_MAX_FRAME, VERSION};
use actor_core::wire::{
    CodecError, Config, DeMux, Fault, FrameError, Listening, Mux, RemoteError, Served, Transport,
    WireError, Workers,
};
use crossbeam_channel::{Receiver, Sender as Channel};
use hold::hold;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);
/// For calls that are meant to time out.
const SHORT: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------------------------------
// Messages, the actor and the functions served

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Add(i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = i64)]
struct Total;

#[derive(Message, Serialize, Deserialize)]
struct Record(u32);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u32>)]
struct Records;

#[derive(Message, Serialize, Deserialize)]
#[message(reply = u32)]
struct Explode;

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Result<i64, String>)]
struct Divide(i64, i64);

/// Served by a function that waits at a [`Gate`].
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Held(u64);

/// Answered with its length.
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = usize)]
struct Blob(Vec<u8>);

/// Answered with its length.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Text(String);

/// Answered with that many bytes.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u8>)]
struct Fill(usize);

#[derive(Default)]
struct Ledger {
    total: i64,
    records: Vec<u32>,
}

// `remote`: the macro lists every handler for the wire (`RemoteActor`).
#[actor(remote)]
impl Ledger {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.total += n;
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> i64 {
        self.total
    }

    #[handles(Record)]
    fn record(&mut self, Record(n): Record) {
        self.records.push(n);
    }

    #[handles(Records)]
    fn records(&self, _: Records) -> Vec<u32> {
        self.records.clone()
    }

    #[handles(Explode)]
    fn explode(&mut self, _: Explode) -> u32 {
        panic!("the ledger exploded")
    }
}

/// A DeMux serving a fresh ledger as "ledger", and functions as "math".
fn demux_with(workers: Workers, config: Config) -> DeMux {
    let demux = DeMux::with_config(workers, config).unwrap();
    demux.expose_actor("ledger", &Ledger::default().spawn());
    demux
        .function("math", |Square(n): Square| n * n)
        .function("math", |Divide(a, b): Divide| {
            a.checked_div(b)
                .ok_or_else(|| format!("cannot divide {a} by zero"))
        })
        .function("math", |Blob(bytes): Blob| bytes.len())
        .function("math", |Fill(n): Fill| vec![7; n])
        .function("math", |_: Explode| -> u32 {
            panic!("the function exploded")
        });
    demux
}

fn demux(workers: Workers) -> DeMux {
    demux_with(workers, Config::default())
}

/// Holds every `Held` call on the far side until it is dropped; tells the test as each
/// one arrives.
struct Gate {
    arrived: Receiver<u64>,
    _open: Channel<()>,
}

impl Gate {
    fn on(demux: &DeMux) -> Gate {
        let (arrive, arrived) = crossbeam_channel::unbounded();
        let (open, shut) = crossbeam_channel::bounded::<()>(0);
        demux.function("gate", move |Held(n): Held| {
            let _ = arrive.send(n); // the test may have stopped listening
            let _ = shut.recv(); // returns when the gate is dropped
            n
        });
        Gate {
            arrived,
            _open: open,
        }
    }

    /// Waits until `n` held calls are in their handlers at the same time.
    fn wait_for(&self, n: usize) {
        for i in 0..n {
            self.arrived
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("only {i} of {n} held calls arrived"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Connections

/// A DeMux listening on loopback TCP, and a Mux connected to it.
fn tcp(demux: &DeMux) -> (Mux, Listening) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listening = demux.listen(listener).unwrap();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();
    (mux, listening)
}

/// A loopback TCP connection: a Mux on one end, served by `demux` on the other.
fn tcp_served(demux: &DeMux, config: Config) -> (Mux, Served) {
    let (client, server) = tcp_pair();
    let served = demux.serve(Transport::tcp(server).unwrap()).unwrap();
    let mux = Mux::with_config(Transport::tcp(client).unwrap(), config).unwrap();
    (mux, served)
}

fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(WAIT)).unwrap();
    }
    (client, server)
}

/// A raw socket served by `demux`, for writing bad input by hand.
fn raw_client(demux: &DeMux) -> (TcpStream, Served) {
    let (client, server) = tcp_pair();
    (
        client,
        demux.serve(Transport::tcp(server).unwrap()).unwrap(),
    )
}

/// A Mux connected to a raw socket, which plays a misbehaving DeMux.
fn raw_server() -> (Mux, TcpStream) {
    let (client, server) = tcp_pair();
    (Mux::new(Transport::tcp(client).unwrap()).unwrap(), server)
}

/// Reads everything until the peer closes: proves the other side hung up.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => {}
        // A close with unread input may reach us as a reset: closed all the same.
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the far side should close the connection, not leave it hanging: {e}"),
    }
    rest
}

fn frame(head: &Head<'_>, body: &[u8]) -> Vec<u8> {
    let mut frame = Frame::new();
    frame.extend_from_slice(&codec::to_vec(head).unwrap());
    frame.extend_from_slice(body);
    frame.finish(DEFAULT_MAX_FRAME).unwrap()
}

/// Reads one request from a raw server socket; its transaction id. (For a socket that
/// gets more than one request at a time, [`next_call`] with one reader throughout.)
fn read_call(stream: &TcpStream) -> u64 {
    next_call(&mut FrameReader::new(stream, DEFAULT_MAX_FRAME))
}

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("actor-wire-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One end of an in-memory byte pipe, to show that any `Read + Write` pair will do.
struct PipeReader {
    chunks: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

struct PipeWriter(Channel<Vec<u8>>);

fn pipe() -> (PipeReader, PipeWriter) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (
        PipeReader {
            chunks: rx,
            chunk: Vec::new(),
            at: 0,
        },
        PipeWriter(tx),
    )
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.chunks.recv() {
                Ok(chunk) => (self.chunk, self.at) = (chunk, 0),
                Err(_) => return Ok(0), // the writer is gone: end of stream
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .send(buf.to_vec())
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Typed calls over each transport

#[test]
fn a_remote_addr_calls_and_tells_like_a_local_addr_over_tcp() {
    let demux = demux(Workers::Pool(2));
    let (mux, _listening) = tcp(&demux);
    let ledger = mux.remote::<Ledger>("ledger");
    for n in 1..=10 {
        ledger.tell(Add(n)).unwrap();
    }
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 55);
    assert_eq!(mux.call("math", Square(12), WAIT).unwrap(), 144);
    assert!(mux.anomalies().is_empty());
}

#[test]
fn a_unix_socket_carries_typed_calls() {
    let dir = TempDir::new("unix");
    let path = dir.0.join("demux.sock");
    let demux = demux(Workers::Pool(2));
    let _listening = demux
        .listen(std::os::unix::net::UnixListener::bind(&path).unwrap())
        .unwrap();
    let mux = Mux::new(Transport::connect_unix(&path).unwrap()).unwrap();
    assert!(mux.peer().contains("demux.sock"));
    assert_eq!(mux.call("math", Square(9), WAIT).unwrap(), 81);
    assert_eq!(mux.call("ledger", Total, WAIT).unwrap(), 0);
}

#[test]
fn any_read_write_pair_carries_typed_calls() {
    let (server_reads, client_writes) = pipe();
    let (client_reads, server_writes) = pipe();
    let demux = demux(Workers::Pool(2));
    let served = demux
        .serve(Transport::new(server_reads, server_writes).named("an in-memory pipe"))
        .unwrap();
    let mux = Mux::new(Transport::new(client_reads, client_writes)).unwrap();
    assert_eq!(mux.call("math", Square(7), WAIT).unwrap(), 49);
    // Closing drops the Mux's writing half: the DeMux sees the end of its input.
    mux.close();
    assert_eq!(served.wait_timeout(WAIT), Some(Ok(())));
}

#[test]
fn a_byte_stream_whose_read_times_out_ends_its_mux_with_the_reason() {
    // A Mux cannot wait on a stream that will not block: it ends the connection, rather
    // than read it again and again.
    struct TimesOut;
    impl Read for TimesOut {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::WouldBlock))
        }
    }
    let mux = Mux::new(Transport::new(TimesOut, io::sink())).unwrap();
    let err = mux.call("math", Square(7), WAIT).unwrap_err();
    match err.error() {
        WireError::Disconnected { reason, .. } => {
            assert!(reason.contains("must block until data comes"), "{reason}")
        }
        other => panic!("expected a disconnect, got {other:?}"),
    }
    assert!(mux.is_closed());
    assert!(matches!(
        mux.anomalies()[..],
        [WireError::Frame(FrameError::Io { .. })]
    ));
}

#[test]
fn sockets_given_in_non_blocking_mode_or_with_a_read_timeout_are_made_to_block() {
    let demux = demux(Workers::Pool(2));
    let (client, server) = tcp_pair(); // each with a read timeout of its own
    server.set_nonblocking(true).unwrap();
    client.set_nonblocking(true).unwrap();
    let _served = demux.serve(Transport::tcp(server).unwrap()).unwrap();
    let mux = Mux::new(Transport::tcp(client).unwrap()).unwrap();
    for n in 1..=20 {
        assert_eq!(mux.call("math", Square(n), WAIT).unwrap(), n * n);
    }
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
    assert!(demux.anomalies().is_empty(), "{:?}", demux.anomalies());
}

// ---------------------------------------------------------------------------------------
// Many callers, parallel serving, timeouts

#[test]
fn hundreds_of_concurrent_callers_over_one_connection_lose_nothing() {
    const CALLERS: u64 = 300;
    const CALLS: u64 = 3;
    let demux = demux(Workers::Pool(8));
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    demux.function("count", move |Square(n): Square| {
        counter.fetch_add(1, Ordering::Relaxed);
        n * n
    });
    let (mux, _listening) = tcp(&demux);
    let start = Arc::new(Barrier::new(CALLERS as usize));
    let callers: Vec<_> = (0..CALLERS)
        .map(|caller| {
            let (mux, start) = (mux.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                (0..CALLS)
                    .map(|i| {
                        let n = caller * CALLS + i;
                        (n, mux.call("count", Square(n), WAIT).unwrap())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = Vec::new();
    for caller in callers {
        for (n, reply) in caller.join().unwrap() {
            assert_eq!(reply, n * n, "call {n} got another call's reply");
            seen.push(n);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..CALLERS * CALLS).collect::<Vec<_>>());
    assert_eq!(handled.load(Ordering::Relaxed), (CALLERS * CALLS) as usize);
    assert_eq!(mux.pending(), 0);
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
}

#[test]
fn a_worker_pool_runs_as_many_calls_at_once_as_it_has_workers() {
    let demux = demux(Workers::Pool(4));
    let gate = Gate::on(&demux);
    let (mux, _listening) = tcp(&demux);
    let callers: Vec<_> = (0..4)
        .map(|n| {
            let mux = mux.clone();
            thread::spawn(move || mux.call("gate", Held(n), WAIT))
        })
        .collect();
    gate.wait_for(4); // all four are in their handlers together
    drop(gate);
    for (n, caller) in callers.into_iter().enumerate() {
        assert_eq!(caller.join().unwrap().unwrap(), n as u64);
    }
}

#[test]
fn thread_per_request_runs_every_call_at_once() {
    let demux = demux(Workers::PerRequest);
    let gate = Gate::on(&demux);
    let (mux, _listening) = tcp(&demux);
    let callers: Vec<_> = (0..50)
        .map(|n| {
            let mux = mux.clone();
            thread::spawn(move || mux.call("gate", Held(n), WAIT))
        })
        .collect();
    gate.wait_for(50);
    drop(gate);
    for (n, caller) in callers.into_iter().enumerate() {
        assert_eq!(caller.join().unwrap().unwrap(), n as u64);
    }
}

#[test]
fn a_call_times_out_and_its_late_reply_reaches_no_one() {
    // One worker: the late reply is written before the next call's reply.
    let demux = demux(Workers::Pool(1));
    let gate = Gate::on(&demux);
    let (mux, _listening) = tcp(&demux);
    let err = mux.call("gate", Held(1), SHORT).unwrap_err();
    match err.error() {
        WireError::Timeout {
            actor,
            message,
            timeout,
        } => {
            assert_eq!(actor, "gate");
            assert_eq!(message, codec::wire_name::<Held>());
            assert_eq!(*timeout, SHORT);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        matches!(err, RemoteError::Failed(_)),
        "the request was sent"
    );
    gate.wait_for(1);
    drop(gate); // Held(1) now answers, late
    assert_eq!(mux.call("gate", Held(2), WAIT).unwrap(), 2);
    assert_eq!(mux.call("gate", Held(3), WAIT).unwrap(), 3);
    assert!(
        mux.anomalies().is_empty(),
        "a late reply is expected, not an anomaly: {:?}",
        mux.anomalies()
    );
}

// ---------------------------------------------------------------------------------------
// Callers that read their own replies (on a socket, a caller that finds no one reading
// reads until its reply comes; see the Mux's notes)

/// The transaction id of the next call read by `requests` (one reader for the whole
/// connection: it buffers what it reads ahead).
fn next_call<R: Read>(requests: &mut FrameReader<R>) -> u64 {
    let packet = requests.read_frame().unwrap().expect("a request");
    match codec::decode_packet(&packet).unwrap().0 {
        Head::Call { xid, .. } => xid,
        other => panic!("expected a call, got {other:?}"),
    }
}

fn square_reply(xid: u64, n: u64) -> Vec<u8> {
    frame(&Head::Reply { xid }, &codec::to_vec(&n).unwrap())
}

/// A raw server that answers `n` calls one at a time, so that the Mux's caller finds no
/// one reading and reads its reply itself (the reader thread stands by while callers do).
fn answer_in_turn(mux: &Mux, raw: &mut TcpStream, requests: &mut FrameReader<TcpStream>) {
    for _ in 0..20 {
        let caller = {
            let mux = mux.clone();
            thread::spawn(move || mux.call("math", Square(3), WAIT))
        };
        raw.write_all(&square_reply(next_call(requests), 9))
            .unwrap();
        assert_eq!(caller.join().unwrap().unwrap(), 9);
    }
}

fn requests(raw: &TcpStream) -> FrameReader<TcpStream> {
    FrameReader::new(raw.try_clone().unwrap(), DEFAULT_MAX_FRAME)
}

#[test]
fn a_caller_that_times_out_in_the_middle_of_its_reply_leaves_the_rest_for_the_next_reader() {
    let (mux, mut raw) = raw_server();
    let mut requests = requests(&raw);
    answer_in_turn(&mux, &mut raw, &mut requests);
    let (wrote, written) = crossbeam_channel::bounded(1);
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || {
            let outcome = mux.call("math", Square(4), SHORT);
            written.recv().unwrap();
            outcome
        })
    };
    let late = square_reply(next_call(&mut requests), 16);
    // Part of the length prefix, then the caller gives up: whoever reads next must go on
    // from the third byte.
    raw.write_all(&late[..2]).unwrap();
    wrote.send(()).unwrap();
    let err = caller.join().unwrap().unwrap_err();
    assert!(matches!(err.error(), WireError::Timeout { .. }), "{err:?}");
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(5), WAIT))
    };
    let xid = next_call(&mut requests);
    raw.write_all(&late[2..]).unwrap();
    // The next reply split in the middle of its body.
    let next = square_reply(xid, 25);
    let (head, tail) = next.split_at(next.len() - 3);
    raw.write_all(head).unwrap();
    raw.write_all(tail).unwrap();
    assert_eq!(caller.join().unwrap().unwrap(), 25);
    answer_in_turn(&mux, &mut raw, &mut requests);
    assert!(
        mux.anomalies().is_empty(),
        "a late reply is expected, not an anomaly: {:?}",
        mux.anomalies()
    );
}

#[test]
fn a_peer_trickling_a_long_reply_cannot_hold_a_caller_past_its_timeout() {
    // A reply of 20,000 bytes, one byte a millisecond: a caller reading it that did not
    // look at its deadline between reads would come back only once the whole frame had
    // come, some 20 s after its 50 ms timeout.
    const LONG: usize = 20_000;
    let (mux, mut raw) = raw_server();
    raw.set_nodelay(true).unwrap();
    let mut requests = requests(&raw);
    answer_in_turn(&mux, &mut raw, &mut requests);
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(4), SHORT))
    };
    let reply = frame(
        &Head::Reply {
            xid: next_call(&mut requests),
        },
        &[1; LONG],
    );
    let (written, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let trickle = {
        let (written, stop) = (written.clone(), stop.clone());
        thread::spawn(move || {
            for byte in reply.chunks(1) {
                if stop.load(Ordering::Acquire) || raw.write_all(byte).is_err() {
                    break;
                }
                written.fetch_add(1, Ordering::Release);
                // The trickle's pace (a load, not a synchronisation).
                thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let err = caller.join().unwrap().unwrap_err();
    let came = written.load(Ordering::Acquire);
    stop.store(true, Ordering::Release);
    trickle.join().unwrap();
    assert!(matches!(err.error(), WireError::Timeout { .. }), "{err:?}");
    assert!(
        came < LONG,
        "the caller came back only after the whole reply ({came} bytes) had come"
    );
}

#[test]
fn calls_still_waiting_when_a_reading_caller_gives_up_are_answered() {
    let (mux, mut raw) = raw_server();
    let mut requests = requests(&raw);
    answer_in_turn(&mux, &mut raw, &mut requests);
    // Two callers; the one with the short timeout gives up before any reply is written,
    // and the other's reply comes after that.
    let quick = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(4), SHORT))
    };
    let patient = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(5), WAIT))
    };
    let (first, second) = (next_call(&mut requests), next_call(&mut requests));
    assert!(matches!(
        quick.join().unwrap().unwrap_err().error(),
        WireError::Timeout { .. }
    ));
    // Either call may have either id: answer both (the quick one's is dropped as late).
    for xid in [first, second] {
        raw.write_all(&square_reply(xid, 25)).unwrap();
    }
    assert_eq!(patient.join().unwrap().unwrap(), 25);
    assert_eq!(mux.pending(), 0);
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
}

#[test]
fn a_peer_that_closes_between_calls_fails_the_next_call_as_disconnected() {
    let (mux, mut raw) = raw_server();
    let mut requests = requests(&raw);
    answer_in_turn(&mux, &mut raw, &mut requests);
    drop((raw, requests));
    let err = mux.call("math", Square(4), WAIT).unwrap_err();
    assert!(
        matches!(err.error(), WireError::Disconnected { .. }),
        "{err:?}"
    );
    assert!(mux.is_closed());
}

// ---------------------------------------------------------------------------------------
// Disconnects

fn held_callers(mux: &Mux, gate: &Gate, n: u64) -> Vec<thread::JoinHandle<RemoteError<Held>>> {
    let callers: Vec<_> = (0..n)
        .map(|i| {
            let mux = mux.clone();
            thread::spawn(move || mux.call("gate", Held(i), WAIT).unwrap_err())
        })
        .collect();
    gate.wait_for(n as usize);
    assert_eq!(mux.pending(), n as usize);
    callers
}

#[test]
fn closing_the_mux_releases_every_waiting_caller_at_once() {
    let demux = demux(Workers::PerRequest);
    let gate = Gate::on(&demux);
    let (mux, _listening) = tcp(&demux);
    let callers = held_callers(&mux, &gate, 100);
    mux.close();
    for caller in callers {
        match caller.join().unwrap() {
            RemoteError::Failed(WireError::Disconnected { reason, .. }) => {
                assert_eq!(reason, "the Mux was closed")
            }
            other => panic!("expected a disconnect, got {other:?}"),
        }
    }
    assert_eq!(mux.pending(), 0);
}

#[test]
fn a_dropped_connection_releases_every_waiting_caller_at_once() {
    let demux = demux(Workers::PerRequest);
    let gate = Gate::on(&demux);
    let (mux, served) = tcp_served(&demux, Config::default());
    let callers = held_callers(&mux, &gate, 100);
    served.close(); // the far side hangs up
    for caller in callers {
        match caller.join().unwrap() {
            RemoteError::Failed(WireError::Disconnected { reason, .. }) => {
                assert_eq!(reason, "the peer closed the connection")
            }
            other => panic!("expected a disconnect, got {other:?}"),
        }
    }
    assert!(mux.is_closed());
}

#[test]
fn calls_on_a_closed_mux_fail_at_once_and_give_the_message_back() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    mux.close();
    let call = mux.call("math", Square(3), WAIT).unwrap_err();
    assert!(call.is_disconnected());
    assert_eq!(call.into_message(), Some(Square(3)));
    let tell = mux.tell("ledger", Add(4)).unwrap_err();
    assert_eq!(
        tell.to_string(),
        format!(
            "the connection to {} is closed: the Mux was closed",
            mux.peer()
        )
    );
    assert_eq!(tell.into_message(), Some(Add(4)));
}

// ---------------------------------------------------------------------------------------
// Errors carried back

#[test]
fn a_panicking_handler_comes_back_as_a_fault_with_its_message_and_the_actor_goes_on() {
    let demux = demux(Workers::Pool(2));
    let (mux, _listening) = tcp(&demux);
    let ledger = mux.remote::<Ledger>("ledger");
    ledger.tell(Add(5)).unwrap();
    match ledger.call(Explode, WAIT).unwrap_err().fault() {
        Some(Fault::Panicked {
            actor,
            message,
            panic,
        }) => {
            assert_eq!(actor, "ledger");
            assert_eq!(message, codec::wire_name::<Explode>());
            assert_eq!(panic, "the ledger exploded");
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 5);
}

#[test]
fn a_panicking_function_comes_back_as_a_fault_with_its_message() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    let err = mux.call("math", Explode, WAIT).unwrap_err();
    assert!(
        matches!(err.fault(), Some(Fault::Panicked { panic, .. }) if panic == "the function exploded")
    );
    assert!(
        err.to_string().ends_with(": the function exploded"),
        "{err}"
    );
    // The worker that ran it serves the next call.
    assert_eq!(mux.call("math", Square(2), WAIT).unwrap(), 4);
}

#[test]
fn handler_errors_come_back_in_the_typed_reply() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    assert_eq!(mux.call("math", Divide(9, 3), WAIT).unwrap(), Ok(3));
    assert_eq!(
        mux.call("math", Divide(9, 0), WAIT).unwrap(),
        Err("cannot divide 9 by zero".to_owned())
    );
}

#[test]
fn an_unknown_actor_name_is_a_clear_error() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    let err = mux.call("nobody", Total, WAIT).unwrap_err();
    assert_eq!(
        err.fault(),
        Some(&Fault::NoSuchActor {
            actor: "nobody".into()
        })
    );
    assert_eq!(
        err.to_string(),
        "no actor is exposed as `nobody` on the far side"
    );
}

#[test]
fn an_unknown_message_name_is_a_clear_error() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    let err = mux.call("ledger", Square(2), WAIT).unwrap_err();
    let square = codec::wire_name::<Square>();
    assert_eq!(
        err.fault(),
        Some(&Fault::NotHandled {
            actor: "ledger".into(),
            message: square.into()
        })
    );
    assert!(
        err.to_string().contains(&format!("handle::<{square}>()")),
        "{err}"
    );
    assert_eq!(mux.call("ledger", Total, WAIT).unwrap(), 0);
}

#[test]
fn a_withdrawn_actor_is_no_longer_served() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    assert_eq!(mux.call("ledger", Total, WAIT).unwrap(), 0);
    assert!(demux.withdraw("ledger"));
    let err = mux.call("ledger", Total, WAIT).unwrap_err();
    assert!(matches!(err.fault(), Some(Fault::NoSuchActor { .. })));
    let names: Vec<String> = demux.exposed().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["math"]);
}

#[test]
fn a_request_body_that_does_not_decode_comes_back_as_a_bad_request() {
    let demux = demux(Workers::Pool(1));
    let (mux, _listening) = tcp(&demux);
    let route = Route {
        actor: "math",
        message: codec::wire_name::<Square>(),
    };
    let err = mux.transaction(route, &[0xff; 12], WAIT).unwrap_err();
    match err.fault() {
        Some(Fault::BadRequest { actor, reason, .. }) => {
            assert_eq!(actor, "math");
            assert!(reason.contains("could not decode"), "{reason}");
        }
        other => panic!("expected a bad request, got {other:?}"),
    }
    assert_eq!(mux.call("math", Square(5), WAIT).unwrap(), 25);
}

#[test]
fn tells_reach_the_actor_in_the_order_told() {
    let demux = demux(Workers::Pool(4));
    let (mux, _listening) = tcp(&demux);
    let ledger = mux.remote::<Ledger>("ledger");
    for n in 0..500 {
        ledger.tell(Record(n)).unwrap();
    }
    assert_eq!(
        ledger.call(Records, WAIT).unwrap(),
        (0..500).collect::<Vec<_>>()
    );
}

#[test]
fn a_tell_the_far_side_cannot_deliver_is_reported_there() {
    let demux = demux(Workers::Pool(1));
    let (mux, served) = tcp_served(&demux, Config::default());
    mux.tell("nobody", Add(1)).unwrap();
    // Packets are handled in order: once this call is answered, the tell was handled.
    assert_eq!(mux.call("math", Square(1), WAIT).unwrap(), 1);
    assert_eq!(
        served.anomalies(),
        [WireError::Remote(Fault::NoSuchActor {
            actor: "nobody".into()
        })]
    );
}

// ---------------------------------------------------------------------------------------
// Frame limits

#[test]
fn a_request_over_the_frame_limit_is_refused_before_it_is_sent() {
    let demux = demux(Workers::Pool(1));
    let (mux, _served) = tcp_served(&demux, Config::default().max_frame(1024));
    let err = mux.call("math", Blob(vec![0; 4096]), WAIT).unwrap_err();
    assert!(matches!(
        err.error(),
        WireError::Frame(FrameError::TooLarge { max: 1024, .. })
    ));
    assert_eq!(err.into_message(), Some(Blob(vec![0; 4096])));
    assert_eq!(mux.call("math", Blob(vec![0; 100]), WAIT).unwrap(), 100);
}

#[test]
fn a_reply_over_the_frame_limit_comes_back_as_a_fault() {
    let demux = demux_with(Workers::Pool(1), Config::default().max_frame(1024));
    let (mux, _listening) = tcp(&demux);
    let err = mux.call("math", Fill(4096), WAIT).unwrap_err();
    match err.fault() {
        Some(Fault::Failed { reason, .. }) => {
            assert!(reason.contains("over the limit of 1024 bytes"), "{reason}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(mux.call("math", Fill(10), WAIT).unwrap(), vec![7; 10]);
}

// ---------------------------------------------------------------------------------------
// Bad input at a DeMux: it ends (or skips) only what it came on

/// A good connection with a call in progress, to check bad input elsewhere leaves it be.
struct Bystander {
    mux: Mux,
    call: thread::JoinHandle<Result<u64, RemoteError<Held>>>,
    gate: Gate,
    _listening: Listening,
}

impl Bystander {
    fn on(demux: &DeMux) -> Bystander {
        let gate = Gate::on(demux);
        let (mux, listening) = tcp(demux);
        let caller = mux.clone();
        let call = thread::spawn(move || caller.call("gate", Held(42), WAIT));
        gate.wait_for(1);
        Bystander {
            mux,
            call,
            gate,
            _listening: listening,
        }
    }

    fn check_unaffected(self) {
        drop(self.gate);
        assert_eq!(self.call.join().unwrap().unwrap(), 42);
        assert_eq!(self.mux.call("math", Square(3), WAIT).unwrap(), 9);
        assert!(self.mux.anomalies().is_empty());
    }
}

/// Sends `bytes` on a fresh connection to `demux`; the error that ended it.
fn ended_by(demux: &DeMux, bytes: &[u8]) -> WireError {
    let (mut raw, served) = raw_client(demux);
    raw.write_all(bytes).unwrap();
    let error = served
        .wait_timeout(WAIT)
        .expect("the connection should end")
        .unwrap_err();
    assert_eq!(read_until_closed(&mut raw), b"", "nothing is answered");
    assert_eq!(served.anomalies(), std::slice::from_ref(&error));
    error
}

#[test]
fn garbage_bytes_end_only_their_own_connection() {
    let demux = demux(Workers::Pool(2));
    let bystander = Bystander::on(&demux);
    // "GET " read as a length is over a gigabyte.
    let error = ended_by(&demux, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n");
    assert_eq!(
        error,
        WireError::Frame(FrameError::TooLarge {
            len: u64::from(u32::from_be_bytes(*b"GET ")),
            max: DEFAULT_MAX_FRAME
        })
    );
    assert!(demux.anomalies().contains(&error));
    bystander.check_unaffected();
}

#[test]
fn an_oversized_length_prefix_is_refused_without_waiting_for_its_bytes() {
    let demux = demux(Workers::Pool(2));
    let bystander = Bystander::on(&demux);
    // The peer announces 2 GiB and sends nothing more: the DeMux must not wait for it.
    let error = ended_by(&demux, &[0x7f, 0xff, 0xff, 0xff]);
    assert_eq!(
        error.to_string(),
        format!("a frame of 2147483647 bytes is over the limit of {DEFAULT_MAX_FRAME} bytes")
    );
    bystander.check_unaffected();
}

#[test]
fn a_peer_vanishing_mid_frame_ends_only_its_own_connection() {
    let demux = demux(Workers::Pool(2));
    let bystander = Bystander::on(&demux);
    let (mut raw, served) = raw_client(&demux);
    raw.write_all(&[0, 0, 0, 100, VERSION]).unwrap();
    raw.write_all(&[0; 10]).unwrap();
    raw.shutdown(Shutdown::Write).unwrap(); // gone, 89 bytes short
    let error = served.join().unwrap_err();
    assert_eq!(
        error,
        WireError::Frame(FrameError::Truncated {
            expected: 100,
            got: 11
        })
    );
    assert_eq!(
        error.to_string(),
        "the stream ended in the middle of a frame: 11 of its 100 bytes arrived"
    );
    bystander.check_unaffected();
}

#[test]
fn a_foreign_version_byte_ends_only_its_own_connection() {
    let demux = demux(Workers::Pool(2));
    let bystander = Bystander::on(&demux);
    let error = ended_by(&demux, &[0, 0, 0, 2, 9, 0]);
    assert_eq!(
        error.to_string(),
        "the peer speaks wire version 9, but this side speaks version 1"
    );
    let error = ended_by(&demux, &[0, 0, 0, 0]);
    assert_eq!(error, WireError::Frame(FrameError::Empty));
    bystander.check_unaffected();
}

#[test]
fn a_packet_that_does_not_decode_is_dropped_and_its_connection_goes_on() {
    let demux = demux(Workers::Pool(2));
    let (mut raw, served) = raw_client(&demux);
    // A well-framed packet of garbage, then a good call on the same connection.
    let mut garbage = Frame::new();
    garbage.extend_from_slice(&[0xff; 16]);
    raw.write_all(&garbage.finish(DEFAULT_MAX_FRAME).unwrap())
        .unwrap();
    let call = Head::Call {
        xid: 5,
        timeout_ms: 30_000,
        route: Route {
            actor: "math",
            message: codec::wire_name::<Square>(),
        },
    };
    raw.write_all(&frame(&call, &codec::to_vec(&Square(6)).unwrap()))
        .unwrap();
    let reply = FrameReader::new(&raw, DEFAULT_MAX_FRAME)
        .read_frame()
        .unwrap()
        .unwrap();
    let (head, body) = codec::decode_packet(&reply).unwrap();
    assert_eq!(head, Head::Reply { xid: 5 });
    assert_eq!(codec::decode::<u64>(body).unwrap(), 36);
    assert!(matches!(
        served.anomalies()[..],
        [WireError::Codec(CodecError::Decode { .. })]
    ));
    assert!(!served.is_finished());
}

#[test]
fn a_reply_sent_to_a_demux_is_reported_and_dropped() {
    let demux = demux(Workers::Pool(1));
    let (mut raw, served) = raw_client(&demux);
    raw.write_all(&frame(&Head::Reply { xid: 1 }, &[])).unwrap();
    raw.shutdown(Shutdown::Write).unwrap();
    assert_eq!(served.join(), Ok(()));
    // (The anomaly went to the DeMux's log too.)
    assert_eq!(
        demux.anomalies(),
        [WireError::Unexpected {
            what: "reply",
            side: "DeMux"
        }]
    );
}

// ---------------------------------------------------------------------------------------
// Bad input at a Mux

#[test]
fn a_reply_for_an_unknown_transaction_is_reported_and_dropped() {
    let (mux, mut raw) = raw_server();
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(4), WAIT))
    };
    let xid = read_call(&raw);
    let sixteen = codec::to_vec(&16_u64).unwrap();
    raw.write_all(&frame(&Head::Reply { xid: xid + 1000 }, &sixteen))
        .unwrap();
    raw.write_all(&frame(&Head::Reply { xid }, &sixteen))
        .unwrap();
    assert_eq!(caller.join().unwrap().unwrap(), 16);
    assert_eq!(
        mux.anomalies(),
        [WireError::UnknownTransaction { xid: xid + 1000 }]
    );
}

#[test]
fn garbage_packets_at_a_mux_are_dropped_and_pending_calls_go_on() {
    let (mux, mut raw) = raw_server();
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(4), WAIT))
    };
    let xid = read_call(&raw);
    let mut garbage = Frame::new();
    garbage.extend_from_slice(&[0xfe; 8]);
    raw.write_all(&garbage.finish(DEFAULT_MAX_FRAME).unwrap())
        .unwrap();
    let request = Head::Tell {
        route: Route {
            actor: "x",
            message: "y",
        },
    };
    raw.write_all(&frame(&request, &[])).unwrap();
    raw.write_all(&frame(
        &Head::Reply { xid },
        &codec::to_vec(&16_u64).unwrap(),
    ))
    .unwrap();
    assert_eq!(caller.join().unwrap().unwrap(), 16);
    let anomalies = mux.anomalies();
    assert!(
        matches!(
            anomalies[..],
            [
                WireError::Codec(CodecError::Decode { .. }),
                WireError::Unexpected {
                    what: "tell",
                    side: "Mux"
                }
            ]
        ),
        "{anomalies:?}"
    );
}

#[test]
fn a_reply_that_does_not_decode_fails_only_its_own_call() {
    let (mux, mut raw) = raw_server();
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(4), WAIT))
    };
    let xid = read_call(&raw);
    raw.write_all(&frame(&Head::Reply { xid }, b"not a u64 at all"))
        .unwrap();
    let err = caller.join().unwrap().unwrap_err();
    assert!(
        matches!(err, RemoteError::Failed(WireError::Codec(_))),
        "{err:?}"
    );
    assert!(!mux.is_closed());
}

#[test]
fn a_server_vanishing_mid_frame_releases_the_waiting_callers_with_the_reason() {
    let (mux, mut raw) = raw_server();
    let caller = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("math", Square(4), WAIT))
    };
    let xid = read_call(&raw);
    let reply = frame(&Head::Reply { xid }, &codec::to_vec(&16_u64).unwrap());
    raw.write_all(&reply[..reply.len() - 1]).unwrap();
    drop(raw);
    match caller.join().unwrap().unwrap_err() {
        RemoteError::Failed(WireError::Disconnected { reason, .. }) => assert_eq!(
            reason,
            format!(
                "the stream ended in the middle of a frame: {} of its {} bytes arrived",
                reply.len() - 5,
                reply.len() - 4
            )
        ),
        other => panic!("expected a disconnect, got {other:?}"),
    }
    assert!(mux.is_closed());
    assert!(matches!(
        mux.anomalies()[..],
        [WireError::Frame(FrameError::Truncated { .. })]
    ));
}

#[test]
fn a_closed_demux_refuses_new_connections_and_closes_its_own() {
    let demux = demux(Workers::Pool(1));
    let (mux, served) = tcp_served(&demux, Config::default());
    assert_eq!(mux.call("math", Square(2), WAIT).unwrap(), 4);
    demux.close();
    assert_eq!(served.wait_timeout(WAIT), Some(Ok(())));
    let (_, server) = tcp_pair();
    assert!(demux
        .serve(Transport::tcp(server).unwrap())
        .unwrap_err()
        .is_disconnected());
    assert!(mux
        .call("math", Square(2), WAIT)
        .unwrap_err()
        .is_disconnected());
}

// ---------------------------------------------------------------------------------------
// Calls to actors: posted by the reader, answered from the actor's thread

#[test]
fn a_call_to_an_actor_needs_no_free_worker() {
    // The pool's only worker is held in a function: an actor's call is still answered,
    // since no worker waits for it (it is posted where it is read, answered from the
    // actor's thread).
    let demux = demux(Workers::Pool(1));
    let gate = Gate::on(&demux);
    let (mux, _listening) = tcp(&demux);
    let held = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("gate", Held(1), WAIT))
    };
    gate.wait_for(1);
    let ledger = mux.remote::<Ledger>("ledger");
    ledger.tell(Add(5)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 5);
    drop(gate);
    assert_eq!(held.join().unwrap().unwrap(), 1);
}

#[test]
fn a_call_to_an_actor_whose_bounded_mailbox_is_full_waits_for_room() {
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    let ledger = Spawn::new(Ledger::default()).bounded(1).spawn();
    demux.expose_actor("ledger", &ledger);
    let (raw, _served) = raw_client(&demux);
    let open = hold(&ledger);
    ledger.try_tell(Add(2)).unwrap(); // the mailbox is full now
    (&raw)
        .write_all(&raw_call(1, "ledger", &Total, WAIT))
        .unwrap();
    (&raw)
        .write_all(&raw_call(2, "nobody", &Total, WAIT))
        .unwrap();
    let mut answers = FrameReader::new(&raw, DEFAULT_MAX_FRAME);
    let mut answer = || raw_answer::<i64>(&mut answers).expect("an answer");
    // The second call is answered while the ledger is held: so the first was read, and
    // met the full mailbox, before it.
    let (xid, second) = answer();
    assert_eq!(xid, 2);
    assert!(
        matches!(second, Err(Fault::NoSuchActor { .. })),
        "{second:?}"
    );
    drop(open);
    assert_eq!(answer(), (1, Ok(2)), "refused, not waited for room");
}

#[test]
fn answers_written_together_each_give_back_their_permit() {
    // Four permits for 16 callers: answers to calls in flight together go out in one
    // write by the writer thread, and each must give its permit back, or the connection
    // stops being read and the calls time out.
    let mut limits = actor_core::wire::Limits::default();
    limits.max_pending = 4;
    let demux = DeMux::with_limits(Workers::Pool(2), Config::default(), limits).unwrap();
    demux.expose_actor("ledger", &Ledger::default().spawn());
    let (mux, _served) = tcp_served(&demux, Config::default());
    let callers: Vec<_> = (0..16_i64)
        .map(|n| {
            let remote = mux.remote::<Ledger>("ledger");
            thread::spawn(move || {
                for _ in 0..200 {
                    remote.tell(Add(n)).unwrap();
                    remote.call(Total, WAIT).unwrap();
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().unwrap();
    }
    let total: i64 = (0..16).sum::<i64>() * 200;
    assert_eq!(
        mux.remote::<Ledger>("ledger").call(Total, WAIT).unwrap(),
        total
    );
}

/// Answers `Fill` with that many bytes, and `Total` with 0: an actor whose replies can be
/// made big.
struct Filler;

#[actor(remote)]
impl Filler {
    #[handles(Fill)]
    fn fill(&mut self, Fill(n): Fill) -> Vec<u8> {
        vec![7; n]
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> i64 {
        0
    }
}

/// A raw call frame `xid` to `actor`, of `body`'s message type, with `timeout`.
fn raw_call<M: Message + Serialize>(xid: u64, actor: &str, body: &M, timeout: Duration) -> Vec<u8> {
    let call = Head::Call {
        xid,
        timeout_ms: timeout.as_millis() as u64,
        route: Route {
            actor,
            message: codec::wire_name::<M>(),
        },
    };
    frame(&call, &codec::to_vec(body).unwrap())
}

/// The next answer on a raw client's connection: its transaction id, and the reply
/// (decoded as an `R`) or the fault; `None` once the connection has closed.
fn raw_answer<R: serde::de::DeserializeOwned>(
    answers: &mut FrameReader<&TcpStream>,
) -> Option<(u64, Result<R, Fault>)> {
    let packet = answers.read_frame().unwrap()?;
    Some(match codec::decode_packet(&packet).unwrap() {
        (Head::Reply { xid }, body) => (xid, Ok(codec::decode(body).unwrap())),
        (Head::Fault { xid, fault }, _) => (xid, Err(fault)),
        (other, _) => panic!("expected an answer, got {other:?}"),
    })
}

#[test]
fn replies_of_calls_posted_to_actors_stay_within_max_reply_bytes() {
    // 200 calls for 256 KiB each from a peer that reads nothing, all read and posted
    // while the actor is held: once it answers, the replies past `max_reply_bytes` are
    // dropped (their callers told), not queued.
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    let filler = Filler.spawn();
    demux.expose_actor("filler", &filler);
    let (raw, _served) = raw_client(&demux);
    let open = hold(&filler);
    const EACH: usize = 256 * 1024;
    for xid in 1..=200 {
        (&raw)
            .write_all(&raw_call(xid, "filler", &Fill(EACH), WAIT))
            .unwrap();
    }
    // Answered by the reader itself once it has read (and posted) the 200 before it.
    (&raw)
        .write_all(&raw_call(999, "nobody", &Total, WAIT))
        .unwrap();
    let mut answers = FrameReader::new(&raw, DEFAULT_MAX_FRAME);
    assert!(matches!(
        raw_answer::<i64>(&mut answers),
        Some((999, Err(_)))
    ));
    drop(open);
    // Once the actor has handled a later message, every earlier call has been answered.
    let _: i64 = Bridge::new().call(&filler, Total, WAIT).unwrap();
    let (queued, max) = (demux.load().reply_bytes, demux.limits().max_reply_bytes);
    assert!(
        queued <= max + 2 * EACH,
        "{queued} bytes of replies queued for a peer that reads none, past the limit of {max}"
    );
    // Reading now: the replies that were kept, then faults saying why the rest were not.
    let (mut replies, mut dropped) = (0, 0);
    for _ in 1..=200 {
        match raw_answer::<Vec<u8>>(&mut answers).expect("an answer") {
            (_, Ok(body)) => {
                assert_eq!(body.len(), EACH);
                replies += 1;
            }
            (_, Err(Fault::Failed { reason, .. })) if reason.contains("reply was dropped") => {
                dropped += 1
            }
            other => panic!("expected a reply or a dropped one, got {other:?}"),
        }
    }
    assert!(
        replies >= 1 && dropped >= 1,
        "{replies} replies, {dropped} dropped"
    );
}

#[test]
fn calls_posted_to_actors_are_bounded_and_past_the_bound_go_to_the_pool_and_its_limit() {
    // At most `max_queued` (2) calls are posted at once; the next go to the pool (one
    // worker, blocked on the held actor, and 2 queued), and past its limit a call is
    // refused at once, though the actor's own mailbox is unbounded.
    let mut limits = actor_core::wire::Limits::default();
    limits.max_queued = 2;
    let demux = DeMux::with_limits(Workers::Pool(1), Config::default(), limits).unwrap();
    let ledger = Ledger::default().spawn();
    demux.expose_actor("ledger", &ledger);
    ledger.tell(Add(3)).unwrap();
    let (raw, _served) = raw_client(&demux);
    let open = hold(&ledger);
    for xid in 1..=8 {
        (&raw)
            .write_all(&raw_call(xid, "ledger", &Total, WAIT))
            .unwrap();
    }
    let mut answers = FrameReader::new(&raw, DEFAULT_MAX_FRAME);
    let mut answer = || raw_answer::<i64>(&mut answers).expect("an answer");
    // The first answer comes while the actor is held: a refusal.
    let (_, first) = answer();
    assert!(matches!(first, Err(Fault::Unavailable { .. })), "{first:?}");
    drop(open);
    let (mut answered, mut refused) = (0, 1);
    while answered + refused < 8 {
        match answer() {
            (_, Ok(total)) => {
                assert_eq!(total, 3);
                answered += 1;
            }
            (_, Err(Fault::Unavailable { .. })) => refused += 1,
            other => panic!("expected 3 or a refusal, got {other:?}"),
        }
    }
    assert!(answered >= 3, "{answered} answered, {refused} refused");
}

#[test]
fn an_actor_on_a_driver_answers_remote_calls_from_the_driver() {
    let driver = Driver::new(2);
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    let ledger = Ledger::default().spawn_on(&driver);
    demux.expose_actor("ledger", &ledger);
    let (mux, _listening) = tcp(&demux);
    let remote = mux.remote::<Ledger>("ledger");
    let callers: Vec<_> = (0..8)
        .map(|n| {
            let remote = remote.clone();
            thread::spawn(move || {
                for i in 0..50 {
                    remote.tell(Record(n * 1000 + i)).unwrap();
                }
                remote.call(Records, WAIT).unwrap().len()
            })
        })
        .collect();
    for caller in callers {
        assert!(caller.join().unwrap() >= 50);
    }
    assert_eq!(remote.call(Records, WAIT).unwrap().len(), 400);
}

#[test]
fn a_call_to_a_held_actor_times_out_and_the_actor_goes_on() {
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    let ledger = Ledger::default().spawn();
    demux.expose_actor("ledger", &ledger);
    let (mux, _listening) = tcp(&demux);
    let open = hold(&ledger);
    let remote = mux.remote::<Ledger>("ledger");
    let err = remote.call(Total, SHORT).unwrap_err();
    // The caller's own deadline; or, on a loaded machine that wakes the caller late, the
    // far side's timeout at the same moment, whose fault came first.
    let far_timeout = matches!(
        err.fault(),
        Some(Fault::Failed { reason, .. }) if reason.contains("did not reply")
    );
    assert!(err.is_timeout() || far_timeout, "{err:?}");
    drop(open);
    // The late reply (or the far side's own timeout fault) reaches no one.
    remote.tell(Add(4)).unwrap();
    assert_eq!(remote.call(Total, WAIT).unwrap(), 4);
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
}

#[test]
fn the_far_side_gives_a_call_a_grace_past_its_callers_timeout() {
    // So that the caller's own timeout ends a call that takes as long: the far side's
    // fault comes later, and is dropped. Here no Mux waits, so the fault shows its time.
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    let ledger = Ledger::default().spawn();
    demux.expose_actor("ledger", &ledger);
    let (raw, _served) = raw_client(&demux);
    let _open = hold(&ledger);
    let call = raw_call(1, "ledger", &Total, Duration::from_millis(100));
    (&raw).write_all(&call).unwrap();
    let mut answers = FrameReader::new(&raw, DEFAULT_MAX_FRAME);
    match raw_answer::<i64>(&mut answers).expect("an answer") {
        // 100 ms, an eighth more, and 5 ms.
        (1, Err(Fault::Failed { reason, .. })) => assert!(reason.contains("117.5ms"), "{reason}"),
        other => panic!("expected the far side's timeout, got {other:?}"),
    }
}

#[test]
fn a_graceful_close_waits_for_an_actors_call_in_flight() {
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    let ledger = Ledger::default().spawn();
    demux.expose_actor("ledger", &ledger);
    demux.expose_actor("other", &Ledger::default().spawn());
    let (raw, served) = raw_client(&demux);
    ledger.tell(Add(7)).unwrap();
    let open = hold(&ledger);
    let send = |xid, actor| {
        (&raw)
            .write_all(&raw_call(xid, actor, &Total, WAIT))
            .unwrap()
    };
    send(1, "ledger");
    send(2, "nobody");
    let mut answers = FrameReader::new(&raw, DEFAULT_MAX_FRAME);
    let mut answer = || raw_answer::<i64>(&mut answers);
    // Answered while the ledger is held: the call to it was read, and is in flight.
    assert!(matches!(
        answer(),
        Some((2, Err(Fault::NoSuchActor { .. })))
    ));
    let closing = {
        let demux = demux.clone();
        thread::spawn(move || demux.close_within(WAIT))
    };
    // Closing has begun once a new call is refused as such.
    for xid in 3.. {
        send(xid, "other");
        match answer() {
            Some((_, Err(Fault::Unavailable { reason }))) if reason.contains("closing") => break,
            Some((_, Ok(0))) => {}
            other => panic!("expected 0 or a refusal, got {other:?}"),
        }
        thread::sleep(Duration::from_millis(5)); // polling a state: no event to wait on
    }
    drop(open);
    assert_eq!(answer(), Some((1, Ok(7))), "closed before it was answered");
    closing.join().unwrap();
    assert_eq!(
        answer(),
        None,
        "the connection is closed after its last answer"
    );
    assert!(served.wait_timeout(WAIT).is_some());
}

// ---------------------------------------------------------------------------------------
// Peers that stop reading

/// Ten callers wait on `mux`, whose peer reads nothing; closing it releases them all.
fn closing_releases_waiting_callers(mux: &Mux) {
    let callers: Vec<_> = (0..10)
        .map(|n| {
            let mux = mux.clone();
            thread::spawn(move || mux.call("math", Square(n), WAIT).unwrap_err())
        })
        .collect();
    mux.close();
    for caller in callers {
        let err = caller.join().unwrap();
        assert!(err.is_disconnected(), "{err:?}");
    }
}

#[test]
fn a_peer_that_stops_reading_cannot_hang_a_muxs_callers() {
    // A socket without its closer behaves as a pipe: nothing can unblock a stuck write.
    let (near, _far) = std::os::unix::net::UnixStream::pair().unwrap(); // never read
    let transport = Transport::new(near.try_clone().unwrap(), near);
    let mux = Mux::new(transport).unwrap();
    // More than a socket's buffers hold (strings encode as one copy: cheap to make).
    let big = Text("x".repeat(8 << 20));
    // The writer is stuck in this request; the call's timeout still holds.
    assert!(mux.call("math", big, SHORT).unwrap_err().is_timeout());
    closing_releases_waiting_callers(&mux);
}

#[test]
fn a_peer_that_stops_reading_cannot_hang_the_callers_of_a_socket_mux() {
    // Over a socket, a caller writes its own request when nothing waits: a write that
    // finds the peer's buffer full must give up and leave the rest to the writer thread.
    let (near, _far) = std::os::unix::net::UnixStream::pair().unwrap(); // never read
    let mux = Mux::new(Transport::unix(near).unwrap()).unwrap();
    let big = Text("x".repeat(8 << 20));
    assert!(mux.call("math", big, SHORT).unwrap_err().is_timeout());
    // Later requests queue behind the part-written one, and their timeouts still hold.
    for n in 0..3 {
        assert!(mux.call("math", Square(n), SHORT).unwrap_err().is_timeout());
    }
    closing_releases_waiting_callers(&mux);
}

#[test]
fn frames_written_part_by_the_sender_and_part_by_the_writer_arrive_whole_and_in_order() {
    // 64 tells of 300 KiB (more than a socket's buffer), told before the peer reads any:
    // the first write goes straight onto the socket and stops part way when its buffer
    // fills, the writer thread finishes it, and the rest queue behind. The peer must read
    // every frame whole, in the order told.
    let (near, far) = std::os::unix::net::UnixStream::pair().unwrap();
    let mux = Mux::new(Transport::unix(near).unwrap()).unwrap();
    const TELLS: u32 = 64;
    const FILLER: usize = 300 * 1024;
    let filler = "y".repeat(FILLER);
    // No tell waits: the queue has room for them all.
    for n in 0..TELLS {
        mux.tell("ledger", Text(format!("{n} {filler}"))).unwrap();
    }
    let mut frames = FrameReader::new(&far, DEFAULT_MAX_FRAME);
    for n in 0..TELLS {
        let packet = frames.read_frame().unwrap().expect("a tell");
        let (head, body) = codec::decode_packet(&packet).unwrap();
        assert!(matches!(head, Head::Tell { .. }), "{head:?}");
        let Text(text) = codec::decode::<Text>(body).unwrap();
        let (number, rest) = text.split_once(' ').unwrap();
        assert_eq!(number.parse::<u32>().unwrap(), n);
        assert_eq!(rest.len(), FILLER);
    }
}

#[test]
fn a_peer_that_stops_reading_its_replies_stalls_only_its_own_connection() {
    let demux = demux(Workers::Pool(2));
    let (mut raw, end) = std::os::unix::net::UnixStream::pair().unwrap();
    let _served = demux.serve(Transport::unix(end).unwrap()).unwrap();
    // 100 requests for 16 KiB each: far more than a socket buffer holds, never read.
    for xid in 1..=100 {
        let call = Head::Call {
            xid,
            timeout_ms: 30_000,
            route: Route {
                actor: "math",
                message: codec::wire_name::<Fill>(),
            },
        };
        raw.write_all(&frame(&call, &codec::to_vec(&Fill(16 * 1024)).unwrap()))
            .unwrap();
    }
    // The workers are not stuck writing to it: another connection is served as usual.
    let (mux, _served) = tcp_served(&demux, Config::default());
    for n in 0..20 {
        assert_eq!(mux.call("math", Square(n), WAIT).unwrap(), n * n);
    }
}
