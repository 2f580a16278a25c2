use actor_core::prelude::*;

#[derive(Message)]
struct Count {
    #[message(reply = u64)]
    by: u64,
}

fn main() {}
