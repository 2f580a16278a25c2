//! [`CallError`]: why a call returned no reply, with the request given back where it was
//! never delivered.

use std::fmt;
use std::time::Duration;

use super::SendError;
use super::{type_of, Error};
use crate::id::ActorInfo;

/// Why a call returned no reply. Where the request was never delivered, it comes back in
/// [`CallError::Send`] or [`CallError::WouldDeadlock`].
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u32)]
/// struct Explode;
///
/// struct Fragile;
/// #[actor]
/// impl Fragile {
///     #[handles(Explode)]
///     fn on_explode(&mut self, _: Explode) -> u32 { panic!("boom") }
/// }
///
/// let fragile = Fragile.spawn();
/// match Bridge::new().call(&fragile, Explode, Duration::from_secs(5)) {
///     Err(CallError::Panicked { panic, .. }) => assert_eq!(panic, "boom"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
pub enum CallError<M> {
    /// The request was not delivered; it is given back inside.
    Send(SendError<M>),
    /// No reply within the timeout; a later reply is dropped, never handed to another call.
    Timeout {
        /// The target.
        actor: ActorInfo,
        /// How long the caller waited.
        timeout: Duration,
    },
    /// The actor stopped before it handled the request.
    Stopped {
        /// The target.
        actor: ActorInfo,
    },
    /// The handler panicked.
    Panicked {
        /// The target.
        actor: ActorInfo,
        /// The panic's message.
        panic: String,
    },
    /// The caller is the target itself: waiting would deadlock. The request is given back.
    WouldDeadlock {
        /// The target, which is also the caller.
        actor: ActorInfo,
        /// The request, given back.
        msg: M,
    },
    /// The handler deferred its reply and dropped the [`Reply`](crate::Reply) unsent.
    Unanswered {
        /// The target.
        actor: ActorInfo,
    },
}

impl<M> CallError<M> {
    /// What went wrong, without the message.
    pub fn error(&self) -> Error {
        let message = type_of::<M>();
        match self {
            CallError::Send(e) => e.error(),
            CallError::Timeout { actor, timeout } => Error::Timeout {
                actor: *actor,
                message,
                timeout: *timeout,
            },
            CallError::Stopped { actor } => Error::NoReply {
                actor: *actor,
                message,
            },
            CallError::Panicked { actor, panic } => Error::Panicked {
                actor: *actor,
                message,
                panic: panic.clone(),
            },
            CallError::WouldDeadlock { actor, .. } => Error::WouldDeadlock {
                actor: *actor,
                message,
            },
            CallError::Unanswered { actor } => Error::Unanswered {
                actor: *actor,
                message,
            },
        }
    }

    /// The request, if it was never delivered.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message, Debug, PartialEq)]
    /// #[message(reply = u32)]
    /// struct Divide(u32, u32);
    ///
    /// struct Calculator;
    /// #[actor]
    /// impl Calculator {
    ///     #[handles(Divide)]
    ///     fn divide(&mut self, Divide(a, b): Divide) -> u32 { a / b }
    /// }
    ///
    /// let calculator = Calculator.spawn();
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// // Delivered, then the handler panicked: the request was consumed.
    /// let panicked = bridge.call(&calculator, Divide(1, 0), wait).unwrap_err();
    /// assert_eq!(panicked.into_message(), None);
    /// // Never delivered: the request comes back, to retry elsewhere.
    /// bridge.stop(&[calculator.any()], wait);
    /// let refused = bridge.call(&calculator, Divide(6, 3), wait).unwrap_err();
    /// assert_eq!(refused.into_message(), Some(Divide(6, 3)));
    /// ```
    pub fn into_message(self) -> Option<M> {
        match self {
            CallError::Send(e) => Some(e.into_inner()),
            CallError::WouldDeadlock { msg, .. } => Some(msg),
            _ => None,
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, CallError::Timeout { .. })
    }

    /// Whether the call was refused because waiting for it could never end: the caller is
    /// the target, or only its own thread could serve it ([`CallError::WouldDeadlock`]),
    /// or a longer chain of blocked waits comes back to it
    /// ([`SendError::WouldDeadlock`] inside [`CallError::Send`], naming the chain).
    pub fn is_would_deadlock(&self) -> bool {
        matches!(
            self,
            CallError::WouldDeadlock { .. } | CallError::Send(SendError::WouldDeadlock { .. })
        )
    }
}

impl<M> From<SendError<M>> for CallError<M> {
    fn from(e: SendError<M>) -> Self {
        CallError::Send(e)
    }
}

impl<M> fmt::Display for CallError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error().fmt(f)
    }
}

impl<M> fmt::Debug for CallError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallError({:?})", self.error())
    }
}

impl<M> std::error::Error for CallError<M> {}

impl<M> From<CallError<M>> for Error {
    fn from(e: CallError<M>) -> Self {
        e.error()
    }
}
