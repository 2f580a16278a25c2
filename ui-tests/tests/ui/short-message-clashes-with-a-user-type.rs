use actor_core::prelude::*;

/// The user's own `Inc`, which `#[message] fn inc` would generate again.
#[allow(dead_code)]
struct Inc;

struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[message]
    fn inc(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }
}

fn main() {}
