use actor_core::prelude::*;
use std::rc::Rc;

#[derive(Message)]
struct Shared {
    count: Rc<u64>,
}

fn main() {}
