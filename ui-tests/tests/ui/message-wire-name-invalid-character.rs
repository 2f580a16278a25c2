use actor_core::prelude::*;

#[derive(Message)]
#[message(reply = u64, name = "shop order")]
struct Order;

#[derive(Message)]
#[message(name = "shop.Order>")]
struct Refund;

#[derive(Message)]
#[message(name = "boutique.Commandé")]
struct Commande;

fn main() {}
