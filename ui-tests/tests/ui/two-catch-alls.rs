use actor_core::prelude::*;

struct Sink;

#[actor]
impl Sink {
    #[handles(other)]
    fn first(&mut self, _msg: DynMessage) {}

    #[handles(other)]
    fn second(&mut self, _msg: DynMessage) {}
}

fn main() {}
