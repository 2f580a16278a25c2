//! Waiting without blocking: replies given later (`Deferred`/`Reply`), requests between
//! actors (`ctx.ask`), and async callers (`call_async`, `Pending` as a future), on
//! dedicated threads and on drivers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use actor_core::prelude::*;
use crossbeam_channel::{bounded, Receiver, Sender as Chan};

const WAIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
enum Hosting {
    Thread,
    Driver,
}

const HOSTINGS: [Hosting; 2] = [Hosting::Thread, Hosting::Driver];

fn spawn_in<A: Actor>(actor: A, hosting: Hosting, driver: &Driver) -> Addr<A> {
    match hosting {
        Hosting::Thread => actor.spawn(),
        Hosting::Driver => actor.spawn_on(driver),
    }
}

// ---------------------------------------------------------------- replies given later

#[derive(Message)]
#[message(reply = u64)]
struct Get;

#[derive(Message)]
struct Set(u64);

#[derive(Message)]
struct Forget;

#[derive(Message)]
#[message(reply = u64)]
struct Explode;

/// Answers `Get` once a value is `Set`: its callers wait in `waiting`.
#[derive(Default)]
struct Slot {
    value: Option<u64>,
    waiting: Vec<Reply<u64>>,
}

#[actor]
impl Slot {
    #[handles(Get)]
    fn get(&mut self, _: Get, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        match self.value {
            Some(value) => reply.send(value),
            None => self.waiting.push(reply),
        }
        later
    }

    #[handles(Set)]
    fn set(&mut self, Set(value): Set) {
        self.value = Some(value);
        for reply in self.waiting.drain(..) {
            reply.send(value);
        }
    }

    #[handles(Forget)]
    fn forget(&mut self, _: Forget) {
        self.waiting.clear();
    }

    #[handles(Explode)]
    fn explode(&mut self, _: Explode, _ctx: &mut Context<Self>) -> Deferred<u64> {
        panic!("exploded before deferring")
    }
}

/// Calls `Get` from a plain thread; says when the call has been sent.
fn get_in_background(slot: &Addr<Slot>) -> std::thread::JoinHandle<Result<u64, CallError<Get>>> {
    let slot = slot.clone();
    std::thread::spawn(move || Bridge::new().call(&slot, Get, WAIT))
}

/// Waits until `slot` holds `n` deferred replies (a call made elsewhere has arrived).
fn until_waiting(slot: &Addr<Slot>, n: usize) {
    loop {
        let waiting = slot
            .exec(|slot, _| slot.waiting.len())
            .wait_timeout(WAIT)
            .unwrap();
        if waiting >= n {
            return;
        }
        std::thread::yield_now();
    }
}

#[test]
fn a_deferred_reply_sent_later_answers_its_caller() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let slot = spawn_in(Slot::default(), hosting, &driver);
        let callers: Vec<_> = (0..3).map(|_| get_in_background(&slot)).collect();
        until_waiting(&slot, 3);
        slot.tell(Set(7)).unwrap();
        for caller in callers {
            assert_eq!(caller.join().unwrap().unwrap(), 7, "{hosting:?}");
        }
        // Answered at once once the value is there.
        assert_eq!(Bridge::new().call(&slot, Get, WAIT).unwrap(), 7);
    }
}

#[test]
fn a_reply_sent_from_another_thread_reaches_its_caller() {
    #[derive(Message)]
    #[message(reply = String)]
    struct Work(u32);

    struct Offloader;
    #[actor]
    impl Offloader {
        #[handles(Work)]
        fn work(&mut self, Work(n): Work, ctx: &mut Context<Self>) -> Deferred<String> {
            let (later, reply) = ctx.defer();
            std::thread::spawn(move || reply.send(format!("done {n}")));
            later
        }
    }

    let driver = Driver::new(1);
    for hosting in HOSTINGS {
        let offloader = spawn_in(Offloader, hosting, &driver);
        let bridge = Bridge::new();
        assert_eq!(bridge.call(&offloader, Work(3), WAIT).unwrap(), "done 3");
    }
}

#[test]
fn a_reply_dropped_unsent_fails_its_caller_at_once() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let slot = spawn_in(Slot::default(), hosting, &driver);
        let caller = get_in_background(&slot);
        until_waiting(&slot, 1);
        slot.tell(Forget).unwrap();
        let outcome = caller.join().unwrap();
        assert!(
            matches!(outcome, Err(CallError::Unanswered { .. })),
            "{hosting:?}: {outcome:?}"
        );
    }
}

