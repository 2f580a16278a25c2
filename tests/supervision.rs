//! Supervisors: one-for-one and one-for-all restarts, within an intensity.

mod common;

use actor_core::prelude::*;
use actor_core::{
    ChildNamed, Children, Intensity, OnPanic, Spawn, StopReason, Strategy, Supervisor,
};
use common::{terminated, WAIT};
use std::time::Duration;

#[derive(Message)]
#[message(reply = u32)]
struct Divide(u32);

struct Worker;

#[actor]
impl Worker {
    #[handles(Divide)]
    fn divide(&mut self, Divide(n): Divide) -> u32 {
        assert!(n != 0, "division by zero");
        100 / n
    }
}

fn worker() -> Addr<Worker> {
    Spawn::new(Worker).on_panic(OnPanic::Stop).spawn()
}

fn child(bridge: &Bridge, supervisor: &Addr<Supervisor>, name: &str) -> Addr<Worker> {
    bridge
        .call(supervisor, ChildNamed(name.to_owned()), WAIT)
        .unwrap()
        .expect("a running child")
        .downcast()
        .expect("a Worker")
}

/// Crashes `victim` and returns once its supervisor has been told (it watched first).
fn crash(bridge: &Bridge, victim: &Addr<Worker>) {
    bridge.watch(&victim.any());
    assert!(matches!(
        bridge.call(victim, Divide(0), WAIT),
        Err(CallError::Panicked { .. })
    ));
    let notice = terminated(bridge);
    assert_eq!(notice.id(), victim.id());
}

fn supervisor(strategy: Strategy, max: u32) -> Addr<Supervisor> {
    Supervisor::new(strategy, Intensity::new(max, Duration::from_secs(3600)))
        .child("a", worker)
        .child("b", worker)
        .spawn()
}

#[test]
fn one_for_one_restarts_only_the_crashed_child() {
    let bridge = Bridge::new();
    let supervisor = supervisor(Strategy::OneForOne, 5);
    let (a, b) = (
        child(&bridge, &supervisor, "a"),
        child(&bridge, &supervisor, "b"),
    );
    crash(&bridge, &a);
    let (a2, b2) = (
        child(&bridge, &supervisor, "a"),
        child(&bridge, &supervisor, "b"),
    );
    assert_ne!(a2, a);
    assert_eq!(b2, b);
    assert_eq!(bridge.call(&a2, Divide(4), WAIT).unwrap(), 25);
    assert!(b.is_alive());
}

#[test]
fn one_for_all_restarts_every_child() {
    let bridge = Bridge::new();
    let supervisor = supervisor(Strategy::OneForAll, 5);
    let (a, b) = (
        child(&bridge, &supervisor, "a"),
        child(&bridge, &supervisor, "b"),
    );
    crash(&bridge, &a);
    // The healthy sibling is stopped too, by its supervisor (a late watcher is told too).
    bridge.watch(&b.any());
    let sibling = terminated(&bridge);
    assert_eq!(
        (sibling.id(), sibling.reason),
        (b.id(), StopReason::Stopped)
    );
    let (a2, b2) = (
        child(&bridge, &supervisor, "a"),
        child(&bridge, &supervisor, "b"),
    );
    assert_ne!(a2, a);
    assert_ne!(b2, b);
    assert_eq!(bridge.call(&b2, Divide(5), WAIT).unwrap(), 20);
}

#[test]
fn beyond_its_intensity_the_supervisor_stops_with_its_children() {
    let bridge = Bridge::new();
    let supervisor = supervisor(Strategy::OneForOne, 1);
    crash(&bridge, &child(&bridge, &supervisor, "a"));
    let (a, b) = (
        child(&bridge, &supervisor, "a"),
        child(&bridge, &supervisor, "b"),
    );
    for watched in [supervisor.any(), a.any(), b.any()] {
        bridge.watch(&watched);
    }
    // A second crash within the hour, one restart allowed: the supervisor stops, and b
    // with it. The three notices come from three actors, in no fixed order.
    assert!(matches!(
        bridge.call(&a, Divide(0), WAIT),
        Err(CallError::Panicked { .. })
    ));
    let mut ended: Vec<(ActorId, StopReason)> = (0..3)
        .map(|_| {
            let notice = terminated(&bridge);
            (notice.id(), notice.reason)
        })
        .collect();
    ended.sort_by_key(|(id, _)| *id);
    let mut expected = vec![
        (supervisor.id(), StopReason::Requested),
        (a.id(), StopReason::Panicked("division by zero".to_owned())),
        (b.id(), StopReason::Stopped),
    ];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(ended, expected);
}

#[test]
fn a_child_that_stops_normally_is_not_restarted() {
    let bridge = Bridge::new();
    let supervisor = supervisor(Strategy::OneForOne, 5);
    let a = child(&bridge, &supervisor, "a");
    bridge.watch(&a.any());
    bridge.call(&a, Stop, WAIT).unwrap();
    bridge.receive(WAIT).unwrap(); // the supervisor, which watched first, knows too
    let children = bridge.call(&supervisor, Children, WAIT).unwrap();
    assert_eq!(children[0].0, "a");
    assert!(children[0].1.is_none());
    assert!(children[1].1.is_some());
}
