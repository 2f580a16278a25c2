use actor_core::prelude::*;

#[derive(Message)]
struct Greet<'a> {
    name: &'a str,
}

fn main() {}
