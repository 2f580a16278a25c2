use actor_core::prelude::*;

#[derive(Message)]
#[message(name = "shop.Order", reply = u64)]
#[message(name = "shop.Purchase")]
struct Order;

#[derive(Message)]
#[message(name = "shop.Refund", name = "shop.Refund")]
struct Refund;

fn main() {}
