use actor_core::prelude::*;
use std::rc::Rc;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn share(&mut self, shared: Rc<u64>) {
        let _ = shared;
    }
}

fn main() {}
