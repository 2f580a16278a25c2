//! Actors across nodes over NATS, in one process: every test starts its own
//! `nats-server` on a free loopback port (and stops it, pass or fail), and its nodes are
//! separate NATS connections, as separate machines would be. `nats_process.rs` does the
//! same across processes.

#[path = "support/hold.rs"]
mod hold;
#[path = "nats/raw.rs"]
mod raw;
#[path = "nats/server.rs"]
mod server;

use actor_core::nats::{NatsError, Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head};
use actor_core::wire::{Fault, FrameError, RemoteError, WireError, Workers};
use crossbeam_channel::{Receiver, Sender as Channel};
use hold::hold;
use raw::{Hello, Raw};
use serde::{Deserialize, Serialize};
use server::{dead_url, NatsServer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Add(i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = i64)]
struct Total;

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<i64>)]
struct Entries;

#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Boom;

/// An actor that remote peers call and tell: `remote` lists its handlers for serving.
#[derive(Default)]
struct Ledger {
    entries: Vec<i64>,
}

#[actor(remote)]
impl Ledger {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.entries.push(n);
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> i64 {
        self.entries.iter().sum()
    }

    #[handles(Entries)]
    fn entries(&self, _: Entries) -> Vec<i64> {
        self.entries.clone()
    }

    #[handles(Boom)]
    fn boom(&mut self, _: Boom) {
        panic!("the ledger caught fire");
    }
}

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

/// Answered with the index of the node that served it.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Which;

/// Answered with its own number; number 1 is held until the test lets it go.
#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Echo(u64);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = usize)]
struct Blob(Vec<u8>);

/// Answered with that many bytes.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<u8>)]
struct Inflate(usize);

#[derive(Message, Clone, Serialize, Deserialize, Debug, PartialEq)]
struct Price(u32);

/// Reports every price it gets, with its own id.
struct Ticker {
    id: usize,
    seen: Channel<(usize, u32)>,
}

#[actor]
impl Ticker {
    #[handles(Price)]
    fn price(&mut self, Price(p): Price) {
        self.seen.send((self.id, p)).ok();
    }
}

fn config(server: &NatsServer) -> NodeConfig {
    NodeConfig::new([server.url()]).max_reconnect_delay(Duration::from_millis(100))
}

fn node(server: &NatsServer) -> Node {
    config(server).connect().expect("a node")
}

/// A gate that holds whoever waits at it until it is opened (dropped), and tells when
/// someone has arrived.
fn gate() -> (Channel<()>, Receiver<()>, Channel<()>, Receiver<()>) {
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    (open, held, arrive, arrived)
}

// ---------------------------------------------------------------------------------------
// Calls and tells

#[test]
fn a_remote_addr_calls_and_tells_across_two_nodes() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.serve("ledger", &Ledger::default().spawn()).unwrap();
    serving.function("math", |Square(n): Square| n * n).unwrap();

    let ledger = calling.remote::<Ledger>("ledger");
    ledger.tell(Add(40)).unwrap();
    ledger.tell(Add(2)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 42);
    assert_eq!(calling.call("math", Square(12), WAIT).unwrap(), 144);
    // A node reaches what it serves itself, through the server like anyone else.
    assert_eq!(serving.call("math", Square(3), WAIT).unwrap(), 9);
    assert!(serving.anomalies().is_empty(), "{:?}", serving.anomalies());
    assert!(calling.anomalies().is_empty(), "{:?}", calling.anomalies());
    assert_eq!(calling.link().pending(), 0);
}

#[test]
fn a_call_to_an_actor_needs_no_free_worker() {
    // The serving node's only worker is held in a function: a call to an actor is still
    // answered, since it is posted where it arrives and answered from the actor's thread.
    let server = NatsServer::start();
    let serving = config(&server).workers(Workers::Pool(1)).connect().unwrap();
    let calling = node(&server);
    let (open, held, arrive, arrived) = gate();
    serving
        .function("gate", move |Echo(n): Echo| {
            arrive.send(()).ok();
            let _ = held.recv();
            n
        })
        .unwrap();
    serving.serve("ledger", &Ledger::default().spawn()).unwrap();
    let gated = {
        let calling = calling.clone();
        thread::spawn(move || calling.call("gate", Echo(1), WAIT))
    };
    arrived.recv_timeout(WAIT).unwrap();
    let ledger = calling.remote::<Ledger>("ledger");
    ledger.tell(Add(5)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 5);
    drop(open);
    assert_eq!(gated.join().unwrap().unwrap(), 1);
}

