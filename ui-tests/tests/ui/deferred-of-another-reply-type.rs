use actor_core::prelude::*;

#[derive(Message)]
#[message(reply = u64)]
struct Get;

struct Later;

#[actor]
impl Later {
    #[handles(Get)]
    fn get(&mut self, _: Get, ctx: &mut Context<Self>) -> Deferred<String> {
        ctx.defer().0
    }
}

fn main() {}
