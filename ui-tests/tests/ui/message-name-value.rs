use actor_core::prelude::*;

#[derive(Message)]
#[message = "u64"]
struct Count;

fn main() {}
