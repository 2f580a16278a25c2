//! A NATS node under a slow actor, a silent partition and a close with calls in flight, in
//! one process (findings 8 and 9 of the network-edge issue; `nats_attacks.rs` has the
//! floods, in a child process). Every test starts its own `nats-server` on a loopback
//! port.

#[path = "nats/server.rs"]
mod server;

use actor_core::nats::NodeConfig;
use actor_core::prelude::*;
use actor_core::wire::{Fault, Limits, WireError, Workers};
use crossbeam_channel::{Receiver, Sender as Channel};
use serde::{Deserialize, Serialize};
use server::NatsServer;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Poke(u64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u64>)]
struct Pokes;

/// A tell with a body of its own size.
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Bulk(u64, Vec<u8>);

/// Held until the test opens the gate.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = u64)]
struct Held(u64);

/// Takes pokes in order; the first one is held in its handler until the test lets go.
struct Stuck {
    held: Receiver<()>,
    arrived: Channel<u64>,
    seen: Vec<u64>,
}

#[actor(remote)]
impl Stuck {
    #[handles(Poke)]
    fn poke(&mut self, Poke(n): Poke) {
        if self.seen.is_empty() {
            self.arrived.send(n).ok();
            let _ = self.held.recv(); // until the test drops its end
        }
        self.seen.push(n);
    }

    #[handles(Pokes)]
    fn pokes(&self, _: Pokes) -> Vec<u64> {
        self.seen.clone()
    }
}

fn config(url: String) -> NodeConfig {
    NodeConfig::new([url]).max_reconnect_delay(Duration::from_millis(100))
}

/// Calls `f` until it says it is done, for at most [`WAIT`].
fn poll_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "never {what} within {WAIT:?}");
        thread::sleep(Duration::from_millis(10)); // polling a state: no event to wait on
    }
}

/// Finding 8: tells were posted inline by the node's one dispatcher, so an actor whose
/// bounded mailbox was full blocked it, and with it the calls to every other name.
#[test]
fn a_full_mailbox_of_one_served_actor_does_not_stall_the_other_names() {
    const TELLS: u64 = 200;
    let server = NatsServer::start();
    let serving = config(server.url())
        .workers(Workers::Pool(2))
        .connect()
        .unwrap();
    let calling = config(server.url()).connect().unwrap();
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    let stuck = actor_core::Spawn::new(Stuck {
        held,
        arrived: arrive,
        seen: Vec::new(),
    })
    .bounded(1)
    .spawn();
    serving.serve("stuck", &stuck).unwrap();
    serving.function("math", |Square(n): Square| n * n).unwrap();

    for n in 0..TELLS {
        calling.tell("stuck", Poke(n)).unwrap();
    }
    assert_eq!(arrived.recv_timeout(WAIT), Ok(0), "the first poke is held");
    // The actor is stuck with a full mailbox and tells waiting behind it; other names
    // are served all the same.
    for n in 0..20 {
        assert_eq!(calling.call("math", Square(n), WAIT).unwrap(), n * n);
    }
    assert!(arrived.try_recv().is_err(), "still stuck on the first poke");
    drop(open);
    // Every tell reaches the actor, in the order told.
    let mut seen = Vec::new();
    poll_until("handled every poke", || {
        seen = calling.call("stuck", Pokes, WAIT).unwrap();
        seen.len() as u64 >= TELLS
    });
    assert_eq!(seen, (0..TELLS).collect::<Vec<_>>());
    assert_eq!(serving.anomaly_count(), 0, "{:?}", serving.anomalies());
}

/// Past `max_queued` tells waiting for one full mailbox, a tell is dropped and recorded;
/// the ones kept still arrive in order.
#[test]
fn tells_past_the_wait_limit_of_a_full_mailbox_are_dropped_and_recorded() {
    const TELLS: u64 = 100;
    const QUEUE: usize = 10;
    let server = NatsServer::start();
    let serving = config(server.url())
        .limits(Limits::default().max_queued(QUEUE))
        .connect()
        .unwrap();
    let calling = config(server.url()).connect().unwrap();
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    let stuck = actor_core::Spawn::new(Stuck {
        held,
        arrived: arrive,
        seen: Vec::new(),
    })
    .bounded(1)
    .spawn();
    serving.serve("stuck", &stuck).unwrap();
    calling.tell("stuck", Poke(0)).unwrap();
    assert_eq!(arrived.recv_timeout(WAIT), Ok(0));
    for n in 1..TELLS {
        calling.tell("stuck", Poke(n)).unwrap();
    }
    calling.flush(WAIT).unwrap();
    // One handled, one in the mailbox, QUEUE waiting and, once its job has taken it,
    // one being posted: the rest are dropped, each recorded.
    let least = TELLS - 3 - QUEUE as u64;
    poll_until("recorded the dropped tells", || {
        serving.load().refused_requests >= least
    });
    let dropped = serving.load().refused_requests;
    assert!(dropped <= least + 1, "{dropped} dropped");
    assert!(
        serving.anomaly_count() >= dropped,
        "{:?}",
        serving.anomalies()
    );
    drop(open);
    let mut seen = Vec::new();
    poll_until("handled the tells kept", || {
        seen = calling.call("stuck", Pokes, WAIT).unwrap();
        seen.len() as u64 >= TELLS - dropped
    });
    assert_eq!(seen.len() as u64, TELLS - dropped);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    assert_eq!(seen[..2], [0, 1]);
}

