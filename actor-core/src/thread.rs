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

pub(crate) fn spawn<A: Actor>(actor: A) -> Result<Addr<A>, Error> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let shared = Arc::new(Shared::new(tx, Host::Thread));
    let addr = Addr::new(shared.clone());
    let cell = Cell::new(actor, rx, shared);
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
        while let Ok(envelope) = cell.rx.recv() {
            if cell.handle(envelope) == Flow::Stop {
                break;
            }
        }
    }
    cell.finish();
}
