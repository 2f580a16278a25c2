use actor_core::prelude::*;

#[derive(Message)]
#[message(response = u64)]
struct Count;

fn main() {}
