//! Dedicated hosting: one OS thread per actor, named after the actor's type, blocking in
//! a plain crossbeam `recv` loop.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::thread;

use crossbeam_channel::{Receiver, TryRecvError};

use super::current;
use super::lifecycle::{Flow, Life};
use crate::actor::Actor;
use crate::error::Error;
use crate::handle::{Addr, Erased, Shared};
use crate::mailbox::{Envelope, Host};
use crate::registry::{Registry, Reservation};
use crate::supervise::{Spawn, SpawnError};

pub(crate) fn spawn<A: Actor>(spawn: Spawn<A>) -> Result<Addr<A>, Error> {
    start(spawn, None)
}

/// `spawn` with a name bound in the registry before the thread starts: a taken name gives
/// the actor back, a refused thread frees the name.
pub(crate) fn spawn_named<A: Actor>(
    spawn: Spawn<A>,
    reservation: Reservation,
) -> Result<Addr<A>, SpawnError<A>> {
    // The actor went with the closure the OS did not run: nothing to give back.
    start(spawn, Some(reservation)).map_err(|e| SpawnError::new(e, None))
}

fn start<A: Actor>(spawn: Spawn<A>, name: Option<Reservation>) -> Result<Addr<A>, Error> {
    // Spawned from inside a simulated actor: into its simulation.
    if let Some(sim) = crate::sim::current() {
        return Ok(sim.spawn(spawn, name));
    }
    let (actor, policy, capacity) = spawn.into_parts();
    let (tx, rx) = match capacity {
        Some(capacity) => crossbeam_channel::bounded(capacity),
        None => crossbeam_channel::unbounded(),
    };
    let shared = Arc::new(Shared::new(Host::Thread(tx, OnceLock::new())));
    if let Some(name) = name {
        name.bind(&shared);
    }
    let addr = Addr::new(shared.clone());
    let life = Life::new(actor, shared.clone(), policy);
    let started = thread::Builder::new()
        .name(A::NAME.to_owned())
        .spawn(move || run(life, rx));
    match started {
        Ok(_) => Ok(addr),
        Err(e) => {
            // Frees a name bound above.
            if shared.mark_stopped() {
                Registry::forget(shared.info().id);
            }
            Err(Error::Spawn {
                actor: A::NAME,
                reason: e.to_string(),
            })
        }
    }
}

fn run<A: Actor>(mut life: Life<A>, rx: Receiver<Envelope<A>>) {
    let shared = life.shared().clone();
    // SAFETY: `shared` outlives the guard: declared before it, so dropped after it.
    let _entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
    if life.start() == Flow::Continue {
        // The runtime's own reference keeps the channel open, so `recv` ends only
        // through `Stop`, `ctx.stop()` or the release of the last handle.
        // What is handled between two waits, counted in registers and published before
        // each (zero-sized without the observing features).
        let mut tally = life.tally();
        loop {
            // Drain what is queued on the cheap non-blocking path; block only when empty.
            let envelope = match rx.try_recv() {
                Ok(envelope) => envelope,
                Err(TryRecvError::Empty) => {
                    life.publish(&mut tally);
                    match rx.recv() {
                        Ok(envelope) => envelope,
                        Err(_) => break,
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            if life.handle(envelope, &mut tally) == Flow::Stop {
                break;
            }
        }
        life.publish(&mut tally);
    }
    life.finish(|| close(&shared, rx));
}

/// Closes a thread's mailbox: collects what is queued, then drops the receiver, which
/// disconnects the channel. Mail posted in between is dropped by the channel itself; its
/// envelopes record themselves as dead letters.
///
/// A bounded channel keeps what slips in after its receiver goes, so its receiver is parked
/// in the shared state instead (see `Shared::post_bounded`).
fn close<A: Actor>(shared: &Shared<A>, rx: Receiver<Envelope<A>>) -> VecDeque<Envelope<A>> {
    if rx.capacity().is_some() {
        return shared.park(rx);
    }
    let left = rx.try_iter().collect();
    // A message's `Drop` is user code: a panic there must not skip the rest of the end.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(rx)));
    left
}
