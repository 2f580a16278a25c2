use actor_core::prelude::*;
use std::rc::Rc;

#[derive(Message)]
#[message(reply = Rc<u64>)]
struct Get;

fn main() {}
