use actor_core::prelude::*;

struct Sink;

#[actor]
impl Sink {
    #[handles(other)]
    fn anything(&mut self, msg: &DynMessage) {
        let _ = msg;
    }
}

fn main() {}
