//! [`AnyAddr`], the type-erased handle.

use std::any::Any;
use std::sync::{Arc, Weak};

use super::counted::Counted;
use super::sender::Watcher;
use super::shared::{Erased, Shared};
use super::{Addr, Sender};
use crate::actor::{__mismatched_mail, Actor};
use crate::call::ReplyTo;
use crate::error::SendError;
use crate::hosting::{current, DriverId};
use crate::mailbox::Wait;
use crate::message::{DynMessage, Message, Stop, Stopped};

/// A handle to an actor of any type, for heterogeneous lists: it can be stopped (see
/// [`Bridge::stop`]) and sent dynamic messages, which reach the handler for their type,
/// else the catch-all handler, else come back in the error.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Ping;
///
/// struct A;
/// #[actor]
/// impl A {
///     #[handles(Ping)]
///     fn ping(&mut self, _: Ping) {}
/// }
///
/// struct B;
/// #[actor]
/// impl B {}
///
/// let all: Vec<AnyAddr> = vec![A.spawn().any(), B.spawn().any()];
/// assert!(all[0].tell(Ping).is_ok());
/// assert!(all[1].tell(Ping).is_err()); // B handles no Ping and has no catch-all
/// let stopped = Bridge::new().stop(&all, Duration::from_secs(5));
/// assert_eq!(stopped, [Some(Stopped), Some(Stopped)]);
/// ```
///
/// [`Bridge::stop`]: crate::Bridge::stop
pub struct AnyAddr {
    pub(super) handle: Counted<dyn Erased>,
}

impl AnyAddr {
    pub(crate) fn from_arc(inner: Arc<dyn Erased>) -> Self {
        AnyAddr {
            handle: Counted::new(inner),
        }
    }

