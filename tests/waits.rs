//! Waits that could never end, and what a driver does about them: a blocking wait whose
//! completion depends on the caller's own thread is refused at once, naming the cycle
//! (issue 15). Back-pressure between neighbours, a neighbour told from a long handler and a
//! shutdown that strands no actor are in `reliability.rs` (issue 16). No test sleeps to
//! synchronise or asserts a duration: a wait that should be refused at once is given a long
//! timeout, so a regression fails on the error's kind.

mod common;

use actor_core::prelude::*;
use actor_core::{ExecError, Spawn};
use common::{Echo, Record, WAIT};

/// How a trip along a route of blocking calls ended, as each hop reports it back.
#[derive(Debug)]
enum Trip {
    Arrived,
    Refused(String),
    Failed(String),
}

/// Calls the first hop of the route with the rest of it.
#[derive(Message)]
#[message(reply = Trip)]
struct Route(Vec<Addr<Hop>>);

/// Stops the actor through a blocking `Bridge::stop_each`: how it went.
#[derive(Message)]
#[message(reply = Trip)]
struct StopThrough(AnyAddr);

/// Tells the target twice, the second time into a full mailbox: how the second went.
#[derive(Message)]
#[message(reply = Trip)]
struct FillUp(Addr<Hop>);

/// Runs a closure on the target and waits for it: how it went.
#[derive(Message)]
#[message(reply = Trip)]
struct ExecOn(Option<Addr<Hop>>);

struct Hop;

fn trip<E: std::error::Error>(refused: bool, error: E) -> Trip {
    if refused {
        Trip::Refused(error.to_string())
    } else {
        Trip::Failed(error.to_string())
    }
}

#[actor]
impl Hop {
    #[handles(Route)]
    fn route(&mut self, Route(mut rest): Route) -> Trip {
        if rest.is_empty() {
            return Trip::Arrived;
        }
        let next = rest.remove(0);
        match Bridge::new().call(&next, Route(rest), WAIT) {
            Ok(trip) => trip,
            Err(e) => trip(e.is_would_deadlock(), e),
        }
    }

    #[handles(StopThrough)]
    fn stop_through(&mut self, StopThrough(target): StopThrough) -> Trip {
        match Bridge::new().stop_each(&[target], WAIT).remove(0) {
            Ok(Stopped) => Trip::Arrived,
            Err(e) => trip(e.is_would_deadlock(), e),
        }
    }

    #[handles(FillUp)]
    fn fill_up(&mut self, FillUp(target): FillUp) -> Trip {
        target.tell(Record(1)).unwrap();
        match target.tell(Record(2)) {
            Ok(()) => Trip::Arrived,
            Err(e) => trip(matches!(e, SendError::WouldDeadlock { .. }), e),
        }
    }

    #[handles(ExecOn)]
    fn exec_on(&mut self, ExecOn(target): ExecOn, ctx: &mut Context<Self>) -> Trip {
        let target = target.unwrap_or_else(|| ctx.myself());
        match target.exec(|_, _| 7).wait_timeout(WAIT) {
            Ok(7) => Trip::Arrived,
            Ok(n) => Trip::Failed(format!("got {n}")),
            Err(e) => trip(matches!(e, ExecError::WouldDeadlock(_)), e),
        }
    }

    #[handles(Record)]
    fn record(&mut self, _: Record) {}

    #[handles(Echo)]
    fn echo(&mut self, Echo(n): Echo) -> u64 {
        n
    }
}

fn refused(trip: Trip) -> String {
    match trip {
        Trip::Refused(cycle) => cycle,
        Trip::Failed(why) => panic!("expected a refusal naming the cycle, got: {why}"),
        Trip::Arrived => panic!("expected a refusal naming the cycle, got through"),
    }
}

fn name<A: Actor>(addr: &Addr<A>) -> String {
    addr.info().to_string()
}

#[test]
fn a_chain_of_calls_back_to_the_callers_one_thread_driver_is_refused_naming_the_cycle() {
    let driver = Driver::new(1);
    let a = Hop.spawn_on(&driver);
    let b = Hop.spawn();
    let c = Hop.spawn_on(&driver);
    // A (driver) calls B (thread), which calls C: only A's blocked thread could serve C.
    let trip = Bridge::new()
        .call(&a, Route(vec![b.clone(), c.clone()]), WAIT)
        .unwrap();
    let cycle = refused(trip);
    println!("{cycle}");
    for actor in [&a, &b, &c] {
        assert!(cycle.contains(&name(actor)), "{cycle}");
    }
    assert!(cycle.contains("blocked"), "{cycle}");
    // Nothing is left waiting: the same route without the cycle goes through.
    let trip = Bridge::new()
        .call(&b, Route(vec![c.clone()]), WAIT)
        .unwrap();
    assert!(matches!(trip, Trip::Arrived), "{trip:?}");
}

#[test]
fn a_chain_of_calls_between_threads_back_to_the_caller_is_refused() {
    let (a, b) = (Hop.spawn(), Hop.spawn());
    let trip = Bridge::new()
        .call(&a, Route(vec![b.clone(), a.clone()]), WAIT)
        .unwrap();
    let cycle = refused(trip);
    println!("{cycle}");
    assert!(
        cycle.contains(&name(&a)) && cycle.contains(&name(&b)),
        "{cycle}"
    );
}

