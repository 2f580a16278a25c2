use actor_core::prelude::*;

struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[message(reply = u64)]
    fn get(&self) -> u64 {
        self.n
    }
}

fn main() {}
