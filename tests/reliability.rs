//! The reliability suite: delivery, panics, concurrent calls and stop under load, at
//! scale, and drivers under pressure (back-pressure between neighbours, a long handler, a
//! shutdown). Each test prints its figure (run with `--nocapture` to see them); none is timed.
//! Resource use (threads, memory) is measured alone, in `reliability_resources.rs`.

mod common;

use actor_core::prelude::*;
use actor_core::{Intensity, Spawn};
use common::{hold, terminated, Echo, Probe, Record, Recorded, WAIT};
use std::collections::HashSet;
use std::time::{Duration, Instant};

#[test]
fn a_million_messages_from_four_senders_keep_order_and_none_is_lost_or_doubled() {
    const SENDERS: u64 = 4;
    const EACH: u64 = 250_000;
    let probe = Probe::default().spawn();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for sender in 0..SENDERS {
            let probe = probe.clone();
            scope.spawn(move || {
                for n in 0..EACH {
                    probe.tell(Record(sender << 32 | n)).unwrap();
                }
            });
        }
    });
    let seen = Bridge::new().call(&probe, Recorded, WAIT).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(seen.len() as u64, SENDERS * EACH);
    let mut next = [0u64; SENDERS as usize];
    for value in &seen {
        let (sender, n) = ((value >> 32) as usize, value & 0xffff_ffff);
        assert_eq!(
            n, next[sender],
            "sender {sender} out of order or duplicated"
        );
        next[sender] += 1;
    }
    assert!(next.iter().all(|&n| n == EACH));
    println!("1,000,000 messages from 4 senders: in order, none lost or doubled, in {elapsed:?}");
}

#[derive(Message)]
#[message(reply = u64)]
struct Risky(u64);

#[derive(Default)]
struct Careful {
    good: u64,
}

#[actor]
impl Careful {
    #[handles(Risky)]
    fn risky(&mut self, Risky(n): Risky) -> u64 {
        if n % 2 == 1 {
            panic!("odd {n}");
        }
        self.good += 1;
        self.good
    }
}

fn interleaved_panics(addr: &Addr<Careful>) -> (u64, u64) {
    let bridge = Bridge::new();
    let (mut told, mut good) = (0, 0);
    for (n, result) in bridge.multi_call((0..20_000).map(|n| (addr, Risky(n))), WAIT) {
        match result {
            Ok(_) => good += 1,
            Err(CallError::Panicked { panic, .. }) => {
                assert_eq!(panic, format!("odd {n}"));
                told += 1;
            }
            Err(e) => panic!("call {n}: {e}"),
        }
    }
    (told, good)
}

#[test]
fn ten_thousand_panics_interleaved_with_good_messages_are_each_reported() {
    // Quiet the default hook's 10,000 reports; every panic is checked through its caller.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let resumed = Careful::default().spawn();
    let (told, good) = interleaved_panics(&resumed);
    assert_eq!((told, good), (10_000, 10_000));
    // Resume keeps the state: all 10,000 good messages counted by one instance.
    assert_eq!(
        Bridge::new().call(&resumed, Risky(0), WAIT).unwrap(),
        10_001
    );

    let restarted = Spawn::new(Careful::default())
        .restart_with(
            Careful::default,
            Intensity::new(20_000, Duration::from_secs(3600)),
        )
        .spawn();
    let (told, good) = interleaved_panics(&restarted);
    std::panic::set_hook(hook);
    assert_eq!((told, good), (10_000, 10_000));
    assert!(restarted.is_alive());
    // The last message (19,999) panicked: a fresh instance counts this one as its first.
    assert_eq!(Bridge::new().call(&restarted, Risky(0), WAIT).unwrap(), 1);
    println!("10,000 panics among 10,000 good messages: every caller told, resumed and restarted actors alive");
}

