//! Closing a DeMux gracefully: the calls it has taken still get their replies, and a
//! joined listener leaves its port closed.
#![cfg(feature = "wire")]

use actor_core::prelude::*;
use actor_core::wire::{DeMux, Fault, Mux, Transport, Workers};
use serde::{Deserialize, Serialize};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Square(u64);

/// Held until the test lets it go.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = u64)]
struct Held(u64);

/// A DeMux listening on loopback with `gate` (held until `open` is dropped) and `math`.
fn serving() -> (
    DeMux,
    actor_core::wire::Listening,
    std::net::SocketAddr,
    crossbeam_channel::Sender<()>,
    crossbeam_channel::Receiver<()>,
) {
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    demux
        .function("gate", move |Held(n): Held| {
            arrive.send(()).ok();
            let _ = held.recv();
            n
        })
        .function("math", |Square(n): Square| n * n);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listening = demux.listen(listener).unwrap();
    (demux, listening, addr, open, arrived)
}

#[test]
fn a_call_in_flight_when_close_begins_still_gets_its_reply() {
    let (demux, listening, addr, open, arrived) = serving();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();
    let call = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("gate", Held(7), WAIT))
    };
    arrived.recv_timeout(WAIT).unwrap();
    let closing = {
        let demux = demux.clone();
        thread::spawn(move || demux.close_within(WAIT))
    };
    // Closing has begun once a new call is refused as such.
    let deadline = Instant::now() + WAIT;
    loop {
        match mux.call("math", Square(2), WAIT) {
            Err(e) if matches!(e.fault(), Some(Fault::Unavailable { reason }) if reason.contains("closing")) => {
                break
            }
            Ok(4) => {}
            other => panic!("expected 4 or a refusal, got {other:?}"),
        }
        assert!(Instant::now() < deadline, "close never began");
        thread::sleep(Duration::from_millis(5)); // polling a state: no event to wait on
    }
    drop(open);
    assert_eq!(
        call.join().unwrap().unwrap(),
        7,
        "answered although closing"
    );
    closing.join().unwrap();
    listening.join();
    assert!(
        TcpStream::connect(addr).is_err(),
        "the port still takes connections"
    );
}

#[test]
fn a_plain_close_loses_the_reply_of_a_call_in_flight() {
    // What `close_within` is for: `close` closes at once.
    let (demux, listening, addr, open, arrived) = serving();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();
    let call = {
        let mux = mux.clone();
        thread::spawn(move || mux.call("gate", Held(7), WAIT))
    };
    arrived.recv_timeout(WAIT).unwrap();
    demux.close();
    let err = call.join().unwrap().unwrap_err();
    assert!(err.is_disconnected(), "{err}");
    drop(open);
    listening.join();
    assert!(
        TcpStream::connect(addr).is_err(),
        "the port still takes connections"
    );
}

#[test]
fn a_joined_listener_has_let_go_of_its_port_and_its_connections() {
    let (_demux, listening, addr, _open, _arrived) = serving();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();
    assert_eq!(mux.call("math", Square(3), WAIT).unwrap(), 9);
    listening.close();
    // The connection already accepted goes on until its peer leaves.
    assert_eq!(mux.call("math", Square(4), WAIT).unwrap(), 16);
    mux.close();
    listening.join();
    assert!(
        TcpStream::connect(addr).is_err(),
        "the port still takes connections"
    );
}
