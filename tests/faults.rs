//! When things go wrong: panic policies and restarts, monitors, dead letters, bounded
//! mailboxes, and running closures in an actor (the CallQueue recipe).

mod common;

use actor_core::prelude::*;
use actor_core::{
    CallQueue, Collector, DeadLetters, DeadReason, ExecError, Intensity, OnPanic, Spawn,
    StopReason, Terminated,
};
use common::{hold, terminated, Echo, Hold, Probe, Record, Recorded, WAIT};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(30);

#[derive(Message)]
#[message(reply = u64)]
struct Crash(&'static str);

/// Counts its starts; crashes on demand; records numbers.
struct Fragile {
    starts: Arc<AtomicUsize>,
    seen: Vec<u64>,
}

impl Fragile {
    fn new(starts: &Arc<AtomicUsize>) -> Self {
        Fragile {
            starts: starts.clone(),
            seen: Vec::new(),
        }
    }
}

#[actor]
impl Fragile {
    #[on_start]
    fn started(&mut self) {
        self.starts.fetch_add(1, Ordering::SeqCst);
    }

    #[handles(Crash)]
    fn crash(&mut self, Crash(why): Crash) -> u64 {
        panic!("{why}")
    }

    #[handles(Record)]
    fn record(&mut self, Record(n): Record) {
        self.seen.push(n);
    }

    #[handles(Recorded)]
    fn recorded(&self, _: Recorded) -> Vec<u64> {
        self.seen.clone()
    }

    #[handles(Hold)]
    fn hold(&mut self, hold: Hold) {
        hold.enter();
    }
}

/// A `Fragile` restarted from a fresh instance after each panic, and its start count.
fn restartable(intensity: Intensity) -> (Addr<Fragile>, Arc<AtomicUsize>) {
    let starts = Arc::new(AtomicUsize::new(0));
    let factory_starts = starts.clone();
    let fragile = Spawn::new(Fragile::new(&starts))
        .restart_with(move || Fragile::new(&factory_starts), intensity)
        .spawn();
    (fragile, starts)
}

#[test]
fn a_stop_policy_stops_the_actor_with_the_panic_as_reason() {
    let starts = Arc::new(AtomicUsize::new(0));
    let fragile = Spawn::new(Fragile::new(&starts))
        .on_panic(OnPanic::Stop)
        .spawn();
    let bridge = Bridge::new();
    bridge.watch(&fragile.any());
    assert!(matches!(
        bridge.call(&fragile, Crash("bad input"), WAIT),
        Err(CallError::Panicked { .. })
    ));
    let notice = terminated(&bridge);
    assert_eq!(notice.actor, fragile.info());
    assert_eq!(notice.reason, StopReason::Panicked("bad input".to_owned()));
    assert!(fragile.tell(Record(1)).is_err());
}

#[test]
fn a_restart_rebuilds_the_actor_runs_its_hooks_and_keeps_queued_mail() {
    let (fragile, starts) = restartable(Intensity::new(5, Duration::from_secs(60)));
    let bridge = Bridge::new();
    fragile.tell(Record(1)).unwrap();
    let gate = hold(&fragile);
    // Queued while the actor is held: a crash, then mail that must survive the restart.
    let crash = bridge.multi_call([(&fragile, Crash("once"))], WAIT);
    fragile.tell(Record(2)).unwrap();
    drop(gate);
    for (_, result) in crash {
        assert!(matches!(result, Err(CallError::Panicked { panic, .. }) if panic == "once"));
    }
    // The fresh instance lost the old state (1) but handled the queued record (2).
    assert_eq!(bridge.call(&fragile, Recorded, WAIT).unwrap(), [2]);
    assert_eq!(starts.load(Ordering::SeqCst), 2);
}

#[test]
fn restarts_beyond_the_intensity_stop_the_actor() {
    let (fragile, starts) = restartable(Intensity::new(2, Duration::from_secs(3600)));
    let bridge = Bridge::new();
    bridge.watch(&fragile.any());
    for _ in 0..3 {
        assert!(bridge.call(&fragile, Crash("again"), WAIT).is_err());
    }
    let notice = terminated(&bridge);
    assert_eq!(
        notice.reason,
        StopReason::RestartLimit {
            max: 2,
            within: Duration::from_secs(3600),
            panic: "again".to_owned()
        }
    );
    assert_eq!(starts.load(Ordering::SeqCst), 3);
    assert!(!fragile.is_alive());
}

#[test]
fn a_monitor_is_told_exactly_once_even_when_it_watches_late() {
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    bridge.watch(&probe.any());
    bridge.watch(&probe.any());
    assert_eq!(bridge.stop(&[probe.any()], WAIT), [Some(Stopped)]);
    // Monitors are told before the stopper gets Stopped: both notices are in.
    assert_eq!(bridge.inbox_len(), 2);
    assert_eq!(terminated(&bridge).reason, StopReason::Stopped);
    assert_eq!(terminated(&bridge).reason, StopReason::Stopped);
    // Watching an actor that has ended tells at once.
    bridge.watch(&probe.any());
    assert_eq!(bridge.inbox_len(), 1);
    assert_eq!(terminated(&bridge).id(), probe.id());
}

#[test]
fn an_actor_monitors_another_and_learns_why_it_ended() {
    #[derive(Message)]
    struct Watch(AnyAddr);

    struct Undertaker(crossbeam_channel::Sender<(ActorId, String)>);
    #[actor]
    impl Undertaker {
        #[handles(Watch)]
        fn watch(&mut self, Watch(other): Watch, ctx: &mut Context<Self>) {
            ctx.watch(&other);
        }
        #[handles(Terminated)]
        fn terminated(&mut self, notice: Terminated) {
            self.0
                .send((notice.id(), notice.reason.to_string()))
                .unwrap();
        }
    }

    let (tx, deaths) = crossbeam_channel::unbounded();
    let undertaker = Undertaker(tx).spawn();
    let probe = Probe::default().spawn();
    Bridge::new()
        .call(&undertaker, Watch(probe.any()), WAIT)
        .unwrap();
    let id = probe.id();
    drop(probe); // the last handle: the probe stops by itself
    assert_eq!(
        deaths.recv_timeout(WAIT).unwrap(),
        (id, "every handle to it was dropped".to_owned())
    );
}

#[test]
fn undeliverable_messages_are_dead_letters() {
    type Seen = Vec<(Option<ActorId>, Option<String>, DeadReason)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let sink = seen.clone();
    DeadLetters::set_hook(move |letter| {
        sink.lock().unwrap().push((
            letter.actor.map(|a| a.id),
            letter.message.clone(),
            letter.reason,
        ))
    });
    let before = DeadLetters::count();

    let probe = Probe::default().spawn();
    let gate = hold(&probe);
    probe.tell(Stop).unwrap();
    probe.tell(Record(1)).unwrap(); // queued behind Stop: discarded when it stops
    drop(gate);
    let bridge = Bridge::new();
    let _ = bridge.call(&probe, Echo(1), WAIT); // behind Stop, or refused: a dead letter either way
    assert!(probe.tell(Record(2)).is_err()); // refused: stopped
    #[derive(Message)]
    struct Stray;
    let listener = Probe::default().spawn();
    assert!(listener.any().tell(Stray).is_err()); // no handler, no catch-all

    DeadLetters::clear_hook();
    let seen = seen.lock().unwrap();
    let about = |id: ActorId| -> Vec<(String, DeadReason)> {
        seen.iter()
            .filter(|(actor, ..)| *actor == Some(id))
            .map(|(_, message, reason)| (message.clone().unwrap_or_default(), *reason))
            .collect()
    };
    let probe_letters = about(probe.id());
    assert!(
        probe_letters.contains(&("Record".to_owned(), DeadReason::Discarded)),
        "{probe_letters:?}"
    );
    assert!(
        probe_letters.contains(&("Record".to_owned(), DeadReason::Stopped)),
        "{probe_letters:?}"
    );
    assert!(
        probe_letters.iter().any(|(m, _)| m == "Echo"),
        "{probe_letters:?}"
    );
    assert_eq!(
        about(listener.id()),
        [("DynMessage".to_owned(), DeadReason::NotHandled)]
    );
    assert!(DeadLetters::count() >= before + 4);
}

#[test]
fn a_full_bounded_mailbox_gives_the_message_back_or_makes_the_sender_wait() {
    let probe = Spawn::new(Probe::default()).bounded(2).spawn();
    let gate = hold(&probe);
    // The actor holds, its mailbox is empty: two fit, the third is given back.
    probe.try_tell(Record(0)).unwrap();
    probe.try_tell(Record(1)).unwrap();
    assert!(matches!(
        probe.try_tell(Record(2)),
        Err(SendError::Full { msg: Record(2), .. })
    ));
    let sent = vec![0, 1];
    assert!(matches!(
        probe.tell_timeout(Record(99), SHORT),
        Err(SendError::Timeout {
            msg: Record(99),
            ..
        })
    ));
    // A blocking tell waits for room, which comes once the gate opens.
    let waiting = {
        let probe = probe.clone();
        std::thread::spawn(move || probe.tell(Record(100)))
    };
    drop(gate);
    waiting.join().unwrap().unwrap();
    let mut expected = sent.clone();
    expected.push(100);
    assert_eq!(
        Bridge::new().call(&probe, Recorded, WAIT).unwrap(),
        expected
    );
}

#[test]
fn a_bounded_actor_whose_last_handle_goes_while_full_still_stops() {
    let (tx, report) = crossbeam_channel::unbounded();
    let probe = Spawn::new(Probe {
        on_stop: Some(tx),
        ..Probe::default()
    })
    .bounded(1)
    .spawn();
    let gate = hold(&probe);
    probe.try_tell(Record(7)).unwrap();
    assert!(probe.try_tell(Record(8)).is_err());
    drop(probe); // the mailbox is full: the release notice must wait for room
    drop(gate);
    assert_eq!(report.recv_timeout(WAIT).unwrap(), [7]);
}

#[test]
fn exec_runs_a_closure_with_the_actor_and_carries_panics_back() {
    let probe = Probe::default().spawn();
    probe.tell(Record(5)).unwrap();
    let seen = probe
        .exec(|probe, ctx| (probe.seen.clone(), ctx.id()))
        .wait()
        .unwrap();
    assert_eq!(seen, (vec![5], probe.id()));

    let mut failed = probe.exec(|_, _| -> u32 { panic!("in exec") });
    assert_eq!(
        failed.wait_timeout(WAIT),
        Err(ExecError::Panicked("in exec".to_owned()))
    );
    // The actor is unaffected by a quiet exec panic.
    assert_eq!(Bridge::new().call(&probe, Echo(1), WAIT).unwrap(), 1);

    let mut pending = probe.exec(|probe, _| probe.seen.len());
    // The actor answers in order: once this call returns, the exec has run.
    Bridge::new().call(&probe, Echo(2), WAIT).unwrap();
    assert!(pending.is_done());
    assert_eq!(pending.try_take(), Some(Ok(1)));
    assert_eq!(pending.try_take(), None);
}

#[test]
fn exec_raising_lets_the_actor_policy_see_the_panic() {
    let starts = Arc::new(AtomicUsize::new(0));
    let fragile = Spawn::new(Fragile::new(&starts))
        .on_panic(OnPanic::Stop)
        .spawn();
    let bridge = Bridge::new();
    bridge.watch(&fragile.any());
    let result = fragile
        .exec_raising(|_, _| -> () { panic!("raised") })
        .wait();
    assert_eq!(result, Err(ExecError::Panicked("raised".to_owned())));
    assert_eq!(
        terminated(&bridge).reason,
        StopReason::Panicked("raised".to_owned())
    );
    assert_eq!(fragile.exec(|_, _| 1).wait(), Err(ExecError::Stopped));
}

#[test]
fn a_collector_yields_exec_results_as_they_complete() {
    let fast = Probe::default().spawn();
    let slow = Probe::default().spawn();
    let gate = hold(&slow);
    let mut collector = Collector::new();
    let slow_index = collector.exec(&slow, |_, _| "slow");
    let fast_index = collector.exec(&fast, |_, _| "fast");
    assert_eq!(collector.next_timeout(WAIT), Some((fast_index, Ok("fast"))));
    assert!(!collector.is_done());
    drop(gate);
    assert_eq!(collector.next(), Some((slow_index, Ok("slow"))));
    assert!(collector.is_done());
    assert_eq!(collector.next(), None);
}

#[test]
fn a_call_queue_runs_calls_in_the_receiving_thread() {
    let queue = CallQueue::new();
    let here = std::thread::current().id();
    let pending: Vec<_> = (0..3)
        .map(|n| queue.call(move || (n, std::thread::current().id())))
        .collect();
    assert_eq!(queue.len(), 3);
    assert_eq!(queue.receive(), 3);
    for (n, pending) in pending.into_iter().enumerate() {
        assert_eq!(pending.wait(), Ok((n, here)));
    }
    assert_eq!(queue.receive_timeout(SHORT), 0);
}

#[test]
fn a_call_raising_panics_in_the_receiver_too() {
    let queue = CallQueue::new();
    let pending = queue.call_raising(|| -> u8 { panic!("both sides") });
    let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| queue.receive()));
    assert!(raised.is_err());
    assert_eq!(
        pending.wait(),
        Err(ExecError::Panicked("both sides".to_owned()))
    );
}

