use actor_core::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_stop]
    fn close(&mut self) {}

    #[on_stop]
    fn disconnect(&mut self) {}
}

fn main() {}
