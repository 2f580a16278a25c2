use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger<T>(T);

#[actor(remote)]
impl<T: Send + 'static> Pinger<T> {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
