use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message(wire_name = "counter add")]
    fn add(&mut self, by: u64) {
        let _ = by;
    }

    #[message(wire_name = Reset)]
    fn reset(&mut self) {}
}

fn main() {}