#[test]
fn default_consumer_threads_work_through_a_call_queue() {
    let queue = CallQueue::with_consumers(3);
    let mut collector = Collector::new();
    for n in 0..100_u64 {
        collector.call(&queue, move || n * 2);
    }
    let mut results: Vec<u64> = collector.map(|(_, r)| r.unwrap()).collect();
    results.sort();
    assert_eq!(results, (0..100).map(|n| n * 2).collect::<Vec<_>>());
}

#[test]
fn a_restart_factory_that_panics_stops_the_actor_and_tells_its_monitors() {
    let starts = Arc::new(AtomicUsize::new(0));
    let driver = Driver::new(1);
    let fragile = Spawn::new(Fragile::new(&starts))
        .restart_with(
            || -> Fragile { panic!("no factory today") },
            Intensity::new(5, Duration::from_secs(60)),
        )
        .spawn_on(&driver);
    let neighbour = Probe::default().spawn_on(&driver);
    let bridge = Bridge::new();
    bridge.watch(&fragile.any());
    assert!(bridge.call(&fragile, Crash("first"), WAIT).is_err());
    assert_eq!(
        terminated(&bridge).reason,
        StopReason::StartFailed("no factory today".to_owned())
    );
    assert!(!fragile.is_alive());
    // The driver's only worker survived it and serves the neighbour.
    assert_eq!(bridge.call(&neighbour, Echo(3), WAIT).unwrap(), 3);
}

