use actor_core::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Message)]
enum Update {
    Set(u64),
    Share { cell: Rc<RefCell<u64>> },
}

fn main() {}