#[test]
fn a_deferring_handler_that_panics_reports_the_panic() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let slot = spawn_in(Slot::default(), hosting, &driver);
        match Bridge::new().call(&slot, Explode, WAIT) {
            Err(CallError::Panicked { panic, .. }) => {
                assert_eq!(panic, "exploded before deferring")
            }
            other => panic!("{hosting:?}: {other:?}"),
        }
        // The actor goes on (the default policy resumes it).
        slot.tell(Set(1)).unwrap();
        assert_eq!(Bridge::new().call(&slot, Get, WAIT).unwrap(), 1);
    }
}

#[test]
fn a_deferring_handler_that_was_told_replies_to_no_one() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let slot = spawn_in(Slot::default(), hosting, &driver);
        slot.tell(Get).unwrap(); // its Reply goes nowhere
        let waiting = slot
            .exec(|slot, _| {
                slot.waiting
                    .iter()
                    .map(|reply| reply.is_expected())
                    .collect::<Vec<_>>()
            })
            .wait_timeout(WAIT)
            .unwrap();
        assert_eq!(waiting, [false], "{hosting:?}");
        slot.tell(Set(2)).unwrap(); // sending to no one is fine
        assert_eq!(Bridge::new().call(&slot, Get, WAIT).unwrap(), 2);
    }
}

// ---------------------------------------------------------------- ctx.ask

#[derive(Message)]
#[message(reply = u64)]
struct Double(u64);

struct Doubler;

#[actor]
impl Doubler {
    #[handles(Double)]
    fn double(&mut self, Double(n): Double) -> u64 {
        2 * n
    }
}

#[derive(Message)]
#[message(reply = u64)]
struct Quadruple(u64);

/// Answers `Quadruple` by asking the doubler twice: a deferred reply through two asks.
struct Proxy {
    doubler: Addr<Doubler>,
}

#[actor]
impl Proxy {
    #[handles(Quadruple)]
    fn quadruple(&mut self, Quadruple(n): Quadruple, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        let doubler = self.doubler.clone();
        ctx.ask(&doubler, Double(n), WAIT, move |this, twice, ctx| {
            let doubler = this.doubler.clone();
            ctx.ask(&doubler, Double(twice.unwrap()), WAIT, move |_, four, _| {
                reply.send(four.unwrap())
            });
        });
        later
    }
}

#[test]
fn ask_works_between_neighbours_on_a_one_thread_driver() {
    let driver = Driver::new(1);
    let doubler = Doubler.spawn_on(&driver);
    let proxy = Proxy { doubler }.spawn_on(&driver);
    let bridge = Bridge::new();
    for n in 0..100 {
        assert_eq!(bridge.call(&proxy, Quadruple(n), WAIT).unwrap(), 4 * n);
    }
}

#[test]
fn ask_works_across_hostings() {
    let driver = Driver::new(2);
    for asker in HOSTINGS {
        for target in HOSTINGS {
            let doubler = spawn_in(Doubler, target, &driver);
            let proxy = spawn_in(Proxy { doubler }, asker, &driver);
            let answer = Bridge::new().call(&proxy, Quadruple(3), WAIT).unwrap();
            assert_eq!(answer, 12, "{asker:?} asking {target:?}");
        }
    }
}

#[derive(Message)]
#[message(reply = u64)]
struct AskNext(u64);

/// A link of a ring: asks the next link, and answers with what it was told plus one.
struct Link {
    next: Option<Addr<Link>>,
}

#[actor]
impl Link {
    #[handles(AskNext)]
    fn ask_next(&mut self, AskNext(n): AskNext, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        match &self.next {
            None => reply.send(n),
            Some(next) => {
                let next = next.clone();
                ctx.ask(&next, AskNext(n + 1), WAIT, move |_, answer, _| {
                    reply.send(answer.expect("the next link answers"))
                });
            }
        }
        later
    }
}

#[test]
fn a_chain_of_100_000_actors_each_asking_the_next_is_all_answered() {
    let driver = Driver::new(2);
    let mut next = None;
    let mut links = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let link = Link { next: next.take() }.spawn_on(&driver);
        next = Some(link.clone());
        links.push(link);
    }
    let head = next.unwrap();
    // Every link asked its neighbour; the answer counts every hop.
    assert_eq!(Bridge::new().call(&head, AskNext(0), WAIT).unwrap(), 99_999);
}

#[derive(Message)]
struct Kick;

#[derive(Message)]
#[message(reply = usize)]
struct Asked;

