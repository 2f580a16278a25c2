//! Feature `tracing`: one span per handled message, named `handle`, target
//! `actor_core`, level INFO, with the fields `actor.type`, `actor.id`, `actor.name`,
//! `message` and `outcome` (`handled`, `panicked`, or `refused` for mail dropped unhandled
//! because its actor stopped). Each is a root span (no parent, whatever span the thread is
//! in), linked with follows-from to the span that was current where the message was sent,
//! so a long exchange makes a chain of links, not an ever deeper tree.

use std::borrow::Cow;
use tracing::span::EnteredSpan;

use tracing::{field, Id};

use super::probe::Figures;
use crate::id::ActorInfo;

/// The span current where a message was sent, carried in its envelope: only its id, so
/// the sender's span closes when the sender's handler ends, not when the last message
/// it sent is handled.
#[derive(Clone)]
pub(crate) struct Cause(Option<Id>);

impl Cause {
    /// The span current on this thread; nothing (one load) while no subscriber was ever
    /// set.
    #[inline(always)]
    pub(crate) fn here() -> Cause {
        if tracing::dispatcher::has_been_set() {
            Cause(current())
        } else {
            Cause(None)
        }
    }
}

#[cold]
#[inline(never)]
fn current() -> Option<Id> {
    tracing::dispatcher::get_default(|dispatch| dispatch.current_span().id().cloned())
}

/// The span of one message for `figures`'s actor, entered; `None` when no subscriber
/// wants it.
#[inline]
pub(crate) fn enter(
    figures: &Figures,
    name: impl FnOnce() -> Cow<'static, str>,
    cause: Cause,
) -> Option<EnteredSpan> {
    // One load while no subscriber was ever set, before the macro's own checks.
    if !tracing::dispatcher::has_been_set() {
        return None;
    }
    let span = tracing::info_span!(
        target: "actor_core",
        parent: None,
        "handle",
        "actor.type" = figures.info.name,
        "actor.id" = figures.info.id.get(),
        "actor.name" = figures.name(),
        message = &*name(),
        outcome = field::Empty,
    );
    if span.is_disabled() {
        return None;
    }
    if let Some(id) = cause.0 {
        span.follows_from(id);
    }
    Some(span.entered())
}

/// Records the outcome and leaves the span.
#[inline]
pub(crate) fn exit(span: EnteredSpan, ok: bool) {
    span.record("outcome", if ok { "handled" } else { "panicked" });
}

/// A span for mail dropped unhandled because its actor stopped: outcome `refused`.
#[cold]
pub(crate) fn discarded(actor: ActorInfo, cause: Cause) {
    let span = tracing::info_span!(
        target: "actor_core",
        parent: None,
        "handle",
        "actor.type" = actor.name,
        "actor.id" = actor.id.get(),
        "actor.name" = field::Empty,
        message = field::Empty,
        outcome = "refused",
    );
    if let Some(id) = cause.0 {
        span.follows_from(id);
    }
}
