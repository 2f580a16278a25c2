//! The Bridge: calls with timeouts, defaults, many calls at once, stopping sets of actors.

mod common;

use actor_core::prelude::*;
use common::{hold, Echo, Probe, Record, Recorded, WAIT};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(50);

#[test]
fn call_returns_the_typed_reply() {
    let probe = Probe::default().spawn();
    let reply: u64 = Bridge::new().call(&probe, Echo(42), WAIT).unwrap();
    assert_eq!(reply, 42);
}

#[test]
fn call_times_out_while_the_actor_is_busy() {
    let probe = Probe::default().spawn();
    let _gate = hold(&probe);
    let result = Bridge::new().call(&probe, Echo(1), SHORT);
    match result {
        Err(CallError::Timeout { actor, timeout }) => {
            assert_eq!(actor, probe.info());
            assert_eq!(timeout, SHORT);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn late_reply_is_never_handed_to_the_next_call() {
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    let gate = hold(&probe);
    assert!(bridge
        .call(&probe, Echo(1), SHORT)
        .unwrap_err()
        .is_timeout());
    // The actor now answers Echo(1) late, then Echo(2): the second call must see 2.
    drop(gate);
    assert_eq!(bridge.call(&probe, Echo(2), WAIT).unwrap(), 2);
    assert_eq!(bridge.call(&probe, Echo(3), WAIT).unwrap(), 3);
}

#[test]
fn late_replies_to_many_timed_out_calls_reach_none_of_the_later_ones() {
    // A thread uses its reply slots again: three calls that time out leave three with
    // the actor, more than a thread keeps, and no later call may see their replies.
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    let gate = hold(&probe);
    for n in 1..=3 {
        assert!(bridge
            .call(&probe, Echo(n), SHORT)
            .unwrap_err()
            .is_timeout());
    }
    drop(gate);
    for n in 4..=12 {
        assert_eq!(bridge.call(&probe, Echo(n), WAIT).unwrap(), n);
    }
}

#[test]
fn call_or_gives_the_default_on_timeout_only() {
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    let gate = hold(&probe);
    assert_eq!(bridge.call_or(&probe, Echo(1), SHORT, 99).unwrap(), 99);
    drop(gate);
    assert_eq!(bridge.call_or(&probe, Echo(2), WAIT, 99).unwrap(), 2);
    bridge.call(&probe, Stop, WAIT).unwrap();
    assert!(matches!(
        bridge.call_or(&probe, Echo(3), WAIT, 99),
        Err(CallError::Send(SendError::Stopped { msg: Echo(3), .. }))
    ));
}

#[test]
fn call_to_a_stopped_actor_gives_the_message_back() {
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    bridge.call(&probe, Stop, WAIT).unwrap();
    let err = bridge.call(&probe, Echo(5), WAIT).unwrap_err();
    assert!(err.to_string().contains("has stopped"), "{err}");
    assert_eq!(err.into_message().map(|Echo(n)| n), Some(5));
}

#[test]
fn multi_call_yields_replies_as_they_come_each_with_its_request() {
    let slow = Probe::default().spawn();
    let fast = Probe::default().spawn();
    let gate = hold(&slow);
    let bridge = Bridge::new();
    let mut replies = bridge.multi_call([(&slow, Echo(10)), (&fast, Echo(20))], WAIT);
    // The slow actor cannot answer before its gate opens, so the fast reply comes first.
    assert_eq!(replies.next().map(|(i, r)| (i, r.unwrap())), Some((1, 20)));
    drop(gate);
    assert_eq!(replies.next().map(|(i, r)| (i, r.unwrap())), Some((0, 10)));
    assert!(replies.next().is_none());
}

#[test]
fn multi_call_times_out_only_the_unanswered_requests() {
    let slow = Probe::default().spawn();
    let fast = Probe::default().spawn();
    let stopped = Probe::default().spawn();
    let bridge = Bridge::new();
    bridge.call(&stopped, Stop, WAIT).unwrap();
    let _gate = hold(&slow);
    let calls = bridge.multi_call(
        [(&slow, Echo(1)), (&fast, Echo(2)), (&stopped, Echo(3))],
        SHORT,
    );
    // Once `fast` answers this, its reply to Echo(2) is already waiting: ready replies
    // are handed over even after the deadline, so nothing here depends on speed.
    bridge.call(&fast, Echo(0), WAIT).unwrap();
    let mut results: Vec<_> = calls.collect();
    results.sort_by_key(|(i, _)| *i);
    assert!(results[0].1.as_ref().unwrap_err().is_timeout());
    assert_eq!(*results[1].1.as_ref().unwrap(), 2);
    assert!(matches!(
        results[2].1,
        Err(CallError::Send(SendError::Stopped { .. }))
    ));
}

#[test]
fn multi_call_reaches_different_actor_types_through_recipients() {
    struct Doubler;
    #[actor]
    impl Doubler {
        #[handles(Echo)]
        fn echo(&mut self, Echo(n): Echo) -> u64 {
            n * 2
        }
    }
    let targets: Vec<Recipient<Echo>> = vec![
        Probe::default().spawn().recipient(),
        Doubler.spawn().recipient(),
    ];
    let mut replies: Vec<_> = Bridge::new()
        .multi_call(targets.iter().map(|t| (t, Echo(21))), WAIT)
        .map(|(i, r)| (i, r.unwrap()))
        .collect();
    replies.sort();
    assert_eq!(replies, [(0, 21), (1, 42)]);
}

#[test]
fn stop_returns_one_result_per_actor_in_input_order() {
    let first = Probe::default().spawn();
    let already = Probe::default().spawn();
    let last = Probe::default().spawn();
    let bridge = Bridge::new();
    bridge.call(&already, Stop, WAIT).unwrap();
    let actors = [first.any(), already.any(), last.any()];
    let results = bridge.stop_each(&actors, WAIT);
    assert!(matches!(results[0], Ok(Stopped)));
    assert!(matches!(
        results[1],
        Err(CallError::Send(SendError::Stopped { .. }))
    ));
    assert!(matches!(results[2], Ok(Stopped)));
    // `stop` counts an actor that had stopped already as stopped.
    assert_eq!(bridge.stop(&actors, WAIT), [Some(Stopped); 3]);
    assert!(!first.is_alive() && !last.is_alive());
}

#[test]
fn stop_gives_none_for_an_actor_that_does_not_stop_in_time() {
    let stuck = Probe::default().spawn();
    let _gate = hold(&stuck);
    let bridge = Bridge::new();
    assert_eq!(bridge.stop(&[stuck.any()], SHORT), [None]);
    assert!(bridge.stop_each(&[stuck.any()], SHORT)[0]
        .as_ref()
        .unwrap_err()
        .is_timeout());
    assert!(stuck.is_alive());
}

#[test]
fn stop_over_a_mixed_batch_says_for_each_actor_whether_it_stopped() {
    // One shared count for the batch: what each actor ended up as comes from the actor.
    let (first, already, stuck, last) = (
        Probe::default().spawn(),
        Probe::default().spawn(),
        Probe::default().spawn(),
        Probe::default().spawn(),
    );
    let bridge = Bridge::new();
    bridge.call(&already, Stop, WAIT).unwrap();
    let gate = hold(&stuck);
    let actors = [first.any(), already.any(), stuck.any(), last.any()];
    assert_eq!(
        bridge.stop(&actors, SHORT),
        [Some(Stopped), Some(Stopped), None, Some(Stopped)]
    );
    assert!(stuck.is_alive());
    drop(gate);
    // Its earlier `Stop` is still queued: it stops once released.
    assert_eq!(bridge.stop(&[stuck.any()], WAIT), [Some(Stopped)]);
}

#[test]
fn an_actor_calling_itself_fails_at_once() {
    #[derive(Message)]
    #[message(reply = String)]
    struct CallMyself;

    struct Selfish;
    #[actor]
    impl Selfish {
        #[handles(CallMyself)]
        fn call_myself(&mut self, _: CallMyself, ctx: &mut Context<Self>) -> String {
            match Bridge::new().call(&ctx.myself(), Echo(1), WAIT) {
                Err(CallError::WouldDeadlock { msg: Echo(1), .. }) => "refused".to_owned(),
                other => format!("{other:?}"),
            }
        }
        #[handles(Echo)]
        fn echo(&mut self, Echo(n): Echo) -> u64 {
            n
        }
    }

    let selfish = Selfish.spawn();
    assert_eq!(
        Bridge::new().call(&selfish, CallMyself, WAIT).unwrap(),
        "refused"
    );
}

#[test]
fn an_actor_may_call_another_actor_through_a_bridge() {
    #[derive(Message)]
    #[message(reply = u64)]
    struct Ask(Addr<Probe>);

    struct Asker;
    #[actor]
    impl Asker {
        #[handles(Ask)]
        fn ask(&mut self, Ask(probe): Ask) -> u64 {
            Bridge::new().call(&probe, Echo(7), WAIT).unwrap() + 1
        }
    }

    let probe = Probe::default().spawn();
    let asker = Asker.spawn();
    assert_eq!(Bridge::new().call(&asker, Ask(probe), WAIT).unwrap(), 8);
}

#[test]
fn replies_sent_to_the_bridge_land_in_its_inbox() {
    #[derive(Message)]
    struct Report;
    #[derive(Message, Debug, PartialEq)]
    struct Count(usize);

    struct Reporter;
    #[actor]
    impl Reporter {
        #[handles(Report)]
        fn report(&mut self, _: Report, ctx: &mut Context<Self>) {
            ctx.sender().tell(Count(3)).unwrap();
        }
    }

    let reporter = Reporter.spawn();
    let bridge = Bridge::new();
    bridge.tell(&reporter, Report).unwrap();
    let msg = bridge.receive(WAIT).expect("a reply in the inbox");
    assert_eq!(msg.downcast::<Count>().unwrap(), Count(3));
    assert_eq!(bridge.inbox_len(), 0);
}

#[test]
fn many_threads_share_one_bridge() {
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let (bridge, probe) = (&bridge, &probe);
            scope.spawn(move || {
                for n in 0..500 {
                    let mine = t * 1_000 + n;
                    assert_eq!(bridge.call(probe, Echo(mine), WAIT).unwrap(), mine);
                }
            });
        }
    });
    probe.tell(Record(1)).unwrap();
    assert_eq!(bridge.call(&probe, Recorded, WAIT).unwrap(), [1]);
}

#[test]
fn an_endless_timeout_waits_as_long_as_it_takes_instead_of_panicking() {
    let forever = Duration::MAX;
    let driver = Driver::new(1);
    let probe = actor_core::Spawn::new(Probe::default())
        .bounded(4)
        .spawn_on(&driver);
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&probe, Echo(1), forever).unwrap(), 1);
    let replies: Vec<_> = bridge.multi_call([(&probe, Echo(2))], forever).collect();
    assert!(matches!(replies[..], [(0, Ok(2))]));
    probe.tell_timeout(Record(3), forever).unwrap();
    assert_eq!(bridge.call(&probe, Recorded, forever).unwrap(), [3]);
    assert_eq!(driver.shutdown(forever).unwrap(), [Some(Stopped)]);
}
