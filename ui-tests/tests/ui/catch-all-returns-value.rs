use actor_core::prelude::*;

struct Sink;

#[actor]
impl Sink {
    #[handles(other)]
    fn anything(&mut self, _msg: DynMessage) -> bool {
        true
    }
}

fn main() {}
