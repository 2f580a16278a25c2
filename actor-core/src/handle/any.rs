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
    pub(crate) unsafe fn from_raw(ptr: *const dyn Erased) -> Self {
        AnyAddr {
            // SAFETY: passed on to the caller.
            handle: unsafe { Counted::from_raw(ptr) },
        }
    }

    /// Sends `msg` to the actor's handler for its type, or to its catch-all handler; gives
    /// it back if there is neither or the actor has stopped.
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
    pub fn tell_dyn(&self, msg: DynMessage) -> Result<(), SendError<DynMessage>> {
        self.handle.post_dyn(msg, current::sender())
    }

    /// Has `watcher` (an actor) receive [`Terminated`], once, when this actor ends, or
    /// at once if it already has. Watching does not keep either actor alive.
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
