//! [`Sender`], who sent the message being handled, and the watchers an actor's end is
//! reported to.

use std::sync::Weak;

use super::shared::Erased;
use super::AnyAddr;
use crate::call::Bridge;
use crate::error::SendError;
use crate::message::{DynMessage, Message};
use crate::supervise::Terminated;

/// Who sent the message being handled: an actor, a [`Bridge`], or plain code.
///
/// A handler answers it with [`tell`](Sender::tell); the message reaches the sending
/// actor's handler for its type (or its catch-all), or the bridge's inbox.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Ping;
/// #[derive(Message)]
/// struct Pong;
///
/// struct Ponger;
/// #[actor]
/// impl Ponger {
///     #[handles(Ping)]
///     fn ping(&mut self, _: Ping, ctx: &mut Context<Self>) {
///         ctx.sender().tell(Pong).unwrap();
///     }
/// }
///
/// let ponger = Ponger.spawn();
/// let bridge = Bridge::new();
/// bridge.tell(&ponger, Ping).unwrap();
/// let answer = bridge.receive(Duration::from_secs(5)).unwrap();
/// assert!(answer.is::<Pong>());
/// ```
#[derive(Clone, Debug, Default)]
pub enum Sender {
    /// Plain code, which has no mailbox.
    #[default]
    Nobody,
    /// An actor.
    Actor(AnyAddr),
    /// A bridge: answers land in its inbox.
    Bridge(Bridge),
}

impl Sender {
    /// Sends `msg` back to the sender; gives it back if there is none or it has stopped.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = bool)]
    /// struct Greet;
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Hello;
    ///
    /// struct Polite;
    /// #[actor]
    /// impl Polite {
    ///     #[handles(Greet)]
    ///     fn greet(&mut self, _: Greet, ctx: &mut Context<Self>) -> bool {
    ///         ctx.sender().tell(Hello).is_ok() // answers whoever sent `Greet`
    ///     }
    /// }
    ///
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// assert!(bridge.call(&Polite.spawn(), Greet, wait).unwrap()); // the bridge sent it
    /// assert!(bridge.receive(wait).unwrap().is::<Hello>());
    ///
    /// // Plain code has no mailbox: the message comes back.
    /// let err = Sender::Nobody.tell(Hello).unwrap_err();
    /// assert!(matches!(err, SendError::NoSender { msg: Hello }));
    /// ```
    pub fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>> {
        match self {
            Sender::Nobody => {
                let error = SendError::NoSender { msg };
                error.record();
                Err(error)
            }
            Sender::Actor(actor) => actor.tell(msg),
            Sender::Bridge(bridge) => {
                bridge.post(DynMessage::new(msg));
                Ok(())
            }
        }
    }

    /// The sending actor, if an actor sent the message.
    pub fn actor(&self) -> Option<&AnyAddr> {
        match self {
            Sender::Actor(actor) => Some(actor),
            _ => None,
        }
    }

    /// Whether the message came from plain code.
    pub fn is_nobody(&self) -> bool {
        matches!(self, Sender::Nobody)
    }
}

/// Who gets `Terminated` when the actor ends.
pub(crate) enum Watcher {
    /// An actor, held weakly: watching does not keep it alive.
    Actor(Weak<dyn Erased>),
    Bridge(Bridge),
}

pub(super) fn notify(watcher: Watcher, notice: Terminated) {
    match watcher {
        Watcher::Actor(actor) => {
            if let Some(actor) = actor.upgrade() {
                // A watcher without a handler for it makes a dead letter, recorded there.
                let _ = actor.post_dyn(DynMessage::new(notice), Sender::Nobody);
            }
        }
        Watcher::Bridge(bridge) => bridge.post(DynMessage::new(notice)),
    }
}
