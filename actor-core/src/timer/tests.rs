//! The timer service's unit tests: ordering, cancellation, compaction, panics in `fire`.

use super::service::{Entry, Service, COMPACT_MIN};
use super::*;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use std::sync::atomic::AtomicUsize;
use std::sync::Barrier;
use std::thread;

/// How long a test waits for something that must happen: generous, never a measurement.
const LONG: Duration = Duration::from_secs(30);

/// Sends on its channel when dropped: shows when a timer let go of its closure.
struct Dropped(Sender<()>);

impl Drop for Dropped {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

fn service() -> Service {
    Service::start().expect("a timer thread")
}

fn once(service: &Service, deadline: Instant, f: impl FnOnce() + Send + 'static) -> Timer {
    let mut f = Some(f);
    service.schedule(
        deadline,
        None,
        Box::new(move || {
            if let Some(f) = f.take() {
                f();
            }
            false
        }),
    )
}

/// Waits until everything due up to `deadline` has been handled by the timer thread,
/// which fires in deadline order: a timer at `deadline`, scheduled last, has fired.
fn settle(service: &Service, deadline: Instant) {
    let (tx, rx) = bounded(1);
    once(service, deadline, move || tx.send(()).unwrap());
    rx.recv_timeout(LONG).expect("the sentinel timer fired");
}

/// A timer thread held inside a fire until the returned sender is dropped or sent to.
fn block(service: &Service) -> Sender<()> {
    let (entered_tx, entered_rx) = bounded(1);
    let (release_tx, release_rx) = bounded::<()>(1);
    once(service, Instant::now(), move || {
        entered_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(LONG);
    });
    entered_rx.recv_timeout(LONG).expect("the blocker runs");
    release_tx
}

#[test]
fn one_shot_fires_once_on_the_timer_thread_not_before_its_deadline() {
    let service = service();
    let fired = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = unbounded();
    let deadline = Instant::now() + Duration::from_millis(20);
    let count = Arc::clone(&fired);
    let timer = once(&service, deadline, move || {
        count.fetch_add(1, Ordering::SeqCst);
        tx.send((Instant::now(), thread::current().name().map(String::from)))
            .unwrap();
    });
    let (at, name) = rx.recv_timeout(LONG).unwrap();
    assert!(at >= deadline, "fired early");
    assert_eq!(name.as_deref(), Some("actor-timer"));
    settle(&service, Instant::now());
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    assert!(!timer.is_active());
    assert!(format!("{timer:?}").contains("done"));
}

#[test]
fn deadlines_fire_in_order_and_ties_in_scheduling_order() {
    let service = service();
    let base = Instant::now() + Duration::from_millis(30);
    let offsets = [50, 10, 30, 20, 40, 0, 20, 20];
    let (tx, rx) = unbounded();
    for (i, ms) in offsets.into_iter().enumerate() {
        let deadline = base + Duration::from_millis(ms);
        let tx = tx.clone();
        once(&service, deadline, move || {
            tx.send((i, deadline, Instant::now())).unwrap()
        });
    }
    let got: Vec<(usize, Instant, Instant)> = (0..offsets.len())
        .map(|_| rx.recv_timeout(LONG).unwrap())
        .collect();
    assert!(
        got.iter().all(|&(_, deadline, at)| at >= deadline),
        "a timer fired early"
    );
    let order: Vec<usize> = got.iter().map(|&(i, _, _)| i).collect();
    assert_eq!(order, [5, 1, 3, 6, 7, 2, 4, 0]);
}

#[test]
fn a_periodic_timer_repeats_on_its_grid_until_fire_returns_false() {
    let service = service();
    let (tx, rx) = unbounded();
    let (dropped_tx, dropped_rx) = bounded(1);
    let guard = Dropped(dropped_tx);
    let period = Duration::from_millis(2);
    let start = Instant::now() + period;
    let mut n = 0;
    let timer = service.schedule(
        start,
        Some(period),
        Box::new(move || {
            let _ = &guard;
            n += 1;
            tx.send(Instant::now()).unwrap();
            n < 5
        }),
    );
    for k in 0..5u32 {
        let at = rx.recv_timeout(LONG).unwrap();
        assert!(at >= start + period * k, "tick {k} fired early");
    }
    dropped_rx
        .recv_timeout(LONG)
        .expect("the closure is dropped when it ends");
    settle(&service, Instant::now() + 10 * period);
    assert!(rx.try_recv().is_err(), "fired after returning false");
    assert!(!timer.is_active());
    assert!(!timer.cancel());
}

#[test]
fn missed_ticks_are_skipped_on_the_grid() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    assert_eq!(next_deadline(t0, ms(10), t0 + ms(5)), Some(t0 + ms(10)));
    assert_eq!(next_deadline(t0, ms(10), t0 + ms(10)), Some(t0 + ms(10)));
    assert_eq!(next_deadline(t0, ms(10), t0 + ms(19)), Some(t0 + ms(10)));
    assert_eq!(next_deadline(t0, ms(10), t0 + ms(35)), Some(t0 + ms(30)));
    assert_eq!(next_deadline(t0, Duration::MAX, t0), None);
}

