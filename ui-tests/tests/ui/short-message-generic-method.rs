use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn inc<T: Into<u64>>(&mut self, by: u64) {
        let _ = by;
    }
}

fn main() {}
