//! Mailboxes: the [`Envelope`] each piece of mail travels in, the vocabulary of a post
//! ([`Wait`], [`Refused`]), [`Host`] (where a post goes: a dedicated thread's crossbeam
//! channel or a driver actor's own [`Mailbox`]), and that mailbox, a loom-checked leaf.

mod host;
pub(crate) mod queue;

pub(crate) use host::Host;
pub(crate) use queue::{Mailbox, Pop, Refused, Wait};

use crate::actor::{Actor, Mail};
use crate::dead::Undelivered;
use crate::handle::Sender;
use crate::observe::Cause;

/// One piece of mail and who sent it.
pub(crate) struct Envelope<A: Actor> {
    mail: Mail<A>,
    sender: Sender,
    /// The sender's span (feature `tracing`; else zero-sized).
    cause: Cause,
    /// Records a dead letter if the envelope is dropped without being opened.
    undelivered: Undelivered,
}

impl<A: Actor> Envelope<A> {
    #[inline(always)]
    pub(crate) fn new(mail: Mail<A>, sender: Sender) -> Self {
        Envelope {
            mail,
            sender,
            cause: Cause::here(),
            undelivered: Undelivered,
        }
    }

    /// The mail, unopened.
    pub(crate) fn mail(&self) -> &Mail<A> {
        &self.mail
    }

    /// Who sent it.
    pub(crate) fn sender(&self) -> &Sender {
        &self.sender
    }

    /// The contents; from here on, whoever holds them accounts for them.
    #[inline]
    pub(crate) fn open(self) -> (Mail<A>, Sender) {
        let (mail, sender, _) = self.open_traced();
        (mail, sender)
    }

    /// The contents and the sender's span, for the span of the handler.
    #[inline]
    pub(crate) fn open_traced(self) -> (Mail<A>, Sender, Cause) {
        let Envelope {
            mail,
            sender,
            cause,
            undelivered,
        } = self;
        undelivered.opened();
        (mail, sender, cause)
    }
}
