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
        (
            supervisor.id(),
            StopReason::Escalated {
                max: 1,
                within: Duration::from_secs(3600),
                child: "a".to_owned(),
            },
        ),
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

// ---- Issue 16: restarts that wait, factories that panic, trees that escalate ----

use actor_core::{Registry, Restarted, WatchRestarts};
use common::{hold, Hold};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Where a test's actors run: every point holds on both.
#[derive(Clone, Copy, Debug)]
enum Hosting {
    Thread,
    Driver,
}

const HOSTINGS: [Hosting; 2] = [Hosting::Thread, Hosting::Driver];

/// Spawns on a thread of its own, or on the driver.
#[derive(Clone)]
struct Host(Option<Driver>);

impl Host {
    fn new(hosting: Hosting) -> Host {
        match hosting {
            Hosting::Thread => Host(None),
            Hosting::Driver => Host(Some(Driver::new(2))),
        }
    }

    fn spawn<A: Actor>(&self, spawn: Spawn<A>) -> Addr<A> {
        match &self.0 {
            None => spawn.spawn(),
            Some(driver) => spawn.spawn_on(driver),
        }
    }
}

/// The next `Restarted` notice in `bridge`'s inbox (it sent `WatchRestarts`).
fn restarted(bridge: &Bridge) -> Restarted {
    bridge
        .receive(WAIT)
        .expect("a Restarted notice")
        .downcast()
        .expect("a Restarted notice")
}

/// Registers a name in `#[on_start]`: a second one running at once would find it taken.
struct Holder(String);

#[actor]
impl Holder {
    #[on_start]
    fn register(&mut self, ctx: &mut Context<Self>) {
        Registry::register(&self.0, &ctx.myself()).expect("the name is free");
    }

    #[handles(Hold)]
    fn hold(&mut self, hold: Hold) {
        hold.enter();
    }
}

#[test]
fn one_for_all_starts_the_new_children_once_the_old_ones_have_ended() {
    for hosting in HOSTINGS {
        let host = Host::new(hosting);
        let name = format!("one-for-all-holder-{hosting:?}");
        let (h, n) = (host.clone(), name.clone());
        let h2 = host.clone();
        let supervisor = host.spawn(Spawn::new(
            Supervisor::new(
                Strategy::OneForAll,
                Intensity::new(1, Duration::from_secs(3600)),
            )
            .child("a", move || {
                h.spawn(Spawn::new(Worker).on_panic(OnPanic::Stop))
            })
            .child("holder", move || h2.spawn(Spawn::new(Holder(n.clone())))),
        ));
        let bridge = Bridge::new();
        assert!(bridge.call(&supervisor, WatchRestarts, WAIT).unwrap());
        let a = supervisor.child::<Worker>("a").wait().unwrap().unwrap();
        let old = supervisor
            .child::<Holder>("holder")
            .wait()
            .unwrap()
            .unwrap();
        // The old holder is busy when its sibling crashes: it ends only once let go.
        let gate = hold(&old);
        let watcher = Bridge::new();
        watcher.watch(&old.any());
        crash(&watcher, &a);
        // The crash notice has reached the supervisor (it watched first): once it answers
        // this, it has handled the crash, with the old holder still held.
        bridge.call(&supervisor, Children, WAIT).unwrap();
        drop(gate);
        assert_eq!(common::terminated(&watcher).reason, StopReason::Stopped);
        // Both restarted, in order, the new holder with its name (one more crash would
        // have gone beyond the intensity of one).
        let (first, second) = (restarted(&bridge), restarted(&bridge));
        assert_eq!((first.name.as_str(), second.name.as_str()), ("a", "holder"));
        let new = second.downcast::<Holder>().unwrap();
        assert_ne!(new, old);
        assert!(supervisor.is_alive(), "{hosting:?}");
        // Past its `#[on_start]` (which registers the name) once it has run this.
        new.exec(|_, _| ()).wait().unwrap();
        assert_eq!(Registry::lookup::<Holder>(&name), Some(new));
        let a2 = first.downcast::<Worker>().unwrap();
        assert_eq!(bridge.call(&a2, Divide(5), WAIT).unwrap(), 20);
        bridge.stop(&[supervisor.any()], WAIT);
    }
}

