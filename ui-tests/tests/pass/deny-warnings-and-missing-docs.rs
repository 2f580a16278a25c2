//! Generated code raises no warning, even where every warning is an error and every
//! public item needs docs.

#![deny(warnings, missing_docs)]

use actor_core::prelude::*;
use std::time::Duration;

/// A public message.
#[derive(Message)]
#[message(reply = u64)]
pub struct Ping(pub u64);

/// Another public message, with no reply.
#[derive(Message)]
pub enum Command {
    /// Go.
    Go,
}

/// A generic public message.
#[derive(Message)]
pub struct Wrapped<T>(pub T);

/// A public actor.
pub struct Pinger;

#[actor]
impl Pinger {
    #[on_start]
    fn started(&mut self) {}

    #[handles(Ping)]
    fn on_ping(&mut self, Ping(n): Ping) -> u64 {
        n
    }

    #[handles(Command)]
    fn on_command(&mut self, _: Command, _ctx: &mut Context<Self>) {}

    #[handles(Wrapped<String>)]
    fn on_wrapped(&self, _: Wrapped<String>) {}

    #[handles(other)]
    fn on_other(&mut self, _: DynMessage) {}

    #[on_stop]
    fn stopped(&mut self, _ctx: &mut Context<Self>) {}
}

/// A public actor that handles nothing but `Stop`.
pub struct Idle;

#[actor]
impl Idle {}

/// Public documented methods next to the handlers stay as they are.
pub struct Documented;

#[actor]
impl Documented {
    /// A documented public handler.
    #[handles(Command)]
    pub fn on_command(&mut self, _: Command) {}

    /// A documented public method.
    pub fn helper(&self) {}
}

fn main() {
    let pinger = Pinger.spawn();
    let bridge = Bridge::new();
    assert_eq!(
        bridge
            .call(&pinger, Ping(3), Duration::from_secs(5))
            .unwrap(),
        3
    );
    let idle = Idle.spawn();
    let documented = Documented.spawn();
    documented.tell(Command::Go).unwrap();
    Documented.helper();
    let stopped = bridge.stop(
        &[pinger.any(), idle.any(), documented.any()],
        Duration::from_secs(5),
    );
    assert_eq!(stopped, [Some(Stopped), Some(Stopped), Some(Stopped)]);
}