#[derive(Message)]
#[message(reply = u32)]
struct Ping(u32);

/// Asks every actor of a ring of its neighbours at once: `Kick` makes each ask.
struct RingMember {
    next: Option<Addr<RingMember>>,
    answers: Arc<AtomicUsize>,
    done: Chan<()>,
}

#[actor]
impl RingMember {
    #[handles(Kick)]
    fn kick(&mut self, _: Kick, ctx: &mut Context<Self>) {
        let next = self.next.clone().expect("linked");
        ctx.ask(&next, Ping(7), WAIT, |this, pong, _| {
            assert_eq!(pong.unwrap(), 8);
            this.answers.fetch_add(1, Ordering::Relaxed);
            let _ = this.done.send(());
        });
    }

    #[handles(Ping)]
    fn ping(&mut self, Ping(n): Ping) -> u32 {
        n + 1
    }

    #[handles(Asked)]
    fn asked(&mut self, _: Asked) -> usize {
        self.answers.load(Ordering::Relaxed)
    }
}

#[test]
fn a_ring_of_100_000_actors_asking_their_neighbours_at_once_is_all_answered() {
    const N: usize = 100_000;
    let driver = Driver::new(2);
    let answers = Arc::new(AtomicUsize::new(0));
    let (done, finished) = bounded(N);
    let members: Vec<Addr<RingMember>> = (0..N)
        .map(|_| {
            RingMember {
                next: None,
                answers: answers.clone(),
                done: done.clone(),
            }
            .spawn_on(&driver)
        })
        .collect();
    for (i, member) in members.iter().enumerate() {
        let next = members[(i + 1) % N].clone();
        member
            .exec(move |this, _| this.next = Some(next))
            .wait_timeout(WAIT)
            .unwrap();
    }
    for member in &members {
        member.tell(Kick).unwrap();
    }
    for _ in 0..N {
        finished.recv_timeout(WAIT).expect("every ask is answered");
    }
    assert_eq!(answers.load(Ordering::Relaxed), N);
    // Break the ring's cycle of handles so its actors can end.
    for member in &members {
        let _ = member.exec(|this, _| this.next = None).wait_timeout(WAIT);
    }
}

#[derive(Message)]
#[message(reply = u64)]
struct Hold;

#[derive(Message)]
struct Release(u64);

/// Holds every `Hold` until a `Release`: a target that answers late, or never.
#[derive(Default)]
struct Holder {
    held: Vec<Reply<u64>>,
}

#[actor]
impl Holder {
    #[handles(Hold)]
    fn hold(&mut self, _: Hold, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        self.held.push(reply);
        later
    }

    #[handles(Release)]
    fn release(&mut self, Release(value): Release) {
        for reply in self.held.drain(..) {
            reply.send(value);
        }
    }
}

#[derive(Message)]
struct AskHolder(Duration);

#[derive(Message)]
#[message(reply = &'static str)]
struct Hello;

/// Says "dropped" when dropped: shows when a continuation let go of what it captured.
struct OnDrop(Chan<&'static str>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send("dropped");
    }
}

/// Asks the holder, with an hour's timeout, with a continuation that holds the guard.
#[derive(Message)]
struct AskKeeping(OnDrop);

/// Asks the holder and reports each outcome of its continuation on a channel.
struct Asker {
    holder: Addr<Holder>,
    outcomes: Chan<Result<u64, String>>,
}

#[actor]
impl Asker {
    #[handles(AskKeeping)]
    fn ask_keeping(&mut self, AskKeeping(guard): AskKeeping, ctx: &mut Context<Self>) {
        let holder = self.holder.clone();
        let an_hour = Duration::from_secs(3600);
        ctx.ask(&holder, Hold, an_hour, move |this, _, _| {
            let _ = guard.0.send("ran");
            this.outcomes.send(Ok(0)).unwrap();
        });
    }

    #[handles(AskHolder)]
    fn ask_holder(&mut self, AskHolder(timeout): AskHolder, ctx: &mut Context<Self>) {
        let holder = self.holder.clone();
        ctx.ask(&holder, Hold, timeout, |this, outcome, _| {
            let outcome = outcome.map_err(|e| match e {
                CallError::Timeout { .. } => "timeout".to_owned(),
                CallError::Send(SendError::Stopped { .. }) => "stopped, request back".to_owned(),
                other => format!("{other}"),
            });
            this.outcomes.send(outcome).unwrap();
        });
    }

    #[handles(Hello)]
    fn hello(&mut self, _: Hello) -> &'static str {
        "hello"
    }
}

