//! `#[message(name = "..")]` and the short form's `wire_name = ".."` set `WIRE_NAME`, every
//! allowed character and the longest name included, with no warning and no prelude.
#![deny(warnings, missing_docs)]

mod actors {
    #![no_implicit_prelude]

    /// A named message, combined with a reply.
    #[derive(::actor_core::Message)]
    #[message(reply = u64, name = "app.v2.Ping")]
    pub struct Ping(pub u64);

    /// Every allowed character.
    #[derive(::actor_core::Message)]
    #[message(name = "a-b_c:d.E9")]
    #[message(reply = ())]
    pub enum Mode {
        /// Fast.
        Fast,
    }

    /// The longest name.
    #[derive(::actor_core::Message)]
    #[message(name = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    pub struct Long;

    /// No name: the type name.
    #[derive(::actor_core::Message)]
    pub struct Plain;

    /// An actor with a generated, named message.
    pub struct Counter;

    #[::actor_core::actor]
    impl Counter {
        /// Resets.
        #[message(wire_name = "counter.Reset", name = ResetAll)]
        pub fn reset(&mut self) {}

        #[handles(Ping)]
        fn ping(&mut self, Ping(n): Ping) -> u64 {
            n
        }
    }
}

use actor_core::Message;

fn main() {
    assert_eq!(<actors::Ping as Message>::WIRE_NAME, Some("app.v2.Ping"));
    assert_eq!(<actors::Mode as Message>::WIRE_NAME, Some("a-b_c:d.E9"));
    assert_eq!(<actors::Long as Message>::WIRE_NAME.map(str::len), Some(128));
    assert_eq!(<actors::Plain as Message>::WIRE_NAME, None);
    assert_eq!(<actors::ResetAll as Message>::WIRE_NAME, Some("counter.Reset"));
}
