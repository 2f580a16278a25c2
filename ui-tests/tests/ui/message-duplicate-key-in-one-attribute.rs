use actor_core::prelude::*;

#[derive(Message)]
#[message(reply = u64, reply = u32)]
struct Count;

fn main() {}
