use actor_core::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_start]
    fn open(&mut self) {}

    #[on_start]
    fn connect(&mut self) {}
}

fn main() {}