#[test]
fn cancel_before_fire_returns_true_drops_the_closure_and_it_never_fires() {
    let service = service();
    let far = once(&service, Instant::now() + Duration::from_secs(3600), || {});
    assert!(far.is_active());
    assert!(far.cancel());
    assert!(!far.cancel(), "a second cancel");
    assert!(!far.is_active());

    // Hold the timer thread so a due timer cannot fire while we cancel it.
    let release = block(&service);
    let fired = Arc::new(AtomicUsize::new(0));
    let (dropped_tx, dropped_rx) = bounded(1);
    let guard = Dropped(dropped_tx);
    let count = Arc::clone(&fired);
    let due = once(&service, Instant::now(), move || {
        let _ = &guard;
        count.fetch_add(1, Ordering::SeqCst);
    });
    let clone = due.clone();
    assert!(clone.cancel());
    assert!(
        dropped_rx.try_recv().is_ok(),
        "cancel drops the closure at once"
    );
    assert!(!due.is_active());
    drop(release);
    settle(&service, Instant::now());
    assert_eq!(fired.load(Ordering::SeqCst), 0);
}

#[test]
fn cancel_after_or_during_a_one_shot_fire_returns_false() {
    let service = service();
    let (tx, rx) = bounded(1);
    let timer = once(&service, Instant::now(), move || tx.send(()).unwrap());
    rx.recv_timeout(LONG).unwrap();
    settle(&service, Instant::now());
    assert!(!timer.cancel());

    let (entered_tx, entered_rx) = bounded(1);
    let (release_tx, release_rx) = bounded::<()>(1);
    let (done_tx, done_rx) = bounded(1);
    let timer = once(&service, Instant::now(), move || {
        entered_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(LONG);
        done_tx.send(()).unwrap();
    });
    entered_rx.recv_timeout(LONG).unwrap();
    assert!(
        !timer.is_active(),
        "a one-shot that is firing can no longer be stopped"
    );
    assert!(!timer.cancel());
    drop(release_tx);
    done_rx.recv_timeout(LONG).expect("the fire ran to its end");
}

#[test]
fn cancel_stops_a_periodic_timer_pending_or_mid_fire() {
    let service = service();
    let pending = service.schedule(
        Instant::now() + Duration::from_secs(3600),
        Some(Duration::from_millis(1)),
        Box::new(|| true),
    );
    assert!(pending.cancel());
    assert!(!pending.is_active());

    let fired = Arc::new(AtomicUsize::new(0));
    let (entered_tx, entered_rx) = bounded(1);
    let (release_tx, release_rx) = bounded::<()>(1);
    let (dropped_tx, dropped_rx) = bounded(1);
    let guard = Dropped(dropped_tx);
    let count = Arc::clone(&fired);
    let timer = service.schedule(
        Instant::now(),
        Some(Duration::from_millis(1)),
        Box::new(move || {
            let _ = &guard;
            if count.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                entered_tx.send(()).unwrap();
                let _ = release_rx.recv_timeout(LONG);
            }
            true
        }),
    );
    entered_rx.recv_timeout(LONG).unwrap();
    assert!(timer.is_active());
    assert!(timer.cancel(), "mid-fire cancel of a periodic timer");
    assert!(!timer.is_active());
    assert!(!timer.cancel());
    drop(release_tx);
    dropped_rx
        .recv_timeout(LONG)
        .expect("the timer thread drops the closure");
    settle(&service, Instant::now() + Duration::from_millis(20));
    assert_eq!(fired.load(Ordering::SeqCst), 3);
}