/// A mailbox that stays full for `max_call_timeout` drops the tell given that long and
/// every tell waiting behind it, each recorded, instead of holding a worker for each in
/// turn.
#[test]
fn tells_to_a_mailbox_full_for_the_whole_timeout_are_dropped_and_recorded() {
    const TELLS: u64 = 20;
    let server = NatsServer::start();
    let serving = config(server.url())
        .limits(Limits::default().max_call_timeout(Duration::from_millis(200)))
        .connect()
        .unwrap();
    let calling = config(server.url()).connect().unwrap();
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    let stuck = actor_core::Spawn::new(Stuck {
        held,
        arrived: arrive,
        seen: Vec::new(),
    })
    .bounded(1)
    .spawn();
    serving.serve("stuck", &stuck).unwrap();
    calling.tell("stuck", Poke(0)).unwrap();
    assert_eq!(arrived.recv_timeout(WAIT), Ok(0));
    for n in 1..TELLS {
        calling.tell("stuck", Poke(n)).unwrap();
    }
    // One handled, one in the mailbox: every other one is dropped, and recorded either
    // alone (the one given the timeout) or with the count of those behind it.
    let dropped = |anomalies: &[WireError]| -> u64 {
        anomalies
            .iter()
            .map(|e| match e {
                WireError::Remote(Fault::Failed { reason, .. }) if reason.contains("dropped") => 1,
                WireError::Limit { reason, .. } => reason
                    .split_once(" more tells")
                    .map_or(0, |(n, _)| n.parse().unwrap()),
                _ => 0,
            })
            .sum()
    };
    poll_until("dropped the tells", || {
        dropped(&serving.anomalies()) >= TELLS - 2
    });
    let anomalies = serving.anomalies();
    assert_eq!(dropped(&anomalies), TELLS - 2, "{anomalies:?}");
    // Those behind the one that timed out went with it, not one timeout each.
    assert!(
        anomalies
            .iter()
            .any(|e| matches!(e, WireError::Limit { reason, .. } if reason.contains("more tells"))),
        "{anomalies:?}"
    );
    drop(open);
    assert_eq!(calling.call("stuck", Pokes, WAIT).unwrap(), [0, 1]);
}

/// A TCP proxy on loopback that the test can cut without closing any socket: a silent
/// partition. Each direction of each connection is a thread; while the proxy is cut, it
/// holds what it has read and reads no more, so the sender's socket buffers fill.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
}

