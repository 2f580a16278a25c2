//! Generated code needs nothing from the prelude.

mod actors {
    #![no_implicit_prelude]

    use ::actor_core::{handles, on_start, on_stop};

    #[derive(::actor_core::Message)]
    #[message(reply = u64)]
    pub struct Ping(pub u64);

    #[derive(::actor_core::Message)]
    pub enum Mode {
        Fast,
        Slow,
    }

    #[derive(::actor_core::Message)]
    pub struct Wrapped<T>(pub T);

    pub struct Pinger;

    #[::actor_core::actor]
    impl Pinger {
        #[on_start]
        fn started(&mut self) {}

        #[handles(Ping)]
        fn on_ping(&mut self, Ping(n): Ping, _ctx: &mut ::actor_core::Context<Self>) -> u64 {
            n * 2
        }

        #[handles(Mode)]
        fn on_mode(&self, _: Mode) {}

        #[handles(Wrapped<u8>)]
        fn on_wrapped(&self, _: Wrapped<u8>) {}

        #[handles(other)]
        fn on_other(&mut self, _: ::actor_core::DynMessage) {}

        #[on_stop]
        fn stopped(&mut self) {}
    }
}

fn main() {
    use actor_core::Actor as _;
    let pinger = actors::Pinger.spawn();
    pinger.tell(actors::Mode::Fast).unwrap();
    pinger.tell(actors::Mode::Slow).unwrap();
    pinger.tell(actors::Wrapped(1_u8)).unwrap();
    let bridge = actor_core::Bridge::new();
    let reply = bridge.call(&pinger, actors::Ping(21), std::time::Duration::from_secs(5));
    assert_eq!(reply.unwrap(), 42);
}
