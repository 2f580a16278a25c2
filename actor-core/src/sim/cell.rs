//! A simulated actor: its [`SimCell`] (the mailbox, with one queue per sender inside it,
//! and the actor's `Life`), and [`Runnable`], what the scheduler needs of a cell whatever
//! the actor's type.
//!
//! The mailbox is one queue in arrival order; what may run next is the front message of
//! each sender (so each sender's order holds), among the messages before the first `Stop`
//! or `Released` (so a stop comes after everything sent before it). The scheduler's
//! generator picks among them: that, and its pick of which actor runs, is what makes one
//! seed's interleaving differ from another's.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::sched::SimInner;
use super::trace::SimActor;
use crate::actor::{Actor, Mail};
use crate::handle::Erased;
use crate::hosting::current;
use crate::hosting::lifecycle::{Flow, Life};
use crate::id::ActorId;
use crate::mailbox::{Envelope, Refused, Wait};
use crate::sync::lock;

/// What one step of a cell ran, for the trace.
pub(super) struct Ran {
    pub(super) message: &'static str,
    pub(super) sender: Option<SimActor>,
}

/// A simulated actor as the scheduler sees it.
pub(super) trait Runnable: Send + Sync {
    /// Whether a step of this actor could run now (`now`: the virtual clock).
    fn is_ready(&self, now: u64) -> bool;
    /// Runs one step: the start hook, or one message, chosen with `pick` among the ready
    /// ones. `None` if nothing was ready.
    fn run(&self, pick: u64, now: u64) -> Option<Ran>;
    /// Ends the actor now, its queued mail unhandled (a fault, or the simulation's end).
    fn end(&self);
}

/// A simulated actor's mailbox and life.
pub(crate) struct SimCell<A: Actor> {
    sim: Arc<SimInner>,
    index: usize,
    mailbox: Mutex<SimMailbox<A>>,
    /// Taken out while the actor runs (its handler may post to itself), and for good when
    /// it ends.
    life: Mutex<Option<Life<A>>>,
}

struct SimMailbox<A: Actor> {
    queue: VecDeque<Queued<A>>,
    closed: bool,
    started: bool,
    capacity: Option<usize>,
    /// Messages handled (typed or catch-all), for "panic at the n-th message".
    handled: u64,
}

struct Queued<A: Actor> {
    /// Whose queue it is in: the sending actor, or a key of its own for mail that keeps
    /// no order with anything (an ask's outcome).
    key: u64,
    /// The posting actor.
    from: Option<ActorId>,
    /// `Stop` and `Released` come after everything queued before them.
    barrier: bool,
    /// Held until the virtual clock reaches this (a delayed sender).
    at: u64,
    envelope: Envelope<A>,
}

impl<A: Actor> SimCell<A> {
    pub(super) fn new(sim: Arc<SimInner>, index: usize, capacity: Option<usize>) -> Self {
        SimCell {
            sim,
            index,
            mailbox: Mutex::new(SimMailbox {
                queue: VecDeque::new(),
                closed: false,
                started: !A::__ON_START,
                capacity,
                handled: 0,
            }),
            life: Mutex::new(None),
        }
    }

    pub(super) fn set_life(&self, life: Life<A>) {
        *lock(&self.life) = Some(life);
    }

    pub(super) fn take_life(&self) -> Option<Life<A>> {
        lock(&self.life).take()
    }

    pub(crate) fn sim(&self) -> &Arc<SimInner> {
        &self.sim
    }

    pub(crate) fn mailbox_len(&self) -> usize {
        lock(&self.mailbox).queue.len()
    }

    /// Queues an envelope. Nothing waits in a simulation (the waiting thread is the one
    /// that would step the target): a full bounded mailbox refuses a post that would wait.
    /// Out of line and cold: `Host::post` is inlined into every send, and the simulated
    /// arm must not make the send path of threads and drivers too big to inline.
    #[cold]
    #[inline(never)]
    pub(crate) fn post(
        &self,
        envelope: Envelope<A>,
        from: Option<ActorId>,
        wait: Wait,
    ) -> Result<(), (Envelope<A>, Refused)> {
        // `from`: the posting actor, running or stamped as sender (a handler that takes
        // no context is sent no sender): each sender's order is kept, and the trace names
        // it.
        let (seq, at) = self.sim.stamp(from);
        let key = match envelope.mail() {
            Mail::Resume(_) => u64::MAX - seq,
            _ => from.map_or(0, |id| id.get()),
        };
        let barrier = matches!(envelope.mail(), Mail::Stop(_) | Mail::Released);
        {
            let mut mailbox = lock(&self.mailbox);
            if mailbox.closed {
                return Err((envelope, Refused::Stopped));
            }
            if let Some(capacity) = mailbox.capacity {
                if mailbox.queue.len() >= capacity {
                    match wait {
                        Wait::Force => {}
                        Wait::Never => return Err((envelope, Refused::Full)),
                        Wait::Block | Wait::Until(_) => {
                            drop(mailbox);
                            crate::hosting::waits::set_refusal(format!(
                                "a simulated actor's full mailbox ({}) cannot make room while \
                                 its sender waits",
                                self.sim.name_of(self.index)
                            ));
                            return Err((envelope, Refused::WouldDeadlock));
                        }
                    }
                }
            }
            mailbox.queue.push_back(Queued {
                key,
                from,
                barrier,
                at,
                envelope,
            });
        }
        self.sim.wake(self.index, at);
        Ok(())
    }