#[test]
fn a_call_to_an_actor_whose_bounded_mailbox_is_full_waits_for_room_on_a_worker() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    let ledger = Spawn::new(Ledger::default()).bounded(1).spawn();
    serving.serve("ledger", &ledger).unwrap();
    let open = hold(&ledger);
    ledger.try_tell(Add(2)).unwrap(); // the mailbox is full now
    let call = {
        let calling = calling.clone();
        thread::spawn(move || calling.remote::<Ledger>("ledger").call(Total, WAIT))
    };
    // Wait until the call waits for room on a worker (or has failed, refused).
    let deadline = std::time::Instant::now() + WAIT;
    while serving.load().running == 0 && !call.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the call never arrived"
        );
        thread::sleep(Duration::from_millis(5)); // polling a state: no event to wait on
    }
    drop(open);
    assert_eq!(
        call.join().unwrap().unwrap(),
        2,
        "refused, not waited for room"
    );
}

#[test]
fn calls_posted_to_actors_are_bounded_and_past_the_bound_go_to_the_pool_and_its_limit() {
    // At most `max_queued` (2) calls are posted to actors at once; the next go to the pool
    // (one worker, blocked on the held actor, and 2 queued), and past its limit a call is
    // refused at once with `Unavailable`, though the actor's own mailbox is unbounded.
    let server = NatsServer::start();
    let mut limits = actor_core::wire::Limits::default();
    limits.max_queued = 2;
    let serving = config(&server)
        .workers(Workers::Pool(1))
        .limits(limits)
        .connect()
        .unwrap();
    let calling = node(&server);
    let ledger = Ledger::default().spawn();
    serving.serve("ledger", &ledger).unwrap();
    ledger.tell(Add(3)).unwrap();
    let open = hold(&ledger);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let calling = calling.clone();
            thread::spawn(move || calling.remote::<Ledger>("ledger").call(Total, WAIT))
        })
        .collect();
    // Some call is refused while the actor is held (none would be, were posting unbounded).
    let deadline = std::time::Instant::now() + WAIT;
    while !calls.iter().any(|call| call.is_finished()) {
        assert!(std::time::Instant::now() < deadline, "no call was refused");
        thread::sleep(Duration::from_millis(5)); // polling a state: no event to wait on
    }
    drop(open);
    let (mut answered, mut refused) = (0, 0);
    for call in calls {
        match call.join().unwrap() {
            Ok(total) => {
                assert_eq!(total, 3);
                answered += 1;
            }
            Err(e) if matches!(e.fault(), Some(Fault::Unavailable { .. })) => refused += 1,
            Err(e) => panic!("expected 3 or a refusal, got {e:?}"),
        }
    }
    assert!(
        refused >= 1 && answered >= 3,
        "{answered} answered, {refused} refused"
    );
}

#[test]
fn tells_through_one_link_reach_the_actor_in_the_order_told() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.serve("ledger", &Ledger::default().spawn()).unwrap();
    let ledger = calling.remote::<Ledger>("ledger");
    for n in 0..1000 {
        ledger.tell(Add(n)).unwrap();
    }
    assert_eq!(
        ledger.call(Entries, WAIT).unwrap(),
        (0..1000).collect::<Vec<_>>()
    );
}

