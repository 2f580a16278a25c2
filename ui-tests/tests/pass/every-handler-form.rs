//! Every accepted handler form, called for real.

use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)]
struct Add(u64);

#[derive(Message)]
#[message(reply = u64)]
struct Total;

#[derive(Message)]
#[message(reply = String)]
struct Describe;

#[derive(Message)]
struct Reset;

#[derive(Message)]
#[message(reply = Option<u64>)]
struct Peek {
    at: usize,
}

#[derive(Default)]
struct Counter {
    seen: Vec<u64>,
}

#[actor]
impl Counter {
    /// `&mut self`, the message, no reply.
    #[handles(Add)]
    fn on_add(&mut self, Add(n): Add) {
        self.seen.push(n);
    }

    /// `&self` and a reply.
    #[handles(Total)]
    fn on_total(&self, _: Total) -> u64 {
        self.seen.iter().sum()
    }

    /// The context, used.
    #[handles(Describe)]
    fn on_describe(&mut self, _msg: Describe, ctx: &mut Context<Self>) -> String {
        format!("{} with {} values", ctx.info(), self.seen.len())
    }

    /// `-> ()` written out, a context with the actor's own name.
    #[handles(Reset)]
    fn on_reset(&mut self, _: Reset, _ctx: &mut Context<Counter>) -> () {
        self.seen.clear();
    }

    /// A struct pattern and a path type; a public handler.
    #[handles(self::Peek)]
    pub fn on_peek(&mut self, Peek { at }: self::Peek) -> Option<u64> {
        self.seen.get(at).copied()
    }

    /// Other methods in the block are left alone.
    fn helper(&self) -> usize {
        self.seen.len()
    }
}

fn main() {
    let counter = Counter::default().spawn();
    counter.tell(Add(2)).unwrap();
    counter.tell(Add(3)).unwrap();
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(5);
    assert_eq!(bridge.call(&counter, Total, timeout).unwrap(), 5);
    assert_eq!(
        bridge.call(&counter, Peek { at: 1 }, timeout).unwrap(),
        Some(3)
    );
    assert!(bridge
        .call(&counter, Describe, timeout)
        .unwrap()
        .ends_with("with 2 values"));
    bridge.call(&counter, Reset, timeout).unwrap();
    assert_eq!(bridge.call(&counter, Total, timeout).unwrap(), 0);
    assert_eq!(
        Counter::HANDLES,
        ["Add", "Total", "Describe", "Reset", "self::Peek"]
    );
    assert_eq!(Counter::default().helper(), 0);
    assert_eq!(bridge.call(&counter, Stop, timeout).unwrap(), Stopped);
}
