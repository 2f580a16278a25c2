//! An actor written by a `macro_rules!` macro, with the message type passed in as a
//! fragment: the generated locals and the user's tokens still resolve together.

use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)]
#[message(reply = u64)]
struct Double(u64);

#[derive(Message)]
#[message(reply = String)]
struct Shout(String);

macro_rules! service {
    ($name:ident, $msg:ty, $reply:ty, |$this:ident, $arg:pat_param, $ctx:ident| $body:expr) => {
        struct $name;

        #[actor]
        impl $name {
            #[handles($msg)]
            fn handle(&mut self, $arg: $msg, ctx: &mut Context<Self>) -> $reply {
                let $this = self;
                let $ctx = ctx;
                $body
            }
        }
    };
}

service!(Doubler, Double, u64, |_this, Double(n), _ctx| n * 2);
service!(Shouter, Shout, String, |_this, Shout(text), ctx| {
    format!("{}: {}", ctx.info().name, text.to_uppercase())
});

fn main() {
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(5);
    let doubler = Doubler.spawn();
    assert_eq!(bridge.call(&doubler, Double(21), timeout).unwrap(), 42);
    let shouter = Shouter.spawn();
    let shout = bridge.call(&shouter, Shout("hi".into()), timeout).unwrap();
    assert_eq!(shout, "Shouter: HI");
}
