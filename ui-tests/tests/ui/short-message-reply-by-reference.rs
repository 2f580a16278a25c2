use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn name(&self) -> &str {
        "counter"
    }
}

fn main() {}
