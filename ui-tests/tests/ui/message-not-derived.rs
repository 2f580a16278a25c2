use actor_core::prelude::*;

struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
