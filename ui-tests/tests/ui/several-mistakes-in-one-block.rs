use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

#[derive(Message)]
struct Pong;

struct Pinger;

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: &Ping) {}

    #[handles(Pong)]
    async fn on_pong(&mut self, _pong: Pong) {}

    #[on_start]
    fn started(&mut self) -> u8 {
        0
    }
}

fn main() {}
