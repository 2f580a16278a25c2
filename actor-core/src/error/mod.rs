//! Errors. [`Error`] says what went wrong, with no payload, so every fallible call can
//! `?` into it; [`SendError`] and [`CallError`] say the same and also give back the
//! message that could not be delivered.

use std::time::Duration;

use crate::id::ActorInfo;
use crate::message::short_type_name;

mod call;
mod send;

pub use call::CallError;
pub use send::SendError;

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

pub(crate) fn type_of<M>() -> String {
    short_type_name(std::any::type_name::<M>())
}
