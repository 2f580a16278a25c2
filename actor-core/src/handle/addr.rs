//! [`Addr`], the typed handle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::counted::Counted;
use super::shared::{Deliver, Shared};
use super::{AnyAddr, Recipient};
use crate::actor::{Actor, Handler};
use crate::error::SendError;
use crate::mailbox::Wait;
use crate::message::Message;

/// A typed handle to an actor: send it any message its type handles.
///
/// Cheap to clone and `Send`. When every handle to an actor (its `Addr`s, `Recipient`s
/// and `AnyAddr`s) is dropped, the actor handles what was sent, stops on its own and its
/// thread ends.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Add(i64);
///
/// #[derive(Message)]
/// #[message(reply = i64)]
/// struct Total;
///
/// #[derive(Default)]
/// struct Sum(i64);
///
/// #[actor]
/// impl Sum {
///     #[handles(Add)]
///     fn add(&mut self, Add(n): Add) { self.0 += n }
///
///     #[handles(Total)]
///     fn total(&self, _: Total) -> i64 { self.0 }
/// }
///
/// let sum = Sum::default().spawn();
/// for n in 1..=10 {
///     sum.tell(Add(n)).unwrap();
/// }
/// assert_eq!(Bridge::new().call(&sum, Total, Duration::from_secs(5)).unwrap(), 55);
/// ```
pub struct Addr<A: Actor> {
    pub(super) handle: Counted<Shared<A>>,
}

impl<A: Actor> Addr<A> {
    pub(crate) fn new(shared: Arc<Shared<A>>) -> Self {
        Addr {
            handle: Counted::new(shared),
        }
    }

    pub(crate) fn shared(&self) -> &Shared<A> {
        &self.handle
    }

    /// Sends `msg` without waiting. A reply, if the message has one, is dropped.
    ///
    /// Sent from inside a handler, the message carries the running actor as its sender;
    /// from plain code, no sender. If the actor has stopped, the message comes back in
    /// the error.
    #[inline(always)]
    pub fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.shared().tell(msg, Wait::Block)
    }

    /// Like [`tell`](Addr::tell), but gives the message back at once
    /// ([`SendError::Full`]) instead of waiting when a bounded mailbox is full.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Spawn;
    /// use std::sync::mpsc;
    ///
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Job(u32);
    ///
    /// struct Worker;
    /// #[actor]
    /// impl Worker {
    ///     #[handles(Job)]
    ///     fn job(&mut self, _: Job) {}
    /// }
    ///
    /// let worker = Spawn::new(Worker).bounded(1).spawn();
    /// // Keep the actor busy in a closure until released, so its one slot stays taken.
    /// let (busy, is_busy) = mpsc::channel();
    /// let (release, released) = mpsc::channel::<()>();
    /// let held = worker.exec(move |_, _| {
    ///     busy.send(()).unwrap();
    ///     released.recv().unwrap();
    /// });
    /// is_busy.recv().unwrap();
    /// worker.try_tell(Job(1)).unwrap(); // takes the one slot
    /// match worker.try_tell(Job(2)) {
    ///     Err(SendError::Full { msg, .. }) => assert_eq!(msg, Job(2)), // given back at once
    ///     other => panic!("expected a full mailbox, got {other:?}"),
    /// }
    /// release.send(()).unwrap();
    /// held.wait().unwrap();
    /// ```
    pub fn try_tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.shared().tell(msg, Wait::Never)
    }

    /// Like [`tell`](Addr::tell), but waits at most `timeout` for room in a bounded
    /// mailbox, then gives the message back ([`SendError::Timeout`]).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Spawn;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Job(u32);
    ///
    /// struct Worker;
    /// #[actor]
    /// impl Worker {
    ///     #[handles(Job)]
    ///     fn job(&mut self, _: Job) {}
    /// }
    ///
    /// let worker = Spawn::new(Worker).bounded(1).spawn();
    /// let (busy, is_busy) = mpsc::channel();
    /// let (release, released) = mpsc::channel::<()>();
    /// let held = worker.exec(move |_, _| {
    ///     busy.send(()).unwrap();
    ///     released.recv().unwrap();
    /// });
    /// is_busy.recv().unwrap();
    /// worker.tell(Job(1)).unwrap(); // takes the one slot
    /// let err = worker.tell_timeout(Job(2), Duration::from_millis(10)).unwrap_err();
    /// assert!(matches!(err, SendError::Timeout { .. }));
    /// assert_eq!(err.into_inner(), Job(2));
    ///
    /// release.send(()).unwrap();
    /// held.wait().unwrap();
    /// // With the actor free, there is room before the timeout.
    /// worker.tell_timeout(Job(3), Duration::from_secs(5)).unwrap();
    /// ```
    pub fn tell_timeout<M: Message>(&self, msg: M, timeout: Duration) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        let wait = Wait::until(Instant::now().checked_add(timeout));
        self.shared().tell(msg, wait)
    }

    /// A handle that sends only `M`, hiding the actor's type: for lists of different
    /// actors that take the same message.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = &'static str)]
    /// struct Name;
    ///
    /// struct Cat;
    /// #[actor]
    /// impl Cat {
    ///     #[handles(Name)]
    ///     fn name(&self, _: Name) -> &'static str { "cat" }
    /// }
    ///
    /// struct Dog;
    /// #[actor]
    /// impl Dog {
    ///     #[handles(Name)]
    ///     fn name(&self, _: Name) -> &'static str { "dog" }
    /// }
    ///
    /// // Two actor types in one list: each handle sends only `Name`.
    /// let pets: Vec<Recipient<Name>> = vec![Cat.spawn().recipient(), Dog.spawn().recipient()];
    /// let bridge = Bridge::new();
    /// let names: Vec<_> = pets
    ///     .iter()
    ///     .map(|pet| bridge.call(pet, Name, Duration::from_secs(5)).unwrap())
    ///     .collect();
    /// assert_eq!(names, ["cat", "dog"]);
    /// ```
    pub fn recipient<M: Message>(&self) -> Recipient<M>
    where
        A: Handler<M>,
    {
        let inner: Arc<dyn Deliver<M>> = self.handle.arc();
        Recipient::from_arc(inner)
    }

    /// A handle that hides the actor's type entirely: it can be stopped and sent dynamic
    /// messages.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let idle = Idle.spawn();
    /// let any: AnyAddr = idle.any();
    /// assert_eq!(any.id(), idle.id()); // the same actor
    /// assert_eq!(any.info().name, "Idle");
    /// assert_eq!(Bridge::new().stop(&[any], Duration::from_secs(5)), [Some(Stopped)]);
    /// assert!(!idle.is_alive());
    /// ```
    pub fn any(&self) -> AnyAddr {
        AnyAddr::from_arc(self.handle.arc())
    }
}

impl_handle!(Addr<A: Actor>);
