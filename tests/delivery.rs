//! Order, Stop and the end of an actor's life.

mod common;

use actor_core::prelude::*;
use common::{hold, reporting_probe, Echo, Probe, Record, Recorded, WAIT};
use std::cell::RefCell;
use std::thread;

#[test]
fn messages_from_one_sender_are_handled_in_order() {
    let probe = Probe::default().spawn();
    for n in 0..100_000 {
        probe.tell(Record(n)).unwrap();
    }
    let seen = Bridge::new().call(&probe, Recorded, WAIT).unwrap();
    assert_eq!(seen, (0..100_000).collect::<Vec<_>>());
}

#[test]
fn messages_from_several_senders_keep_each_senders_order() {
    let probe = Probe::default().spawn();
    let senders: Vec<_> = (0..4u64)
        .map(|sender| {
            let probe = probe.clone();
            thread::spawn(move || {
                for n in 0..10_000 {
                    probe.tell(Record(sender * 1_000_000 + n)).unwrap();
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let seen = Bridge::new().call(&probe, Recorded, WAIT).unwrap();
    assert_eq!(seen.len(), 40_000);
    for sender in 0..4 {
        let mine: Vec<u64> = seen
            .iter()
            .copied()
            .filter(|n| n / 1_000_000 == sender)
            .collect();
        assert_eq!(
            mine,
            (0..10_000)
                .map(|n| sender * 1_000_000 + n)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_message_sent_before_stop_is_handled_before_stopped() {
    let (probe, report) = reporting_probe();
    for n in 0..10_000 {
        probe.tell(Record(n)).unwrap();
    }
    assert_eq!(Bridge::new().call(&probe, Stop, WAIT).unwrap(), Stopped);
    let handled = report.recv_timeout(WAIT).unwrap();
    assert_eq!(handled, (0..10_000).collect::<Vec<_>>());
}

#[test]
fn send_after_stop_gives_the_message_back() {
    let probe = Probe::default().spawn();
    Bridge::new().call(&probe, Stop, WAIT).unwrap();
    assert!(!probe.is_alive());
    match probe.tell(Record(7)) {
        Err(SendError::Stopped {
            actor,
            msg: Record(7),
        }) => assert_eq!(actor, probe.info()),
        other => panic!("expected the message back, got {other:?}"),
    }
}

#[test]
fn tell_accepts_reply_bearing_messages_and_drops_the_reply() {
    let (probe, report) = reporting_probe();
    probe.tell(Echo(1)).unwrap();
    probe.tell(Record(5)).unwrap();
    probe.tell(Stop).unwrap();
    // Queued behind the Stop sent by tell: it fails instead of being answered.
    let late = Bridge::new().call(&probe, Echo(2), WAIT);
    assert!(
        matches!(late, Err(CallError::Stopped { .. } | CallError::Send(_))),
        "{late:?}"
    );
    assert_eq!(report.recv_timeout(WAIT).unwrap(), [5]);
}

#[test]
fn calls_queued_behind_stop_fail_at_once() {
    let probe = Probe::default().spawn();
    let gate = hold(&probe);
    probe.tell(Stop).unwrap();
    let bridge = Bridge::new();
    // multi_call returns once every request is queued, behind Stop.
    let calls = bridge.multi_call((0..3).map(|n| (&probe, Echo(n))), WAIT);
    drop(gate);
    let results: Vec<_> = calls.collect();
    assert_eq!(results.len(), 3);
    for (_, result) in results {
        assert!(
            matches!(result, Err(CallError::Stopped { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn dropping_every_handle_stops_the_actor_after_what_was_sent() {
    let (probe, report) = reporting_probe();
    let clone = probe.clone();
    let recipient = probe.recipient::<Record>();
    for n in 0..1_000 {
        recipient.tell(Record(n)).unwrap();
    }
    drop(probe);
    drop(clone);
    drop(recipient);
    let handled = report.recv_timeout(WAIT).expect("on_stop ran");
    assert_eq!(handled, (0..1_000).collect::<Vec<_>>());
}

#[test]
fn a_stopped_actors_thread_ends() {
    thread_local! {
        static ON_EXIT: RefCell<Option<crossbeam_channel::Sender<()>>> = const { RefCell::new(None) };
    }
    struct Exit;
    impl Drop for Exit {
        fn drop(&mut self) {
            ON_EXIT.with_borrow_mut(|tx| tx.take().map(|tx| tx.send(())));
        }
    }
    thread_local! {
        static EXIT: Exit = const { Exit };
    }

    #[derive(Message)]
    struct Arm(crossbeam_channel::Sender<()>);

    struct Watched;
    #[actor]
    impl Watched {
        #[handles(Arm)]
        fn arm(&mut self, Arm(tx): Arm) {
            // Thread-local destructors run when the thread exits.
            ON_EXIT.with_borrow_mut(|slot| *slot = Some(tx));
            EXIT.with(|_| {});
        }
    }

    let (tx, exited) = crossbeam_channel::bounded(1);
    let watched = Watched.spawn();
    watched.tell(Arm(tx)).unwrap();
    assert_eq!(Bridge::new().stop(&[watched.any()], WAIT), [Some(Stopped)]);
    exited
        .recv_timeout(WAIT)
        .expect("the actor's thread exited");
}

#[test]
fn the_actor_thread_is_named_after_its_type() {
    #[derive(Message)]
    #[message(reply = Option<String>)]
    struct ThreadName;

    struct Named;
    #[actor]
    impl Named {
        #[handles(ThreadName)]
        fn name(&mut self, _: ThreadName) -> Option<String> {
            thread::current().name().map(str::to_owned)
        }
    }

    let named = Named.spawn();
    let name = Bridge::new().call(&named, ThreadName, WAIT).unwrap();
    assert_eq!(name.as_deref(), Some("Named"));
}

#[test]
fn ctx_stop_stops_after_the_current_handler() {
    #[derive(Message)]
    struct Quit;

    let (tx, report) = crossbeam_channel::unbounded();
    struct Quitter(crossbeam_channel::Sender<&'static str>);
    #[actor]
    impl Quitter {
        #[handles(Quit)]
        fn quit(&mut self, _: Quit, ctx: &mut Context<Self>) {
            ctx.stop();
            self.0.send("handler finished").unwrap();
        }
        #[handles(Echo)]
        fn echo(&mut self, Echo(n): Echo) -> u64 {
            self.0.send("echo").unwrap();
            n
        }
        #[on_stop]
        fn stopped(&mut self) {
            self.0.send("stopped").unwrap();
        }
    }

    let quitter = Quitter(tx).spawn();
    quitter.tell(Quit).unwrap();
    let _ = quitter.tell(Echo(1)); // queued behind the stop: never handled
    assert_eq!(report.recv_timeout(WAIT).unwrap(), "handler finished");
    assert_eq!(report.recv_timeout(WAIT).unwrap(), "stopped");
    // The channel closes when the actor (holding its sender) is dropped.
    assert!(report.recv_timeout(WAIT).is_err());
}

#[test]
fn hooks_run_on_the_actors_thread_around_its_messages() {
    let (tx, events) = crossbeam_channel::unbounded();
    struct Hooked(crossbeam_channel::Sender<(String, Option<String>)>);
    impl Hooked {
        fn note(&self, what: &str) {
            let thread = thread::current().name().map(str::to_owned);
            self.0.send((what.to_owned(), thread)).unwrap();
        }
    }
    #[actor]
    impl Hooked {
        #[on_start]
        fn started(&mut self, ctx: &mut Context<Self>) {
            assert!(ctx.sender().is_nobody());
            self.note("start");
        }
        #[handles(Record)]
        fn record(&mut self, _: Record) {
            self.note("message");
        }
        #[on_stop]
        fn stopped(&self) {
            self.note("stop");
        }
    }

    let hooked = Hooked(tx).spawn();
    hooked.tell(Record(1)).unwrap();
    drop(hooked);
    let seen: Vec<_> = (0..3).map(|_| events.recv_timeout(WAIT).unwrap()).collect();
    let expected =
        ["start", "message", "stop"].map(|what| (what.to_owned(), Some("Hooked".to_owned())));
    assert_eq!(seen, expected);
}

#[test]
fn handles_made_and_dropped_on_many_threads_at_once_stop_the_actor_after_the_last() {
    // Handles share one reference to the actor between them, taken and given back as
    // their count leaves and reaches zero; this races clones and drops of all three kinds
    // of handle on four threads, then checks that the actor stopped once, after the last
    // handle, having handled every message.
    const THREADS: u64 = 4;
    const EACH: u64 = 5_000;
    let (probe, report) = reporting_probe();
    let start = std::sync::Arc::new(std::sync::Barrier::new(THREADS as usize));
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let (probe, start) = (probe.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for n in 0..EACH {
                    let addr = probe.clone();
                    let record = Record(t * EACH + n);
                    match n % 3 {
                        0 => addr.tell(record).unwrap(),
                        1 => addr.recipient::<Record>().tell(record).unwrap(),
                        _ => addr.any().tell(record).unwrap(),
                    }
                }
            })
        })
        .collect();
    drop(probe);
    for sender in senders {
        sender.join().expect("sender thread");
    }
    let mut handled = report.recv_timeout(WAIT).expect("on_stop ran");
    handled.sort_unstable();
    assert_eq!(handled, (0..THREADS * EACH).collect::<Vec<_>>());
}
