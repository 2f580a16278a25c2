//! The part of an actor's life that does not depend on where it runs: start, handle one
//! envelope, finish. A dedicated thread drives it from a blocking `recv` loop; a driver
//! drives it in bounded batches.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::actor::{Actor, Mail};
use crate::addr::{Envelope, Erased, Sender, Shared};
use crate::context::Context;
use crate::dead::{DeadLetters, DeadReason};
use crate::host::Host;
use crate::message::{short_type_name, Stopped};
use crate::reply::{panic_message, ReplyTo};
use crate::supervise::{AfterPanic, Policy, StopReason};

/// Whether the actor goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// An actor and its context: everything needed to run it, but its mailbox, which its host
/// reads (a dedicated thread's channel, or a driver cell's queue).
pub(crate) struct Cell<A: Actor> {
    actor: A,
    ctx: Context<A>,
    policy: Policy<A>,
    stopper: Option<ReplyTo<Stopped>>,
    /// Why the actor is stopping, once it is.
    reason: Option<StopReason>,
}

impl<A: Actor> Cell<A> {
    pub(crate) fn new(actor: A, shared: Arc<Shared<A>>, policy: Policy<A>) -> Self {
        // A name reserved for this spawn (`Spawn::named`) is bound before anyone can reach
        // the actor: a driver spawn makes its cell here, before it schedules it.
        crate::registry::bind_reserved(&shared);
        Cell {
            actor,
            ctx: Context::new(shared),
            policy,
            stopper: None,
            reason: None,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<A>> {
        self.ctx.shared()
    }

    /// Runs `#[on_start]`. A panic there stops the actor.
    pub(crate) fn start(&mut self) -> Flow {
        let Cell { actor, ctx, .. } = self;
        match panic::catch_unwind(AssertUnwindSafe(|| actor.__on_start(ctx))) {
            Ok(()) => self.after_handler(),
            Err(payload) => self.stop_with(StopReason::StartFailed(panic_message(&*payload))),
        }
    }

    /// Handles one envelope. A panicking handler has already told its caller (see
    /// `ReplyTo::complete`); the actor's policy decides what comes next.
    #[inline]
    pub(crate) fn handle(&mut self, envelope: Envelope<A>) -> Flow {
        let (mail, sender) = envelope.open();
        let Cell { actor, ctx, .. } = self;
        let handled = match mail {
            Mail::Typed(msg) => {
                set_sender(&mut ctx.sender, sender);
                let handled = panic::catch_unwind(AssertUnwindSafe(|| actor.__dispatch(msg, ctx)));
                clear_sender(&mut ctx.sender);
                handled
            }
            Mail::Other(msg) => {
                set_sender(&mut ctx.sender, sender);
                let handled = panic::catch_unwind(AssertUnwindSafe(|| actor.__catch_all(msg, ctx)));
                clear_sender(&mut ctx.sender);
                handled
            }
            Mail::Exec(job) => {
                set_sender(&mut ctx.sender, sender);
                let handled = panic::catch_unwind(AssertUnwindSafe(|| job(actor, ctx)));
                clear_sender(&mut ctx.sender);
                handled
            }
            Mail::Stop(reply) => {
                self.stopper = Some(reply);
                return self.stop_with(StopReason::Stopped);
            }
            Mail::Released => {
                if ctx.shared().handle_count() == 0 {
                    return self.stop_with(StopReason::Released);
                }
                Ok(())
            }
        };
        self.shared().retry_release();
        match handled {
            Ok(()) => self.after_handler(),
            Err(payload) => self.after_panic(panic_message(&*payload)),
        }
    }

    #[inline(always)]
    fn after_handler(&mut self) -> Flow {
        if self.ctx.stopping {
            let reason = self.ctx.stop_reason.take();
            self.stop_with(reason.unwrap_or(StopReason::Requested))
        } else {
            Flow::Continue
        }
    }

    #[cold]
    #[inline(never)]
    fn after_panic(&mut self, panic: String) -> Flow {
        log::error!(
            "{} panicked while handling a message: {panic}",
            self.shared().info()
        );
        match self.policy.after_panic(panic) {
            AfterPanic::Resume => self.after_handler(),
            AfterPanic::Stop(reason) => self.stop_with(reason),
            AfterPanic::Restart(fresh) => {
                // The old instance says goodbye; the new one starts with the queued mail.
                let Cell { actor, ctx, .. } = self;
                let _ = panic::catch_unwind(AssertUnwindSafe(|| actor.__on_stop(ctx)));
                // The old instance's `Drop` is user code too: a panic there must not
                // escape the turn and leave the actor with no one to run it.
                let old = std::mem::replace(&mut self.actor, fresh);
                if panic::catch_unwind(AssertUnwindSafe(|| drop(old))).is_err() {
                    log::error!(
                        "{}: dropping the instance being replaced panicked",
                        self.shared().info()
                    );
                }
                self.ctx.stopping = false;
                self.ctx.stop_reason = None;
                self.start()
            }
        }
    }

    /// Ends an actor that never ran (its driver was shut down first): no hooks run.
    pub(crate) fn finish_unstarted(mut self) {
        self.reason = Some(StopReason::NeverStarted);
        self.finish(None);
    }

    fn stop_with(&mut self, reason: StopReason) -> Flow {
        self.reason.get_or_insert(reason);
        Flow::Stop
    }

    /// Runs `#[on_stop]`, closes the mailbox (mail still queued is dropped and counted as
    /// dead letters; callers waiting on it are told at once), drops the actor, tells its
    /// monitors, then answers the stopper. `rx` is a dedicated thread's receiver; a
    /// driver's mailbox is closed through the shared state.
    pub(crate) fn finish(self, rx: Option<Receiver<Envelope<A>>>) {
        let Cell {
            mut actor,
            mut ctx,
            stopper,
            reason,
            ..
        } = self;
        // `#[on_stop]` pairs with a start that happened.
        if !matches!(
            reason,
            Some(StopReason::StartFailed(_) | StopReason::NeverStarted)
        ) {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| actor.__on_stop(&mut ctx)));
        }
        let shared = ctx.shared().clone();
        shared.mark_stopped();
        // User code runs in these drops (messages, the actor): a panic there must not
        // skip the rest of the ending, or monitors and the stopper would never hear.
        let quietly = |f: &mut dyn FnMut()| {
            let _ = panic::catch_unwind(AssertUnwindSafe(f));
        };
        // The mailbox is closed before any queued mail is dropped, so a caller woken by
        // its dropped reply slot finds later sends refused, with the message given back.
        let left: VecDeque<Envelope<A>> = match (rx, &shared.host) {
            // A bounded channel keeps what slips in after its receiver goes: parked instead.
            (Some(rx), Host::Thread(tx)) if tx.capacity().is_some() => shared.park(rx),
            (Some(rx), _) => {
                let left = rx.try_iter().collect();
                // Disconnects the channel. Mail posted since the line above is dropped by
                // the channel itself; its envelopes record themselves as dead letters.
                let mut rx = Some(rx);
                quietly(&mut || drop(rx.take()));
                left
            }
            (None, Host::Driver(cell)) => cell.close(),
            // A dedicated thread always hands its receiver over: nothing to close here.
            (None, Host::Thread(_)) => VecDeque::new(),
        };
        // One at a time, each contained: a panic (a hook, a message's `Drop`) while
        // unwinding through the rest would abort the process.
        for envelope in left {
            discard(&shared, envelope);
        }
        let mut parts = Some((actor, ctx));
        quietly(&mut || drop(parts.take()));
        shared.terminate(reason.unwrap_or(StopReason::Stopped));
        if let Some(stopper) = stopper {
            stopper.send(Stopped);
        }
    }
}

