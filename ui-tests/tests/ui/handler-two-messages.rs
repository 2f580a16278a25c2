use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

#[derive(Message)]
struct Pong;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping, _pong: Pong) {}
}

fn main() {}
