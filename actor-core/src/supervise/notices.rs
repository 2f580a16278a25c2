//! What a [`Supervisor`](super::Supervisor) answers and tells: the questions its users ask
//! it ([`ChildNamed`], [`Children`], [`WatchRestarts`]) and the [`Restarted`] notice it sends
//! its watchers.

use crate::handle::{Addr, AnyAddr};
use crate::message::Message;

/// Sent by a [`Supervisor`](super::Supervisor) to everyone who sent it [`WatchRestarts`], each time it
/// restarts a child: the child's name and its new address, so a watcher can watch the
/// new incarnation without polling.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::{Restarted, WatchRestarts};
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Crash;
///
/// struct Fragile;
/// #[actor]
/// impl Fragile {
///     #[handles(Crash)]
///     fn crash(&mut self, _: Crash) { panic!("crashed") }
/// }
///
/// let wait = Duration::from_secs(5);
/// let supervisor = Supervisor::new(Strategy::OneForOne, Intensity::new(3, Duration::from_secs(60)))
///     .child("fragile", || Spawn::new(Fragile).on_panic(OnPanic::Stop).spawn())
///     .spawn();
/// let bridge = Bridge::new();
/// assert!(bridge.call(&supervisor, WatchRestarts, wait).unwrap());
/// let first: Addr<Fragile> = supervisor.child("fragile").wait().unwrap().unwrap();
/// first.tell(Crash).unwrap();
/// let notice: Restarted = bridge.receive(wait).unwrap().downcast().unwrap();
/// assert_eq!(notice.name, "fragile");
/// let second = notice.downcast::<Fragile>().unwrap();
/// assert_ne!(second, first);
/// assert!(second.is_alive());
/// ```
#[derive(Debug, Clone)]
pub struct Restarted {
    /// The child's name, as given to [`Supervisor::child`](super::Supervisor::child).
    pub name: String,
    /// The new incarnation.
    pub addr: AnyAddr,
}

impl Restarted {
    /// The new incarnation, typed, if it is an `A`.
    pub fn downcast<A: crate::Actor>(&self) -> Option<Addr<A>> {
        self.addr.clone().downcast()
    }
}

impl Message for Restarted {
    type Reply = ();
}

/// Asks a [`Supervisor`](super::Supervisor) to send [`Restarted`] to the sender (an actor, or a bridge's
/// inbox) each time it restarts a child, until the supervisor ends. The reply says whether
/// it will (plain code, which has no mailbox, cannot be told). An actor is held weakly:
/// watching does not keep it alive.
#[derive(Debug, Clone, Copy)]
pub struct WatchRestarts;

impl Message for WatchRestarts {
    type Reply = bool;
}

/// Asks a [`Supervisor`](super::Supervisor) for the current address of its child called so.
#[derive(Debug, Clone)]
pub struct ChildNamed(pub String);

impl Message for ChildNamed {
    type Reply = Option<AnyAddr>;
}

/// Asks a [`Supervisor`](super::Supervisor) for all its children's names and current addresses, in order.
#[derive(Debug, Clone, Copy)]
pub struct Children;

impl Message for Children {
    type Reply = Vec<(String, Option<AnyAddr>)>;
}
