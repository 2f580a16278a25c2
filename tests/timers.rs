//! Timers (`ctx.tell_after`, `ctx.tell_every`, `addr.tell_after`) and weak handles
//! (`WeakAddr`, `WeakRecipient`, `WeakAnyAddr`), each on a dedicated thread and on a
//! two-thread driver.
//!
//! No test sleeps to synchronise and none asserts an upper bound on time. "Nothing fired
//! after X" is shown with a sentinel timer scheduled after X with a later deadline: the one
//! timer thread fires in deadline order and posts in that order, so when the sentinel's
//! message is handled, every fire due before it has been handled too.

mod common;

use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::{
    DeadLetter, DeadLetters, DeadReason, Spawn, StopReason, WeakAnyAddr, WeakRecipient,
};
use common::{hold, rss_kib, terminated, Hold, WAIT};
use crossbeam_channel::{unbounded, Receiver, Sender as Channel};

/// What the clock reports, in the order it handles its mail.
#[derive(Debug, PartialEq)]
enum Event {
    /// A `Fired`: how long after it was armed, and whether the actor itself was its sender.
    Fired {
        waited: Duration,
        from_self: bool,
    },
    Tick,
    Sentinel(u32),
}

/// Arms `ctx.tell_after(delay, Fired(now))` and replies with its timer.
#[derive(Message)]
#[message(reply = Timer)]
struct After(Duration);

/// Arms `ctx.tell_every(period, || Tick)` and replies with its timer.
#[derive(Message)]
#[message(reply = Timer)]
struct Every(Duration);

#[derive(Message)]
struct Fired(Instant);

#[derive(Message)]
struct Tick;

#[derive(Message)]
struct Sentinel(u32);

/// How many ticks it handled.
#[derive(Message)]
#[message(reply = u64)]
struct Ticks;

struct Clock {
    events: Channel<Event>,
    ticks: u64,
}

#[actor]
impl Clock {
    #[handles(After)]
    fn after(&mut self, After(delay): After, ctx: &mut Context<Self>) -> Timer {
        ctx.tell_after(delay, Fired(Instant::now()))
    }

    #[handles(Every)]
    fn every(&mut self, Every(period): Every, ctx: &mut Context<Self>) -> Timer {
        ctx.tell_every(period, || Tick)
    }

    #[handles(Fired)]
    fn fired(&mut self, Fired(armed): Fired, ctx: &mut Context<Self>) {
        let from_self = ctx.sender().actor().map(AnyAddr::id) == Some(ctx.id());
        let waited = armed.elapsed();
        let _ = self.events.send(Event::Fired { waited, from_self });
    }

    // Takes the context, so its ticks are stamped with the actor as their sender: the
    // stamp must not keep the actor alive either.
    #[handles(Tick)]
    fn tick(&mut self, _: Tick, _ctx: &mut Context<Self>) {
        self.ticks += 1;
        let _ = self.events.send(Event::Tick);
    }

    #[handles(Sentinel)]
    fn sentinel(&mut self, Sentinel(n): Sentinel) {
        let _ = self.events.send(Event::Sentinel(n));
    }

    #[handles(Ticks)]
    fn count(&self, _: Ticks) -> u64 {
        self.ticks
    }

    #[handles(Hold)]
    fn hold(&mut self, hold: Hold) {
        hold.enter();
    }
}

/// Where the test's actors run.
enum Host {
    Thread,
    Driver(Driver),
}

impl Host {
    fn clock(&self) -> (Addr<Clock>, Receiver<Event>) {
        self.clock_with(|spawn| spawn)
    }

    fn clock_with(
        &self,
        f: impl FnOnce(Spawn<Clock>) -> Spawn<Clock>,
    ) -> (Addr<Clock>, Receiver<Event>) {
        let (events, rx) = unbounded();
        let spawn = f(Spawn::new(Clock { events, ticks: 0 }));
        let addr = match self {
            Host::Thread => spawn.spawn(),
            Host::Driver(driver) => spawn.spawn_on(driver),
        };
        (addr, rx)
    }
}

fn next(events: &Receiver<Event>) -> Event {
    events.recv_timeout(WAIT).expect("an event from the clock")
}

