use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message(derive(Debug, Serialize))]
    fn reset(&mut self) {}
}

fn main() {}