fn asker_of(
    holder: &Addr<Holder>,
    hosting: Hosting,
    driver: &Driver,
) -> (Addr<Asker>, Receiver<Result<u64, String>>) {
    let (outcomes, seen) = bounded(16);
    let asker = spawn_in(
        Asker {
            holder: holder.clone(),
            outcomes,
        },
        hosting,
        driver,
    );
    (asker, seen)
}

#[test]
fn an_asking_actor_keeps_handling_its_mail_while_it_waits() {
    let driver = Driver::new(1);
    for hosting in HOSTINGS {
        let holder = spawn_in(Holder::default(), hosting, &driver);
        let (asker, outcomes) = asker_of(&holder, hosting, &driver);
        asker.tell(AskHolder(WAIT)).unwrap();
        // The ask is pending (the holder holds it), yet the asker answers other calls.
        assert_eq!(Bridge::new().call(&asker, Hello, WAIT).unwrap(), "hello");
        assert!(outcomes.try_recv().is_err());
        holder.tell(Release(9)).unwrap();
        assert_eq!(outcomes.recv_timeout(WAIT).unwrap(), Ok(9), "{hosting:?}");
    }
}

#[test]
fn an_unanswered_ask_times_out_exactly_once_and_a_late_reply_is_dropped() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let holder = spawn_in(Holder::default(), hosting, &driver);
        let (asker, outcomes) = asker_of(&holder, hosting, &driver);
        asker.tell(AskHolder(Duration::from_millis(5))).unwrap();
        assert_eq!(
            outcomes.recv_timeout(WAIT).unwrap(),
            Err("timeout".to_owned())
        );
        // The late reply finds the ask ended: no second run of the continuation.
        holder.tell(Release(1)).unwrap();
        Bridge::new().call(&holder, Stop, WAIT).unwrap();
        assert_eq!(Bridge::new().call(&asker, Hello, WAIT).unwrap(), "hello");
        assert!(outcomes.try_recv().is_err(), "{hosting:?}");
    }
}

#[test]
fn a_stopped_askers_continuation_is_dropped_unrun_as_soon_as_the_reply_comes() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let holder = spawn_in(Holder::default(), hosting, &driver);
        let (asker, outcomes) = asker_of(&holder, hosting, &driver);
        let (tx, guard) = bounded(2);
        asker.tell(AskKeeping(OnDrop(tx))).unwrap();
        // Handled in order: once Hello is answered, the ask is in flight.
        assert_eq!(Bridge::new().call(&asker, Hello, WAIT).unwrap(), "hello");
        Bridge::new().call(&asker, Stop, WAIT).unwrap();
        assert!(
            guard.try_recv().is_err(),
            "{hosting:?}: dropped before the reply"
        );
        // The reply ends the request: the continuation is dropped then, not when its
        // hour-long deadline comes, and never run.
        holder.tell(Release(1)).unwrap();
        assert_eq!(guard.recv_timeout(WAIT), Ok("dropped"), "{hosting:?}");
        assert!(outcomes.try_recv().is_err(), "{hosting:?}");
        assert!(guard.try_recv().is_err(), "{hosting:?}");
    }
}

#[test]
fn asking_a_stopped_actor_gives_the_request_back_to_the_continuation() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let holder = spawn_in(Holder::default(), hosting, &driver);
        Bridge::new().call(&holder, Stop, WAIT).unwrap();
        let (asker, outcomes) = asker_of(&holder, hosting, &driver);
        asker.tell(AskHolder(WAIT)).unwrap();
        assert_eq!(
            outcomes.recv_timeout(WAIT).unwrap(),
            Err("stopped, request back".to_owned()),
            "{hosting:?}"
        );
    }
}

#[test]
fn every_ask_racing_its_timeout_runs_its_continuation_exactly_once() {
    let driver = Driver::new(2);
    let holder = Holder::default().spawn_on(&driver);
    let (outcomes, seen) = bounded(4096);
    let asker = Asker {
        holder: holder.clone(),
        outcomes,
    }
    .spawn_on(&driver);
    const ASKS: usize = 2_000;
    for n in 0..ASKS {
        // Deadlines a few microseconds out race the releases below.
        asker
            .tell(AskHolder(Duration::from_micros((n % 50) as u64)))
            .unwrap();
        if n % 7 == 0 {
            holder.tell(Release(n as u64)).unwrap();
        }
    }
    holder.tell(Release(0)).unwrap();
    for _ in 0..ASKS {
        let _outcome = seen.recv_timeout(WAIT).expect("every continuation runs");
    }
    // Nothing runs twice: once the asker has handled a later message, no outcome is left.
    Bridge::new().call(&holder, Stop, WAIT).unwrap();
    assert_eq!(Bridge::new().call(&asker, Hello, WAIT).unwrap(), "hello");
    assert!(seen.try_recv().is_err());
}

