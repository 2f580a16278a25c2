use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(_ping: Ping) {}
}

fn main() {}