#[test]
fn dropping_a_call_queue_ends_its_consumers_even_while_a_handle_lives() {
    let queue = CallQueue::with_consumers(2);
    let handle = queue.clone_handle();
    let answered = queue.call(|| 7).wait();
    assert_eq!(answered, Ok(7));
    let (dropped, done) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        drop(queue);
        dropped.send(()).unwrap();
    });
    done.recv_timeout(WAIT).expect("the drop returned");
    // The surviving handle still queues calls; some thread must receive them now.
    let pending = handle.call(|| 8);
    assert_eq!(handle.receive(), 1);
    assert_eq!(pending.wait(), Ok(8));
}

#[test]
fn a_call_into_a_full_bounded_mailbox_gives_up_at_its_timeout() {
    let probe = Spawn::new(Probe::default()).bounded(1).spawn();
    let gate = hold(&probe);
    probe.try_tell(Record(1)).unwrap(); // the mailbox is now full
    let bridge = Bridge::new();
    // Waiting for room is part of the call's timeout; the message comes back.
    match bridge.call(&probe, Echo(2), SHORT) {
        Err(CallError::Send(SendError::Timeout { msg: Echo(2), .. })) => {}
        other => panic!("expected the message back after the timeout, got {other:?}"),
    }
    assert_eq!(bridge.stop(&[probe.any()], SHORT), [None]);
    drop(gate);
    assert_eq!(bridge.call(&probe, Recorded, WAIT).unwrap(), [1]);
}