/// Each check, as one test on a dedicated thread and one on a `Driver::new(2)`.
macro_rules! on_both_hosts {
    ($($check:ident),* $(,)?) => {
        mod on_a_thread {
            $(#[test] fn $check() { super::$check(&super::Host::Thread) })*
        }
        mod on_a_driver {
            $(#[test] fn $check() {
                super::$check(&super::Host::Driver(actor_core::Driver::new(2)))
            })*
        }
    };
}

on_both_hosts!(
    tell_after_fires_once_from_the_actor_itself_and_not_early,
    tell_every_ticks_until_cancelled_and_not_after,
    a_cancel_before_the_deadline_wins_or_the_message_comes,
    addr_tell_after_works_from_plain_code,
    a_pending_timer_does_not_keep_its_actor_alive,
    every_timer_ends_when_its_actor_stops,
    a_tick_that_finds_a_full_mailbox_is_dropped_as_a_dead_letter,
    weak_handles_upgrade_while_the_actor_lives,
    weak_handles_do_not_keep_an_actor_alive,
);

fn tell_after_fires_once_from_the_actor_itself_and_not_early(host: &Host) {
    let (clock, events) = host.clock();
    let delay = Duration::from_millis(20);
    let timer = Bridge::new().call(&clock, After(delay), WAIT).unwrap();
    match next(&events) {
        Event::Fired { waited, from_self } => {
            assert!(waited >= delay, "fired after {waited:?}, asked {delay:?}");
            assert!(from_self, "a timer's message comes from the actor itself");
        }
        other => panic!("expected Fired, got {other:?}"),
    }
    // A one-shot that fired can no longer be cancelled.
    assert!(!timer.cancel());
    assert!(!timer.is_active());
    // Fires once: a sentinel due after any second fire comes next.
    let _sentinel = clock.tell_after(delay, Sentinel(1));
    assert_eq!(next(&events), Event::Sentinel(1));
}

fn tell_every_ticks_until_cancelled_and_not_after(host: &Host) {
    let (clock, events) = host.clock();
    let period = Duration::from_millis(2);
    let armed = Instant::now();
    let timer = Bridge::new().call(&clock, Every(period), WAIT).unwrap();
    for _ in 0..3 {
        assert_eq!(next(&events), Event::Tick);
    }
    // The third tick was due no earlier than three periods after it was armed.
    assert!(armed.elapsed() >= 3 * period);
    assert!(timer.is_active());
    assert!(timer.cancel(), "the first cancel stops a running timer");
    assert!(!timer.cancel(), "a second cancel finds it stopped");
    assert!(!timer.is_active());
    // Ticks queued (or being posted) when cancel returned may still come before the first
    // sentinel; none may come between the two: a tick due again would be due before the
    // second sentinel, and so handled before it.
    let _first = clock.tell_after(Duration::ZERO, Sentinel(1));
    let _second = clock.tell_after(5 * period, Sentinel(2));
    loop {
        match next(&events) {
            Event::Tick => continue,
            Event::Sentinel(1) => break,
            other => panic!("expected a tick or the first sentinel, got {other:?}"),
        }
    }
    assert_eq!(
        next(&events),
        Event::Sentinel(2),
        "a tick came after cancel"
    );
}

fn a_cancel_before_the_deadline_wins_or_the_message_comes(host: &Host) {
    let (clock, events) = host.clock();
    // Far ahead: this cancel surely comes first.
    let far = clock.tell_after(Duration::from_secs(3600), Fired(Instant::now()));
    assert!(far.is_active());
    assert!(far.cancel());
    assert!(!far.is_active());
    // Near: whichever wins, exactly one outcome is seen.
    let delay = Duration::from_millis(10);
    let near = clock.tell_after(delay, Fired(Instant::now()));
    let cancelled = near.cancel();
    let _sentinel = clock.tell_after(2 * delay, Sentinel(1));
    if cancelled {
        assert_eq!(next(&events), Event::Sentinel(1), "a cancelled timer fired");
    } else {
        assert!(matches!(next(&events), Event::Fired { .. }));
        assert_eq!(next(&events), Event::Sentinel(1));
    }
}

