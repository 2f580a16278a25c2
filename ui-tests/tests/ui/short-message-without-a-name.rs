use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn __(&self) {}
}

fn main() {}