#[test]
fn concurrent_callers_each_get_their_own_reply() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.function("math", |Square(n): Square| n * n).unwrap();
    let callers: Vec<_> = (0..8_u64)
        .map(|t| {
            let calling = calling.clone();
            thread::spawn(move || {
                for i in 0..50 {
                    let n = t * 1000 + i;
                    assert_eq!(calling.call("math", Square(n), WAIT).unwrap(), n * n);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().unwrap();
    }
}

#[test]
fn a_panicking_handler_comes_back_as_a_fault_and_the_actor_goes_on() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.serve("ledger", &Ledger::default().spawn()).unwrap();
    let ledger = calling.remote::<Ledger>("ledger");
    let err = ledger.call(Boom, WAIT).unwrap_err();
    assert!(
        matches!(err.fault(), Some(Fault::Panicked { actor, panic, .. })
            if actor == "ledger" && panic == "the ledger caught fire"),
        "{err}"
    );
    ledger.tell(Add(7)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 7);
}

#[test]
fn a_message_the_served_actor_does_not_take_over_the_wire_is_a_clear_fault() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    // Served for `Add` and `Total` only, though the actor handles more.
    serving
        .serve_with("ledger", &Ledger::default().spawn(), |exposed| {
            exposed.handle::<Add>().handle::<Total>()
        })
        .unwrap();
    let ledger = calling.remote::<Ledger>("ledger");
    ledger.tell(Add(5)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 5);
    for err in [
        ledger
            .call(Entries, WAIT)
            .map(drop)
            .unwrap_err()
            .into_error(),
        calling
            .call("ledger", Square(2), WAIT)
            .map(drop)
            .unwrap_err()
            .into_error(),
    ] {
        match err.fault() {
            Some(Fault::NotHandled { actor, message }) => {
                assert_eq!(actor, "ledger");
                assert!(["nats::Entries", "nats::Square"].contains(&message.as_str()));
            }
            other => panic!("expected NotHandled, got {other:?}: {err}"),
        }
    }
}

#[test]
fn names_with_dots_and_spaces_are_served_under_one_escaped_token() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    let name = "math.v2 beta";
    assert_eq!(serving.subject_of(name), "actors.actor.math~2Ev2~20beta");
    serving.function(name, |Square(n): Square| n * n).unwrap();
    assert_eq!(calling.call(name, Square(5), WAIT).unwrap(), 25);
    // The plain prefix of the name is another name, which no one serves.
    assert!(calling
        .call("math", Square(5), WAIT)
        .unwrap_err()
        .is_no_responders());
}

// ---------------------------------------------------------------------------------------
// Worker pools

#[test]
fn a_queue_group_serves_each_request_exactly_once_spread_over_its_members() {
    const MEMBERS: usize = 3;
    const CALLERS: usize = 4;
    const CALLS: usize = 75; // per caller
    let server = NatsServer::start();
    let served: Arc<Vec<AtomicUsize>> =
        Arc::new((0..MEMBERS).map(|_| AtomicUsize::new(0)).collect());
    let members: Vec<Node> = (0..MEMBERS)
        .map(|i| {
            let member = node(&server);
            let served = served.clone();
            member
                .function("pool", move |Which| {
                    served[i].fetch_add(1, Ordering::Relaxed);
                    i
                })
                .unwrap();
            member
        })
        .collect();
    let calling = node(&server);
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let calling = calling.clone();
            thread::spawn(move || {
                let mut answered_by = vec![0; MEMBERS];
                for _ in 0..CALLS {
                    answered_by[calling.call("pool", Which, WAIT).unwrap()] += 1;
                }
                answered_by
            })
        })
        .collect();
    let mut answered_by = vec![0; MEMBERS];
    for caller in callers {
        for (total, n) in answered_by.iter_mut().zip(caller.join().unwrap()) {
            *total += n;
        }
    }
    let served: Vec<usize> = served.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    // Every call was answered by the one member that ran it, and none ran twice.
    assert_eq!(served, answered_by);
    assert_eq!(served.iter().sum::<usize>(), CALLERS * CALLS);
    assert!(
        served.iter().all(|&n| n > 0),
        "every member takes a share: {served:?}"
    );

    // A member that withdraws gets nothing more; the others take it all.
    assert!(members[0].withdraw("pool"));
    for _ in 0..30 {
        assert_ne!(calling.call("pool", Which, WAIT).unwrap(), 0);
    }
}

// ---------------------------------------------------------------------------------------
// Publish/subscribe

