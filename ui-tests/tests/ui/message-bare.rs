use actor_core::prelude::*;

#[derive(Message)]
#[message]
struct Count;

fn main() {}
