//! Dedicated hosting: one OS thread per actor, named after the actor's type, blocking in
//! a plain crossbeam `recv` loop.

use std::sync::Arc;
use std::thread;

use crate::actor::Actor;
use crate::addr::{Addr, Shared};
use crate::current;
use crate::error::Error;
use crate::host::Host;
use crate::runtime::{Cell, Flow};
use crate::supervise::Spawn;

pub(crate) fn spawn<A: Actor>(spawn: Spawn<A>) -> Result<Addr<A>, Error> {
    let (actor, policy, capacity) = spawn.into_parts();
    let (tx, rx) = mailbox(capacity);
    let shared = Arc::new(Shared::new(tx, capacity, Host::Thread));
    let addr = Addr::new(shared.clone());
    let cell = Cell::new(actor, rx, shared, policy);
    thread::Builder::new()
        .name(A::NAME.to_owned())
        .spawn(move || run(cell))
        .map_err(|e| Error::Spawn {
            actor: A::NAME,
            reason: e.to_string(),
        })?;
    Ok(addr)
}

fn run<A: Actor>(mut cell: Cell<A>) {
    let _entered = current::enter(cell.shared().clone());
    if cell.start() == Flow::Continue {
        // The runtime's own reference keeps the channel open, so `recv` ends only
        // through `Stop`, `ctx.stop()` or the release of the last handle.
        loop {
            // Drain what is queued on the cheap non-blocking path; block only when empty.
            let envelope = match cell.rx.try_recv() {
                Ok(envelope) => envelope,
                Err(crossbeam_channel::TryRecvError::Empty) => match cell.rx.recv() {
                    Ok(envelope) => envelope,
                    Err(_) => break,
                },
                Err(crossbeam_channel::TryRecvError::Disconnected) => break,
            };
            if cell.handle(envelope) == Flow::Stop {
                break;
            }
        }
    }
    cell.finish();
}

/// A mailbox: unbounded unless a capacity is given.
pub(crate) fn mailbox<T>(
    capacity: Option<usize>,
) -> (crossbeam_channel::Sender<T>, crossbeam_channel::Receiver<T>) {
    match capacity {
        Some(capacity) => crossbeam_channel::bounded(capacity),
        None => crossbeam_channel::unbounded(),
    }
}
