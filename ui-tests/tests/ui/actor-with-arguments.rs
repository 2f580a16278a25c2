use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor(threads = 2)]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
