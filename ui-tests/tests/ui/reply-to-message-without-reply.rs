use actor_core::prelude::*;

#[derive(Message)]
struct Count;

struct Counter(u64);

#[actor]
impl Counter {
    #[handles(Count)]
    fn on_count(&mut self, _count: Count) -> u64 {
        self.0
    }
}

fn main() {}
