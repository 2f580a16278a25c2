use actor_core::prelude::*;

struct Service;

#[actor]
impl Service {
    #[handles(Stop)]
    fn on_stop(&mut self, _stop: Stop) -> Stopped {
        Stopped
    }
}

fn main() {}
