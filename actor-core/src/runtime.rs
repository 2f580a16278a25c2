//! The part of an actor's life that does not depend on where it runs: start, handle one
//! envelope, finish. A dedicated thread drives it from a blocking `recv` loop; a driver
//! would drive it in bounded batches.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::actor::{Actor, Mail};
use crate::addr::{Envelope, Sender, Shared};
use crate::context::Context;
use crate::message::Stopped;
use crate::reply::ReplyTo;

/// Whether the actor goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// An actor with its mailbox's receiving half: everything needed to run it.
pub(crate) struct Cell<A: Actor> {
    actor: A,
    ctx: Context<A>,
    pub(crate) rx: Receiver<Envelope<A>>,
    stopper: Option<ReplyTo<Stopped>>,
}

impl<A: Actor> Cell<A> {
    pub(crate) fn new(actor: A, rx: Receiver<Envelope<A>>, shared: Arc<Shared<A>>) -> Self {
        Cell {
            actor,
            ctx: Context::new(shared),
            rx,
            stopper: None,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<A>> {
        self.ctx.shared()
    }

    /// Runs `#[on_start]`. A panic there stops the actor.
    pub(crate) fn start(&mut self) -> Flow {
        let Cell { actor, ctx, .. } = self;
        let started = panic::catch_unwind(AssertUnwindSafe(|| actor.__on_start(ctx)));
        if started.is_err() || self.ctx.stopping {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Handles one envelope. A panicking handler has already told its caller (see
    /// `ReplyTo::complete`); the actor resumes with its state as the handler left it.
    #[inline]
    pub(crate) fn handle(&mut self, envelope: Envelope<A>) -> Flow {
        let Envelope { mail, sender } = envelope;
        let Cell { actor, ctx, .. } = self;
        match mail {
            Mail::Typed(msg) => {
                ctx.sender = sender;
                let _ = panic::catch_unwind(AssertUnwindSafe(|| actor.__dispatch(msg, ctx)));
                ctx.sender = Sender::Nobody;
            }
            Mail::Other(msg) => {
                ctx.sender = sender;
                let _ = panic::catch_unwind(AssertUnwindSafe(|| actor.__catch_all(msg, ctx)));
                ctx.sender = Sender::Nobody;
            }
            Mail::Stop(reply) => {
                self.stopper = Some(reply);
                return Flow::Stop;
            }
            Mail::Released => {
                if ctx.shared().handle_count() == 0 {
                    return Flow::Stop;
                }
            }
        }
        if self.ctx.stopping {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Runs `#[on_stop]`, closes the mailbox (mail still queued is dropped, so callers
    /// waiting on it are told at once), drops the actor, then answers the stopper.
    pub(crate) fn finish(self) {
        let Cell {
            mut actor,
            mut ctx,
            rx,
            stopper,
        } = self;
        let _ = panic::catch_unwind(AssertUnwindSafe(|| actor.__on_stop(&mut ctx)));
        ctx.shared().mark_stopped();
        drop(rx);
        drop(actor);
        drop(ctx);
        if let Some(stopper) = stopper {
            stopper.send(Stopped);
        }
    }
}
