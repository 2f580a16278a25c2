use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}

    #[handles(Ping)]
    fn on_ping_again(&mut self, _ping: Ping) {}
}

fn main() {}
