//! Dedicated hosting: one OS thread per actor, named after the actor's type, blocking in
//! a plain crossbeam `recv` loop.

use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, TryRecvError};

use crate::actor::Actor;
use crate::addr::{Addr, Envelope, Erased, Shared};
use crate::current;
use crate::error::Error;
use crate::host::Host;
use crate::registry::Reservation;
use crate::runtime::{Cell, Flow};
use crate::supervise::{Spawn, SpawnError};

pub(crate) fn spawn<A: Actor>(spawn: Spawn<A>) -> Result<Addr<A>, Error> {
    let (actor, policy, capacity) = spawn.into_parts();
    let (tx, rx) = match capacity {
        Some(capacity) => crossbeam_channel::bounded(capacity),
        None => crossbeam_channel::unbounded(),
    };
    let shared = Arc::new(Shared::new(Host::Thread(tx)));
    let addr = Addr::new(shared.clone());
    let cell = Cell::new(actor, shared, policy);
    thread::Builder::new()
        .name(A::NAME.to_owned())
        .spawn(move || run(cell, rx))
        .map_err(|e| Error::Spawn {
            actor: A::NAME,
            reason: e.to_string(),
        })?;
    Ok(addr)
}

/// `spawn` with a name bound in the registry before the thread starts: a taken name gives
/// the actor back, a refused thread frees the name.
pub(crate) fn spawn_named<A: Actor>(
    spawn: Spawn<A>,
    reservation: Reservation,
) -> Result<Addr<A>, SpawnError<A>> {
    let (actor, policy, capacity) = spawn.into_parts();
    let (tx, rx) = match capacity {
        Some(capacity) => crossbeam_channel::bounded(capacity),
        None => crossbeam_channel::unbounded(),
    };
    let shared = Arc::new(Shared::new(Host::Thread(tx)));
    reservation.bind(&shared);
    let addr = Addr::new(shared.clone());
    let cell = Cell::new(actor, shared.clone(), policy);
    let started = thread::Builder::new()
        .name(A::NAME.to_owned())
        .spawn(move || run(cell, rx));
    match started {
        Ok(_) => Ok(addr),
        Err(e) => {
            // Frees the name; the actor went with the closure the OS did not run.
            shared.mark_stopped();
            Err(SpawnError::new(
                Error::Spawn {
                    actor: A::NAME,
                    reason: e.to_string(),
                },
                None,
            ))
        }
    }
}

fn run<A: Actor>(mut cell: Cell<A>, rx: Receiver<Envelope<A>>) {
    let shared = cell.shared().clone();
    // SAFETY: `shared` outlives the guard: declared before it, so dropped after it.
    let _entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
    if cell.start() == Flow::Continue {
        // The runtime's own reference keeps the channel open, so `recv` ends only
        // through `Stop`, `ctx.stop()` or the release of the last handle.
        loop {
            // Drain what is queued on the cheap non-blocking path; block only when empty.
            let envelope = match rx.try_recv() {
                Ok(envelope) => envelope,
                Err(TryRecvError::Empty) => match rx.recv() {
                    Ok(envelope) => envelope,
                    Err(_) => break,
                },
                Err(TryRecvError::Disconnected) => break,
            };
            if cell.handle(envelope) == Flow::Stop {
                break;
            }
        }
    }
    cell.finish(Some(rx));
}
