//! An import written for a helper attribute is still used, not warned about, however the
//! attribute names it: by an imported name, through a renamed crate, or by `super::`.

#![deny(warnings)]

use actor_core as ac;
use actor_core::{actor, handles, Actor, Bridge, Message};
use std::time::Duration;

#[derive(Message)]
#[message(reply = u8)]
struct Ping;

struct ByName;

#[actor]
impl ByName {
    #[handles(Ping)]
    fn on_ping(&mut self, _: Ping) -> u8 {
        1
    }
}

struct ByRenamedCrate;

#[actor]
impl ByRenamedCrate {
    #[ac::handles(Ping)]
    fn on_ping(&mut self, _: Ping) -> u8 {
        2
    }

    #[ac::on_stop]
    fn stopped(&mut self) {}
}

mod inner {
    use actor_core::{actor, on_start};

    pub struct BySuper;

    #[actor]
    impl BySuper {
        #[on_start]
        fn started(&mut self) {}

        #[super::handles(super::Ping)]
        fn on_ping(&mut self, _: super::Ping) -> u8 {
            3
        }
    }
}

fn main() {
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(5);
    assert_eq!(bridge.call(&ByName.spawn(), Ping, timeout).unwrap(), 1);
    assert_eq!(bridge.call(&ByRenamedCrate.spawn(), Ping, timeout).unwrap(), 2);
    assert_eq!(bridge.call(&inner::BySuper.spawn(), Ping, timeout).unwrap(), 3);
}