#[derive(Message)]
#[message(reply = u64)]
struct Echo(u64);

struct Echoer;

#[actor]
impl Echoer {
    #[handles(Echo)]
    fn echo(&mut self, Echo(n): Echo) -> u64 {
        n
    }
}

/// Makes `.0` asks one after another, each from the last one's continuation (so each
/// reuses the block of the ask that just ended), in turn answered, timed out and refused,
/// and answers how many continuations saw anything but their own ask's outcome.
#[derive(Message)]
#[message(reply = u64)]
struct Storm(u64);

struct Stormer {
    echo: Addr<Echoer>,
    holder: Addr<Holder>,
    gone: Addr<Echoer>,
    left: u64,
    wrong: u64,
    report: Option<Reply<u64>>,
}

impl Stormer {
    fn next(&mut self, ctx: &mut Context<Self>) {
        if self.left == 0 {
            if let Some(report) = self.report.take() {
                report.send(self.wrong);
            }
            return;
        }
        self.left -= 1;
        let n = self.left;
        match n % 3 {
            0 => ctx.ask(&self.echo, Echo(n), WAIT, move |this, reply, ctx| {
                if reply.ok() != Some(n) {
                    this.wrong += 1;
                }
                this.next(ctx);
            }),
            1 => {
                // A timeout of its own, a few microseconds: many fire while later asks
                // reuse blocks.
                let timeout = Duration::from_micros(n % 97);
                let holder = self.holder.info();
                ctx.ask(&self.holder, Hold, timeout, move |this, reply, ctx| {
                    match reply {
                        Err(CallError::Timeout { actor, timeout: t })
                            if t == timeout && actor == holder => {}
                        _ => this.wrong += 1,
                    }
                    this.next(ctx);
                })
            }
            _ => ctx.ask(&self.gone, Echo(n), WAIT, move |this, reply, ctx| {
                match reply {
                    Err(CallError::Send(SendError::Stopped { msg: Echo(m), .. })) if m == n => {}
                    _ => this.wrong += 1,
                }
                this.next(ctx);
            }),
        }
    }
}

#[actor]
impl Stormer {
    #[handles(Storm)]
    fn storm(&mut self, Storm(n): Storm, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        self.report = Some(reply);
        self.left = n;
        self.wrong = 0;
        self.next(ctx);
        later
    }
}

#[test]
fn reused_request_blocks_carry_only_their_own_asks_through_a_storm_of_timeouts() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let echo = spawn_in(Echoer, hosting, &driver);
        let holder = spawn_in(Holder::default(), hosting, &driver);
        let gone = spawn_in(Echoer, hosting, &driver);
        Bridge::new().call(&gone, Stop, WAIT).unwrap();
        let stormer = spawn_in(
            Stormer {
                echo,
                holder: holder.clone(),
                gone,
                left: 0,
                wrong: 0,
                report: None,
            },
            hosting,
            &driver,
        );
        // Twice: the second storm starts with the first one's spare blocks.
        for _ in 0..2 {
            let wrong = Bridge::new().call(&stormer, Storm(3_000), WAIT).unwrap();
            assert_eq!(
                wrong, 0,
                "{hosting:?}: continuations saw another ask's outcome"
            );
        }
        // The held requests all timed out: a late reply reaches none of them.
        holder.tell(Release(1)).unwrap();
        Bridge::new().call(&holder, Stop, WAIT).unwrap();
        assert_eq!(
            Bridge::new().call(&stormer, Storm(1), WAIT).unwrap(),
            0,
            "{hosting:?}"
        );
    }
}

// ---------------------------------------------------------------- async callers

#[derive(Message)]
#[message(reply = u64)]
struct Slow(Arc<Barrier>);

struct Sleeper;

#[actor]
impl Sleeper {
    /// Waits on a barrier the test holds: a handler that is slow for as long as the test
    /// says.
    #[handles(Slow)]
    fn slow(&mut self, Slow(barrier): Slow) -> u64 {
        barrier.wait();
        barrier.wait();
        42
    }

    #[handles(Double)]
    fn double(&mut self, Double(n): Double) -> u64 {
        2 * n
    }
}

