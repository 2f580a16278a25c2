use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Sink;

#[actor]
impl Sink {
    #[handles(other)]
    fn anything(&mut self, _msg: Ping) {}
}

fn main() {}
