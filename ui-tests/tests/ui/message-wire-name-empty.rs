use actor_core::prelude::*;

#[derive(Message)]
#[message(name = "")]
struct Order;

fn main() {}
