use actor_core::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_stop]
    fn close(self) {}
}

fn main() {}
