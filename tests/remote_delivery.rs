//! What the framework promises across processes (README, "Delivery semantics across
//! processes"), one test per promise, each able to break it: order per sender over one
//! Mux and over NATS, at most once across a reconnect, tells refused with their message
//! back while disconnected, late replies never handed to a later call, a duplicate reply
//! delivered once. The NATS tests start their own `nats-server`; the late and duplicate
//! replies come from a raw protocol client playing a misbehaving server.

#[path = "nats/raw.rs"]
mod raw;
#[path = "nats/server.rs"]
mod server;

use actor_core::nats::{NatsLink, Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head};
use actor_core::wire::frame::VERSION;
use actor_core::wire::{DeMux, Mux, RemoteAddr, RemoteError, Transport, WireError, Workers};
use crossbeam_channel::Sender as Channel;
use raw::{Hello, Raw, RawMsg};
use serde::{Deserialize, Serialize};
use server::NatsServer;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

/// One numbered tell.
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Seq(u64);

/// Answered with every number received, in the order handled.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u64>)]
struct Received;

/// Answered with its own number.
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Echo(u64);

/// Records the numbers told, and reports each on `handled` if given.
#[derive(Default)]
struct Recorder {
    received: Vec<u64>,
    handled: Option<Channel<u64>>,
}

#[actor(remote)]
impl Recorder {
    #[handles(Seq)]
    fn seq(&mut self, Seq(n): Seq) {
        self.received.push(n);
        if let Some(handled) = &self.handled {
            handled.send(n).ok();
        }
    }

    #[handles(Received)]
    fn received(&self, _: Received) -> Vec<u64> {
        self.received.clone()
    }
}

fn config(server: &NatsServer) -> NodeConfig {
    NodeConfig::new([server.url()]).max_reconnect_delay(Duration::from_millis(100))
}

fn node(server: &NatsServer) -> Node {
    config(server).connect().expect("a node")
}

/// Polls `done` (every few ms, for at most [`WAIT`]); panics saying `what` if it never is.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "not within {WAIT:?}: {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts `received` is exactly `0..count`, saying where it first differs (and not
/// printing thousands of numbers).
fn assert_in_order(received: &[u64], count: u64) {
    let first_wrong = (0..count)
        .zip(received)
        .position(|(want, got)| want != *got);
    assert!(
        first_wrong.is_none() && received.len() as u64 == count,
        "{} of {count} handled; first out of place at index {first_wrong:?} ({:?})",
        received.len(),
        first_wrong.map(|i| &received[i..(i + 5).min(received.len())]),
    );
}

