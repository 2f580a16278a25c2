use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

trait Greet {
    fn greet(&self);
}

#[actor]
impl Greet for Pinger {
    fn greet(&self) {}
}

fn main() {}
