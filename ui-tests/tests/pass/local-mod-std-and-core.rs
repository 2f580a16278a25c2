//! A local `mod std` and `mod core` do not capture the generated paths.

#![allow(dead_code)]

mod std {}
mod core {}
mod actor_core {}

#[derive(::actor_core::Message)]
#[message(reply = u32)]
struct Ping;

struct Pinger;

#[::actor_core::actor]
impl Pinger {
    #[::actor_core::handles(Ping)]
    fn on_ping(&mut self, _: Ping) -> u32 {
        7
    }
}

fn main() {
    use ::actor_core::Actor as _;
    let pinger = Pinger.spawn();
    let bridge = ::actor_core::Bridge::new();
    let reply = bridge.call(&pinger, Ping, ::std::time::Duration::from_secs(5));
    assert_eq!(reply.unwrap(), 7);
}
