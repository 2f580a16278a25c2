use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message = "Clear"]
    fn reset(&mut self) {}
}

fn main() {}
