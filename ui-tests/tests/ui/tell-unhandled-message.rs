use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

#[derive(Message)]
struct Pong;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {
    let pinger = Pinger.spawn();
    pinger.tell(Pong).ok();
}
