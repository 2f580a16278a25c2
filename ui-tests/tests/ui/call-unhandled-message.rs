use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)]
struct Ping;

#[derive(Message)]
#[message(reply = u64)]
struct Count;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {
    let pinger = Pinger.spawn();
    let bridge = Bridge::new();
    let _ = bridge.call(&pinger, Count, Duration::from_secs(1));
}