/// Cancels `timer` from `threads` threads at once; how many calls returned true.
fn race_cancel(timer: &Timer, threads: usize) -> usize {
    let barrier = Barrier::new(threads);
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    timer.cancel()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    })
}

#[test]
fn concurrent_cancels_and_fires_decide_each_timer_once() {
    const ROUNDS: usize = 200;
    const CANCELLERS: usize = 3;
    let service = service();
    let fired: Arc<Vec<AtomicUsize>> = Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
    let mut stopped = vec![0; ROUNDS];
    for (round, stopped) in stopped.iter_mut().enumerate() {
        let count = Arc::clone(&fired);
        let timer = once(&service, Instant::now(), move || {
            count[round].fetch_add(1, Ordering::SeqCst);
        });
        *stopped = race_cancel(&timer, CANCELLERS);
    }
    settle(&service, Instant::now());
    for (round, stopped) in stopped.into_iter().enumerate() {
        let fires = fired[round].load(Ordering::SeqCst);
        assert_eq!(
            fires + stopped,
            1,
            "round {round}: {fires} fires, {stopped} cancels"
        );
    }

    // Periodic: exactly one canceller wins, and no fire starts after it returned.
    for _ in 0..20 {
        let fires = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = unbounded();
        let count = Arc::clone(&fires);
        let timer = service.schedule(
            Instant::now(),
            Some(Duration::from_micros(100)),
            Box::new(move || {
                count.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(());
                true
            }),
        );
        rx.recv_timeout(LONG).unwrap();
        let wins = race_cancel(&timer, CANCELLERS);
        assert_eq!(wins, 1);
        let seen = fires.load(Ordering::SeqCst);
        settle(&service, Instant::now() + Duration::from_millis(5));
        // One fire may have been running (and counted late) when cancel was called.
        assert!(fires.load(Ordering::SeqCst) <= seen + 1);
    }
}

#[test]
fn a_panicking_fire_or_drop_ends_only_its_own_timer() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("a closure's drop panics");
        }
    }
    let service = service();
    let one = once(&service, Instant::now(), || panic!("a one-shot panics"));
    let periodic = service.schedule(
        Instant::now(),
        Some(Duration::from_millis(1)),
        Box::new(|| panic!("a periodic timer panics")),
    );
    let guard = PanicOnDrop;
    once(&service, Instant::now(), move || {
        let _ = &guard;
    });
    settle(&service, Instant::now() + Duration::from_millis(5));
    assert!(!one.is_active());
    assert!(!periodic.is_active());
    assert!(!periodic.cancel());
    settle(&service, Instant::now());
}

#[test]
fn a_sooner_deadline_wakes_the_thread_sleeping_until_a_later_one() {
    let service = service();
    let far = Instant::now() + Duration::from_secs(3600);
    let _far = once(&service, far, || {});
    // A schedule wakes the thread only for a deadline before the one it sleeps until:
    // wait (bounded) until it sleeps until `far`, then schedule one due now.
    let until = Instant::now() + LONG;
    while !service.sleeps_until(far) {
        assert!(
            Instant::now() < until,
            "the timer thread never slept until `far`"
        );
        thread::yield_now();
    }
    let (tx, rx) = bounded(1);
    let _near = once(&service, Instant::now(), move || tx.send(()).unwrap());
    rx.recv_timeout(LONG).expect("the sooner deadline fires");
    settle(&service, Instant::now());
}