#[test]
fn a_publish_reaches_the_subscribers_on_every_node_once() {
    let server = NatsServer::start();
    let (a, b, c) = (node(&server), node(&server), node(&server));
    let (seen, prices) = crossbeam_channel::unbounded();
    let ticker = |id| {
        Ticker {
            id,
            seen: seen.clone(),
        }
        .spawn()
        .recipient::<Price>()
    };
    // Ticker 0 on node a, tickers 1 and 2 on node b, ticker 3 on b under the key "eu";
    // node c has none.
    a.pubsub().subscribe(&ticker(0)).unwrap();
    b.pubsub().subscribe(&ticker(1)).unwrap();
    b.pubsub().subscribe(&ticker(2)).unwrap();
    b.pubsub().subscribe_to("eu", &ticker(3)).unwrap();

    c.pubsub().publish(Price(1)).unwrap();
    c.pubsub().publish_to("eu", Price(2)).unwrap();
    c.pubsub().publish_to("us", Price(3)).unwrap(); // no subscriber: not an error
    a.pubsub().publish(Price(4)).unwrap(); // its own node's subscribers get it too
                                           // Markers, published last by each publisher: once every subscriber has them, it has
                                           // everything published before them.
    c.pubsub().publish(Price(100)).unwrap();
    c.pubsub().publish_to("eu", Price(100)).unwrap();
    a.pubsub().publish(Price(101)).unwrap();

    let mut got = Vec::new();
    let mut markers = 0;
    while markers < 7 {
        let (id, price) = prices.recv_timeout(WAIT).expect("every marker arrives");
        if price >= 100 {
            markers += 1;
        } else {
            got.push((id, price));
        }
    }
    got.sort_unstable();
    assert_eq!(
        got,
        [(0, 1), (0, 4), (1, 1), (1, 4), (2, 1), (2, 4), (3, 2)]
    );
    assert_eq!(
        c.pubsub().subject_of::<Price>(Some("eu")),
        "actors.topic.nats::Price.eu"
    );
}

#[test]
fn an_unsubscribed_actor_gets_nothing_more() {
    let server = NatsServer::start();
    let (a, b) = (node(&server), node(&server));
    let (seen, prices) = crossbeam_channel::unbounded();
    let leaving = Ticker {
        id: 0,
        seen: seen.clone(),
    }
    .spawn()
    .recipient::<Price>();
    let staying = Ticker { id: 1, seen }.spawn().recipient::<Price>();
    a.pubsub().subscribe(&leaving).unwrap();
    a.pubsub().subscribe(&staying).unwrap();
    b.pubsub().publish(Price(1)).unwrap();
    assert!(a.pubsub().unsubscribe(&leaving));
    assert!(!a.pubsub().unsubscribe(&leaving));
    // Unsubscribed before the second price was even published: it cannot get it.
    b.pubsub().publish(Price(2)).unwrap();
    let mut got = Vec::new();
    while !got.contains(&(1, 2)) {
        got.push(
            prices
                .recv_timeout(WAIT)
                .expect("the staying ticker gets both"),
        );
    }
    assert!(!got.contains(&(0, 2)), "{got:?}");
}

// ---------------------------------------------------------------------------------------
// Failure, explicit and fast

#[test]
fn calling_a_name_no_one_serves_fails_at_once_with_no_responders_and_gives_the_message_back() {
    let server = NatsServer::start();
    let calling = node(&server);
    match calling.call("nobody", Square(3), WAIT) {
        Err(RemoteError::NotSent {
            error: WireError::NoResponders { actor, subject },
            msg,
        }) => {
            assert_eq!(actor, "nobody");
            assert_eq!(subject, "actors.actor.nobody");
            assert_eq!(msg, Square(3));
        }
        other => panic!("expected NoResponders, got {other:?}"),
    }
    let err = calling
        .remote::<Ledger>("nobody")
        .call(Total, WAIT)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no one serves `nobody`: the server has no subscriber on `actors.actor.nobody`"
    );
}

#[test]
fn a_withdrawn_name_gets_no_responders() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.function("math", |Square(n): Square| n * n).unwrap();
    assert_eq!(calling.call("math", Square(4), WAIT).unwrap(), 16);
    assert!(serving.withdraw("math"));
    assert!(!serving.withdraw("math"));
    assert!(serving.served().is_empty());
    assert!(calling
        .call("math", Square(4), WAIT)
        .unwrap_err()
        .is_no_responders());
}

