use actor_core::prelude::*;

#[derive(Message)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
