//! Dead letters and back-pressure (issue 16): a panicking hook or a panicking message
//! `Drop` while a stopping actor discards its mail is contained; a full mailbox that gives
//! the message back is counted apart from dead letters; a publish skips a full subscriber.
//! Every test runs on a dedicated thread and on a driver.
//!
//! The dead-letter hook and counters are process-wide: the tests of this binary take turns.

mod common;

use actor_core::prelude::*;
use actor_core::{DeadLetters, Spawn};
use common::{hold, Hold, WAIT};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where a test's actor runs.
#[derive(Clone, Copy, Debug)]
enum Hosting {
    Thread,
    Driver,
}

const HOSTINGS: [Hosting; 2] = [Hosting::Thread, Hosting::Driver];

impl Hosting {
    fn spawn<A: Actor>(self, spawn: Spawn<A>, driver: &Driver) -> Addr<A> {
        match self {
            Hosting::Thread => spawn.spawn(),
            Hosting::Driver => spawn.spawn_on(driver),
        }
    }
}

/// A message whose `Drop` panics.
#[derive(Message)]
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a Bomb went off in its Drop");
        }
    }
}

#[derive(Message)]
struct Job;

/// A call, for a caller to wait on.
#[derive(Message)]
#[message(reply = u32)]
struct Ask;

#[derive(Default)]
struct Sink;

#[actor]
impl Sink {
    #[handles(Hold)]
    fn hold(&mut self, hold: Hold) {
        hold.enter();
    }

    #[handles(Job)]
    fn job(&mut self, _: Job) {}

    #[handles(Ask)]
    fn ask(&mut self, _: Ask) -> u32 {
        7
    }

    #[handles(Bomb)]
    fn bomb(&mut self, bomb: Bomb) {
        std::mem::forget(bomb);
    }
}

/// Queues `Stop` and then `queue` behind it while the actor is held, opens the gate, and
/// returns once the actor has ended (its monitors told: the ending ran to the end).
fn stop_with_queued(addr: Addr<Sink>, queue: impl FnOnce(&Addr<Sink>)) {
    let bridge = Bridge::new();
    bridge.watch(&addr.any());
    let gate = hold(&addr);
    addr.tell(Stop).unwrap();
    queue(&addr);
    drop(gate);
    let notice = common::terminated(&bridge);
    assert_eq!(notice.id(), addr.id());
    assert_eq!(notice.reason, actor_core::StopReason::Stopped);
    assert!(!addr.is_alive());
}

/// A call discarded behind a stop is recorded as a dead letter before its caller wakes.
/// The reply slot used to be dropped first (in `Mail::into_dyn`, to name the message), so
/// a caller woken by it could look before the letter was there. (`faults.rs`'s
/// `undeliverable_messages_are_dead_letters` failed so, once, in CI.)
#[test]
fn a_discarded_call_is_a_dead_letter_before_its_caller_wakes() {
    let _turn = one_at_a_time();
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let (woke, woken) = std::sync::mpsc::channel::<()>();
        let (verdict, verdicts) = std::sync::mpsc::channel::<bool>();
        let woken = Mutex::new(woken);
        DeadLetters::set_hook(move |letter| {
            if letter.message.as_deref() == Some("Ask") {
                // Whether the caller wakes while its letter is being recorded: a bound
                // on "it does not", not a synchronisation.
                let woke_early = woken
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_millis(200))
                    .is_ok();
                let _ = verdict.send(woke_early);
            }
        });
        let addr = hosting.spawn(Spawn::new(Sink), &driver);
        let gate = hold(&addr);
        addr.tell(Stop).unwrap();
        // Opens the gate once the call is queued behind the stop.
        let opener = {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + WAIT;
                while addr.mailbox_len() < 2 {
                    assert!(Instant::now() < deadline, "the call was never queued");
                    std::thread::yield_now();
                }
                drop(gate);
            })
        };
        let answer = Bridge::new().call(&addr, Ask, WAIT);
        let _ = woke.send(());
        opener.join().unwrap();
        assert!(
            matches!(answer, Err(CallError::Stopped { .. })),
            "{hosting:?}: {answer:?}"
        );
        let woke_early = verdicts.recv_timeout(WAIT).expect("the call's dead letter");
        DeadLetters::clear_hook();
        assert!(
            !woke_early,
            "{hosting:?}: the caller woke before its dead letter"
        );
    }
}

