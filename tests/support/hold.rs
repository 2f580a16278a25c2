//! `hold`: keeps an actor busy in a closure until the test lets it go, so that what is
//! sent to it meanwhile waits (the wire's and the NATS node's tests of calls that meet a
//! held actor).

use actor_core::prelude::*;
use crossbeam_channel::Sender;
use std::time::Duration;

/// Holds the actor `addr` names until the returned sender is dropped; returns once the
/// actor is held.
pub fn hold<A: Actor>(addr: &Addr<A>) -> Sender<()> {
    let (held, is_held) = crossbeam_channel::bounded(1);
    let (open, shut) = crossbeam_channel::bounded::<()>(0);
    let _pending = addr.exec(move |_, _| {
        held.send(()).unwrap();
        let _ = shut.recv();
    });
    is_held
        .recv_timeout(Duration::from_secs(30))
        .expect("the actor was never held");
    open
}
