use actor_core::prelude::*;

#[derive(Message)]
#[message(name = ".Order")]
struct Order;

#[derive(Message)]
#[message(name = "shop..Refund")]
struct Refund;

fn main() {}
