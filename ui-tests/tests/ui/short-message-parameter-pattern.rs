use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn set(&mut self, (low, high): (u64, u64)) {
        let _ = (low, high);
    }
}

fn main() {}
