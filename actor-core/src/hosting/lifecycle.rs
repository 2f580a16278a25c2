//! The part of an actor's life that does not depend on where it runs: start, handle one
//! envelope, finish. A dedicated thread drives it from a blocking `recv` loop; a driver
//! drives it in bounded batches. Neither the mailbox nor the host is known here: `finish`
//! is handed a function that closes the mailbox and gives back what was queued.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crate::actor::{Actor, Mail};
use crate::call::{panic_message, ReplyTo};
use crate::context::Context;
use crate::dead::{DeadLetters, DeadReason};
use crate::handle::{Sender, Shared};
use crate::mailbox::Envelope;
use crate::message::{short_type_name, Stopped};
use crate::observe::{Probe, Tally, Turn};
use crate::registry::Registry;
use crate::supervise::{AfterPanic, Policy, StopReason};

/// Whether the actor goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// An actor's life: the actor, its context and its panic policy, everything needed to run
/// it but its mailbox, which its host reads (a dedicated thread's channel, or a driver
/// cell's queue).
pub(crate) struct Life<A: Actor> {
    /// Its figures and span (feature `tracing`, `metrics` or `console`; else zero-sized).
    /// First, so that it is unlisted before the rest of the life is dropped.
    probe: Probe,
    actor: A,
    ctx: Context<A>,
    policy: Policy<A>,
    /// Why the actor is stopping, once it is (and who to answer `Stopped`).
    reason: Option<Why>,
}

/// Why an actor is stopping, as its `Life` keeps it: the common reasons inline, the rest
/// (which carry text) boxed, so that every idle actor pays two words for it, not six.
enum Why {
    /// It handled a `Stop`; the stopper gets `Stopped` once it has ended.
    Stopped(ReplyTo<Stopped>),
    Requested,
    Released,
    NeverStarted,
    Other(Box<StopReason>),
}

impl Why {
    fn of(reason: StopReason) -> Why {
        match reason {
            StopReason::Stopped => Why::Stopped(ReplyTo::none()),
            StopReason::Requested => Why::Requested,
            StopReason::Released => Why::Released,
            StopReason::NeverStarted => Why::NeverStarted,
            other => Why::Other(Box::new(other)),
        }
    }

    /// The reason, and who to answer `Stopped` (`ReplyTo::none()` but for a `Stop`).
    fn reason(self) -> (StopReason, ReplyTo<Stopped>) {
        let reason = match self {
            Why::Stopped(stopper) => return (StopReason::Stopped, stopper),
            Why::Requested => StopReason::Requested,
            Why::Released => StopReason::Released,
            Why::NeverStarted => StopReason::NeverStarted,
            Why::Other(reason) => *reason,
        };
        (reason, ReplyTo::none())
    }

    /// Whether `#[on_stop]` runs: it pairs with a start that happened.
    fn started(&self) -> bool {
        match self {
            Why::NeverStarted => false,
            Why::Other(reason) => !matches!(**reason, StopReason::StartFailed(_)),
            _ => true,
        }
    }
}

