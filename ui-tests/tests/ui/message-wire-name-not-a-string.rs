use actor_core::prelude::*;

#[derive(Message)]
#[message(name = shop::Order)]
struct Order;

#[derive(Message)]
#[message(reply = u64, name)]
struct Refund;

fn main() {}
