use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn context(&self) {}
}

fn main() {}
