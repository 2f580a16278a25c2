//! [`CallTarget`]: what a [`Bridge`](super::Bridge) can send a message to and wait on.

use std::time::Instant;

use super::ReplyTo;
use crate::actor::{Actor, Handler};
use crate::error::SendError;
use crate::handle::{Addr, AnyAddr, Recipient, Sender};
use crate::hosting::DriverId;
use crate::id::ActorInfo;
use crate::mailbox::Wait;
use crate::message::{Message, Stop, Stopped};

mod sealed {
    pub trait Sealed {}
}

/// Something a [`Bridge`] can send an `M` to and wait on: an [`Addr`] whose actor handles
/// `M`, a [`Recipient<M>`], or (for [`Stop`]) an [`AnyAddr`].
///
/// [`Bridge`]: crate::Bridge
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive a `{M}`",
    label = "not an actor that handles `{M}`",
    note = "pass an `Addr<A>` whose actor has a `#[handles({M})]` method, or a `Recipient<{M}>`"
)]
pub trait CallTarget<M: Message>: sealed::Sealed {
    #[doc(hidden)]
    fn __info(&self) -> ActorInfo;

    /// The target's driver and its thread count, if it runs on a driver.
    #[doc(hidden)]
    fn __driver(&self) -> Option<(DriverId, usize)>;

    /// Posts the message; with a deadline, waits for room in a bounded mailbox only until
    /// then.
    #[doc(hidden)]
    fn __deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<M>>;

    /// Posts the message without waiting: a full bounded mailbox refuses it at once.
    #[doc(hidden)]
    fn __try_deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
    ) -> Result<(), SendError<M>>;

    /// Whether the handler can see its sender; if not, the bridge need not stamp itself.
    #[doc(hidden)]
    fn __wants_sender(&self) -> bool {
        true
    }
}

impl<A: Actor> sealed::Sealed for Addr<A> {}
impl<M: Message> sealed::Sealed for Recipient<M> {}
impl sealed::Sealed for AnyAddr {}
impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {}

impl<A: Handler<M>, M: Message> CallTarget<M> for Addr<A> {
    fn __info(&self) -> ActorInfo {
        self.info()
    }

    fn __wants_sender(&self) -> bool {
        <A as Handler<M>>::__SENDER
    }

    fn __driver(&self) -> Option<(DriverId, usize)> {
        self.shared().host.driver()
    }

    fn __deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<M>> {
        self.shared()
            .deliver(msg, reply, sender, Wait::until(deadline))
    }

    fn __try_deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
    ) -> Result<(), SendError<M>> {
        self.shared().deliver(msg, reply, sender, Wait::Never)
    }
}

impl<M: Message> CallTarget<M> for Recipient<M> {
    fn __info(&self) -> ActorInfo {
        self.info()
    }

    fn __driver(&self) -> Option<(DriverId, usize)> {
        self.driver()
    }

    fn __deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<M>> {
        self.deliver(msg, reply, sender, Wait::until(deadline))
    }

    fn __try_deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
    ) -> Result<(), SendError<M>> {
        self.deliver(msg, reply, sender, Wait::Never)
    }
}

impl CallTarget<Stop> for AnyAddr {
    fn __info(&self) -> ActorInfo {
        self.info()
    }

    /// `Stop` has no handler of the user's: nothing reads its sender.
    fn __wants_sender(&self) -> bool {
        false
    }

    fn __driver(&self) -> Option<(DriverId, usize)> {
        self.driver()
    }

    fn __deliver(
        &self,
        _: Stop,
        reply: ReplyTo<Stopped>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<Stop>> {
        self.post_stop(reply, sender, Wait::until(deadline))
    }

    fn __try_deliver(
        &self,
        _: Stop,
        reply: ReplyTo<Stopped>,
        sender: Sender,
    ) -> Result<(), SendError<Stop>> {
        self.post_stop(reply, sender, Wait::Never)
    }
}

impl<T: CallTarget<M> + ?Sized, M: Message> CallTarget<M> for &T {
    fn __info(&self) -> ActorInfo {
        (**self).__info()
    }

    fn __wants_sender(&self) -> bool {
        (**self).__wants_sender()
    }

    fn __driver(&self) -> Option<(DriverId, usize)> {
        (**self).__driver()
    }

    fn __deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<M>> {
        (**self).__deliver(msg, reply, sender, deadline)
    }

    fn __try_deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
    ) -> Result<(), SendError<M>> {
        (**self).__try_deliver(msg, reply, sender)
    }
}
