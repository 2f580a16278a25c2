use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn merge(&mut self, other: Self) {
        let _ = other;
    }
}

fn main() {}
