use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message(name = "Clear")]
    fn reset(&mut self) {}
}

fn main() {}
