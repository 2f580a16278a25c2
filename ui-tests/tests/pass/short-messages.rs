//! Every short form: `#[message]` with no parameter, several, the context, a deferred
//! reply, `derive(..)` and `name = ..`, a `pub` method giving a `pub` type used from
//! another module, next to explicit handlers; and the typed helpers on `Addr<A>`, for a
//! concrete and a generic actor, imported by name or by a glob.

use std::time::Duration;

mod counter {
    use actor_core::prelude::*;

    #[derive(Default)]
    pub struct Counter {
        n: u64,
        waiting: Vec<Reply<u64>>,
    }

    /// The explicit form.
    #[derive(Message)]
    pub struct Reset;

    #[actor]
    impl Counter {
        /// Adds `by`.
        #[message(derive(Debug, Clone, PartialEq))]
        pub fn inc(&mut self, by: u64) -> u64 {
            self.n += by;
            self.n
        }

        #[message]
        pub fn add(&mut self, by: u64, times: u64, _ctx: &mut Context<Self>) {
            self.n += by * times;
        }

        #[message]
        pub fn get(&self) -> u64 {
            self.n
        }

        #[message(name = AtLeast)]
        pub fn when(&mut self, at: u64, ctx: &mut Context<Self>) -> Deferred<u64> {
            let (later, reply) = ctx.defer();
            if self.n >= at {
                reply.send(self.n);
            } else {
                self.waiting.push(reply);
            }
            later
        }

        #[handles(Reset)]
        fn on_reset(&mut self, _: Reset) {
            self.n = 0;
        }

        /// A private short form: its type is private to this module.
        #[message]
        fn private_poke(&mut self) {}
    }

    pub fn poke(counter: &Addr<Counter>) {
        counter.tell(PrivatePoke).unwrap();
        counter.private_poke().tell().unwrap();
    }
}

mod cache {
    use actor_core::prelude::*;

    #[derive(Message)]
    pub struct Put<T>(pub T);

    #[derive(Message)]
    #[message(reply = Option<T>)]
    pub struct Take<T>(pub ::core::marker::PhantomData<T>);

    pub struct Cache<T> {
        pub value: Option<T>,
    }

    #[actor]
    impl<T: Clone + Send + 'static> Cache<T>
    where
        Self: Send,
    {
        #[handles(Put<T>)]
        fn put(&mut self, Put(value): Put<T>) {
            self.value = Some(value);
        }

        #[handles(Take<T>)]
        fn take(&mut self, _: Take<T>) -> Option<T> {
            self.value.take()
        }

        /// A short form in a generic actor, naming none of its parameters.
        #[message]
        pub fn clear(&mut self) {
            self.value = None;
        }
    }
}

use actor_core::{Actor, Bridge};
use cache::*;
use counter::{AtLeast, Counter, CounterAddr, Inc};

fn main() {
    let wait = Duration::from_secs(5);
    let counter = Counter::default().spawn();
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&counter, Inc { by: 2 }, wait).unwrap(), 2);
    assert_eq!(counter.inc(2).call(&bridge, wait).unwrap(), 4);
    counter.add(1, 2).tell().unwrap();
    let later = counter.when(7).call_async(&bridge, wait);
    counter.inc(1).tell().unwrap();
    counter::poke(&counter);
    let _ = later;
    assert_eq!(counter.get().call(&bridge, wait).unwrap(), 7);
    assert_eq!(bridge.call(&counter, AtLeast { at: 1 }, wait).unwrap(), 7);
    counter.on_reset(counter::Reset).tell().unwrap();
    assert_eq!(format!("{:?}", Inc { by: 1 }.clone()), "Inc { by: 1 }");

    let cache = Cache { value: None }.spawn();
    cache.put(Put(5_u8)).tell().unwrap();
    assert_eq!(cache.take(Take(Default::default())).call(&bridge, wait).unwrap(), Some(5));
    cache.clear().tell().unwrap();
}
