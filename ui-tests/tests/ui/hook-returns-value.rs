use actor_core::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_start]
    fn open(&mut self) -> bool {
        true
    }
}

fn main() {}
