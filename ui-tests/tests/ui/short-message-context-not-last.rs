use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn inc(&mut self, ctx: &mut Context<Self>, by: u64) {
        let _ = (ctx, by);
    }
}

fn main() {}
