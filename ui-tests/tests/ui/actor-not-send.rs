use actor_core::prelude::*;
use std::rc::Rc;

#[derive(Message)]
struct Ping;

struct Pinger {
    seen: Rc<u64>,
}

#[actor]
impl Pinger {
    #[handles(Ping)]
    fn on_ping(&mut self, _ping: Ping) {
        let _ = &self.seen;
    }
}

fn main() {}
