use actor_core::prelude::*;

#[derive(Message)]
#[message(reply = u64)]
struct Get;

struct Later;

#[actor]
impl Later {
    #[handles(Get)]
    fn get(&mut self, _: Get) -> Deferred<u64> {
        todo!()
    }
}

fn main() {}