/// Drops mail that will never be handled (queued behind a stop, or slipped into a stopped
/// actor's channel), recording it as a dead letter first, so that a caller woken by its
/// dropped reply slot finds the books complete. User code runs here (the dead-letter hook,
/// the message's `Drop`): a panic is contained, logged, and goes no further.
pub(crate) fn discard<A: Actor>(shared: &Shared<A>, envelope: Envelope<A>) {
    let (mail, _) = envelope.open();
    let discarded = panic::catch_unwind(AssertUnwindSafe(move || {
        if let Mail::Typed(_) | Mail::Other(_) | Mail::Exec(_) = mail {
            let mail = mail.into_dyn();
            let message = short_type_name(mail.type_name());
            DeadLetters::record(Some(shared.info()), Some(message), DeadReason::Discarded);
        }
    }));
    if discarded.is_err() {
        log::error!("{}: dropping a discarded message panicked", shared.info());
    }
}

/// Puts a message's sender in the context. Between messages the slot holds
/// `Sender::Nobody`, which owns nothing, so it is overwritten without a drop call.
#[inline(always)]
fn set_sender(slot: &mut Sender, sender: Sender) {
    clear_sender(slot);
    std::mem::forget(std::mem::replace(slot, sender));
}

/// Empties the context's sender slot; only a real sender pays for a drop, out of line.
#[inline(always)]
fn clear_sender(slot: &mut Sender) {
    if !slot.is_nobody() {
        drop_sender(slot);
    }
}

#[cold]
#[inline(never)]
fn drop_sender(slot: &mut Sender) {
    *slot = Sender::Nobody;
}
