use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    const LIMIT: u64 = 3;
}

fn main() {}
