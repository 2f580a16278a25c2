//! Attributes imported one by one are used, not warned about, though `#[actor]` reads
//! them itself.

#![deny(warnings)]

use actor_core::{actor, handles, on_start, on_stop, Actor, Bridge, Message};
use std::time::Duration;

#[derive(Message)]
#[message(reply = bool)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[on_start]
    fn started(&mut self) {}

    #[handles(Ping)]
    fn on_ping(&mut self, _: Ping) -> bool {
        true
    }

    #[on_stop]
    fn stopped(&mut self) {}
}

fn main() {
    let pinger = Pinger.spawn();
    assert!(Bridge::new()
        .call(&pinger, Ping, Duration::from_secs(5))
        .unwrap());
}
