#![deny(unused_must_use)]

use actor_core::prelude::*;

#[derive(Default)]
struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[message]
    fn inc(&mut self, by: u64) {
        self.n += by;
    }
}

fn main() {
    let counter = Counter::default().spawn();
    counter.inc(1);
}
