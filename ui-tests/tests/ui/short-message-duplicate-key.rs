use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message(name = Clear, name = Zero)]
    fn reset(&mut self) {}
}

fn main() {}
