use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
unsafe impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
