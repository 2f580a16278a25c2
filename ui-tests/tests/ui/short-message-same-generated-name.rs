use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn reset(&mut self) {}

    #[message(name = Reset)]
    fn clear(&mut self) {}
}

fn main() {}
