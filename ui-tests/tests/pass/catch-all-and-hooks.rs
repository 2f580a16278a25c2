//! A catch-all handler and both lifecycle hooks, with and without the context.

use actor_core::prelude::*;
use std::sync::mpsc;
use std::time::Duration;

#[derive(Message)]
struct Known;

struct Watcher {
    events: mpsc::Sender<String>,
}

#[actor]
impl Watcher {
    #[on_start]
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.events
            .send(format!("start {}", ctx.info().name))
            .unwrap();
    }

    #[handles(Known)]
    fn on_known(&mut self, _: Known) {
        self.events.send("known".into()).unwrap();
    }

    #[handles(other)]
    fn on_other(&mut self, msg: DynMessage) {
        self.events
            .send(format!("other {}", msg.type_name()))
            .unwrap();
    }

    #[on_stop]
    fn stopped(&self) {
        self.events.send("stop".into()).unwrap();
    }
}

fn main() {
    let (events, seen) = mpsc::channel();
    let watcher = Watcher { events }.spawn();
    watcher.tell(Known).unwrap();
    watcher.any().tell_dyn(DynMessage::new(7_u8)).unwrap();
    let bridge = Bridge::new();
    bridge.call(&watcher, Stop, Duration::from_secs(5)).unwrap();
    let seen: Vec<String> = seen.iter().collect();
    assert_eq!(seen, ["start Watcher", "known", "other u8", "stop"]);
}
