use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger<'a, T> {
    name: &'a str,
    value: T,
}

#[actor]
impl<'a, T: Send + 'static> Pinger<'a, T> {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
