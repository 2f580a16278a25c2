use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn later(&mut self, at: u64) -> Deferred<u64> {
        let _ = at;
        unimplemented!()
    }
}

fn main() {}
