use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

#[derive(Message)]
struct Pong;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping, Pong)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
