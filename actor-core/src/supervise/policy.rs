//! What happens when an actor panics or ends: its panic policy ([`OnPanic`], restarts
//! within an [`Intensity`]), why it stopped ([`StopReason`]), and the [`Terminated`] notice
//! its monitors receive.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use crate::id::{ActorId, ActorInfo};
use crate::message::Message;

/// What an actor does after one of its handlers panics (the caller of a pending call is
/// told either way). To restart, use [`Spawn::restart_with`](super::Spawn::restart_with).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnPanic {
    /// Keep going with the state as the handler left it (the default).
    #[default]
    Resume,
    /// Stop, with [`StopReason::Panicked`].
    Stop,
}

/// Why an actor stopped, as its monitors learn in [`Terminated`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// It handled a [`Stop`](crate::Stop).
    Stopped,
    /// A handler called [`Context::stop`](crate::Context::stop).
    Requested,
    /// Every handle to it was dropped.
    Released,
    /// A handler panicked and its policy was [`OnPanic::Stop`].
    Panicked(String),
    /// It panicked more often than its restart intensity allows.
    RestartLimit {
        /// Restarts allowed within `within`.
        max: u32,
        /// The intensity's window.
        within: Duration,
        /// The last panic's message.
        panic: String,
    },
    /// Its `#[on_start]` hook panicked.
    StartFailed(String),
    /// It never ran: its driver was shut down before it started.
    NeverStarted,
    /// A [`Supervisor`](crate::Supervisor) whose children crashed (or failed to start)
    /// more often than its intensity allows: it stopped, with its children, and hands the
    /// failure up to its own supervisor, which treats it as a crash (OTP's escalation).
    Escalated {
        /// Restarts allowed within `within`.
        max: u32,
        /// The intensity's window.
        within: Duration,
        /// The name of the child whose crash was one too many.
        child: String,
    },
}

impl StopReason {
    /// Whether this ending is a crash, which a supervisor answers with a restart: a panic,
    /// a restart limit, a failed start, an escalation. `Stop`, `ctx.stop()` and the
    /// release of the last handle are not.
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            StopReason::Panicked(_)
                | StopReason::RestartLimit { .. }
                | StopReason::StartFailed(_)
                | StopReason::Escalated { .. }
        )
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Stopped => f.write_str("stopped by a Stop message"),
            StopReason::Requested => f.write_str("stopped itself"),
            StopReason::Released => f.write_str("every handle to it was dropped"),
            StopReason::Panicked(panic) => write!(f, "a handler panicked: {panic}"),
            StopReason::RestartLimit { max, within, panic } => write!(
                f,
                "panicked more than {max} times within {within:?}; last panic: {panic}"
            ),
            StopReason::StartFailed(panic) => write!(f, "its #[on_start] hook panicked: {panic}"),
            StopReason::NeverStarted => f.write_str("its driver was shut down before it started"),
            StopReason::Escalated { max, within, child } => write!(
                f,
                "its children crashed more than {max} times within {within:?}; the last was `{child}`"
            ),
        }
    }
}

/// Sent, exactly once, to every monitor of an actor when the actor ends; a monitor that
/// starts watching an actor that has already ended gets it at once.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::{StopReason, Terminated};
/// use std::time::Duration;
///
/// struct Short;
/// #[actor]
/// impl Short {}
///
/// let short = Short.spawn();
/// let bridge = Bridge::new();
/// bridge.watch(&short.any());
/// bridge.stop(&[short.any()], Duration::from_secs(5));
/// let notice = bridge.receive(Duration::from_secs(5)).unwrap();
/// let Terminated { actor, reason } = notice.downcast().unwrap();
/// assert_eq!(actor, short.info());
/// assert_eq!(reason, StopReason::Stopped);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// The actor that ended.
    pub actor: ActorInfo,
    /// Why.
    pub reason: StopReason,
}

impl Terminated {
    /// The id of the actor that ended.
    pub fn id(&self) -> ActorId {
        self.actor.id
    }
}

impl Message for Terminated {
    type Reply = ();
}

/// OTP's restart intensity: at most `max` restarts within any `within` window; one more
/// panic stops the actor with [`StopReason::RestartLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed in the window.
    pub max: u32,
    /// The window.
    pub within: Duration,
}

impl Intensity {
    /// At most `max` restarts within `within`.
    pub fn new(max: u32, within: Duration) -> Self {
        Intensity { max, within }
    }
}

type Factory<A> = Box<dyn FnMut() -> A + Send>;

/// The runtime side of a policy. Every actor holds one, most of them the default,
/// `Resume`, which is a null pointer: any other policy is boxed, so the policy costs an
/// idle actor one word, not nine.
pub(crate) struct Policy<A>(Option<Box<NotResume<A>>>);

/// A policy other than `Resume`.
enum NotResume<A> {
    Stop,
    Restart(Restart<A>),
}

impl<A> Policy<A> {
    /// Resume after a panic: the default.
    pub(crate) fn resume() -> Self {
        Policy(None)
    }

    /// Stop after a panic.
    pub(crate) fn stop() -> Self {
        Policy(Some(Box::new(NotResume::Stop)))
    }

    /// Restart from a factory, within an intensity.
    pub(crate) fn restart(restart: Restart<A>) -> Self {
        Policy(Some(Box::new(NotResume::Restart(restart))))
    }
}

/// A restarting policy's state.
pub(crate) struct Restart<A> {
    pub(crate) factory: Factory<A>,
    pub(crate) intensity: Intensity,
    pub(crate) recent: VecDeque<Instant>,
}

/// What to do after a panic, as decided by the policy.
pub(crate) enum AfterPanic<A> {
    Resume,
    Stop(StopReason),
    Restart(A),
}

impl<A> Policy<A> {
    pub(crate) fn after_panic(&mut self, panic: String) -> AfterPanic<A> {
        match self.0.as_deref_mut() {
            None => AfterPanic::Resume,
            Some(NotResume::Stop) => AfterPanic::Stop(StopReason::Panicked(panic)),
            Some(NotResume::Restart(restart)) => {
                let Restart {
                    factory,
                    intensity,
                    recent,
                } = restart;
                // Virtual time for a simulated actor: one seed restarts (or gives up) the same way.
                let now = crate::sim::clock();
                while recent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > intensity.within)
                {
                    recent.pop_front();
                }
                if recent.len() >= intensity.max as usize {
                    return AfterPanic::Stop(StopReason::RestartLimit {
                        max: intensity.max,
                        within: intensity.within,
                        panic,
                    });
                }
                recent.push_back(now);
                // A factory that panics cannot restart anything: the actor stops, as if its
                // start had failed.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(factory)) {
                    Ok(fresh) => AfterPanic::Restart(fresh),
                    Err(payload) => AfterPanic::Stop(StopReason::StartFailed(
                        crate::call::panic_message(&*payload),
                    )),
                }
            }
        }
    }
}