#[test]
fn concurrent_calls_with_random_timeouts_get_their_own_reply_or_a_timeout() {
    let probe = Probe::default().spawn();
    let gate = hold(&probe);
    let bridge = Bridge::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let timeouts: Vec<Duration> = (0..1_000)
        .map(|_| Duration::from_millis(1 + random() % 200))
        .collect();
    let (replies, timed_out) = std::thread::scope(|scope| {
        let callers: Vec<_> = timeouts
            .iter()
            .enumerate()
            .map(|(n, &timeout)| {
                let (bridge, probe) = (&bridge, &probe);
                scope.spawn(move || match bridge.call(probe, Echo(n as u64), timeout) {
                    Ok(reply) => {
                        assert_eq!(reply, n as u64, "call {n} got another call's reply");
                        true
                    }
                    Err(e) => {
                        assert!(e.is_timeout(), "{e}");
                        false
                    }
                })
            })
            .collect();
        // The actor is slow (held) while the callers start, then answers all that wait.
        drop(gate);
        let answered = callers
            .into_iter()
            .map(|c| c.join().unwrap())
            .filter(|&a| a)
            .count();
        (answered, 1_000 - answered)
    });
    assert_eq!(replies + timed_out, 1_000);
    println!("1,000 concurrent calls with random timeouts: {replies} own replies, {timed_out} timeouts, none misattributed");
}

#[test]
fn stop_under_load_handles_everything_before_and_returns_everything_after() {
    let (probe, report) = common::reporting_probe();
    let before = std::thread::scope(|scope| {
        let sender = {
            let probe = probe.clone();
            scope.spawn(move || {
                let (mut accepted, mut returned) = (Vec::new(), HashSet::new());
                for n in 0..200_000 {
                    match probe.tell(Record(n)) {
                        Ok(()) => accepted.push(n),
                        Err(e) => {
                            returned.insert(e.into_inner().0);
                        }
                    }
                }
                (accepted, returned)
            })
        };
        // Stop while the sender is still sending.
        while probe.mailbox_len() < 1_000 {
            std::thread::yield_now();
        }
        Bridge::new().call(&probe, Stop, WAIT).unwrap();
        sender.join().unwrap()
    });
    let (accepted, returned) = before;
    let handled = report.recv_timeout(WAIT).unwrap();
    // Everything handled was sent in order; everything refused came back; the rest were
    // queued behind Stop (dead letters).
    assert_eq!(handled, accepted[..handled.len()]);
    // (A set: `Vec::contains` here made the check quadratic, minutes in a debug build when
    // many were both handled and given back.)
    let handled_set: HashSet<u64> = handled.iter().copied().collect();
    assert!(returned.iter().all(|n| !handled_set.contains(n)));
    assert!(!returned.is_empty() || accepted.len() == 200_000);
    println!(
        "stop under load: {} handled before Stop, {} queued behind it, {} given back",
        handled.len(),
        accepted.len() - handled.len(),
        returned.len()
    );
}

// ---- Mail that races a stop (issue 16, point 1) ----

use actor_core::DeadLetters;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};

/// Dead letters per actor, from one process-wide hook installed once (the hook is
/// global, so the tests of this binary share it).
fn dead_letters_of(id: ActorId) -> usize {
    dead_letter_books()
        .lock()
        .unwrap()
        .get(&id)
        .copied()
        .unwrap_or(0)
}

/// Installs the hook (once) and returns its books.
fn dead_letter_books() -> &'static Mutex<HashMap<ActorId, usize>> {
    static BOOKS: OnceLock<Arc<Mutex<HashMap<ActorId, usize>>>> = OnceLock::new();
    let books = BOOKS.get_or_init(|| {
        let books: Arc<Mutex<HashMap<ActorId, usize>>> = Arc::default();
        let sink = books.clone();
        DeadLetters::set_hook(move |letter| {
            if let Some(actor) = letter.actor {
                *sink.lock().unwrap().entry(actor.id).or_default() += 1;
            }
        });
        books
    });
    books
}

