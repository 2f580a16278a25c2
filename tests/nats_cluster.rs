//! Nodes on a real NATS cluster: three `nats-server`s on loopback joined by routes, each
//! node connected with the full server list. A call crosses the routes, a queue group
//! spans servers, publish/subscribe reaches every node; then the server a node is
//! connected to is killed while calls flow, and the test measures how long calls stay
//! disrupted (printed; README, "Delivery semantics across processes").

#[path = "nats/server.rs"]
mod server;

use actor_core::nats::{Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::{RemoteError, WireError};
use crossbeam_channel::{Receiver, Sender as Channel};
use serde::{Deserialize, Serialize};
use server::NatsCluster;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

/// Answered with the index of the node that served it.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Which;

/// Held by its server until the test lets it go: a call in flight.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Hold;

#[derive(Message, Clone, Serialize, Deserialize, Debug, PartialEq)]
struct Price(u32);

/// Reports every price it gets, with its node's id.
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

fn config(cluster: &NatsCluster) -> NodeConfig {
    NodeConfig::new(cluster.urls()).max_reconnect_delay(Duration::from_millis(100))
}

/// The index (in the cluster) of the server `node` is connected to.
fn server_of(cluster: &NatsCluster, node: &Node) -> usize {
    let server = node.connected_server().expect("a connected node");
    let port = server.rsplit(':').next().unwrap().parse().unwrap();
    cluster
        .index_of(port)
        .unwrap_or_else(|| panic!("{server} is not a server of the cluster"))
}

/// A node connected with the full server list that landed on a server `wanted` accepts.
/// The client picks a server of the list at random, so this connects again until it
/// lands right (a third of tries at least do; 64 tries all failing is a bug).
fn node_on(cluster: &NatsCluster, wanted: impl Fn(usize) -> bool) -> Node {
    for _ in 0..64 {
        let node = config(cluster).connect().expect("a node");
        if wanted(server_of(cluster, &node)) {
            return node;
        }
        node.close();
    }
    panic!("64 connections with the full list never landed on the server wanted");
}

fn ticker(id: usize, seen: &Channel<(usize, u32)>) -> Recipient<Price> {
    Ticker {
        id,
        seen: seen.clone(),
    }
    .spawn()
    .recipient::<Price>()
}

/// Publishes `Price(from)`, `Price(from + 1)`, … from `publisher` until every node in
/// `ids` has received one of them (for at most [`WAIT`]): subscriptions resumed after a
/// reconnect take a moment to reach every server of the cluster, and a publish before
/// that reaches no one there (publish/subscribe is at most once). Returns how many
/// publishes it took.
fn publish_until_all_hear(
    publisher: &Node,
    from: u32,
    seen: &Receiver<(usize, u32)>,
    ids: &[usize],
) -> u32 {
    let deadline = Instant::now() + WAIT;
    let mut heard = BTreeSet::new();
    let mut price = from;
    while heard.len() < ids.len() {
        assert!(
            Instant::now() < deadline,
            "within {WAIT:?} only nodes {heard:?} of {ids:?} heard a publish"
        );
        if publisher.is_connected() {
            publisher.pubsub().publish(Price(price)).unwrap();
            price += 1;
        }
        // Each round waits for deliveries for a moment, then publishes again.
        while let Ok((id, p)) = seen.recv_timeout(Duration::from_millis(50)) {
            if p >= from {
                heard.insert(id);
            }
        }
    }
    price - from
}

#[test]
fn three_routed_servers_carry_calls_queue_groups_and_topics_between_their_nodes() {
    let cluster = NatsCluster::start(3);
    for i in 0..3 {
        assert_eq!(
            cluster.routes_of(i),
            Some(2),
            "server {i} routes to both others"
        );
    }
    // One node on each server.
    let nodes: Vec<Node> = (0..3).map(|i| node_on(&cluster, |s| s == i)).collect();
    let (seen, heard) = crossbeam_channel::unbounded();
    for (id, node) in nodes.iter().enumerate() {
        node.pubsub().subscribe(&ticker(id, &seen)).unwrap();
    }
    // Nodes 1 and 2 serve one name as a queue group; node 0 has no server of its own
    // for it, so each call crosses a route.
    for id in [1, 2] {
        nodes[id].function("which", move |_: Which| id).unwrap();
    }
    let mut served_by = BTreeSet::new();
    let deadline = Instant::now() + WAIT;
    while served_by.len() < 2 {
        assert!(Instant::now() < deadline, "only {served_by:?} answered");
        // Each server confirmed its node's subscription; the routes carry it to
        // server 0 a moment later.
        match nodes[0].call("which", Which, WAIT) {
            Ok(id) => {
                served_by.insert(id);
            }
            Err(e) if e.is_no_responders() => {}
            Err(e) => panic!("a call across the routes: {e}"),
        }
    }
    assert_eq!(served_by, BTreeSet::from([1, 2]));
    // A publish on server 0 reaches the subscribers on all three servers.
    publish_until_all_hear(&nodes[0], 0, &heard, &[0, 1, 2]);
}

#[test]
fn killing_the_server_a_node_is_on_fails_calls_in_flight_and_the_cluster_serves_again() {
    let cluster = NatsCluster::start(3);
    // The caller and serving node A share a server, which will be killed; serving node B
    // sits on another one.
    let caller = config(&cluster).connect().unwrap();
    let doomed = server_of(&cluster, &caller);
    let a = node_on(&cluster, |s| s == doomed);
    let b = node_on(&cluster, |s| s != doomed);
    let b_server = server_of(&cluster, &b);
    let (seen, heard) = crossbeam_channel::unbounded();
    for (id, node) in [&caller, &a, &b].into_iter().enumerate() {
        node.pubsub().subscribe(&ticker(id, &seen)).unwrap();
    }
    for (id, node) in [(1, &a), (2, &b)] {
        node.function("which", move |_: Which| id).unwrap();
    }
    // Served by A alone: proves A's served names resume after it moves to another server.
    a.function("a-only", |_: Which| 1usize).unwrap();
    let (arrive, arrived) = crossbeam_channel::unbounded();
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    a.function("hold", move |_: Hold| {
        arrive.send(()).ok();
        let _ = held.recv(); // until the test drops `open`
    })
    .unwrap();
    assert_eq!(caller.call("a-only", Which, WAIT).unwrap(), 1);
    publish_until_all_hear(&caller, 0, &heard, &[0, 1, 2]);

    // Calls flow from another thread all along, each with a timeout of a second.
    let flowing = Arc::new(AtomicBool::new(true));
    let flow = {
        let (caller, flowing) = (caller.clone(), flowing.clone());
        thread::spawn(move || {
            let mut outcomes = Vec::new();
            while flowing.load(Ordering::Relaxed) {
                let outcome = caller.call("which", Which, Duration::from_secs(1));
                // Whether the request went out (Failed) or not (NotSent), and why.
                let outcome = outcome.map_err(|e| {
                    let sent = matches!(e, RemoteError::Failed(_));
                    (sent, e.into_error())
                });
                outcomes.push((Instant::now(), outcome));
            }
            outcomes
        })
    };
    // And one call is in flight, held by A, when the server goes.
    let in_flight = {
        let caller = caller.clone();
        thread::spawn(move || {
            let outcome = caller.call("hold", Hold, WAIT);
            (Instant::now(), outcome)
        })
    };
    arrived.recv_timeout(WAIT).expect("the held call reached A");

    let mut cluster = cluster;
    let killed = Instant::now();
    cluster.servers[doomed].kill();

    // The call in flight fails at once: its request went out, so no message comes back.
    let (failed_at, outcome) = in_flight.join().unwrap();
    match outcome {
        Err(RemoteError::Failed(WireError::Disconnected { .. })) => {}
        other => panic!("the call in flight ended with {other:?}, not Disconnected"),
    }
    let in_flight_failed = failed_at - killed;
    drop(open);

    // New calls succeed again once the caller has reconnected to another server.
    let deadline = killed + WAIT;
    let recovered = loop {
        match caller.call("which", Which, Duration::from_secs(1)) {
            Ok(_) => break Instant::now(),
            Err(e) => assert!(
                Instant::now() < deadline,
                "no call succeeded within {WAIT:?} of the kill; the last: {e}"
            ),
        }
    };
    let window = recovered - killed;
    let moved_to = server_of(&cluster, &caller);
    assert_ne!(moved_to, doomed, "the caller reconnected to a live server");

    // Calls keep flowing for a little while after recovery, then the flow stops.
    let settle = Instant::now() + Duration::from_millis(300);
    while Instant::now() < settle {
        caller.call("which", Which, WAIT).unwrap();
    }
    flowing.store(false, Ordering::Relaxed);
    let outcomes = flow.join().unwrap();
    let mut errors = BTreeMap::<String, usize>::new();
    for (_, outcome) in &outcomes {
        match outcome {
            Ok(_) => {}
            // Released by the lost connection (it went out), or refused at once while
            // reconnecting (it did not, and came back).
            Err((sent, WireError::Disconnected { .. })) => {
                let kind = if *sent { "released" } else { "refused" };
                *errors.entry(kind.to_owned()).or_default() += 1;
            }
            // Sent just after the reconnect, before the cluster's routes carry the queue
            // group's interest to the new server again: answered at once, no one serving.
            Err((_, WireError::NoResponders { .. })) => {
                *errors.entry("no responders".to_owned()).or_default() += 1;
            }
            Err((_, e)) => panic!("a flowing call failed with {e}, not Disconnected"),
        }
    }
    let ok_after = outcomes
        .iter()
        .filter(|(at, outcome)| *at > recovered && outcome.is_ok())
        .count();
    assert!(ok_after > 0, "calls flowed again after the recovery");

    // The queue group kept serving: B never lost its server; A is back on another one.
    a.flush(WAIT).expect("A reconnected");
    assert_ne!(server_of(&cluster, &a), doomed);
    assert_eq!(server_of(&cluster, &b), b_server, "B stayed where it was");
    let deadline = Instant::now() + WAIT;
    loop {
        // A's served names resume on its new server a moment after it reconnects.
        match caller.call("a-only", Which, WAIT) {
            Ok(n) => break assert_eq!(n, 1),
            Err(e) if e.is_no_responders() && Instant::now() < deadline => {}
            Err(e) => panic!("A's name did not resume within {WAIT:?}: {e}"),
        }
    }
    // Cluster-wide publish/subscribe reaches every node again.
    let publishes = publish_until_all_hear(&caller, 1_000, &heard, &[0, 1, 2]);

    println!(
        "killed server {doomed} under the caller: the call in flight failed after {:?}; \
         disruption window (kill to the first successful call after it): {window:?}; \
         flowing calls: {} in all, errors {errors:?}; the caller moved to server {moved_to}; \
         publish/subscribe reached all three nodes again within {publishes} publish(es)",
        in_flight_failed,
        outcomes.len(),
    );
    assert!(in_flight_failed < WAIT);
    assert!(window < WAIT);
}
