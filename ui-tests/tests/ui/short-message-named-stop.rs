use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn stop(&mut self) {}
}

fn main() {}
