use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Service;

#[actor]
impl Service {
    #[handles(Ping)]
    #[on_start]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
