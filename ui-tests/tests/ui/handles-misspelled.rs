use actor_core::prelude::*;

#[derive(Message)]
struct Ping;

struct Pinger;

// `#[actor]` reads `handles`, `on_start` and `on_stop` by name; any other attribute is the
// compiler's to resolve.
#[actor]
impl Pinger {
    #[handle(Ping)]
    fn on_ping(&mut self, _ping: Ping) {}
}

fn main() {}
