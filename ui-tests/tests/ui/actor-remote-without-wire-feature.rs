use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

// The ui-tests crate builds actor-core without its `wire` feature.
#[actor(remote)]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