#[test]
fn a_panicking_dead_letter_hook_while_a_stop_discards_mail_is_contained() {
    let _turn = one_at_a_time();
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let before = DeadLetters::count();
        DeadLetters::set_hook(|letter| panic!("the hook panicked on {letter}"));
        stop_with_queued(hosting.spawn(Spawn::new(Sink), &driver), |sink| {
            for _ in 0..3 {
                sink.tell(Job).unwrap();
            }
        });
        DeadLetters::clear_hook();
        // Each discarded message is still counted, the hook's panic notwithstanding.
        assert!(DeadLetters::count() >= before + 3, "{hosting:?}");
    }
}

#[test]
fn a_queued_message_whose_drop_panics_at_stop_is_contained() {
    let _turn = one_at_a_time();
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let before = DeadLetters::count();
        stop_with_queued(hosting.spawn(Spawn::new(Sink), &driver), |sink| {
            for _ in 0..3 {
                sink.tell(Bomb).unwrap();
            }
        });
        assert!(DeadLetters::count() >= before + 3, "{hosting:?}");
    }
}

#[test]
fn a_full_mailbox_handing_the_message_back_is_back_pressure_not_a_dead_letter() {
    let _turn = one_at_a_time();
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let sink = hosting.spawn(Spawn::new(Sink).bounded(1), &driver);
        let gate = hold(&sink);
        sink.tell(Job).unwrap(); // the one slot
        let (dead, refused) = (DeadLetters::count(), DeadLetters::refused());
        assert!(matches!(sink.try_tell(Job), Err(SendError::Full { .. })));
        assert!(matches!(
            sink.tell_timeout(Job, std::time::Duration::ZERO),
            Err(SendError::Timeout { .. } | SendError::Full { .. })
        ));
        assert_eq!(DeadLetters::refused(), refused + 2, "{hosting:?}");
        assert_eq!(DeadLetters::count(), dead, "{hosting:?}");
        drop(gate);
        Bridge::new().stop(&[sink.any()], WAIT);
        // A stopped actor's refusal is a dead letter, as before.
        assert!(sink.tell(Job).is_err());
        assert_eq!(DeadLetters::count(), dead + 1, "{hosting:?}");
    }
}

#[derive(Message, Clone)]
struct News(u32);

#[derive(Message)]
#[message(reply = Vec<u32>)]
struct Read;

#[derive(Default)]
struct Reader(Vec<u32>);

#[actor]
impl Reader {
    #[handles(Hold)]
    fn hold(&mut self, hold: Hold) {
        hold.enter();
    }

    #[handles(News)]
    fn news(&mut self, News(n): News) {
        self.0.push(n);
    }

    #[handles(Read)]
    fn read(&self, _: Read) -> Vec<u32> {
        self.0.clone()
    }
}

#[test]
fn a_publish_skips_a_full_bounded_subscriber_instead_of_waiting_for_it() {
    let _turn = one_at_a_time();
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let pubsub = PubSub::new();
        let slow = hosting.spawn(Spawn::new(Reader::default()).bounded(1), &driver);
        let fast = hosting.spawn(Spawn::new(Reader::default()), &driver);
        pubsub.subscribe(&slow.recipient::<News>());
        pubsub.subscribe(&fast.recipient::<News>());
        let gate = hold(&slow);
        assert_eq!(pubsub.publish(News(1)), 2); // fills the slow one's only slot
                                                // Published from another thread, so that a publish stuck behind the full
                                                // subscriber shows as a missing answer instead of a hung test.
        let (done, published) = crossbeam_channel::bounded(1);
        let publisher = {
            let pubsub = pubsub.clone();
            std::thread::spawn(move || done.send(pubsub.publish(News(2))).unwrap())
        };
        let delivered = published
            .recv_timeout(WAIT)
            .expect("a publish waited for a full subscriber");
        publisher.join().unwrap();
        assert_eq!(delivered, 1, "{hosting:?}");
        assert_eq!(pubsub.skipped(), 1, "{hosting:?}");
        // Skipped, not unsubscribed: the slow one gets the next message once it has room.
        drop(gate);
        let bridge = Bridge::new();
        assert_eq!(bridge.call(&slow, Read, WAIT).unwrap(), [1]);
        assert_eq!(pubsub.subscriber_count::<News>(), 2);
        assert_eq!(pubsub.publish(News(3)), 2);
        assert_eq!(bridge.call(&slow, Read, WAIT).unwrap(), [1, 3]);
        assert_eq!(bridge.call(&fast, Read, WAIT).unwrap(), [1, 2, 3]);
    }
}