/// Panics when dropped after a handler armed it: an old instance that fails on its way out.
struct Grumpy {
    armed: bool,
}

impl Drop for Grumpy {
    fn drop(&mut self) {
        if self.armed && !std::thread::panicking() {
            panic!("the old instance's drop");
        }
    }
}

#[derive(Message)]
struct Explode;

#[actor]
impl Grumpy {
    #[handles(Explode)]
    fn explode(&mut self, _: Explode) {
        self.armed = true;
        panic!("the handler");
    }

    #[handles(Echo)]
    fn echo(&mut self, Echo(n): Echo) -> u64 {
        n
    }
}

#[test]
fn a_panicking_drop_of_the_replaced_instance_does_not_wedge_a_restarted_actor() {
    let driver = Driver::new(1);
    let spawn = || {
        Spawn::new(Grumpy { armed: false }).restart_with(
            || Grumpy { armed: false },
            Intensity::new(5, Duration::from_secs(60)),
        )
    };
    let on_driver = spawn().spawn_on(&driver);
    let on_thread = spawn().spawn();
    let bridge = Bridge::new();
    for grumpy in [&on_driver, &on_thread] {
        grumpy.tell(Explode).unwrap();
        // The fresh instance answers: the old one's panicking drop stayed inside the turn.
        assert_eq!(bridge.call(grumpy, Echo(5), WAIT).unwrap(), 5);
    }
    let stopped = driver.shutdown(WAIT).unwrap();
    assert_eq!(stopped, [Some(Stopped)]);
}
