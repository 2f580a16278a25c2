use actor_core::prelude::*;

#[derive(Message)]
#[message(reply = u64)]
struct Count;

struct Counter;

#[actor]
impl Counter {
    #[handles(Count)]
    fn on_count(&mut self, _count: Count) {}
}

fn main() {}
