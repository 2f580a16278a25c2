//! `#[handles]`, `#[on_start]` and `#[on_stop]` need no import inside an `#[actor]` block,
//! which reads and removes them, as a derive does its helper attributes.

#![deny(warnings)]

use actor_core::{actor, Actor, Bridge, Message};
use std::time::Duration;

#[derive(Message)]
#[message(reply = u32)]
struct Ping;

struct Pinger {
    started: bool,
}

#[actor]
impl Pinger {
    #[on_start]
    fn started(&mut self) {
        self.started = true;
    }

    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) -> u32 {
        if self.started {
            1
        } else {
            0
        }
    }

    #[on_stop]
    fn stopped(&mut self) {}
}

fn main() {
    let pinger = Pinger { started: false }.spawn();
    let reply = Bridge::new().call(&pinger, Ping, Duration::from_secs(5));
    assert_eq!(reply.unwrap(), 1);
}