    /// A handle to the actor running on this thread.
    ///
    /// # Safety
    ///
    /// As `Counted::from_raw`.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: *const dyn Erased) -> Self {
        AnyAddr {
            // SAFETY: passed on to the caller.
            handle: unsafe { Counted::from_raw(ptr) },
        }
    }

    /// Sends `msg` to the actor's handler for its type, or to its catch-all handler; gives
    /// it back if there is neither or the actor has stopped.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Ping;
    /// #[derive(Message)]
    /// struct Other;
    /// #[derive(Message)]
    /// #[message(reply = (u32, Vec<&'static str>))]
    /// struct Report;
    ///
    /// #[derive(Default)]
    /// struct Log { pings: u32, others: Vec<&'static str> }
    /// #[actor]
    /// impl Log {
    ///     #[handles(Ping)]
    ///     fn ping(&mut self, _: Ping) { self.pings += 1 }
    ///     #[handles(Report)]
    ///     fn report(&self, _: Report) -> (u32, Vec<&'static str>) {
    ///         (self.pings, self.others.clone())
    ///     }
    ///     #[handles(other)]
    ///     fn other(&mut self, msg: DynMessage) { self.others.push(msg.type_name()) }
    /// }
    ///
    /// let log = Log::default().spawn();
    /// let any = log.any();
    /// any.tell(Ping).unwrap(); // to the typed handler
    /// any.tell(Other).unwrap(); // to the catch-all
    /// let (pings, others) = Bridge::new().call(&log, Report, Duration::from_secs(5)).unwrap();
    /// assert_eq!(pings, 1);
    /// assert_eq!(others.len(), 1);
    /// assert!(others[0].ends_with("Other"));
    /// ```
    #[inline]
    pub fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>> {
        let back = |e: SendError<DynMessage>| {
            e.map(|msg| msg.downcast::<M>().unwrap_or_else(|_| __mismatched_mail()))
        };
        // A typed handler takes it straight from this slot, unboxed; only a message for
        // the catch-all (or for no one) is boxed.
        let mut slot = Some(msg);
        match self.handle.post_typed(&mut slot, current::sender()) {
            Ok(true) => Ok(()),
            Ok(false) => match slot {
                Some(msg) => self.tell_dyn(DynMessage::new(msg)).map_err(back),
                None => __mismatched_mail(),
            },
            Err(e) => Err(back(e)),
        }
    }

    /// Sends an already type-erased message.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// #[derive(Message)]
    /// struct Ping;
    ///
    /// struct Pinged;
    /// #[actor]
    /// impl Pinged {
    ///     #[handles(Ping)]
    ///     fn ping(&mut self, _: Ping) {}
    /// }
    ///
    /// let any = Pinged.spawn().any();
    /// assert!(any.tell_dyn(DynMessage::new(Ping)).is_ok());
    /// // No handler for a `u64` and no catch-all: it comes back, still erased.
    /// let back = any.tell_dyn(DynMessage::new(5_u64)).unwrap_err().into_inner();
    /// assert_eq!(back.downcast::<u64>().unwrap(), 5);
    /// ```
    pub fn tell_dyn(&self, msg: DynMessage) -> Result<(), SendError<DynMessage>> {
        self.handle.post_dyn(msg, current::sender())
    }

    /// Has `watcher` (an actor) receive [`Terminated`], once, when this actor ends, or
    /// at once if it already has. Watching does not keep either actor alive.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Terminated;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = Vec<ActorId>)]
    /// struct Ended;
    ///
    /// #[derive(Default)]
    /// struct Monitor(Vec<ActorId>);
    /// #[actor]
    /// impl Monitor {
    ///     #[handles(Terminated)]
    ///     fn terminated(&mut self, notice: Terminated) { self.0.push(notice.id()) }
    ///     #[handles(Ended)]
    ///     fn ended(&self, _: Ended) -> Vec<ActorId> { self.0.clone() }
    /// }
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let monitor = Monitor::default().spawn();
    /// let idle = Idle.spawn();
    /// idle.any().watch_by(&monitor.any());
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// bridge.stop(&[idle.any()], wait); // the notice is posted before `Stopped` comes
    /// assert_eq!(bridge.call(&monitor, Ended, wait).unwrap(), [idle.id()]);
    /// ```
    ///
    /// [`Terminated`]: crate::Terminated
    pub fn watch_by(&self, watcher: &AnyAddr) {
        self.handle.watch(Watcher::Actor(watcher.weak()));
    }

    pub(crate) fn watch(&self, watcher: Watcher) {
        self.handle.watch(watcher);
    }

    pub(crate) fn weak(&self) -> Weak<dyn Erased> {
        Arc::downgrade(&self.handle.arc())
    }

    pub(crate) fn post_stop(
        &self,
        reply: ReplyTo<Stopped>,
        sender: Sender,
        wait: Wait,
    ) -> Result<(), SendError<Stop>> {
        self.handle.post_stop(reply, sender, wait)
    }

    pub(crate) fn driver(&self) -> Option<(DriverId, usize)> {
        self.handle.driver()
    }

    pub(crate) fn mark_registered(&self) {
        self.handle.mark_registered();
    }

    /// The actor's shared state, if the actor is an `A`.
    pub(crate) fn shared_as<A: Actor>(&self) -> Option<Arc<Shared<A>>> {
        let any: Arc<dyn Any + Send + Sync> = self.handle.arc();
        any.downcast::<Shared<A>>().ok()
    }

    /// The names of the message types the actor handles, in declaration order.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// #[derive(Message)]
    /// struct Open;
    /// #[derive(Message)]
    /// struct Close;
    ///
    /// struct Door;
    /// #[actor]
    /// impl Door {
    ///     #[handles(Open)]
    ///     fn open(&mut self, _: Open) {}
    ///     #[handles(Close)]
    ///     fn close(&mut self, _: Close) {}
    /// }
    ///
    /// let door: AnyAddr = Door.spawn().any();
    /// assert_eq!(door.handles(), ["Open", "Close"]);
    /// ```
    pub fn handles(&self) -> &'static [&'static str] {
        self.handle.handles()
    }
}

impl_handle!(AnyAddr);

impl<A: Actor> From<Addr<A>> for AnyAddr {
    fn from(addr: Addr<A>) -> Self {
        addr.any()
    }
}
