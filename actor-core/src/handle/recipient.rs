//! [`Recipient`], a handle to any actor that handles one message type.

use std::sync::Arc;

use super::counted::Counted;
use super::shared::Deliver;
use super::{AnyAddr, Sender};
use crate::call::ReplyTo;
use crate::error::SendError;
use crate::hosting::DriverId;
use crate::mailbox::Wait;
use crate::message::Message;

/// A handle to any actor that handles `M`, whatever the actor's type.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Item(u32);
///
/// #[derive(Message)]
/// #[message(reply = Vec<u32>)]
/// struct Contents;
///
/// #[derive(Default)]
/// struct Bin(Vec<u32>);
///
/// #[actor]
/// impl Bin {
///     #[handles(Item)]
///     fn put(&mut self, Item(n): Item) { self.0.push(n) }
///     #[handles(Contents)]
///     fn contents(&self, _: Contents) -> Vec<u32> { self.0.clone() }
/// }
///
/// let bin = Bin::default().spawn();
/// let sink: Recipient<Item> = bin.recipient();
/// sink.tell(Item(1)).unwrap();
/// sink.tell(Item(2)).unwrap();
/// assert_eq!(Bridge::new().call(&bin, Contents, Duration::from_secs(5)).unwrap(), [1, 2]);
/// ```
pub struct Recipient<M: Message> {
    pub(super) handle: Counted<dyn Deliver<M>>,
}

impl<M: Message> Recipient<M> {
    pub(super) fn from_arc(inner: Arc<dyn Deliver<M>>) -> Self {
        Recipient {
            handle: Counted::new(inner),
        }
    }

    /// Sends `msg` without waiting; gives it back if the actor has stopped. A full bounded
    /// mailbox makes it wait for room, as [`Addr::tell`](crate::Addr::tell) does.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Line(String);
    ///
    /// struct Printer;
    /// #[actor]
    /// impl Printer {
    ///     #[handles(Line)]
    ///     fn line(&mut self, _: Line) {}
    /// }
    ///
    /// let printer = Printer.spawn();
    /// let out: Recipient<Line> = printer.recipient();
    /// out.tell(Line("hello".into())).unwrap();
    ///
    /// Bridge::new().stop(&[out.any()], Duration::from_secs(5));
    /// let err = out.tell(Line("lost?".into())).unwrap_err();
    /// assert_eq!(err.into_inner(), Line("lost?".into())); // no: given back
    /// ```
    pub fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        self.handle.tell(msg)
    }

    /// Like [`tell`](Recipient::tell), but gives the message back at once
    /// ([`SendError::Full`]) instead of waiting when a bounded mailbox is full.
    pub fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        self.handle.try_tell(msg)
    }

    pub(crate) fn deliver(
        &self,
        msg: M,
        reply: ReplyTo<M::Reply>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<M>> {
        self.handle.deliver(msg, reply, sender, wait)
    }

    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        self.handle.driver()
    }

    /// A handle that hides the message type too.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Line(String);
    ///
    /// struct Printer;
    /// #[actor]
    /// impl Printer {
    ///     #[handles(Line)]
    ///     fn line(&mut self, _: Line) {}
    /// }
    ///
    /// let out: Recipient<Line> = Printer.spawn().recipient();
    /// let any: AnyAddr = out.any();
    /// assert_eq!(any.id(), out.id());
    /// assert_eq!(Bridge::new().stop(&[any], Duration::from_secs(5)), [Some(Stopped)]);
    /// ```
    pub fn any(&self) -> AnyAddr {
        AnyAddr::from_arc(self.handle.arc())
    }
}

impl_handle!(Recipient<M: Message>);
