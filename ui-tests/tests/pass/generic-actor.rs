//! A generic actor: bounds on the impl, generic messages, a const parameter, a type
//! parameter that no message names (state only), the context, a catch-all and hooks.

#![deny(warnings)]

use actor_core::prelude::*;
use std::marker::PhantomData;
use std::sync::mpsc;
use std::time::Duration;

#[derive(Message)]
struct Push<T>(T);

#[derive(Message)]
#[message(reply = Vec<T>)]
struct Take<T>(PhantomData<T>);

/// Keeps at most `N` values; `L` is a label type, in no message.
struct Buffer<T, L, const N: usize> {
    values: Vec<T>,
    events: mpsc::Sender<String>,
    label: PhantomData<L>,
}

#[actor]
impl<T: Clone + Send + 'static, L: Send + 'static, const N: usize> Buffer<T, L, N> {
    #[on_start]
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.events.send(format!("start {}", ctx.info().name)).unwrap();
    }

    #[handles(Push<T>)]
    fn on_push(&mut self, Push(value): Push<T>) {
        if self.values.len() < N {
            self.values.push(value);
        }
    }

    #[handles(Take<T>)]
    fn on_take(&mut self, _: Take<T>, _ctx: &mut Context<Buffer<T, L, N>>) -> Vec<T> {
        std::mem::take(&mut self.values)
    }

    #[handles(other)]
    fn on_other(&mut self, msg: DynMessage) {
        self.events.send(format!("other {}", msg.type_name())).unwrap();
    }

    #[on_stop]
    fn stopped(&self) {
        self.events.send("stop".into()).unwrap();
    }
}

struct Label;

fn main() {
    let (events, seen) = mpsc::channel();
    let buffer = Buffer::<char, Label, 2> {
        values: Vec::new(),
        events,
        label: PhantomData,
    }
    .spawn();
    for c in ['a', 'b', 'c'] {
        buffer.tell(Push(c)).unwrap();
    }
    buffer.any().tell_dyn(DynMessage::new(7_u8)).unwrap();
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(5);
    assert_eq!(bridge.call(&buffer, Take(PhantomData), timeout).unwrap(), ['a', 'b']);
    bridge.call(&buffer, Stop, timeout).unwrap();
    let seen: Vec<String> = seen.iter().collect();
    assert_eq!(seen, ["start Buffer", "other u8", "stop"]);
    type Chars = Buffer<char, Label, 2>;
    assert_eq!(Chars::NAME, "Buffer");
    assert_eq!(Chars::HANDLES, ["Push<T>", "Take<T>"]);
}