    /// Ends the actor: `Life::finish`, with the actor set as running, then off the
    /// simulation's list.
    fn finish(&self, life: Life<A>, started: bool) {
        let shared = life.shared().clone();
        // SAFETY: `shared` outlives the guard: it is dropped after it.
        let entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
        let close = || {
            let mut mailbox = lock(&self.mailbox);
            mailbox.closed = true;
            mailbox
                .queue
                .drain(..)
                .map(|queued| queued.envelope)
                .collect()
        };
        if started {
            life.finish(close);
        } else {
            life.finish_unstarted(close);
        }
        drop(entered);
        self.sim.forget(self.index);
        drop(shared);
    }
}

/// Where, among `queue`, are the messages that may run at `now`: the front of each
/// sender's queue, before the first barrier (which may run only when it is the front).
fn choices<A: Actor>(queue: &VecDeque<Queued<A>>, now: u64, out: &mut Vec<usize>) {
    out.clear();
    let mut seen: Vec<u64> = Vec::new();
    for (i, queued) in queue.iter().enumerate() {
        if queued.barrier {
            if i == 0 && queued.at <= now {
                out.push(0);
            }
            return;
        }
        if seen.contains(&queued.key) {
            continue;
        }
        seen.push(queued.key);
        if queued.at <= now {
            out.push(i);
        }
    }
}

impl<A: Actor> Runnable for SimCell<A> {
    fn is_ready(&self, now: u64) -> bool {
        let mailbox = lock(&self.mailbox);
        if mailbox.closed {
            return false;
        }
        if !mailbox.started {
            return true;
        }
        let mut out = Vec::new();
        choices(&mailbox.queue, now, &mut out);
        !out.is_empty()
    }

    fn run(&self, pick: u64, now: u64) -> Option<Ran> {
        let mut life = self.take_life()?;
        let shared = life.shared().clone();
        let mut mailbox = lock(&self.mailbox);
        if !mailbox.started {
            mailbox.started = true;
            drop(mailbox);
            // SAFETY: `shared` outlives the guard.
            let entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
            let flow = life.start();
            drop(entered);
            self.after(life, flow);
            return Some(Ran {
                message: "on_start",
                sender: None,
            });
        }
        let mut out = Vec::new();
        choices(&mailbox.queue, now, &mut out);
        if out.is_empty() {
            drop(mailbox);
            self.set_life(life);
            return None;
        }
        let at = out[(pick % out.len() as u64) as usize];
        let (envelope, from) = mailbox
            .queue
            .remove(at)
            .map(|queued| (queued.envelope, queued.from))?;
        let counts = matches!(envelope.mail(), Mail::Typed(_) | Mail::Other(_));
        if counts {
            mailbox.handled += 1;
        }
        let nth = mailbox.handled;
        drop(mailbox);
        let message = envelope.mail().name();
        let sender = from.and_then(|id| self.sim.actor_of(id));
        let fault = match counts {
            true => self.sim.panic_for(shared.info().id, nth),
            false => None,
        };
        // SAFETY: `shared` outlives the guard.
        let entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
        let flow = match fault {
            None => {
                let mut tally = life.tally();
                let flow = life.handle(envelope, &mut tally);
                life.publish(&mut tally);
                flow
            }
            Some(panic) => {
                super::with_injected_panic(panic.clone(), || life.handle_panicking(envelope, panic))
            }
        };
        drop(entered);
        self.after(life, flow);
        Some(Ran { message, sender })
    }

    fn end(&self) {
        if let Some(life) = self.take_life() {
            let started = lock(&self.mailbox).started;
            self.finish(life, started);
        }
    }
}

impl<A: Actor> SimCell<A> {
    fn after(&self, life: Life<A>, flow: Flow) {
        match flow {
            Flow::Continue => self.set_life(life),
            Flow::Stop => self.finish(life, true),
        }
    }
}
