use actor_core::prelude::*;

struct Forwarder<M> {
    last: Option<M>,
}

#[actor]
impl<M: Message> Forwarder<M> {
    #[handles(M)]
    fn on_any(&mut self, msg: M) {
        self.last = Some(msg);
    }
}

fn main() {}
