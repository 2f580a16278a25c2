use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping)
    where
        Self: Sized,
    {
    }
}

fn main() {}