#[test]
fn a_killed_server_fails_calls_fast_and_serving_resumes_when_it_is_back() {
    let mut server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.serve("ledger", &Ledger::default().spawn()).unwrap();
    let (open, held, arrive, arrived) = gate();
    serving
        .function("slow", move |Echo(n): Echo| {
            arrive.send(()).ok();
            let _ = held.recv(); // until the gate is opened
            n
        })
        .unwrap();
    let in_flight = {
        let calling = calling.clone();
        thread::spawn(move || calling.call("slow", Echo(1), WAIT))
    };
    arrived
        .recv_timeout(WAIT)
        .expect("the call reaches the server");

    server.kill();
    // The waiting caller is released by the lost connection, not by its timeout.
    match in_flight.join().unwrap() {
        Err(RemoteError::Failed(WireError::Disconnected { peer, reason })) => {
            assert_eq!(peer, format!("NATS server {}", server.url()));
            assert_eq!(
                reason,
                "the connection was lost; the client is reconnecting"
            );
        }
        other => panic!("expected a disconnect, got {other:?}"),
    }
    // New calls, tells and publishes fail at once, giving the message back.
    let ledger = calling.remote::<Ledger>("ledger");
    let err = ledger.tell(Add(1)).unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(err.into_message(), Some(Add(1)));
    let err = calling.call("slow", Echo(2), WAIT).unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    assert_eq!(err.into_message(), Some(Echo(2)));
    let err = calling.pubsub().publish(Price(1)).unwrap_err();
    assert_eq!(err.into_message(), Some(Price(1)));
    assert!(!calling.is_connected());
    drop(open); // the held call ends; its reply finds no one waiting

    server.restart();
    serving.flush(WAIT).expect("the serving node reconnects");
    calling.flush(WAIT).expect("the calling node reconnects");
    assert!(calling.is_connected());
    ledger.tell(Add(40)).unwrap();
    ledger.tell(Add(2)).unwrap();
    assert_eq!(ledger.call(Total, WAIT).unwrap(), 42);
    assert_eq!(calling.call("slow", Echo(3), WAIT).unwrap(), 3);
}

#[test]
fn a_request_over_max_payload_is_refused_before_sending_and_given_back() {
    let server = NatsServer::with(&[], "max_payload: 4096");
    let (serving, calling) = (node(&server), node(&server));
    assert_eq!(calling.max_payload(), 4096);
    serving
        .function("blobs", |Blob(bytes): Blob| bytes.len())
        .unwrap();
    assert_eq!(
        calling.call("blobs", Blob(vec![1; 100]), WAIT).unwrap(),
        100
    );

    let big = vec![7; 8192];
    match calling.call("blobs", Blob(big.clone()), WAIT) {
        Err(RemoteError::NotSent {
            error: WireError::PayloadTooLarge { len, max },
            msg,
        }) => {
            assert!(len > 8192, "{len}");
            assert_eq!(max, 4096);
            assert_eq!(msg, Blob(big.clone()));
        }
        other => panic!("expected PayloadTooLarge, got {other:?}"),
    }
    let err = calling.tell("blobs", Blob(big.clone())).unwrap_err();
    assert!(
        matches!(err.error(), WireError::PayloadTooLarge { .. }),
        "{err}"
    );
    assert_eq!(err.into_message(), Some(Blob(big.clone())));
    #[derive(Message, Clone, Serialize, Deserialize, Debug, PartialEq)]
    struct Bulletin(Vec<u8>);
    let err = calling.pubsub().publish(Bulletin(big.clone())).unwrap_err();
    assert!(
        matches!(err.error(), WireError::PayloadTooLarge { .. }),
        "{err}"
    );
    assert_eq!(err.into_message(), Some(Bulletin(big)));
    // Nothing was sent: the connection and the server are as they were.
    assert_eq!(calling.call("blobs", Blob(vec![1; 10]), WAIT).unwrap(), 10);
}

#[test]
fn a_reply_over_max_payload_comes_back_as_a_fault() {
    let server = NatsServer::with(&[], "max_payload: 4096");
    let (serving, calling) = (node(&server), node(&server));
    serving
        .function("inflate", |Inflate(n): Inflate| vec![0_u8; n])
        .unwrap();
    assert_eq!(
        calling.call("inflate", Inflate(10), WAIT).unwrap().len(),
        10
    );
    let err = calling.call("inflate", Inflate(8192), WAIT).unwrap_err();
    match err.fault() {
        Some(Fault::Failed { actor, reason, .. }) => {
            assert_eq!(actor, "inflate");
            assert!(
                reason.contains("over the NATS server's max_payload of 4096 bytes"),
                "{reason}"
            );
        }
        other => panic!("expected a fault, got {other:?}: {err}"),
    }
}