#[test]
fn call_async_on_a_current_thread_runtime_lets_other_tasks_run_during_a_slow_handler() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let sleeper = spawn_in(Sleeper, hosting, &driver);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let reply = runtime.block_on(async {
            let bridge = Bridge::new();
            let call = bridge.call_async(&sleeper, Slow(barrier.clone()), WAIT);
            let call = tokio::spawn(call);
            // Another task on this same thread ticks while the handler is held: it could
            // not if the call blocked the thread.
            let ticker = tokio::spawn(async {
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                10
            });
            assert_eq!(ticker.await.unwrap(), 10);
            // Release the handler from a plain thread (the barrier blocks).
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                barrier.wait();
            });
            call.await.unwrap()
        });
        assert_eq!(reply.unwrap(), 42, "{hosting:?}");
    }
}

#[test]
fn a_thousand_concurrent_call_asyncs_on_a_multi_thread_runtime_all_answer() {
    let driver = Driver::new(2);
    let doublers: Vec<Addr<Doubler>> = (0..10)
        .map(|i| spawn_in(Doubler, HOSTINGS[i % 2], &driver))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let sum = runtime.block_on(async {
        let bridge = Bridge::new();
        let calls: Vec<_> = (0..1_000u64)
            .map(|n| {
                let call = bridge.call_async(&doublers[n as usize % 10], Double(n), WAIT);
                tokio::spawn(async move { call.await.unwrap() })
            })
            .collect();
        let mut sum = 0;
        for call in calls {
            sum += call.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 2 * (0..1_000u64).sum::<u64>());
}

#[test]
fn call_async_under_futures_block_on_answers_and_times_out() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let doubler = spawn_in(Doubler, hosting, &driver);
        let holder = spawn_in(Holder::default(), hosting, &driver);
        let bridge = Bridge::new();
        let reply = futures::executor::block_on(bridge.call_async(&doubler, Double(21), WAIT));
        assert_eq!(reply.unwrap(), 42);
        // No reply ever comes: the future still completes, at its timeout.
        let held = bridge.call_async(&holder, Hold, Duration::from_millis(10));
        assert!(matches!(
            futures::executor::block_on(held),
            Err(CallError::Timeout { .. })
        ));
        // The late reply is dropped, not handed to the next call.
        holder.tell(Release(5)).unwrap();
        let next = bridge.call_async(&doubler, Double(1), WAIT);
        assert_eq!(futures::executor::block_on(next).unwrap(), 2, "{hosting:?}");
    }
}

#[test]
fn call_async_to_a_stopped_actor_gives_the_request_back() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let doubler = spawn_in(Doubler, hosting, &driver);
        let bridge = Bridge::new();
        bridge.call(&doubler, Stop, WAIT).unwrap();
        let outcome = futures::executor::block_on(bridge.call_async(&doubler, Double(4), WAIT));
        match outcome {
            Err(CallError::Send(SendError::Stopped { msg: Double(4), .. })) => {}
            other => panic!("{hosting:?}: {other:?}"),
        }
    }
}

#[test]
fn a_panicking_handler_fails_call_async_with_its_message() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let slot = spawn_in(Slot::default(), hosting, &driver);
        let outcome = futures::executor::block_on(Bridge::new().call_async(&slot, Explode, WAIT));
        match outcome {
            Err(CallError::Panicked { panic, .. }) => {
                assert_eq!(panic, "exploded before deferring")
            }
            other => panic!("{hosting:?}: {other:?}"),
        }
    }
}

#[test]
fn a_pending_exec_result_can_be_awaited() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let slot = spawn_in(Slot::default(), hosting, &driver);
        let pending = slot.exec(|slot, _| {
            slot.value = Some(3);
            "set"
        });
        assert_eq!(futures::executor::block_on(pending), Ok("set"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let value = runtime.block_on(slot.exec(|slot, _| slot.value));
        assert_eq!(value, Ok(Some(3)), "{hosting:?}");
    }
}

#[test]
fn call_future_and_pending_are_send_and_static() {
    fn send_static<T: Send + 'static>(_: &T) {}
    let doubler = Doubler.spawn();
    let call = Bridge::new().call_async(&doubler, Double(1), WAIT);
    send_static(&call);
    let pending = doubler.exec(|_, _| 1);
    send_static(&pending);
    assert_eq!(futures::executor::block_on(call).unwrap(), 2);
    assert_eq!(futures::executor::block_on(pending), Ok(1));
}