/// What the recorder received, asked after a burst of tells: a call that arrives while
/// the receiving client is still past its capacity is dropped like a tell, and times out,
/// so it is asked again (for at most [`WAIT`]).
fn received_after_a_burst(recorder: &RemoteAddr<Recorder, NatsLink>) -> Vec<u64> {
    let deadline = Instant::now() + WAIT;
    loop {
        match recorder.call(Received, Duration::from_secs(2)) {
            Ok(received) => return received,
            Err(e) if e.is_timeout() && Instant::now() < deadline => {}
            Err(e) => panic!("asking what was received: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Order per sender

#[test]
fn tells_from_one_mux_are_handled_in_the_order_told() {
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    demux.expose_actor("recorder", &Recorder::default().spawn());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let _listening = demux.listen(listener).unwrap();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();
    for n in 0..20_000 {
        mux.tell("recorder", Seq(n)).unwrap();
    }
    // The call goes out after every tell, on the same connection, to the same mailbox.
    let received = mux.call("recorder", Received, WAIT).unwrap();
    assert_in_order(&received, 20_000);
}

/// Tells `Seq(n)` for each `n` of `numbers` through `recorder`, each exactly once: a tell
/// refused past the outgoing queue's bound (4,096 by default) comes back whole and is
/// told again.
fn tell_each(recorder: &RemoteAddr<Recorder, NatsLink>, numbers: std::ops::Range<u64>) {
    for n in numbers {
        let mut msg = Seq(n);
        loop {
            match recorder.tell(msg) {
                Ok(()) => break,
                Err(RemoteError::NotSent {
                    error: WireError::Limit { .. },
                    msg: back,
                }) => {
                    assert_eq!(back, Seq(n), "the refused tell came back whole");
                    msg = back;
                    thread::yield_now();
                }
                Err(e) => panic!("tell {n}: {e}"),
            }
        }
    }
}

/// Two nodes of `server`: the first serves a fresh `Recorder` as `recorder`, the second
/// calls it.
fn serving_a_recorder(server: &NatsServer) -> (Node, Node) {
    let (serving, calling) = (node(server), node(server));
    serving
        .serve("recorder", &Recorder::default().spawn())
        .unwrap();
    (serving, calling)
}

#[test]
fn tells_from_one_node_over_nats_are_handled_in_the_order_told() {
    let server = NatsServer::start();
    let (serving, calling) = serving_a_recorder(&server);
    let recorder = calling.remote::<Recorder>("recorder");
    // Twenty windows of 1,000 tells, each closed by a call: it goes out after the tells,
    // and its answer comes once the actor has handled them, so no more than a window is
    // ever in flight (NATS has no flow control of its own: see the next test).
    for window in 0..20 {
        tell_each(&recorder, window * 1_000..(window + 1) * 1_000);
        let received = recorder.call(Received, WAIT).unwrap();
        assert_in_order(&received, (window + 1) * 1_000);
    }
    assert_eq!(serving.anomaly_count(), 0, "{:?}", serving.anomalies());
}

#[test]
fn a_burst_of_tells_past_the_receivers_capacity_loses_some_but_never_reorders_them() {
    let server = NatsServer::start();
    let (serving, calling) = serving_a_recorder(&server);
    let recorder = calling.remote::<Recorder>("recorder");
    // 50,000 tells at once, far past the 8,192 messages one subscription of the
    // receiving node holds: whatever it drops is recorded there, never reordered.
    tell_each(&recorder, 0..50_000);
    calling.flush(WAIT).unwrap();
    let received = received_after_a_burst(&recorder);
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "tells were handled out of the order told, or twice"
    );
    let lost = 50_000 - received.len();
    assert!(
        lost == 0 || serving.anomaly_count() > 0,
        "{lost} tells lost without a trace on the receiving node"
    );
    println!(
        "a burst of 50,000 tells: {} handled in order, {lost} dropped by the receiving \
         client, {} anomalies recorded there",
        received.len(),
        serving.anomaly_count()
    );
}

// ---------------------------------------------------------------------------------------
// At most once, and tells while disconnected

#[test]
fn a_tell_is_handled_at_most_once_and_in_order_even_across_a_reconnect() {
    let mut server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    let (handled, handling) = crossbeam_channel::unbounded();
    let recorder = Recorder {
        received: Vec::new(),
        handled: Some(handled),
    };
    serving.serve("recorder", &recorder.spawn()).unwrap();

    // One sender tells 0, 1, 2, … until stopped: it records which tells were taken (Ok)
    // and which came back (checking that each came back whole).
    let telling = Arc::new(AtomicBool::new(true));
    let next = Arc::new(AtomicU64::new(0));
    let sender = {
        let (calling, telling, next) = (calling.clone(), telling.clone(), next.clone());
        thread::spawn(move || {
            let (mut taken, mut returned) = (BTreeSet::new(), BTreeSet::new());
            while telling.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                match calling.tell("recorder", Seq(n)) {
                    Ok(()) => {
                        taken.insert(n);
                    }
                    Err(RemoteError::NotSent { error, msg }) => {
                        assert_eq!(msg, Seq(n), "tell {n} came back whole ({error})");
                        returned.insert(n);
                        // While reconnecting every tell is refused at once: pace them.
                        thread::yield_now();
                    }
                    Err(e) => panic!("tell {n} failed after going out: {e}"),
                }
            }
            (taken, returned)
        })
    };
    // Some tells are handled, then the server goes away and comes back.
    for _ in 0..100 {
        handling
            .recv_timeout(WAIT)
            .expect("tells handled before the restart");
    }
    server.restart();
    serving.flush(WAIT).expect("the serving node reconnected");
    calling.flush(WAIT).expect("the calling node reconnected");
    // A tell sent once both are back and serving is handled.
    let mark = next.load(Ordering::Relaxed);
    let deadline = Instant::now() + WAIT;
    loop {
        let n = handling
            .recv_deadline(deadline)
            .expect("a tell handled after the reconnect");
        if n >= mark {
            break;
        }
    }
    telling.store(false, Ordering::Relaxed);
    let (taken, returned) = sender.join().unwrap();
    calling.flush(WAIT).unwrap();
    serving.flush(WAIT).unwrap();
    let received = received_after_a_burst(&calling.remote::<Recorder>("recorder"));

    let distinct: BTreeSet<u64> = received.iter().copied().collect();
    assert_eq!(distinct.len(), received.len(), "a tell was handled twice");
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "tells were handled out of the order told"
    );
    assert!(
        distinct.is_subset(&taken),
        "a tell that came back was handled too: {:?}",
        distinct.intersection(&returned).collect::<Vec<_>>()
    );
    println!(
        "across a server restart: {} tells taken, {} came back, {} handled once each, \
         {} taken but lost",
        taken.len(),
        returned.len(),
        received.len(),
        taken.len() - received.len()
    );
}

#[test]
fn tells_and_calls_while_disconnected_fail_at_once_with_their_message_back() {
    let mut server = NatsServer::start();
    let (serving, calling) = serving_a_recorder(&server);
    calling.tell("recorder", Seq(1)).unwrap();
    assert_eq!(calling.call("recorder", Received, WAIT).unwrap(), [1]);

    server.kill();
    wait_until("the node notices the lost server", || {
        !calling.is_connected()
    });
    match calling.tell("recorder", Seq(2)) {
        Err(RemoteError::NotSent {
            error: WireError::Disconnected { .. },
            msg,
        }) => assert_eq!(msg, Seq(2)),
        other => panic!("a tell while disconnected gave {other:?}"),
    }
    match calling.call("recorder", Echo(3), WAIT) {
        Err(RemoteError::NotSent {
            error: WireError::Disconnected { .. },
            msg,
        }) => assert_eq!(msg, Echo(3)),
        other => panic!("a call while disconnected gave {other:?}"),
    }

    server.restart();
    serving.flush(WAIT).expect("the serving node reconnected");
    calling.flush(WAIT).expect("the calling node reconnected");
    calling.tell("recorder", Seq(4)).unwrap();
    // The refused tell was never sent: only 1 and 4 were handled.
    assert_eq!(calling.call("recorder", Received, WAIT).unwrap(), [1, 4]);
}

// ---------------------------------------------------------------------------------------
// Late and duplicate replies, from a raw client playing the server

/// A raw client that serves `subject` by hand: connected (no echo), subscribed, and the
/// server has both.
fn serving(server: &NatsServer, subject: &str) -> Raw {
    let hello = Hello {
        quiet: true,
        no_responders: true,
        ..Hello::default()
    };
    let mut raw = Raw::with(server, hello);
    let said = raw.subscribe(subject, None);
    assert!(said.is_empty(), "subscribing to {subject}: {said:?}");
    raw
}

/// Answers `request` (an `Echo` call) with `answer`, as a real server would.
fn answer(raw: &mut Raw, request: &RawMsg, answer: u64) {
    let (head, _) = codec::decode_packet(&request.payload[1..]).expect("a call packet");
    let Head::Call { xid, .. } = head else {
        panic!("expected a call, got {head:?}");
    };
    let reply = request
        .reply
        .as_deref()
        .expect("a call carries its reply subject");
    let mut packet = vec![VERSION];
    codec::encode(&Head::Reply { xid }, &mut packet).unwrap();
    codec::encode(&answer, &mut packet).unwrap();
    let mut out = Vec::new();
    raw::publish(&mut out, reply, None, &packet);
    raw.write(&out);
}

/// Calls `Echo(n)` from `node` in the background.
fn call_echo(
    node: &Node,
    n: u64,
    timeout: Duration,
) -> thread::JoinHandle<Result<u64, RemoteError<Echo>>> {
    let node = node.clone();
    thread::spawn(move || node.call("slow", Echo(n), timeout))
}

#[test]
fn a_late_reply_is_dropped_and_never_handed_to_a_later_call() {
    let server = NatsServer::start();
    let caller = node(&server);
    let mut slow = serving(&server, &caller.subject_of("slow"));

    // The first call gets no answer in time.
    let first = call_echo(&caller, 1, Duration::from_millis(200));
    let first_request = slow.next_msg();
    match first.join().unwrap() {
        Err(RemoteError::Failed(WireError::Timeout { .. })) => {}
        other => panic!("the unanswered call gave {other:?}, not Timeout"),
    }
    // The second call is waiting when the first one's answer finally comes, ahead of
    // its own: the late answer must not be taken for it.
    let second = call_echo(&caller, 2, WAIT);
    let second_request = slow.next_msg();
    answer(&mut slow, &first_request, 1);
    answer(&mut slow, &second_request, 2);
    assert_eq!(second.join().unwrap().unwrap(), 2);
    // The late reply came first on the same connection, so it has been handled: dropped
    // as an expected late reply (no anomaly), with no call left waiting.
    assert_eq!(caller.link().pending(), 0);
    assert_eq!(caller.anomaly_count(), 0, "{:?}", caller.anomalies());
}

#[test]
fn a_reply_that_arrives_twice_is_delivered_once() {
    let server = NatsServer::start();
    let caller = node(&server);
    let mut twice = serving(&server, &caller.subject_of("slow"));

    let first = call_echo(&caller, 5, WAIT);
    let request = twice.next_msg();
    answer(&mut twice, &request, 5);
    answer(&mut twice, &request, 6); // the same reply subject again, another answer
    assert_eq!(first.join().unwrap().unwrap(), 5);
    // The next call gets its own answer, never the duplicate, which came before it.
    let second = call_echo(&caller, 7, WAIT);
    let request = twice.next_msg();
    answer(&mut twice, &request, 7);
    assert_eq!(second.join().unwrap().unwrap(), 7);
    assert_eq!(caller.link().pending(), 0);
    assert_eq!(caller.anomaly_count(), 0, "{:?}", caller.anomalies());
}