/// A call that holds a handle to its own target (so a copy stuck in a mailbox would keep
/// the actor's state alive for good) and counts its drops.
#[derive(Message)]
struct Loop {
    _target: Addr<Gated>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Loop {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

struct Gated;

#[actor]
impl Gated {
    #[handles(common::Hold)]
    fn hold(&mut self, hold: common::Hold) {
        hold.enter();
    }

    #[handles(Loop)]
    fn on_loop(&mut self, _: Loop) {}
}

#[derive(Default, Debug)]
struct Outcomes {
    made: usize,
    handled: usize,
    refused: usize,
    discarded: usize,
}

/// One round: a bounded(1) actor held on a gate, six threads calling it in a loop (three
/// of them waiting for an empty mailbox first, to land just after the stop's drain), one
/// more sending `Stop`, then the gate opens. Every call must end at once (handled, refused
/// with the message back, or failed as stopped); none may wait out its 60 s timeout. Every
/// message must be dropped by the end, and each one not handled is one dead letter.
fn stop_race_round(spawn: &dyn Fn(Spawn<Gated>) -> Addr<Gated>) -> Outcomes {
    const CALLERS: usize = 6;
    let long = Duration::from_secs(60);
    dead_letter_books();
    let target = spawn(Spawn::new(Gated).bounded(1));
    let id = target.id();
    let watcher = Bridge::new();
    watcher.watch(&target.any());
    let gate = hold(&target);
    let drops = Arc::new(AtomicUsize::new(0));
    let outcomes = Mutex::new(Outcomes::default());
    let go = Barrier::new(CALLERS + 2);
    std::thread::scope(|scope| {
        for caller in 0..CALLERS {
            let (target, drops, outcomes, go) = (&target, &drops, &outcomes, &go);
            scope.spawn(move || {
                let bridge = Bridge::new();
                go.wait();
                loop {
                    if caller % 2 == 0 {
                        while target.is_alive() && target.mailbox_len() != 0 {
                            std::hint::spin_loop();
                        }
                    }
                    let msg = Loop {
                        _target: target.clone(),
                        drops: drops.clone(),
                    };
                    outcomes.lock().unwrap().made += 1;
                    match bridge.call(target, msg, long) {
                        Ok(()) => outcomes.lock().unwrap().handled += 1,
                        Err(CallError::Send(SendError::Stopped { .. })) => {
                            outcomes.lock().unwrap().refused += 1;
                            break;
                        }
                        Err(CallError::Stopped { .. }) => {
                            outcomes.lock().unwrap().discarded += 1;
                            break;
                        }
                        Err(e) => panic!("a call racing the stop: {e}"),
                    }
                }
            });
        }
        let (target, go) = (&target, &go);
        scope.spawn(move || {
            go.wait();
            target.tell(Stop).unwrap();
        });
        go.wait();
        gate.send(()).unwrap();
    });
    assert_eq!(common::terminated(&watcher).id(), id);
    drop(target);
    let outcomes = outcomes.into_inner().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        outcomes.made,
        "a message was never dropped: {outcomes:?}"
    );
    assert_eq!(
        dead_letters_of(id),
        outcomes.refused + outcomes.discarded,
        "{outcomes:?}"
    );
    outcomes
}

fn stop_race(hosting: &str, spawn: &dyn Fn(Spawn<Gated>) -> Addr<Gated>) {
    let mut total = Outcomes::default();
    for _ in 0..200 {
        let round = stop_race_round(spawn);
        total.made += round.made;
        total.handled += round.handled;
        total.refused += round.refused;
        total.discarded += round.discarded;
    }
    println!("stop race ({hosting}), 200 rounds: {total:?}");
}

#[test]
fn mail_racing_a_stop_on_a_bounded_thread_mailbox_fails_at_once_and_is_freed() {
    stop_race("thread", &|spawn| spawn.spawn());
}

#[test]
fn mail_racing_a_stop_on_a_bounded_driver_mailbox_fails_at_once_and_is_freed() {
    let driver = Driver::new(2);
    stop_race("driver", &|spawn| spawn.spawn_on(&driver));
}

// ---- Drivers under pressure (issue 16: bugs 2 and 3, the idle worker) ----

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
