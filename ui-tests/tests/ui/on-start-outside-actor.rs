use actor_core::prelude::*;

struct Pinger;

impl Pinger {
    #[on_start]
    fn started(&mut self) {}
}

fn main() {}
