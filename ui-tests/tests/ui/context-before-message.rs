use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ctx: &mut Context<Self>, _ping: Ping) {}
}

fn main() {}
