//! Messages generated from handler signatures (`#[message]`) and the typed helpers on
//! `Addr<A>` (`counter.inc(2).call(&bridge, timeout)`), on a thread and on a driver.

use std::time::Duration;

use actor_core::prelude::*;
use serde::{Deserialize, Serialize};

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

#[derive(Default)]
struct Counter {
    n: u64,
    waiting: Vec<Reply<u64>>,
}

#[actor]
impl Counter {
    /// Adds `by`; replies with the new count.
    #[message(derive(Debug, Clone, PartialEq, Serialize, Deserialize))]
    fn inc(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }

    /// Adds `times * by`; no reply.
    #[message]
    fn add_many(&mut self, by: u64, times: u64) {
        self.n += by * times;
    }

    #[message]
    fn get(&self) -> u64 {
        self.n
    }

    /// Replies once the count reaches `at`.
    #[message]
    fn when(&mut self, at: u64, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        if self.n >= at {
            reply.send(self.n);
        } else {
            self.waiting.push(reply);
        }
        later
    }

    #[message(name = Wake)]
    fn wake_all(&mut self) {
        for reply in self.waiting.drain(..) {
            reply.send(self.n);
        }
    }

    #[handles(Reset)]
    fn on_reset(&mut self, _: Reset) {
        self.n = 0;
    }
}

/// The explicit form, next to the short one.
#[derive(Message)]
struct Reset;

#[test]
fn a_generated_message_is_called_like_a_hand_written_one() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let counter = spawn_in(Counter::default(), hosting, &driver);
        let bridge = Bridge::new();
        assert_eq!(
            bridge.call(&counter, Inc { by: 2 }, WAIT).unwrap(),
            2,
            "{hosting:?}"
        );
        counter.tell(AddMany { by: 3, times: 2 }).unwrap();
        assert_eq!(bridge.call(&counter, Get, WAIT).unwrap(), 8, "{hosting:?}");
    }
}

#[test]
fn helpers_tell_and_call_without_naming_the_message_type() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let counter = spawn_in(Counter::default(), hosting, &driver);
        let bridge = Bridge::new();
        counter.inc(1).tell().unwrap();
        counter.add_many(2, 3).tell().unwrap();
        assert_eq!(
            counter.inc(2).call(&bridge, WAIT).unwrap(),
            9,
            "{hosting:?}"
        );
        counter.on_reset(Reset).tell().unwrap();
        assert_eq!(counter.get().call(&bridge, WAIT).unwrap(), 0, "{hosting:?}");
    }
}

#[test]
fn a_helper_request_holds_its_message_until_sent() {
    let counter = Counter::default().spawn();
    let request = counter.inc(5);
    assert_eq!(request.message(), &Inc { by: 5 });
    assert_eq!(request.into_message().clone(), Inc { by: 5 });
}

#[test]
fn call_async_through_a_helper_completes_with_the_reply() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let counter = spawn_in(Counter::default(), hosting, &driver);
        let bridge = Bridge::new();
        let reply = futures::executor::block_on(counter.inc(4).call_async(&bridge, WAIT));
        assert_eq!(reply.unwrap(), 4, "{hosting:?}");
    }
}

#[test]
fn a_generated_deferred_handler_replies_later() {
    let driver = Driver::new(2);
    for hosting in HOSTINGS {
        let counter = spawn_in(Counter::default(), hosting, &driver);
        let bridge = Bridge::new();
        let waiting = counter.when(3).call_async(&bridge, WAIT);
        counter.inc(3).tell().unwrap();
        counter.wake_all().tell().unwrap();
        assert_eq!(
            futures::executor::block_on(waiting).unwrap(),
            3,
            "{hosting:?}"
        );
        // Already there: answered at once.
        assert_eq!(
            counter.when(1).call(&bridge, WAIT).unwrap(),
            3,
            "{hosting:?}"
        );
        let _: Wake = Wake;
    }
}

#[test]
fn a_call_to_a_stopped_actor_gives_the_generated_message_back() {
    let counter = Counter::default().spawn();
    let bridge = Bridge::new();
    bridge.call(&counter, Stop, WAIT).unwrap();
    match counter.inc(7).call(&bridge, WAIT) {
        Err(error) => assert_eq!(error.into_message(), Some(Inc { by: 7 })),
        Ok(n) => panic!("a stopped actor replied {n}"),
    }
}

/// With `#[message(derive(Serialize, Deserialize))]`, a generated message crosses the
/// wire like a hand-written one (`cargo test --features wire`).
#[cfg(feature = "wire")]
#[test]
fn a_generated_message_with_serde_derives_crosses_the_wire() {
    use actor_core::wire::{DeMux, Mux, Transport, Workers};

    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    let counter = Counter::default().spawn();
    demux.expose("counter", &counter).handle::<Inc>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let _listening = demux.listen(listener).unwrap();
    let mux = Mux::new(Transport::connect_tcp(addr).unwrap()).unwrap();
    let remote = mux.remote::<Counter>("counter");
    assert_eq!(remote.call(Inc { by: 5 }, WAIT).unwrap(), 5);
    assert_eq!(remote.call(Inc { by: 1 }, WAIT).unwrap(), 6);
}

// ---------------------------------------------------------------- ask between actors

struct Doubler;

#[actor]
impl Doubler {
    #[message]
    fn double(&mut self, n: u64) -> u64 {
        2 * n
    }
}

struct Proxy {
    doubler: Addr<Doubler>,
}

#[actor]
impl Proxy {
    /// Four times `n`, by asking the doubler twice, never blocking.
    #[message]
    fn quadruple(&mut self, n: u64, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        self.doubler
            .double(n)
            .ask(ctx, WAIT, move |this: &mut Proxy, twice, ctx| {
                let twice = twice.unwrap();
                this.doubler
                    .double(twice)
                    .ask(ctx, WAIT, move |_, four, _| {
                        reply.send(four.unwrap());
                    });
            });
        later
    }
}

#[test]
fn ask_through_a_helper_answers_between_neighbours_on_one_driver_thread() {
    let driver = Driver::new(1); // a blocking call between these two would be refused
    for hosting in HOSTINGS {
        let doubler = spawn_in(Doubler, hosting, &driver);
        let proxy = spawn_in(Proxy { doubler }, hosting, &driver);
        let bridge = Bridge::new();
        assert_eq!(
            proxy.quadruple(5).call(&bridge, WAIT).unwrap(),
            20,
            "{hosting:?}"
        );
    }
}

#[test]
fn generated_messages_are_listed_in_the_handles_registry() {
    assert_eq!(
        Counter::HANDLES,
        ["Inc", "AddMany", "Get", "When", "Wake", "Reset"]
    );
}

#[test]
fn a_generated_message_with_clone_goes_through_pub_sub() {
    struct Listener {
        seen: Vec<u64>,
    }

    #[actor]
    impl Listener {
        #[message(derive(Clone))]
        fn price(&mut self, cents: u64) {
            self.seen.push(cents);
        }

        #[message]
        fn seen(&self) -> Vec<u64> {
            self.seen.clone()
        }
    }

    let pubsub = PubSub::new();
    let listener = Listener { seen: Vec::new() }.spawn();
    pubsub.subscribe(&listener.recipient::<Price>());
    assert_eq!(pubsub.publish(Price { cents: 12 }), 1);
    let bridge = Bridge::new();
    assert_eq!(listener.seen().call(&bridge, WAIT).unwrap(), [12]);
}
