use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;
struct Ponger;

#[actor]
impl Ponger {}

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping, _ctx: &mut Context<Ponger>) {}
}

fn main() {}