#[test]
fn a_late_reply_never_reaches_a_later_call() {
    let server = NatsServer::start();
    let serving = config(&server)
        .workers(Workers::Pool(1)) // the late reply goes out before the next call runs
        .connect()
        .unwrap();
    let calling = node(&server);
    let (open, held, arrive, arrived) = gate();
    serving
        .function("echo", move |Echo(n): Echo| {
            if n == 1 {
                arrive.send(()).ok();
                let _ = held.recv();
            }
            n
        })
        .unwrap();
    let err = calling
        .call("echo", Echo(1), Duration::from_millis(200))
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.into_message().is_none(), "the request went out");
    arrived
        .recv_timeout(WAIT)
        .expect("the first call is being served");
    drop(open); // it answers now, late
    assert_eq!(calling.call("echo", Echo(2), WAIT).unwrap(), 2);
    assert_eq!(calling.call("echo", Echo(3), WAIT).unwrap(), 3);
    // A late reply is expected and dropped quietly, not reported as bad input.
    assert!(calling.anomalies().is_empty(), "{:?}", calling.anomalies());
}

#[test]
fn closing_a_node_releases_its_callers_and_stops_its_serving() {
    let server = NatsServer::start();
    let (serving, calling, other) = (node(&server), node(&server), node(&server));
    let (_open, held, arrive, arrived) = gate();
    serving
        .function("slow", move |Echo(n): Echo| {
            arrive.send(()).ok();
            let _ = held.recv();
            n
        })
        .unwrap();
    serving.function("math", |Square(n): Square| n * n).unwrap();
    let in_flight = {
        let calling = calling.clone();
        thread::spawn(move || calling.call("slow", Echo(1), WAIT))
    };
    arrived
        .recv_timeout(WAIT)
        .expect("the call reaches the server");
    calling.close();
    let err = in_flight.join().unwrap().unwrap_err();
    assert!(
        matches!(err.error(), WireError::Disconnected { reason, .. } if reason == "the node was closed"),
        "{err}"
    );
    let err = calling.call("math", Square(2), WAIT).unwrap_err();
    assert_eq!(err.into_message(), Some(Square(2)));
    calling.close(); // idempotent

    assert_eq!(other.call("math", Square(2), WAIT).unwrap(), 4);
    serving.close();
    assert!(other
        .call("math", Square(2), WAIT)
        .unwrap_err()
        .is_no_responders());
}

#[test]
fn bad_input_on_an_actor_subject_is_answered_with_a_fault_and_reported() {
    let server = NatsServer::start();
    let serving = node(&server);
    serving.function("math", |Square(n): Square| n * n).unwrap();

    let mut raw = Raw::with(
        &server,
        Hello {
            no_responders: true,
            ..Hello::default()
        },
    );
    assert!(raw.subscribe("raw.reply", None).is_empty());
    raw.send("PUB actors.actor.math raw.reply 5\r\nhello\r\n");
    let reply = raw.next_msg();
    let (head, _) = codec::decode_packet(&reply.payload[1..]).unwrap();
    assert!(
        matches!(&head, Head::Fault { fault: Fault::BadRequest { actor, .. }, .. } if actor == "math"),
        "{head:?}"
    );
    assert_eq!(serving.anomaly_count(), 1, "{:?}", serving.anomalies());
    // The node goes on serving.
    assert_eq!(node(&server).call("math", Square(9), WAIT).unwrap(), 81);
}

