//! Errors. [`Error`] says what went wrong, with no payload, so every fallible call can
//! `?` into it; [`SendError`] and [`CallError`] say the same and also give back the
//! message that could not be delivered.

use std::fmt;
use std::time::Duration;

use crate::dead::{DeadLetters, DeadReason};
use crate::id::ActorInfo;
use crate::message::short_type_name;

/// Everything that can go wrong when talking to actors, without the message itself.
///
/// Each message is a sentence naming the actor (type name and id) and the message type.
/// [`SendError`] and [`CallError`] convert into it with `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The actor had already stopped; the message was not delivered.
    #[error("{actor} has stopped, so the `{message}` was not delivered")]
    Stopped {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// A handler answered its sender, but the message came from plain code, not an actor
    /// or a bridge.
    #[error("cannot send the `{message}` back: the message being handled came from plain code, which has no mailbox")]
    NoSender {
        /// The message type.
        message: String,
    },
    /// The actor's bounded mailbox was full.
    #[error("the mailbox of {actor} is full, so the `{message}` was not delivered")]
    Full {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// The actor's bounded mailbox stayed full until the send timed out.
    #[error("the mailbox of {actor} stayed full, so the `{message}` was not delivered in time")]
    SendTimeout {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// A dynamic message reached an actor that has neither a handler for its type nor a
    /// catch-all handler.
    #[error("{actor} does not handle `{message}` and has no `#[handles(other)]` catch-all")]
    NotHandled {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// No reply came within the timeout. A reply that comes later is dropped.
    #[error("{actor} did not reply to `{message}` within {timeout:?}")]
    Timeout {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
        /// How long the caller waited.
        timeout: Duration,
    },
    /// The actor stopped (or was stopped) before it handled the call.
    #[error("{actor} stopped before replying to `{message}`")]
    NoReply {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// The handler panicked; the panic message is carried here.
    #[error("{actor} panicked while handling `{message}`: {panic}")]
    Panicked {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
        /// The panic's message.
        panic: String,
    },
    /// A blocking call that could never be answered: an actor waiting on itself, or on a
    /// neighbour that only the caller's own (single, busy) driver thread could serve.
    #[error("waiting for {actor} to reply to `{message}` would deadlock: the caller is that actor, or the only thread that could serve it; send it with `tell` instead")]
    WouldDeadlock {
        /// The target, which is also the caller.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// The handler deferred its reply (`Deferred<R>`) and then dropped the
    /// [`Reply`](crate::Reply) without sending it.
    #[error("{actor} dropped its deferred reply to `{message}` without sending it")]
    Unanswered {
        /// The target.
        actor: ActorInfo,
        /// The message type.
        message: String,
    },
    /// A wait that could never end, refused before it started: the actor it waits for can
    /// only go on once this very thread does, through the chain of blocked waits named in
    /// `cycle`.
    #[error("waiting for {actor} to take `{message}` would never end: {cycle}")]
    WaitCycle {
        /// The actor waited for.
        actor: ActorInfo,
        /// The message type.
        message: String,
        /// The chain of waits, from the refused one back to it.
        cycle: String,
    },
    /// A registry name already belongs to a live actor.
    #[error("the name `{name}` is taken by {holder}")]
    NameTaken {
        /// The name asked for.
        name: String,
        /// The actor that holds it.
        holder: ActorInfo,
    },
    /// A driver was asked to shut down from one of its own threads, which cannot join
    /// themselves.
    #[error("a driver cannot be shut down from one of its own threads: call `shutdown` from plain code, or stop the actors instead")]
    OwnThread,
    /// The operating system refused a thread for a new actor.
    #[error("could not start a thread for a `{actor}`: {reason}")]
    Spawn {
        /// The actor type.
        actor: &'static str,
        /// What the operating system said.
        reason: String,
    },
}

fn type_of<M>() -> String {
    short_type_name(std::any::type_name::<M>())
}

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
