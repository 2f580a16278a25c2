use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn counter_addr(&self) {}
}

fn main() {}
