//! Generated message types and helpers need nothing from the prelude.

mod actors {
    #![no_implicit_prelude]

    pub struct Counter {
        pub n: u64,
    }

    #[::actor_core::actor]
    impl Counter {
        /// Adds `by`.
        #[message(derive(::core::fmt::Debug, ::core::clone::Clone))]
        pub fn inc(&mut self, by: u64) -> u64 {
            self.n += by;
            self.n
        }

        #[message]
        pub fn reset(&mut self, _ctx: &mut ::actor_core::Context<Self>) {
            self.n = 0;
        }

        #[message]
        pub fn later(
            &mut self,
            ctx: &mut ::actor_core::Context<Self>,
        ) -> ::actor_core::Deferred<u64> {
            let (later, reply) = ctx.defer();
            reply.send(self.n);
            later
        }
    }
}

fn main() {
    use actor_core::Actor as _;
    use actors::CounterAddr as _;
    let counter = actors::Counter { n: 0 }.spawn();
    let bridge = actor_core::Bridge::new();
    let wait = std::time::Duration::from_secs(5);
    assert_eq!(counter.inc(2).call(&bridge, wait).unwrap(), 2);
    assert_eq!(counter.later().call(&bridge, wait).unwrap(), 2);
    counter.reset().tell().unwrap();
    assert_eq!(bridge.call(&counter, actors::Inc { by: 1 }, wait).unwrap(), 1);
}
