//! Waits that could never end, and what a driver does about them: a blocking wait whose
//! completion depends on the caller's own thread is refused at once, naming the cycle
//! (issue 15); back-pressure between neighbours on a driver never blocks every worker; a
//! neighbour told from a long handler runs on an idle worker; a shutdown strands no actor
//! (issue 16). No test sleeps to synchronise or asserts a duration: a wait that should be
//! refused at once is given a long timeout, so a regression fails on the error's kind.

mod common;

use actor_core::prelude::*;
use actor_core::{ExecError, Spawn};
use common::{hold, terminated, Echo, Probe, Record, WAIT};
use std::time::Duration;

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

/// Counts what it is told.
#[derive(Default)]
struct Consumer(u64);

#[derive(Message)]
struct Item;

#[derive(Message)]
#[message(reply = u64)]
struct Count;

#[actor]
impl Consumer {
    #[handles(Item)]
    fn item(&mut self, _: Item) {
        self.0 += 1;
    }

    #[handles(Count)]
    fn count(&self, _: Count) -> u64 {
        self.0
    }
}

/// Tells the consumer `n` items, blocking for room: how many went, and how many were
/// refused because waiting could never end.
#[derive(Message)]
#[message(reply = Result<(u64, u64), String>)]
struct Produce(u64);

struct Producer(Addr<Consumer>);

#[actor]
impl Producer {
    #[handles(Produce)]
    fn produce(&mut self, Produce(n): Produce) -> Result<(u64, u64), String> {
        let (mut sent, mut refused) = (0, 0);
        for _ in 0..n {
            match self.0.tell(Item) {
                Ok(()) => sent += 1,
                Err(SendError::WouldDeadlock { .. }) => refused += 1,
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok((sent, refused))
    }
}

#[test]
fn back_pressure_between_neighbours_on_a_two_thread_driver_never_blocks_every_worker() {
    const ITEMS: u64 = 2_000;
    let driver = Driver::new(2);
    let consumer = Spawn::new(Consumer::default()).bounded(4).spawn_on(&driver);
    let producers = [
        Producer(consumer.clone()).spawn_on(&driver),
        Producer(consumer.clone()).spawn_on(&driver),
    ];
    let bridge = Bridge::new();
    let mut sent = 0;
    for (_, result) in bridge.multi_call(producers.iter().map(|p| (p, Produce(ITEMS))), WAIT) {
        let (went, refused) = result
            .expect("a producer's report")
            .expect("no other error");
        assert_eq!(went + refused, ITEMS);
        sent += went;
    }
    assert!(sent > 0);
    assert_eq!(bridge.call(&consumer, Count, WAIT).unwrap(), sent);
}

/// Spins for 20 µs per message.
struct Spinner;

#[derive(Message)]
struct Spin;

#[actor]
impl Spinner {
    #[handles(Spin)]
    fn spin(&mut self, _: Spin) {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_micros(20) {
            std::hint::spin_loop();
        }
    }

    #[handles(Echo)]
    fn echo(&mut self, Echo(n): Echo) -> u64 {
        n
    }
}

#[test]
fn a_driver_shutdown_ends_every_actor_it_could_not_stop_in_time() {
    let driver = Driver::new(2);
    let spinner = Spinner.spawn_on(&driver);
    for _ in 0..20_000 {
        spinner.tell(Spin).unwrap();
    }
    // A call queued behind the spins: it must fail at once, not time out.
    let queued_call = {
        let spinner = spinner.clone();
        std::thread::spawn(move || Bridge::new().call(&spinner, Echo(1), WAIT))
    };
    // An actor held in a handler through the shutdown, with more mail than a turn takes.
    let held = Probe::default().spawn_on(&driver);
    let gate = hold(&held);
    for n in 0..1_000 {
        held.tell(Record(n)).unwrap();
    }
    let idle = Probe::default().spawn_on(&driver);
    let watcher = Bridge::new();
    for actor in [spinner.any(), held.any(), idle.any()] {
        watcher.watch(&actor);
    }

    let stopped = driver.shutdown(Duration::from_millis(20)).unwrap();
    assert_eq!(stopped.len(), 3);

    // The spinner ends by the time its current handler returns; the idle one at once.
    let mut ended = Vec::new();
    for _ in 0..2 {
        ended.push(terminated(&watcher).actor.id);
    }
    assert!(
        ended.contains(&spinner.id()) && ended.contains(&idle.id()),
        "{ended:?}"
    );
    assert!(!spinner.is_alive());
    assert!(matches!(
        spinner.tell(Spin),
        Err(SendError::Stopped { msg: Spin, .. })
    ));
    match queued_call.join().unwrap() {
        Err(CallError::Stopped { .. } | CallError::Send(SendError::Stopped { .. })) => {}
        other => panic!("the queued call should fail at once: {other:?}"),
    }
    // The held actor ends once its handler returns, its remaining mail unhandled.
    drop(gate);
    assert_eq!(terminated(&watcher).actor.id, held.id());
    assert!(!held.is_alive());
    assert!(held.tell(Record(0)).is_err());
    assert_eq!(driver.actor_count(), 0);
}

/// Tells a neighbour, then computes (here: waits on a channel no framework call can see)
/// until released.
struct LongHandler;

#[derive(Message)]
struct TellThenCompute(Addr<Signaller>, crossbeam_channel::Receiver<()>);

#[actor]
impl LongHandler {
    #[handles(TellThenCompute)]
    fn tell_then_compute(&mut self, TellThenCompute(neighbour, release): TellThenCompute) {
        neighbour.tell(Signal).unwrap();
        let _ = release.recv_timeout(WAIT);
    }
}

/// Says on its channel that it ran, and on which thread.
struct Signaller(crossbeam_channel::Sender<String>);

#[derive(Message)]
struct Signal;

#[actor]
impl Signaller {
    #[handles(Signal)]
    fn signal(&mut self, _: Signal) {
        let thread = std::thread::current().name().unwrap_or_default().to_owned();
        let _ = self.0.send(thread);
    }
}

#[test]
fn a_neighbour_told_from_a_long_handler_runs_on_the_idle_worker() {
    let driver = Driver::new(2);
    let (ran, signals) = crossbeam_channel::unbounded();
    let neighbour = Signaller(ran).spawn_on(&driver);
    let long = LongHandler.spawn_on(&driver);
    for _ in 0..3 {
        // Several rounds: the idle worker is asleep in some, watching in others.
        let (release, released) = crossbeam_channel::bounded(1);
        long.tell(TellThenCompute(neighbour.clone(), released))
            .unwrap();
        // The neighbour waits in the busy worker's next slot; the other worker is idle.
        // Before the fix it ran only once the long handler returned (here: never, until
        // released after the timeout).
        let thread = signals.recv_timeout(WAIT);
        release.send(()).unwrap();
        let thread = thread.expect("the neighbour did not run while the handler computed");
        assert!(thread.starts_with("driver"), "{thread}");
    }
    assert_eq!(driver.shutdown(WAIT).unwrap().len(), 2);
}