impl<A: Actor> Life<A> {
    pub(crate) fn new(actor: A, shared: Arc<Shared<A>>, policy: Policy<A>) -> Self {
        // A name reserved for this spawn (`Spawn::named`) is bound before anyone can reach
        // the actor: a driver spawn makes its life here, before it schedules it.
        crate::registry::bind_reserved(&shared);
        Life {
            probe: Probe::new(&shared),
            actor,
            ctx: Context::new(shared, !A::__ON_START),
            policy,
            reason: None,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<A>> {
        self.ctx.shared()
    }

    /// Whether the actor has started (a driver runs `#[on_start]` in its first turn).
    #[inline]
    pub(crate) fn started(&self) -> bool {
        self.ctx.started
    }

    /// Marks the actor started.
    #[inline]
    pub(crate) fn set_started(&mut self) {
        self.ctx.started = true;
    }

    /// Runs `#[on_start]`. A panic there stops the actor.
    pub(crate) fn start(&mut self) -> Flow {
        let Life { actor, ctx, .. } = self;
        match panic::catch_unwind(AssertUnwindSafe(|| actor.__on_start(ctx))) {
            Ok(()) => self.after_handler(),
            Err(payload) => self.stop_with(StopReason::StartFailed(panic_message(&*payload))),
        }
    }

    /// Handles one envelope, counted in the host's `tally` (feature `metrics` or
    /// `console`; else zero-sized). A panicking handler has already told its caller (see
    /// `ReplyTo::complete`); the actor's policy decides what comes next.
    #[inline(always)]
    pub(crate) fn handle(&mut self, envelope: Envelope<A>, tally: &mut Tally) -> Flow {
        if tally.count() {
            // By value, so that the hot path's tally stays in registers.
            let flow;
            (flow, *tally) = self.handle_sampled(envelope, std::mem::take(tally));
            return flow;
        }
        self.handle_untimed(envelope, tally)
    }

    /// Handles one envelope, its handler not timed: the hot path.
    #[inline(always)]
    fn handle_untimed(&mut self, envelope: Envelope<A>, tally: &mut Tally) -> Flow {
        let mut turn = Turn::none();
        match self.run_handler(envelope, tally, &mut turn) {
            Ok(handled) => self.after_turn(turn, handled),
            Err(flow) => flow,
        }
    }

    /// Handles one of the envelopes the tally picks (one in `observe::SAMPLE`): its
    /// handler is timed, and the figures are brought up to date first, the message under
    /// way counted. Out of line: the other messages carry no clock.
    #[cold]
    #[inline(never)]
    fn handle_sampled(&mut self, envelope: Envelope<A>, mut tally: Tally) -> (Flow, Tally) {
        if matches!(envelope.mail(), Mail::Stop(_) | Mail::Released) {
            // No handler to time, nor a message to count: the next one is sampled instead.
            return (self.handle_untimed(envelope, &mut tally), tally);
        }
        self.probe.publish(&mut tally);
        let start = std::time::Instant::now();
        let mut turn = Turn::none();
        let flow = match self.run_handler(envelope, &mut tally, &mut turn) {
            Ok(handled) => {
                self.probe.timed(start);
                self.after_turn(turn, handled)
            }
            Err(flow) => flow,
        };
        (flow, tally)
    }

    /// The publication of what `tally` counted: by the host, before it lets go of the
    /// actor (its turn ends, or it stops).
    #[inline(always)]
    pub(crate) fn publish(&self, tally: &mut Tally) {
        self.probe.publish(tally);
    }

    /// A fresh tally, from the figures' count.
    #[inline(always)]
    pub(crate) fn tally(&self) -> Tally {
        self.probe.tally()
    }

    /// Runs the handler of an envelope's mail, its turn (its span) begun in `turn`; `Err`
    /// with what comes next for mail no handler sees (a stop, a release), which is taken
    /// back from the tally. The turn is written in place, not returned: with `tracing` it
    /// is a span of some 40 bytes, and moving it through the result cost more than its
    /// instructions (stores forwarded to wider loads).
    #[inline(always)]
    fn run_handler(
        &mut self,
        envelope: Envelope<A>,
        tally: &mut Tally,
        turn: &mut Turn,
    ) -> Result<std::thread::Result<()>, Flow> {
        let (mail, cause) = envelope.open_traced();
        let Life {
            actor, ctx, probe, ..
        } = self;
        // Each arm that runs a handler begins its turn itself, naming the message only if
        // a span is wanted. The sender is inside the mail: the generated dispatch arm of a
        // handler that takes a context puts it there (`Stamp::enter`), as an `exec`
        // closure does; it is taken out after the handler, whatever became of it.
        Ok(match mail {
            Mail::Typed(msg) => {
                *turn = probe.begin(cause, || Cow::Borrowed(A::__message_name(&msg)));
                let handled = panic::catch_unwind(AssertUnwindSafe(|| actor.__dispatch(msg, ctx)));
                clear_sender(&mut ctx.sender);
                handled
            }
            Mail::Other(other) => {
                let (msg, sender) = *other;
                *turn = probe.begin(cause, || Cow::Owned(short_type_name(msg.type_name())));
                set_sender(&mut ctx.sender, sender);
                let handled = panic::catch_unwind(AssertUnwindSafe(|| actor.__catch_all(msg, ctx)));
                clear_sender(&mut ctx.sender);
                handled
            }
            Mail::Exec(job) => {
                *turn = probe.begin(cause, || Cow::Borrowed("exec"));
                let handled = panic::catch_unwind(AssertUnwindSafe(|| job.run(actor, ctx)));
                clear_sender(&mut ctx.sender);
                handled
            }
            // Posted with no sender: nothing to set.
            Mail::Resume(resume) => {
                *turn = probe.begin(cause, || Cow::Borrowed("ask reply"));
                panic::catch_unwind(AssertUnwindSafe(|| resume.run(actor, ctx)))
            }
            Mail::Stop(reply) => {
                tally.uncount();
                if self.reason.is_none() {
                    self.reason = Some(Why::Stopped(reply));
                }
                return Err(Flow::Stop);
            }
            Mail::Released => {
                tally.uncount();
                if ctx.shared().handle_count() == 0 {
                    return Err(self.stop_with(StopReason::Released));
                }
                self.shared().retry_release();
                return Err(self.after_handler());
            }
        })
    }

    /// Ends a handler's turn; the actor's policy decides what comes next.
    #[inline(always)]
    fn after_turn(&mut self, turn: Turn, handled: std::thread::Result<()>) -> Flow {
        self.probe.end(turn, handled.is_ok());
        self.shared().retry_release();
        match handled {
            Ok(()) => self.after_handler(),
            Err(payload) => self.after_panic(panic_message(&*payload)),
        }
    }

    /// Handles one envelope as if its handler had panicked with `panic`: a simulation's
    /// injected fault. The mail is dropped while unwinding, so a caller waiting on it hears
    /// of the panic (`ReplyTo`'s drop asks `sim::injected_panic`), and the actor's policy
    /// applies as after any panic.
    #[cold]
    pub(crate) fn handle_panicking(&mut self, envelope: Envelope<A>, panic: String) -> Flow {
        let mail = envelope.open();
        let unwound = panic::catch_unwind(AssertUnwindSafe(move || {
            let _mail = mail;
            // No panic hook: an injected fault is not a bug to print.
            panic::resume_unwind(Box::new(panic));
        }));
        self.shared().retry_release();
        match unwound {
            Ok(()) => self.after_handler(),
            Err(payload) => self.after_panic(panic_message(&*payload)),
        }
    }

    #[inline(always)]
    fn after_handler(&mut self) -> Flow {
        if self.ctx.stopping {
            let reason = self.ctx.stop_reason.take();
            self.stop_with(reason.map_or(StopReason::Requested, |reason| *reason))
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
        self.probe.panicked();
        match self.policy.after_panic(panic) {
            AfterPanic::Resume => self.after_handler(),
            AfterPanic::Stop(reason) => self.stop_with(reason),
            AfterPanic::Restart(fresh) => {
                self.probe.restarted();
                // The old instance says goodbye; the new one starts with the queued mail.
                let Life { actor, ctx, .. } = self;
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
    pub(crate) fn finish_unstarted(mut self, close: impl FnOnce() -> VecDeque<Envelope<A>>) {
        self.reason = Some(Why::NeverStarted);
        self.finish(close);
    }

    fn stop_with(&mut self, reason: StopReason) -> Flow {
        if self.reason.is_none() {
            self.reason = Some(Why::of(reason));
        }
        Flow::Stop
    }

    /// Runs `#[on_stop]`, closes the mailbox with `close` (which hands back the mail still
    /// queued; it is dropped and counted as dead letters, and callers waiting on it are
    /// told at once), drops the actor, tells its monitors, then answers the stopper.
    pub(crate) fn finish(self, close: impl FnOnce() -> VecDeque<Envelope<A>>) {
        let Life {
            probe,
            mut actor,
            mut ctx,
            reason,
            ..
        } = self;
        // `#[on_stop]` pairs with a start that happened.
        if reason.as_ref().is_none_or(Why::started) {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| actor.__on_stop(&mut ctx)));
        }
        let shared = ctx.shared().clone();
        if shared.mark_stopped() {
            Registry::forget(shared.info().id);
        }
        // After the stopped mark: a timer listed from now on is cancelled as it is listed.
        shared.end_timers();
        // User code runs in these drops (messages, the actor): a panic there must not
        // skip the rest of the ending, or monitors and the stopper would never hear.
        let quietly = |f: &mut dyn FnMut()| {
            let _ = panic::catch_unwind(AssertUnwindSafe(f));
        };
        // The mailbox is closed before any queued mail is dropped, so a caller woken by
        // its dropped reply slot finds later sends refused, with the message given back.
        let left = close();
        // One at a time, each contained: a panic (a hook, a message's `Drop`) while
        // unwinding through the rest would abort the process.
        for envelope in left {
            discard(&shared, envelope);
        }
        let mut parts = Some((actor, ctx));
        quietly(&mut || drop(parts.take()));
        let (reason, stopper) = reason.map_or((StopReason::Stopped, ReplyTo::none()), Why::reason);
        // Unlisted before the monitors hear: a supervisor's next incarnation of the child
        // finds the totals of this one.
        probe.ended(reason.is_crash());
        shared.terminate(reason);
        stopper.send(Stopped);
    }
}

/// Drops mail that will never be handled (queued behind a stop, or slipped into a stopped
/// actor's channel), recording it as a dead letter first, so that a caller woken by its
/// dropped reply slot finds the books complete. User code runs here (the dead-letter hook,
/// the message's `Drop`): a panic is contained, logged, and goes no further.
pub(crate) fn discard<A: Actor>(shared: &Shared<A>, envelope: Envelope<A>) {
    let (mail, cause) = envelope.open_traced();
    crate::observe::discarded(shared.info(), cause);
    let discarded = panic::catch_unwind(AssertUnwindSafe(move || {
        // Named and recorded while the mail, and so its reply slot, is still whole: the
        // caller it wakes when dropped must find the letter there.
        // A stop or a release is no one's message: not a letter.
        if !matches!(mail, Mail::Stop(_) | Mail::Released) {
            let message = short_type_name(mail.type_name());
            DeadLetters::record(Some(shared.info()), Some(message), DeadReason::Discarded);
        }
        drop(mail);
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

/// Empties the context's sender slot. An actor's stamp (the usual sender of a message
/// between actors) is dropped inline: one atomic decrement, the rare last-handle path out
/// of line in `Counted`'s drop; a bridge's, out of line.
#[inline(always)]
fn clear_sender(slot: &mut Sender) {
    match slot {
        Sender::Nobody => {}
        Sender::Actor(_) => *slot = Sender::Nobody,
        Sender::Bridge(_) => drop_sender(slot),
    }
}

#[cold]
#[inline(never)]
fn drop_sender(slot: &mut Sender) {
    *slot = Sender::Nobody;
}
