use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Service;

#[actor]
impl Service {
    #[on_start]
    fn open(&mut self, _ping: Ping) {}
}

fn main() {}
