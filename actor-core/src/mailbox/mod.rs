//! Mailboxes: the [`Envelope`] each piece of mail travels in, the vocabulary of a post
//! ([`Wait`], [`Refused`]), [`Host`] (where a post goes: a dedicated thread's crossbeam
//! channel or a driver actor's own [`Mailbox`]), and that mailbox, a loom-checked leaf.

mod host;
pub(crate) mod queue;

pub(crate) use host::Host;
pub(crate) use queue::{Mailbox, Pop, Refused, Wait};

use crate::actor::{Actor, Mail};
use crate::dead::Undelivered;
use crate::observe::Cause;

/// One piece of mail; its sender is inside it, where the handler can see it (packed with
/// it), so that mail for a handler that cannot look carries none.
pub(crate) struct Envelope<A: Actor> {
    mail: Mail<A>,
    /// The sender's span (feature `tracing`; else zero-sized).
    cause: Cause,
    /// Records a dead letter if the envelope is dropped without being opened.
    undelivered: Undelivered,
}

impl<A: Actor> Envelope<A> {
    #[inline(always)]
    pub(crate) fn new(mail: Mail<A>) -> Self {
        Envelope {
            mail,
            cause: Cause::here(),
            undelivered: Undelivered,
        }
    }

    /// The mail, unopened.
    pub(crate) fn mail(&self) -> &Mail<A> {
        &self.mail
    }

    /// The contents; from here on, whoever holds them accounts for them.
    #[inline]
    pub(crate) fn open(self) -> Mail<A> {
        self.open_traced().0
    }

    /// The contents and the sender's span, for the span of the handler.
    #[inline]
    pub(crate) fn open_traced(self) -> (Mail<A>, Cause) {
        let Envelope {
            mail,
            cause,
            undelivered,
        } = self;
        undelivered.opened();
        (mail, cause)
    }
}

#[cfg(test)]
mod tests {
    use super::Envelope;
    use crate::observe::Cause;
    use crate::prelude::*;
    use std::mem::size_of;

    #[derive(Message)]
    struct Add(#[allow(dead_code)] u64);
    #[derive(Message)]
    #[message(reply = u64)]
    struct Total;
    #[derive(Message)]
    struct Ping(#[allow(dead_code)] u64);
    #[derive(Message)]
    struct Work;

    /// Told only unit messages, as Fork-Join's actors are.
    struct Worker;
    #[actor]
    impl Worker {
        #[handles(Work)]
        fn work(&mut self, _: Work) {}
    }

    struct Blind;
    #[actor]
    impl Blind {
        #[handles(Add)]
        fn add(&mut self, _: Add) {}
        #[handles(Total)]
        fn total(&self, _: Total) -> u64 {
            0
        }
    }

    struct Looking;
    #[actor]
    impl Looking {
        #[handles(Ping)]
        fn ping(&mut self, _: Ping, ctx: &mut Context<Self>) {
            let _ = ctx.sender();
        }
    }

    /// Mail for handlers that take no `Context` carries no sender: for a `u64` message
    /// and a call with a reply, three words (the variant, the message, the reply slot),
    /// a dedicated thread's channel slot of four with its state word: two slots a cache
    /// line, as raw crossbeam's `enum { Add(u64), Total(Sender<u64>) }`. It was five
    /// words when every envelope carried a sender beside its mail. A handler that looks
    /// keeps its sender in its variant (two words more). With `tracing`, the sender's
    /// span id (`Cause`) is one word more on each.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn mail_for_a_handler_that_cannot_look_carries_no_sender() {
        assert_eq!(size_of::<Envelope<Blind>>(), 24 + size_of::<Cause>());
        assert_eq!(size_of::<Envelope<Looking>>(), 40 + size_of::<Cause>());
        // A unit message and its reply slot are one word; with the tag, two: the runtime's
        // own mail (`Exec`, `Resume`, one word each since session 18) is no wider.
        assert_eq!(size_of::<Envelope<Worker>>(), 16 + size_of::<Cause>());
    }
}