#[test]
fn a_child_factory_that_panics_on_a_restart_is_tried_again_within_the_intensity() {
    for hosting in HOSTINGS {
        let host = Host::new(hosting);
        let calls = Arc::new(AtomicUsize::new(0));
        let (h, c) = (host.clone(), calls.clone());
        let supervisor = host.spawn(Spawn::new(
            Supervisor::new(
                Strategy::OneForOne,
                Intensity::new(5, Duration::from_secs(3600)),
            )
            .child("w", move || {
                // The second start (the first restart) panics; the third works.
                if c.fetch_add(1, Ordering::SeqCst) == 1 {
                    panic!("the factory failed");
                }
                h.spawn(Spawn::new(Worker).on_panic(OnPanic::Stop))
            }),
        ));
        let bridge = Bridge::new();
        assert!(bridge.call(&supervisor, WatchRestarts, WAIT).unwrap());
        let first = child(&bridge, &supervisor, "w");
        assert!(bridge.call(&first, Divide(0), WAIT).is_err());
        let notice = restarted(&bridge);
        assert_eq!(calls.load(Ordering::SeqCst), 3, "{hosting:?}");
        let second = notice.downcast::<Worker>().unwrap();
        assert_eq!(child(&bridge, &supervisor, "w"), second);
        assert_eq!(bridge.call(&second, Divide(4), WAIT).unwrap(), 25);
        bridge.stop(&[supervisor.any()], WAIT);
    }
}

#[test]
fn a_child_factory_that_keeps_panicking_escalates_instead_of_leaving_a_dead_child() {
    for hosting in HOSTINGS {
        let host = Host::new(hosting);
        let calls = Arc::new(AtomicUsize::new(0));
        let (h, c) = (host.clone(), calls.clone());
        let supervisor = host.spawn(Spawn::new(
            Supervisor::new(
                Strategy::OneForOne,
                Intensity::new(2, Duration::from_secs(3600)),
            )
            .child("w", move || {
                if c.fetch_add(1, Ordering::SeqCst) > 0 {
                    panic!("the factory failed");
                }
                h.spawn(Spawn::new(Worker).on_panic(OnPanic::Stop))
            }),
        ));
        let bridge = Bridge::new();
        let first = child(&bridge, &supervisor, "w");
        bridge.watch(&supervisor.any());
        assert!(bridge.call(&first, Divide(0), WAIT).is_err());
        let notice = terminated(&bridge);
        assert_eq!(notice.id(), supervisor.id());
        assert_eq!(
            notice.reason,
            StopReason::Escalated {
                max: 2,
                within: Duration::from_secs(3600),
                child: "w".to_owned()
            },
            "{hosting:?}"
        );
        // The crash and each failed start counted: two restarts allowed, a third refused.
        assert_eq!(calls.load(Ordering::SeqCst), 3, "{hosting:?}");
    }
}

#[test]
fn a_supervisor_beyond_its_intensity_is_restarted_by_its_own_supervisor() {
    for hosting in HOSTINGS {
        let host = Host::new(hosting);
        let inner_host = host.clone();
        let root = host.spawn(Spawn::new(
            Supervisor::new(
                Strategy::OneForOne,
                Intensity::new(5, Duration::from_secs(3600)),
            )
            .child("team", move || {
                let h = inner_host.clone();
                inner_host.spawn(Spawn::new(
                    Supervisor::new(
                        Strategy::OneForOne,
                        Intensity::new(0, Duration::from_secs(3600)),
                    )
                    .child("w", move || {
                        h.spawn(Spawn::new(Worker).on_panic(OnPanic::Stop))
                    }),
                ))
            }),
        ));
        let bridge = Bridge::new();
        assert!(bridge.call(&root, WatchRestarts, WAIT).unwrap());
        let team = root.child::<Supervisor>("team").wait().unwrap().unwrap();
        let worker = child(&bridge, &team, "w");
        let watcher = Bridge::new();
        watcher.watch(&team.any());
        // No restart allowed below: the team escalates, and the root restarts it.
        assert!(bridge.call(&worker, Divide(0), WAIT).is_err());
        assert!(matches!(
            terminated(&watcher).reason,
            StopReason::Escalated { .. }
        ));
        let notice = restarted(&bridge);
        assert_eq!(notice.name, "team");
        let team2 = notice.downcast::<Supervisor>().unwrap();
        assert_ne!(team2, team);
        let worker2 = child(&bridge, &team2, "w");
        assert_ne!(worker2, worker);
        assert_eq!(
            bridge.call(&worker2, Divide(2), WAIT).unwrap(),
            50,
            "{hosting:?}"
        );
        assert!(root.is_alive());
        bridge.stop(&[root.any()], WAIT);
    }
}
