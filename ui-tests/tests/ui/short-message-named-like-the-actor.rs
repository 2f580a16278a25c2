use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn counter(&self) {}
}

fn main() {}
