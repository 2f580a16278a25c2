use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message(derives(Debug))]
    fn reset(&mut self) {}
}

fn main() {}