fn addr_tell_after_works_from_plain_code(host: &Host) {
    let (clock, events) = host.clock();
    let delay = Duration::from_millis(15);
    let timer = clock.tell_after(delay, Fired(Instant::now()));
    assert!(timer.is_active());
    match next(&events) {
        Event::Fired { waited, from_self } => {
            assert!(waited >= delay, "fired after {waited:?}, asked {delay:?}");
            assert!(from_self);
        }
        other => panic!("expected Fired, got {other:?}"),
    }
    assert!(!timer.cancel());
    // A periodic one from plain code, too.
    let every = clock.tell_every(Duration::from_millis(1), || Tick);
    assert_eq!(next(&events), Event::Tick);
    assert_eq!(next(&events), Event::Tick);
    assert!(every.cancel());
}

fn a_pending_timer_does_not_keep_its_actor_alive(host: &Host) {
    let (clock, events) = host.clock();
    let bridge = Bridge::new();
    let hour = Duration::from_secs(3600);
    let inner = bridge.call(&clock, After(hour), WAIT).unwrap();
    let slow = bridge.call(&clock, Every(hour), WAIT).unwrap();
    // Ticking all along, each tick stamped with the actor as its sender.
    let fast = bridge
        .call(&clock, Every(Duration::from_millis(1)), WAIT)
        .unwrap();
    let outer = clock.tell_after(hour, Tick);
    assert_eq!(next(&events), Event::Tick);
    bridge.watch(&clock.any());
    let weak = clock.downgrade();
    drop(clock); // the last strong handle
    let ended = terminated(&bridge);
    assert_eq!(ended.reason, StopReason::Released);
    for timer in [&inner, &slow, &fast, &outer] {
        assert!(!timer.is_active(), "{timer:?} outlived its actor");
        assert!(!timer.cancel());
    }
    assert!(weak.upgrade().is_none());
}

fn every_timer_ends_when_its_actor_stops(host: &Host) {
    let (clock, _events) = host.clock();
    let bridge = Bridge::new();
    let hour = Duration::from_secs(3600);
    let timers = [
        bridge.call(&clock, After(hour), WAIT).unwrap(),
        bridge.call(&clock, Every(hour), WAIT).unwrap(),
        bridge
            .call(&clock, Every(Duration::from_millis(1)), WAIT)
            .unwrap(),
        clock.tell_after(hour, Tick),
        clock.tell_every(Duration::from_millis(1), || Tick),
    ];
    assert!(timers.iter().all(Timer::is_active));
    assert_eq!(bridge.stop(&[clock.any()], WAIT), [Some(Stopped)]);
    for timer in &timers {
        assert!(!timer.is_active(), "{timer:?} outlived its actor");
        assert!(!timer.cancel());
    }
    // A timer for an actor that has ended never starts.
    let late = clock.tell_after(Duration::ZERO, Tick);
    assert!(!late.is_active());
    assert!(!late.cancel());
}

fn a_tick_that_finds_a_full_mailbox_is_dropped_as_a_dead_letter(host: &Host) {
    let (clock, events) = host.clock_with(|spawn| spawn.bounded(1));
    let dead = dead_letters_of(clock.id());
    let gate = hold(&clock); // busy, its mailbox empty
    clock.tell(Sentinel(1)).unwrap(); // now full
    let timer = clock.tell_after(Duration::ZERO, Tick);
    let letter = dead.recv_timeout(WAIT).expect("a dead letter for the tick");
    assert_eq!(letter.reason, DeadReason::Full);
    assert!(letter
        .message
        .as_deref()
        .is_some_and(|m| m.contains("Tick")));
    assert!(!timer.is_active());
    drop(gate);
    assert_eq!(next(&events), Event::Sentinel(1));
    assert_eq!(Bridge::new().call(&clock, Ticks, WAIT).unwrap(), 0);
}

/// The dead letters recorded for actor `id` from now on. The hook is process-wide, so one
/// hook, set once, routes them to each test that asked (tests run in parallel).
fn dead_letters_of(id: ActorId) -> Receiver<DeadLetter> {
    static ROUTES: Mutex<Vec<(ActorId, Channel<DeadLetter>)>> = Mutex::new(Vec::new());
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        DeadLetters::set_hook(|letter| {
            let routes = ROUTES
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (id, route) in routes.iter() {
                if letter.actor.map(|actor| actor.id) == Some(*id) {
                    let _ = route.send(letter.clone());
                }
            }
        })
    });
    let (tx, rx) = unbounded();
    ROUTES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push((id, tx));
    rx
}