#[test]
fn compaction_keeps_cancelled_entries_under_half_the_heap() {
    let service = service();
    let far = Instant::now() + Duration::from_secs(3600);
    let timers: Vec<Timer> = (0..10_000).map(|_| once(&service, far, || {})).collect();
    assert_eq!(service.len(), 10_000);
    for (i, timer) in timers.iter().enumerate() {
        if i % 10 != 0 {
            assert!(timer.cancel());
        }
    }
    let len = service.len();
    assert!(
        (1000..=2001).contains(&len),
        "{len} entries for 1000 pending timers"
    );
    for timer in timers.iter().step_by(10) {
        assert!(timer.is_active());
        assert!(timer.cancel());
    }
    assert!(
        service.len() <= COMPACT_MIN,
        "{} entries left",
        service.len()
    );
    assert!(
        service.capacity() <= 4 * COMPACT_MIN,
        "capacity {}",
        service.capacity()
    );
    settle(&service, Instant::now());
}

/// Resident memory of this process, in bytes (Linux).
fn resident() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn a_million_pending_timers_cost_little_memory() {
    const N: usize = 1_000_000;
    let arc_block = 2 * size_of::<usize>() + size_of::<TimerState>();
    eprintln!(
        "entry {} B, shared block {} B (TimerState {} B), handle {} B",
        size_of::<Entry>(),
        arc_block,
        size_of::<TimerState>(),
        size_of::<Timer>()
    );
    assert!(size_of::<Entry>() + arc_block <= 128);
    assert_eq!(size_of::<Timer>(), size_of::<usize>());

    let service = service();
    let far = Instant::now() + Duration::from_secs(24 * 3600);
    let before = resident();
    for _ in 0..N {
        // Dropping the handle leaves the timer pending.
        let _ = service.schedule(far, None, Box::new(|| false));
    }
    let after = resident();
    assert_eq!(service.len(), N);
    if let (Some(before), Some(after)) = (before, after) {
        let per_timer = after.saturating_sub(before) / N;
        eprintln!("{per_timer} bytes of resident memory per pending timer");
        // Generous: other tests of this binary allocate meanwhile, which can only add
        // to the figure (112 B alone). A thread per timer would cost kilobytes.
        assert!(per_timer < 512, "{per_timer} bytes per pending timer");
    }
}

#[test]
fn without_a_timer_thread_a_timer_is_inactive_and_its_closure_dropped() {
    let (dropped_tx, dropped_rx) = bounded(1);
    let guard = Dropped(dropped_tx);
    let timer = schedule_on(
        None,
        Instant::now(),
        None,
        Box::new(move || {
            let _ = &guard;
            true
        }),
    );
    assert!(dropped_rx.try_recv().is_ok());
    assert!(!timer.is_active());
    assert!(!timer.cancel());
}

#[test]
fn the_process_timer_runs_after_and_schedule() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Timer>();
    /// A bare heap entry, as `ctx.ask` and `call_async` schedule: says where it fired.
    struct Named(Sender<Option<String>>);
    impl Due for Named {
        fn is_pending(&self) -> bool {
            true
        }
        fn fire_due(self: Arc<Self>, _: Instant) -> Option<Instant> {
            self.0
                .send(thread::current().name().map(String::from))
                .unwrap();
            None
        }
        fn abandon(&self) {}
    }
    let (tx, rx): (Sender<Option<String>>, Receiver<_>) = bounded(1);
    assert!(schedule_due(Duration::ZERO, Arc::new(Named(tx))));
    assert_eq!(
        rx.recv_timeout(LONG).unwrap().as_deref(),
        Some("actor-timer")
    );
    let (tx, rx) = bounded(1);
    let periodic = schedule(
        Instant::now(),
        Some(Duration::ZERO),
        Box::new(move || {
            let _ = tx.send(());
            false
        }),
    );
    rx.recv_timeout(LONG).unwrap();
    // The closure has sent but may not have returned yet: the timer ends once it has
    // (the closure's `false`), so wait for that before asking to cancel.
    let deadline = Instant::now() + LONG;
    while periodic.is_active() {
        assert!(Instant::now() < deadline, "the periodic timer never ended");
        thread::yield_now();
    }
    assert!(!periodic.cancel());
    let _ = pending_count();
    assert!(format!("{periodic:?}").starts_with("Timer"));
}

