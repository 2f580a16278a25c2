use actor_core::prelude::*;

#[derive(Message)]
#[message(reply = u64)]
#[message(reply = u32)]
struct Count;

fn main() {}