fn weak_handles_upgrade_while_the_actor_lives(host: &Host) {
    fn send_sync<T: Send + Sync + Clone + std::fmt::Debug>(_: &T) {}
    let (clock, events) = host.clock();
    let weak: WeakAddr<Clock> = clock.downgrade();
    let weak_recipient: WeakRecipient<Sentinel> = clock.recipient::<Sentinel>().downgrade();
    let weak_any: WeakAnyAddr = clock.any().downgrade();
    send_sync(&weak);
    send_sync(&weak_recipient);
    send_sync(&weak_any);
    assert_eq!(weak.id(), clock.id());
    assert_eq!(weak_recipient.info(), clock.info());
    assert_eq!(weak_any.id(), clock.id());
    assert!(weak.is_alive() && weak_recipient.is_alive() && weak_any.is_alive());

    // From another thread, too.
    let moved = weak.clone();
    std::thread::spawn(move || moved.upgrade().unwrap().tell(Sentinel(1)).unwrap())
        .join()
        .unwrap();
    weak_recipient.upgrade().unwrap().tell(Sentinel(2)).unwrap();
    weak_any.upgrade().unwrap().tell(Sentinel(3)).unwrap();
    for n in 1..=3 {
        assert_eq!(next(&events), Event::Sentinel(n));
    }
    assert_eq!(weak.upgrade().unwrap(), clock);

    assert_eq!(Bridge::new().stop(&[clock.any()], WAIT), [Some(Stopped)]);
    assert!(weak.upgrade().is_none(), "upgraded after stop");
    assert!(weak_recipient.upgrade().is_none());
    assert!(weak_any.upgrade().is_none());
    assert!(!weak.is_alive() && !weak_recipient.is_alive() && !weak_any.is_alive());
    assert_eq!(weak.id(), clock.id(), "a weak handle still names its actor");
    assert!(format!("{weak:?}").contains("Clock"));
}

fn weak_handles_do_not_keep_an_actor_alive(host: &Host) {
    let (clock, _events) = host.clock();
    let weak = clock.downgrade();
    let weak_recipient = clock.recipient::<Tick>().downgrade();
    let weak_any = clock.any().downgrade();
    let bridge = Bridge::new();
    bridge.watch(&clock.any());
    drop(clock);
    assert_eq!(terminated(&bridge).reason, StopReason::Released);
    assert!(weak.upgrade().is_none());
    assert!(weak_recipient.upgrade().is_none());
    assert!(weak_any.upgrade().is_none());
}

/// 1,000,000 pending `addr.tell_after` timers: resident memory per timer, on each host in
/// turn, in one test so that they do not inflate each other's figure. The first host's
/// timers stay pending while the second's are measured, so neither reuses memory the
/// other gave back.
#[test]
fn a_million_pending_timers_fit_in_memory() {
    const N: usize = 1_000_000;
    let day = Duration::from_secs(24 * 3600);
    let mut clocks = Vec::new();
    for host in [Host::Thread, Host::Driver(Driver::new(2))] {
        let name = match host {
            Host::Thread => "thread",
            Host::Driver(_) => "driver",
        };
        let (clock, _events) = host.clock();
        let pending_before = actor_core::__private::timer_pending_count();
        let before = rss_kib();
        for _ in 0..N {
            // Dropping the handle leaves the timer pending.
            let _ = clock.tell_after(day, Tick);
        }
        let after = rss_kib();
        let pending = actor_core::__private::timer_pending_count();
        assert!(pending >= pending_before + N - 1000, "{pending} pending");
        let per_timer = after.saturating_sub(before) * 1024 / N as u64;
        eprintln!("{name}: {per_timer} bytes of resident memory per pending timer");
        assert!(per_timer < 400, "{per_timer} bytes per pending timer");
        clocks.push((host, clock));
    }
    // They all end with their actors, and leave the timer heap.
    let all: Vec<AnyAddr> = clocks.iter().map(|(_, clock)| clock.any()).collect();
    assert_eq!(
        Bridge::new().stop(&all, WAIT),
        [Some(Stopped), Some(Stopped)]
    );
    let left = actor_core::__private::timer_pending_count();
    assert!(
        left < 10_000,
        "{left} timer heap entries left after the actors stopped"
    );
}
