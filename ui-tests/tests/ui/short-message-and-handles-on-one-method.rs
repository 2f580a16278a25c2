use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[message]
    #[handles(Ping)]
    fn ping(&mut self, _: Ping) {}
}

fn main() {}