impl Proxy {
    fn to(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let cutting = cut.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                    (upstream, client),
                ] {
                    let cut = cutting.clone();
                    thread::spawn(move || pump(from, to, &cut));
                }
            }
        });
        Proxy { port, cut }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::Release);
    }

    fn heal(&self) {
        self.cut.store(false, Ordering::Release);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, cut: &AtomicBool) {
    let mut buf = [0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while cut.load(Ordering::Acquire) {
            // The partition itself: nothing passes until it heals.
            thread::sleep(Duration::from_millis(5));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}

/// Finding 9: a partition without a TCP reset went unnoticed for the client's default
/// ping interval (minutes), while tells returned `Ok` into a buffer. With a short ping
/// interval the node notices, and tells and calls fail at once with their message back.
#[test]
fn a_silent_partition_is_noticed_and_sends_fail_with_their_message_back() {
    partition(config_pings(Duration::from_millis(100), None));
}

/// The other half of finding 9: `NodeConfig` sets the outstanding pings too (async-nats
/// fixes its own count at two; the node spaces the client's pings to match), so the
/// bound is the caller's: here one unanswered ping, noticed within 600 ms.
#[test]
fn a_partition_is_noticed_with_the_outstanding_pings_the_config_sets() {
    let pings = config_pings(Duration::from_millis(300), Some(1));
    assert_eq!(
        pings(String::new()).partition_noticed_within(),
        Duration::from_millis(600)
    );
    partition(pings);
    partition(config_pings(Duration::from_millis(30), Some(9)));
}

fn config_pings(interval: Duration, max: Option<usize>) -> impl Fn(String) -> NodeConfig {
    move |url| {
        let config = config(url)
            .ping_interval(interval)
            .connect_timeout(Duration::from_millis(500));
        match max {
            Some(max) => config.max_outstanding_pings(max),
            None => config,
        }
    }
}

/// Cuts a node's connection silently, and checks that it notices, gives back what is
/// sent meanwhile, and reconnects once the partition heals.
fn partition(config_for: impl Fn(String) -> NodeConfig) {
    let server = NatsServer::start();
    let serving = config(server.url()).connect().unwrap();
    serving.function("math", |Square(n): Square| n * n).unwrap();
    let proxy = Proxy::to(server.port());
    let node = config_for(proxy.url()).connect().unwrap();
    assert_eq!(node.call("math", Square(3), WAIT).unwrap(), 9);

    proxy.cut();
    let cut = Instant::now();
    poll_until("noticed the partition", || !node.is_connected());
    eprintln!(
        "noticed after {:?} (bound {:?})",
        cut.elapsed(),
        config_for(String::new()).partition_noticed_within()
    );
    let err = node.tell("math", Square(4)).unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(
        err.into_message(),
        Some(Square(4)),
        "the tell is given back"
    );
    let err = node.call("math", Square(5), WAIT).unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(
        err.into_message(),
        Some(Square(5)),
        "the call is given back"
    );

    proxy.heal();
    poll_until("reconnected", || node.is_connected());
    node.flush(WAIT).unwrap();
    assert_eq!(node.call("math", Square(6), WAIT).unwrap(), 36);
}

/// A full outgoing queue refuses a tell at once, giving it back, instead of buffering
/// without bound.
#[test]
fn a_tell_past_the_outgoing_queue_is_refused_with_its_message_back() {
    const MAX: usize = 8;
    let server = NatsServer::start();
    let proxy = Proxy::to(server.port());
    // Pings far apart: the partition is not noticed during the test, so the queue is
    // what refuses.
    let node = config(proxy.url())
        .max_outgoing(MAX)
        .ping_interval(Duration::from_secs(600))
        .connect()
        .unwrap();
    proxy.cut();
    // Nothing drains the connection now: the socket buffers, the client's own queue and
    // then the node's fill (64 KiB a tell: at most 16,384 tells, 1 GiB, before failing).
    let mut refused = None;
    for n in 0..16_384u64 {
        if let Err(err) = node.tell("sink", Bulk(n, vec![0; 64 * 1024])) {
            refused = Some((n, err));
            break;
        }
    }
    let (n, err) = refused.expect("a tell refused");
    assert!(
        matches!(err.error(), WireError::Limit { reason, .. } if reason.contains("outgoing queue")),
        "{err}"
    );
    assert_eq!(
        err.into_message().map(|Bulk(n, _)| n),
        Some(n),
        "given back"
    );
    proxy.heal();
    node.flush(WAIT).unwrap();
    node.close();
}

/// A call in flight when the node closes still gets its reply with `close_within`.
#[test]
fn close_within_lets_the_calls_in_flight_send_their_replies() {
    let server = NatsServer::start();
    let serving = config(server.url()).connect().unwrap();
    let calling = config(server.url()).connect().unwrap();
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    serving
        .function("gate", move |Held(n): Held| {
            arrive.send(()).ok();
            let _ = held.recv();
            n
        })
        .unwrap();
    serving.function("math", |Square(n): Square| n * n).unwrap();
    let call = {
        let calling = calling.clone();
        thread::spawn(move || calling.call("gate", Held(7), WAIT))
    };
    arrived.recv_timeout(WAIT).unwrap();
    let closing = {
        let serving = serving.clone();
        thread::spawn(move || serving.close_within(WAIT))
    };
    // Serving has stopped once no one answers for `math` any more. Each probe has a short
    // timeout of its own: one that reaches the node in the instant it stops reading is not
    // answered, and must not hold the poll for `WAIT`.
    poll_until("stopped serving", || {
        matches!(
            calling.call("math", Square(2), Duration::from_secs(1)),
            Err(e) if e.is_no_responders()
        )
    });
    drop(open);
    assert_eq!(call.join().unwrap().unwrap(), 7);
    closing.join().unwrap();
    assert!(!serving.is_connected());
}
