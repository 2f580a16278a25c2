use actor_core::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_stop(graceful)]
    fn close(&mut self) {}
}

fn main() {}