/// A request deadline as `ctx.ask` schedules it: fires at its time once, or not at all if
/// it ended first, whether or not the thread that scheduled it is still there.
struct Request {
    ended: std::sync::atomic::AtomicBool,
    fired: Sender<Instant>,
}

impl Due for Request {
    fn is_pending(&self) -> bool {
        !self.ended.load(Ordering::Acquire)
    }
    fn fire_due(self: Arc<Self>, _: Instant) -> Option<Instant> {
        if !self.ended.swap(true, Ordering::AcqRel) {
            let _ = self.fired.send(Instant::now());
        }
        None
    }
    fn abandon(&self) {}
}

#[test]
fn young_deadlines_fire_on_time_even_after_their_thread_ended_and_ended_ones_never() {
    let (tx, fired) = unbounded();
    let request = |tx: &Sender<Instant>| {
        Arc::new(Request {
            ended: std::sync::atomic::AtomicBool::new(false),
            fired: tx.clone(),
        })
    };
    let started = Instant::now();
    // Scheduled from threads that end at once: their young lists outlive them.
    let pending: Vec<_> = (0..4)
        .map(|i| {
            let due = request(&tx);
            let mine = Arc::clone(&due);
            thread::spawn(move || {
                assert!(schedule_due(
                    Duration::from_millis(20 * (i + 1)),
                    mine as Arc<dyn Due>
                ))
            })
            .join()
            .unwrap();
            due
        })
        .collect();
    // Ended before their deadline (answered): never fired, and dropped from the list by
    // the next request of this thread.
    for _ in 0..100 {
        let due = request(&tx);
        assert!(schedule_due(
            Duration::from_millis(10),
            Arc::clone(&due) as Arc<dyn Due>
        ));
        due.ended.store(true, Ordering::Release);
    }
    for _ in 0..4 {
        let at = fired.recv_timeout(LONG).expect("a pending deadline fires");
        // Never early: each was scheduled after `started`, 20 ms or more ahead.
        assert!(at >= started + Duration::from_millis(20));
    }
    assert!(fired.recv_timeout(Duration::from_millis(100)).is_err());
    assert!(pending.iter().all(|due| !due.is_pending()));
}

#[test]
fn a_young_deadline_is_counted_from_its_take_never_early_and_taken_within_its_slack() {
    let service = service();
    let timeout = Duration::from_millis(40);
    let slack = u64::try_from(timeout.as_nanos()).unwrap() >> super::service::SLACK_SHIFT;
    let (tx, fired) = unbounded();
    let due = Arc::new(Request {
        ended: std::sync::atomic::AtomicBool::new(false),
        fired: tx,
    });
    // The timer thread is held in a fire: it cannot take the young list meanwhile.
    let release = block(&service);
    let before = Instant::now();
    let (by, since) = thread::scope(|s| {
        s.spawn(|| {
            service.schedule_young(timeout, Arc::clone(&due) as Arc<dyn Due>);
            service.young_due()
        })
        .join()
        .unwrap()
    });
    // No clock was read for the push, yet the timer thread is to take the list at most a
    // sixteenth of the timeout after its last look (no later than the push).
    assert!(since <= service.at(before));
    assert_eq!(by, since + slack);
    assert!(service.deadlines().is_empty(), "still on the young list");
    drop(release);
    // Taken (it was due), with its deadline counted from a clock read after the push.
    let deadline = Instant::now() + LONG;
    let at = loop {
        if let Some(&at) = service.deadlines().first() {
            break at;
        }
        assert!(
            Instant::now() < deadline,
            "the young entry reached the heap"
        );
        thread::yield_now();
    };
    let taken_by = service.at(Instant::now());
    assert!(at >= service.at(before) + service.at_offset(timeout));
    assert!(at <= taken_by + service.at_offset(timeout));
    // The take moved `since` past the push: the next push's look is due soon after it.
    assert!(service.young_due().1 >= service.at(before));
    let fired_at = fired.recv_timeout(LONG).expect("the deadline fires");
    assert!(fired_at >= before + timeout, "never early");
}