#[test]
fn a_garbage_reply_fails_only_its_own_call_and_a_second_reply_is_dropped() {
    let server = NatsServer::start();
    let (serving, calling) = (node(&server), node(&server));
    serving.function("math", |Square(n): Square| n * n).unwrap();
    // A foreign server for the name `broken`.
    let mut raw = Raw::with(
        &server,
        Hello {
            no_responders: true,
            ..Hello::default()
        },
    );
    assert!(raw.subscribe("actors.actor.broken", None).is_empty());

    let call = {
        let calling = calling.clone();
        thread::spawn(move || calling.call("broken", Square(2), WAIT))
    };
    let request = raw.next_msg();
    let reply = request.reply.expect("a call has a reply subject");
    raw.send(&format!("PUB {reply} 3\r\nxyz\r\n"));
    let err = call.join().unwrap().unwrap_err();
    assert!(
        matches!(
            err.error(),
            WireError::Frame(FrameError::Version { found: b'x', .. })
        ),
        "{err}"
    );
    // A second reply to the same call, and one for a call never made: both dropped,
    // the second reported.
    let (inbox, _) = reply.rsplit_once('.').unwrap();
    raw.send(&format!(
        "PUB {reply} 3\r\nxyz\r\nPUB {inbox}.999999 3\r\nxyz\r\nPUB {inbox}.ping 3\r\nxyz\r\n"
    ));
    // Once the raw client's own message is back, the server has passed on the stray
    // replies; once the node's round trip is back, it has taken them in.
    assert!(raw.subscribe("raw.sync", None).is_empty());
    raw.send("PUB raw.sync 0\r\n\r\n");
    let _ = raw.next_msg();
    calling.flush(WAIT).unwrap();
    assert_eq!(calling.call("math", Square(3), WAIT).unwrap(), 9);
    let anomalies = calling.anomalies();
    assert!(
        matches!(
            anomalies.as_slice(),
            [
                WireError::UnknownTransaction { xid: 999999 },
                WireError::Unexpected { .. }
            ]
        ),
        "{anomalies:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Connecting

/// Naming, not isolation: clients of the same account can still reach either prefix
/// (see `nats_trust.rs` for what accounts and permissions isolate).
#[test]
fn the_prefix_names_each_applications_subjects_on_one_server() {
    let server = NatsServer::start();
    let shop = config(&server).prefix("shop").connect().unwrap();
    let bank = config(&server).prefix("bank.prod").connect().unwrap();
    shop.function("math", |Square(n): Square| n * n).unwrap();
    assert_eq!(shop.subject_of("math"), "shop.actor.math");
    assert_eq!(bank.subject_of("math"), "bank.prod.actor.math");
    assert!(bank
        .call("math", Square(2), WAIT)
        .unwrap_err()
        .is_no_responders());
    let shopper = config(&server).prefix("shop").connect().unwrap();
    assert_eq!(shopper.call("math", Square(2), WAIT).unwrap(), 4);
}

#[test]
fn a_node_connects_through_any_live_server_of_its_list_with_a_token() {
    let server = NatsServer::with(&["--auth", "s3cret"], "");
    let node = NodeConfig::new([dead_url(), server.url()])
        .token("s3cret")
        .connect()
        .unwrap();
    node.function("math", |Square(n): Square| n * n).unwrap();
    assert_eq!(node.call("math", Square(6), WAIT).unwrap(), 36);

    let err = NodeConfig::new([server.url()])
        .token("wrong")
        .connect()
        .unwrap_err();
    assert!(
        matches!(&err, NatsError::Connect { servers, .. } if *servers == server.url()),
        "{err}"
    );
}

#[test]
fn a_node_authenticates_with_a_user_and_password() {
    let server = NatsServer::with(&["--user", "shop", "--pass", "s3cret"], "");
    let node = NodeConfig::new([server.url()])
        .user_password("shop", "s3cret")
        .connect()
        .unwrap();
    node.function("math", |Square(n): Square| n * n).unwrap();
    assert_eq!(node.call("math", Square(7), WAIT).unwrap(), 49);
    let err = Node::connect(&server.url()).unwrap_err();
    assert!(matches!(err, NatsError::Connect { .. }), "{err}");
}

#[test]
fn serving_on_a_closed_node_is_refused() {
    let server = NatsServer::start();
    let node = node(&server);
    node.close();
    let err = node
        .function("math", |Square(n): Square| n * n)
        .unwrap_err();
    assert_eq!(
        err,
        NatsError::Closed {
            reason: "the node was closed".to_owned()
        }
    );
    assert!(!node.is_connected());
}

#[test]
fn connecting_to_no_server_fails_at_once_with_a_clear_error() {
    let url = dead_url();
    match Node::connect(&url) {
        Err(err @ NatsError::Connect { .. }) => {
            assert!(
                err.to_string()
                    .starts_with(&format!("could not connect to NATS at {url}: ")),
                "{err}"
            );
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[test]
fn bad_settings_are_refused_before_connecting() {
    let url = dead_url();
    let err = NodeConfig::new([&url]).prefix("a.*").connect().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`a.*` is not a valid subject prefix: the wildcards `*` and `>` cannot appear in it"
    );
    let err = NodeConfig::new(Vec::<String>::new()).connect().unwrap_err();
    assert!(
        matches!(
            err,
            NatsError::Invalid {
                what: "server list",
                ..
            }
        ),
        "{err}"
    );
    let err = NodeConfig::new(["nats://bad host:4222"])
        .connect()
        .unwrap_err();
    assert!(
        matches!(
            err,
            NatsError::Invalid {
                what: "NATS server URL",
                ..
            }
        ),
        "{err}"
    );
}
