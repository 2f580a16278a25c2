use actor_core::prelude::*;

#[derive(Message)]
#[message(reply)]
struct Count;

fn main() {}
