//! A Mux over several connections (`Mux::with_lanes`): each caller keeps to one lane,
//! callers spread over all of them, and the lanes open and close as one link.
#![cfg(feature = "wire")]

use actor_core::prelude::*;
use actor_core::wire::{Config, DeMux, Mux, Served, Transport, WireError, Workers};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

/// Answered with the number of the DeMux that served it: which lane the call took.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Which;

/// Held by the far side until the test lets it go, then answered with its number.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = u64)]
struct Held(u64);

/// `n` lanes, lane `i` served by a DeMux of its own that answers `Which` with `i` and
/// holds each `Held` until `open` is dropped, saying on `arrived` that one came.
struct Lanes {
    mux: Mux,
    served: Vec<Served>,
    _demuxes: Vec<DeMux>,
    open: Option<crossbeam_channel::Sender<()>>,
    arrived: crossbeam_channel::Receiver<()>,
}

fn lanes(n: usize) -> Lanes {
    let (open, held) = crossbeam_channel::bounded::<()>(0);
    let (arrive, arrived) = crossbeam_channel::unbounded();
    let mut near = Vec::new();
    let mut served = Vec::new();
    let mut demuxes = Vec::new();
    for i in 0..n {
        let demux = DeMux::new(Workers::Pool(4)).unwrap();
        let (held, arrive) = (held.clone(), arrive.clone());
        demux
            .function("which", move |_: Which| i)
            .function("gate", move |Held(n): Held| {
                arrive.send(()).unwrap();
                let _ = held.recv();
                n
            });
        let (mine, theirs) = Transport::pair().unwrap();
        served.push(demux.serve(theirs).unwrap());
        near.push(mine);
        demuxes.push(demux);
    }
    let mux = Mux::with_lanes(near, Config::default()).unwrap();
    Lanes {
        mux,
        served,
        _demuxes: demuxes,
        open: Some(open),
        arrived,
    }
}

#[test]
fn each_thread_keeps_to_one_lane_and_threads_spread_over_every_lane() {
    let lanes = lanes(2);
    assert_eq!(lanes.mux.lanes(), 2);
    let mut seen = BTreeSet::new();
    // One thread after another, so that each draws its lane's ticket after the last.
    for _ in 0..8 {
        let mux = lanes.mux.clone();
        let taken = thread::spawn(move || {
            (0..20)
                .map(|_| mux.call("which", Which, WAIT).unwrap())
                .collect::<BTreeSet<usize>>()
        })
        .join()
        .unwrap();
        assert_eq!(taken.len(), 1, "a thread's calls went over lanes {taken:?}");
        seen.extend(taken);
    }
    assert_eq!(
        seen,
        BTreeSet::from([0, 1]),
        "eight threads in turn took both lanes"
    );
}

#[test]
fn threads_calling_through_two_muxes_in_turn_take_both_lanes_of_each() {
    let (a, b) = (lanes(2), lanes(2));
    let (mut seen_a, mut seen_b) = (BTreeSet::new(), BTreeSet::new());
    // Other Muxes' draws do not skew a Mux's spread: each counts its own.
    for i in 0..8 {
        let (mux, seen) = if i % 2 == 0 {
            (a.mux.clone(), &mut seen_a)
        } else {
            (b.mux.clone(), &mut seen_b)
        };
        let lane = thread::spawn(move || mux.call("which", Which, WAIT).unwrap())
            .join()
            .unwrap();
        seen.insert(lane);
    }
    assert_eq!(seen_a, BTreeSet::from([0, 1]));
    assert_eq!(seen_b, BTreeSet::from([0, 1]));
}

/// Calls the `which` function through a Mux from inside a handler.
struct Asker {
    mux: Mux,
}

#[derive(Message)]
#[message(reply = Vec<usize>)]
struct Ask(usize);

#[actor]
impl Asker {
    #[handles(Ask)]
    fn ask(&mut self, Ask(times): Ask) -> Vec<usize> {
        (0..times)
            .map(|_| self.mux.call("which", Which, WAIT).unwrap())
            .collect()
    }
}

