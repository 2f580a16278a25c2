use actor_core::prelude::*;

#[actor]
struct Pinger;

fn main() {}
