//! A handler that replies later returns `Deferred<R>`; the generated dispatch keeps the
//! reply slot for `ctx.defer()`, under `deny(warnings)`, with the types written by path.
#![deny(warnings)]

use actor_core::{actor, Message};

#[derive(Message)]
#[message(reply = u64)]
struct Get;

#[derive(Default)]
struct Later {
    waiting: Vec<actor_core::Reply<u64>>,
}

#[actor]
impl Later {
    #[handles(Get)]
    fn get(&mut self, _: Get, ctx: &mut actor_core::Context<Self>) -> actor_core::Deferred<u64> {
        let (later, reply) = ctx.defer();
        self.waiting.push(reply);
        later
    }
}

fn main() {
    let later = actor_core::Actor::spawn(Later::default());
    drop(later);
}
