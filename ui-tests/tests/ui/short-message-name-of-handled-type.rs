use actor_core::prelude::*;

#[derive(Message)]
struct Reset;

struct Counter;

#[actor]
impl Counter {
    #[handles(Reset)]
    fn on_reset(&mut self, _: Reset) {}

    #[message]
    fn reset(&mut self) {}
}

fn main() {}