/// Spawned between askers, so that askers' ids come in a pattern (every other one).
struct Idle;

#[actor]
impl Idle {}

#[test]
fn an_actor_keeps_to_one_lane_on_every_turn_and_actors_spread_over_the_lanes() {
    let lanes = lanes(3);
    let driver = Driver::new(2);
    let bridge = Bridge::new();
    let mut seen = BTreeSet::new();
    let mut idle = Vec::new();
    for _ in 0..16 {
        let asker = Asker {
            mux: lanes.mux.clone(),
        }
        .spawn_on(&driver);
        idle.push(Idle.spawn_on(&driver));
        // Several turns, on whichever worker runs each.
        let mut taken = BTreeSet::new();
        for _ in 0..4 {
            taken.extend(bridge.call(&asker, Ask(5), WAIT).unwrap());
        }
        assert_eq!(taken.len(), 1, "actor {} took lanes {taken:?}", asker.id());
        seen.extend(taken);
    }
    // Sixteen ids hashed onto three lanes: all on one has odds of about 1 in 10^7.
    assert!(seen.len() > 1, "sixteen askers all took lane {seen:?}");
    driver.shutdown(WAIT).unwrap();
}

#[test]
fn when_one_lane_ends_every_lane_closes_and_every_waiting_caller_is_released() {
    let mut lanes = lanes(2);
    // A call held on each lane: the first two threads to call take the two lanes (as
    // the first test shows), and each asks `which` first to say where it went.
    let mut callers = Vec::new();
    let mut taken = BTreeSet::new();
    for _ in 0..2 {
        let mux = lanes.mux.clone();
        let (went, lane) = crossbeam_channel::bounded(1);
        let caller = thread::spawn(move || {
            went.send(mux.call("which", Which, WAIT).unwrap()).unwrap();
            mux.call("gate", Held(1), WAIT)
        });
        let lane = lane.recv_timeout(WAIT).unwrap();
        // Its call is held on the far side before the next caller starts.
        lanes.arrived.recv_timeout(WAIT).unwrap();
        taken.insert(lane);
        callers.push((lane, caller));
    }
    assert_eq!(
        taken,
        BTreeSet::from([0, 1]),
        "two threads in turn took both lanes"
    );
    assert_eq!(lanes.mux.pending(), callers.len());
    // The far side of lane 0 goes away.
    lanes.served[0].close();
    for (lane, caller) in callers {
        match caller.join().unwrap() {
            Err(e) => {
                let WireError::Disconnected { reason, .. } = e.error() else {
                    panic!("lane {lane}: {e}");
                };
                if lane == 1 {
                    assert!(
                        reason.starts_with("another lane of the Mux closed: "),
                        "lane 1 said {reason:?}"
                    );
                }
            }
            Ok(n) => panic!("lane {lane} answered {n} after its connection closed"),
        }
    }
    assert!(lanes.mux.is_closed());
    assert_eq!(lanes.mux.pending(), 0);
    // Later calls fail at once, on every lane, giving their message back.
    for _ in 0..4 {
        let mux = lanes.mux.clone();
        let refused = thread::spawn(move || mux.call("gate", Held(9), WAIT))
            .join()
            .unwrap()
            .unwrap_err();
        assert!(refused.error().is_disconnected(), "{refused}");
        assert_eq!(refused.into_message().map(|Held(n)| n), Some(9));
    }
    drop(lanes.open.take());
}

#[test]
fn dropping_the_last_handle_ends_every_lane() {
    let lanes = lanes(3);
    assert_eq!(
        lanes.mux.call("which", Which, WAIT).ok().map(|_| ()),
        Some(())
    );
    drop(lanes.mux);
    for served in &lanes.served {
        assert!(
            served.wait_timeout(WAIT).is_some(),
            "a lane's connection is still open"
        );
    }
}

#[test]
fn a_mux_needs_at_least_one_transport() {
    let none: Vec<Transport> = Vec::new();
    let e = Mux::with_lanes(none, Config::default()).unwrap_err();
    assert!(e.to_string().contains("no transport was given"), "{e}");
}
