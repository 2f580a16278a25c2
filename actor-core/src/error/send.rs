//! [`SendError`]: a message that could not be delivered, given back to its sender.

use std::fmt;

use super::{type_of, Error};
use crate::dead::{DeadLetters, DeadReason};
use crate::id::ActorInfo;

/// A message that could not be delivered, given back to its sender.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message, Debug, PartialEq)]
/// struct Ping(u32);
///
/// struct Echo;
/// #[actor]
/// impl Echo {
///     #[handles(Ping)]
///     fn on_ping(&mut self, _: Ping) {}
/// }
///
/// let echo = Echo.spawn();
/// Bridge::new().stop(&[echo.any()], Duration::from_secs(5));
/// let err = echo.tell(Ping(7)).unwrap_err();
/// assert!(err.to_string().starts_with("Echo#"));
/// assert_eq!(err.into_inner(), Ping(7));
/// ```
pub enum SendError<M> {
    /// The actor had already stopped.
    Stopped {
        /// The target.
        actor: ActorInfo,
        /// The message, given back.
        msg: M,
    },
    /// The actor's bounded mailbox was full (`try_tell`).
    Full {
        /// The target.
        actor: ActorInfo,
        /// The message, given back.
        msg: M,
    },
    /// The actor's bounded mailbox stayed full for the whole timeout (`tell_timeout`).
    Timeout {
        /// The target.
        actor: ActorInfo,
        /// The message, given back.
        msg: M,
    },
    /// The message answers a sender, but the message being handled came from plain code.
    NoSender {
        /// The message, given back.
        msg: M,
    },
    /// A dynamic message the actor has no handler and no catch-all for.
    NotHandled {
        /// The target.
        actor: ActorInfo,
        /// The message, given back.
        msg: M,
    },
    /// Waiting could never end, so the message was not sent: the target's bounded mailbox
    /// is full and only this thread could make room (a `tell` to a neighbour), or the
    /// target of a call can only answer once this thread goes on (a chain of blocked
    /// calls coming back here). `cycle` names the chain.
    WouldDeadlock {
        /// The target.
        actor: ActorInfo,
        /// The message, given back.
        msg: M,
        /// The chain of waits, from this one back to it.
        cycle: String,
    },
}

impl<M> SendError<M> {
    /// The message that was not delivered.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Order(u32);
    ///
    /// struct Closed;
    /// #[actor]
    /// impl Closed {} // handles no `Order`, and has no catch-all
    ///
    /// let err = Closed.spawn().any().tell(Order(7)).unwrap_err();
    /// assert!(matches!(err, SendError::NotHandled { .. }));
    /// assert_eq!(err.into_inner(), Order(7)); // the order is not lost
    /// ```
    pub fn into_inner(self) -> M {
        match self {
            SendError::Stopped { msg, .. }
            | SendError::Full { msg, .. }
            | SendError::Timeout { msg, .. }
            | SendError::NoSender { msg }
            | SendError::NotHandled { msg, .. }
            | SendError::WouldDeadlock { msg, .. } => msg,
        }
    }

    /// A reference to the message that was not delivered.
    pub fn message(&self) -> &M {
        match self {
            SendError::Stopped { msg, .. }
            | SendError::Full { msg, .. }
            | SendError::Timeout { msg, .. }
            | SendError::NoSender { msg }
            | SendError::NotHandled { msg, .. }
            | SendError::WouldDeadlock { msg, .. } => msg,
        }
    }

    /// What went wrong, without the message.
    pub fn error(&self) -> Error {
        self.error_named(type_of::<M>())
    }

    /// Same, with the message type named by the caller (dynamic messages know their own).
    pub(crate) fn error_named(&self, message: String) -> Error {
        match self {
            SendError::Stopped { actor, .. } => Error::Stopped {
                actor: *actor,
                message,
            },
            SendError::Full { actor, .. } => Error::Full {
                actor: *actor,
                message,
            },
            SendError::Timeout { actor, .. } => Error::SendTimeout {
                actor: *actor,
                message,
            },
            SendError::NoSender { .. } => Error::NoSender { message },
            SendError::NotHandled { actor, .. } => Error::NotHandled {
                actor: *actor,
                message,
            },
            SendError::WouldDeadlock { actor, cycle, .. } => Error::WaitCycle {
                actor: *actor,
                message,
                cycle: cycle.clone(),
            },
        }
    }

    /// Counts the undelivered message among the dead letters, or, refused by a full
    /// mailbox and given back, as back-pressure ([`DeadLetters::refused`]).
    pub(crate) fn record(&self) {
        let (actor, reason) = match self {
            SendError::Stopped { actor, .. } => (Some(*actor), DeadReason::Stopped),
            SendError::Full { .. }
            | SendError::Timeout { .. }
            | SendError::WouldDeadlock { .. } => {
                DeadLetters::record_refused();
                return;
            }
            SendError::NoSender { .. } => (None, DeadReason::NoSender),
            SendError::NotHandled { actor, .. } => (Some(*actor), DeadReason::NotHandled),
        };
        DeadLetters::record(actor, Some(type_of::<M>()), reason);
    }

    pub(crate) fn map<N>(self, f: impl FnOnce(M) -> N) -> SendError<N> {
        match self {
            SendError::Stopped { actor, msg } => SendError::Stopped { actor, msg: f(msg) },
            SendError::Full { actor, msg } => SendError::Full { actor, msg: f(msg) },
            SendError::Timeout { actor, msg } => SendError::Timeout { actor, msg: f(msg) },
            SendError::NoSender { msg } => SendError::NoSender { msg: f(msg) },
            SendError::NotHandled { actor, msg } => SendError::NotHandled { actor, msg: f(msg) },
            SendError::WouldDeadlock { actor, msg, cycle } => SendError::WouldDeadlock {
                actor,
                msg: f(msg),
                cycle,
            },
        }
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error().fmt(f)
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SendError({:?})", self.error())
    }
}

impl<M> std::error::Error for SendError<M> {}

impl<M> From<SendError<M>> for Error {
    fn from(e: SendError<M>) -> Self {
        e.error()
    }
}