#[test]
fn a_chain_through_a_driver_with_a_free_thread_is_not_refused() {
    let driver = Driver::new(2);
    let a = Hop.spawn_on(&driver);
    let b = Hop.spawn();
    let c = Hop.spawn_on(&driver);
    // A blocks one of the driver's two threads; the other serves C.
    let trip = Bridge::new().call(&a, Route(vec![b, c]), WAIT).unwrap();
    assert!(matches!(trip, Trip::Arrived), "{trip:?}");
}

#[test]
fn stopping_through_a_chain_back_to_the_callers_driver_is_refused() {
    let driver = Driver::new(1);
    let b = Hop.spawn();
    let c = Hop.spawn_on(&driver);
    // A (driver) asks B (thread) to stop C, which only A's blocked thread could run.
    #[derive(Message)]
    #[message(reply = Trip)]
    struct Relay(Addr<Hop>, AnyAddr);
    struct Relayer;
    #[actor]
    impl Relayer {
        #[handles(Relay)]
        fn relay(&mut self, Relay(via, target): Relay) -> Trip {
            match Bridge::new().call(&via, StopThrough(target), WAIT) {
                Ok(trip) => trip,
                Err(e) => Trip::Failed(e.to_string()),
            }
        }
    }
    let relayer = Relayer.spawn_on(&driver);
    let trip = Bridge::new()
        .call(&relayer, Relay(b, c.any()), WAIT)
        .unwrap();
    refused(trip);
    assert!(c.is_alive());
}

#[test]
fn waiting_for_an_exec_on_ones_own_actor_is_refused_on_a_thread_and_on_a_driver() {
    let driver = Driver::new(2);
    for hop in [Hop.spawn(), Hop.spawn_on(&driver)] {
        let trip = Bridge::new().call(&hop, ExecOn(None), WAIT).unwrap();
        let cycle = refused(trip);
        assert!(cycle.contains("itself"), "{cycle}");
    }
}

#[test]
fn waiting_for_an_exec_on_a_one_thread_neighbour_is_refused() {
    let driver = Driver::new(1);
    let (a, c) = (Hop.spawn_on(&driver), Hop.spawn_on(&driver));
    let trip = Bridge::new().call(&a, ExecOn(Some(c)), WAIT).unwrap();
    refused(trip);
    // On its own thread, the neighbour runs it.
    let trip = Bridge::new()
        .call(&Hop.spawn(), ExecOn(Some(a)), WAIT)
        .unwrap();
    assert!(matches!(trip, Trip::Arrived), "{trip:?}");
}

#[test]
fn a_bounded_tell_that_only_the_senders_thread_could_make_room_for_is_refused() {
    // A neighbour on a one-thread driver: not "full" after silently giving up.
    let driver = Driver::new(1);
    let a = Hop.spawn_on(&driver);
    let c = Spawn::new(Hop).bounded(1).spawn_on(&driver);
    let cycle = refused(Bridge::new().call(&a, FillUp(c.clone()), WAIT).unwrap());
    assert!(cycle.contains(&name(&c)), "{cycle}");
    // Through a chain: A (driver) calls B (thread), which fills C up on A's driver.
    #[derive(Message)]
    #[message(reply = Trip)]
    struct Via(Addr<Hop>, Addr<Hop>);
    struct Viaduct;
    #[actor]
    impl Viaduct {
        #[handles(Via)]
        fn via(&mut self, Via(b, c): Via) -> Trip {
            match Bridge::new().call(&b, FillUp(c), WAIT) {
                Ok(trip) => trip,
                Err(e) => Trip::Failed(e.to_string()),
            }
        }
    }
    let c = Spawn::new(Hop).bounded(1).spawn_on(&driver);
    let viaduct = Viaduct.spawn_on(&driver);
    let trip = Bridge::new()
        .call(&viaduct, Via(Hop.spawn(), c), WAIT)
        .unwrap();
    refused(trip);
}

#[test]
fn a_bounded_tell_with_a_timeout_that_cannot_help_is_refused_at_once() {
    #[derive(Message)]
    #[message(reply = Trip)]
    struct FillMyself;
    struct Selfish;
    #[actor]
    impl Selfish {
        #[handles(FillMyself)]
        fn fill(&mut self, _: FillMyself, ctx: &mut Context<Self>) -> Trip {
            let me = ctx.myself();
            me.tell(Record(1)).unwrap();
            match me.tell_timeout(Record(2), WAIT) {
                Ok(()) => Trip::Arrived,
                Err(e) => trip(matches!(e, SendError::WouldDeadlock { .. }), e),
            }
        }
        #[handles(Record)]
        fn record(&mut self, _: Record) {}
    }
    let driver = Driver::new(2);
    for selfish in [
        Spawn::new(Selfish).bounded(1).spawn(),
        Spawn::new(Selfish).bounded(1).spawn_on(&driver),
    ] {
        let cycle = refused(Bridge::new().call(&selfish, FillMyself, WAIT).unwrap());
        assert!(cycle.contains("itself"), "{cycle}");
    }
}
