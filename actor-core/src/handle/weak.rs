//! Weak handles: [`WeakAddr`], [`WeakRecipient`] and [`WeakAnyAddr`], which name an actor
//! without keeping it alive.
//!
//! A strong handle is counted in the actor's `Shared` (see [`counted`](super::counted));
//! when the count comes down to zero the actor is released and stops. A weak handle holds
//! only a `std::sync::Weak` to that state, which is not counted, plus a copy of the actor's
//! [`ActorInfo`] so it can name the actor after the state is gone. Upgrading counts a new
//! strong handle only if the count is not zero (the actor is still held by someone) and
//! the actor has not stopped: a weak handle can never bring an actor back from its release.

use std::fmt;
use std::sync::{Arc, Weak};

use super::counted::Counted;
use super::shared::{Deliver, Erased, Shared};
use super::{Addr, AnyAddr, Recipient};
use crate::actor::Actor;
use crate::id::{ActorId, ActorInfo};
use crate::message::Message;

/// A handle to an actor that does not keep it alive: [`upgrade`](WeakAddr::upgrade) it to
/// an [`Addr`] to send.
///
/// Made by [`Addr::downgrade`]. `Clone + Send + Sync`, and cheap: one uncounted reference
/// plus the actor's [`ActorInfo`]. Dropping every strong handle (every `Addr`, `Recipient`
/// and `AnyAddr`) stops the actor as usual, however many weak handles remain; from then on
/// `upgrade` returns `None`. Useful for back-references (a child naming its parent, a
/// registry of observers) that must not form a cycle of strong handles.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u32)]
/// struct Get;
///
/// struct Answer;
/// #[actor]
/// impl Answer {
///     #[handles(Get)]
///     fn get(&mut self, _: Get) -> u32 { 42 }
/// }
///
/// let addr = Answer.spawn();
/// let weak: WeakAddr<Answer> = addr.downgrade();
/// let bridge = Bridge::new();
/// let strong = weak.upgrade().expect("the actor is alive");
/// assert_eq!(bridge.call(&strong, Get, Duration::from_secs(5)).unwrap(), 42);
///
/// bridge.stop(&[addr.any()], Duration::from_secs(5));
/// assert!(weak.upgrade().is_none()); // it has ended
/// assert!(!weak.is_alive());
/// assert_eq!(weak.id(), addr.id()); // still names it
/// ```
pub struct WeakAddr<A: Actor> {
    handle: Weak<Shared<A>>,
    info: ActorInfo,
}

/// A [`Recipient`] that does not keep its actor alive; see [`WeakAddr`].
///
/// Made by [`Recipient::downgrade`]; [`upgrade`](WeakRecipient::upgrade) gives the
/// `Recipient` back while the actor is alive and held by some strong handle.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Note(u32);
///
/// struct Sink;
/// #[actor]
/// impl Sink {
///     #[handles(Note)]
///     fn note(&mut self, _: Note) {}
/// }
///
/// let sink = Sink.spawn();
/// let weak = sink.recipient::<Note>().downgrade();
/// assert!(weak.upgrade().unwrap().tell(Note(1)).is_ok());
/// Bridge::new().stop(&[sink.any()], Duration::from_secs(5));
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakRecipient<M: Message> {
    handle: Weak<dyn Deliver<M>>,
    info: ActorInfo,
}

/// An [`AnyAddr`] that does not keep its actor alive; see [`WeakAddr`].
///
/// Made by [`AnyAddr::downgrade`]; [`upgrade`](WeakAnyAddr::upgrade) gives the `AnyAddr`
/// back while the actor is alive and held by some strong handle.
///
/// ```
/// use actor_core::prelude::*;
///
/// struct Idle;
/// #[actor]
/// impl Idle {}
///
/// let addr = Idle.spawn();
/// let weak = addr.any().downgrade();
/// assert_eq!(weak.upgrade().map(|any| any.id()), Some(addr.id()));
/// let watcher = Bridge::new();
/// watcher.watch(&addr.any());
/// drop(addr); // the last strong handle: the actor stops on its own
/// let ended = watcher.receive(std::time::Duration::from_secs(5)).unwrap();
/// assert!(ended.is::<actor_core::Terminated>());
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakAnyAddr {
    handle: Weak<dyn Erased>,
    info: ActorInfo,
}

/// A counted strong handle from an upgraded weak reference, if the actor is alive and
/// still has a live strong handle.
fn upgrade<P: ?Sized + Erased>(weak: &Weak<P>) -> Option<Counted<P>> {
    let inner: Arc<P> = weak.upgrade()?;
    if !inner.is_alive() {
        return None;
    }
    Counted::upgrade(inner)
}

fn alive<P: ?Sized + Erased>(weak: &Weak<P>) -> bool {
    weak.upgrade().is_some_and(|inner| inner.is_alive())
}

/// What the three weak handles have in common: `upgrade`, `id`, `info`, `is_alive`,
/// `Clone`, `Debug`, and `Eq` by actor id.
macro_rules! impl_weak {
    ($weak:ident, $strong:ident $(<$param:ident: $bound:path>)?) => {
        impl$(<$param: $bound>)? $weak$(<$param>)? {
            /// The strong handle, or `None` once the actor has ended or its last strong
            /// handle is gone (it is then stopping on its own).
            pub fn upgrade(&self) -> Option<$strong$(<$param>)?> {
                upgrade(&self.handle).map(|handle| $strong { handle })
            }

            /// The actor's id, known even after it ended.
            pub fn id(&self) -> ActorId {
                self.info.id
            }

            /// The actor's type name and id, known even after it ended.
            pub fn info(&self) -> ActorInfo {
                self.info
            }

            /// Whether the actor still handles messages (it has not stopped). A snapshot:
            /// [`upgrade`](Self::upgrade) may still fail right after, if the actor stops
            /// or its last strong handle goes in between.
            pub fn is_alive(&self) -> bool {
                alive(&self.handle)
            }
        }

        impl$(<$param: $bound>)? Clone for $weak$(<$param>)? {
            fn clone(&self) -> Self {
                $weak {
                    handle: self.handle.clone(),
                    info: self.info,
                }
            }
        }

        impl$(<$param: $bound>)? fmt::Debug for $weak$(<$param>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($weak), self.info)
            }
        }

        impl$(<$param: $bound>)? PartialEq for $weak$(<$param>)? {
            fn eq(&self, other: &Self) -> bool {
                self.id() == other.id()
            }
        }

        impl$(<$param: $bound>)? Eq for $weak$(<$param>)? {}
    };
}

impl_weak!(WeakAddr, Addr<A: Actor>);
impl_weak!(WeakRecipient, Recipient<M: Message>);
impl_weak!(WeakAnyAddr, AnyAddr);

impl<A: Actor> Addr<A> {
    /// A handle that names this actor without keeping it alive; see [`WeakAddr`].
    pub fn downgrade(&self) -> WeakAddr<A> {
        WeakAddr {
            handle: Arc::downgrade(&self.handle.arc()),
            info: self.info(),
        }
    }
}

impl<M: Message> Recipient<M> {
    /// A handle that names this actor without keeping it alive; see [`WeakRecipient`].
    pub fn downgrade(&self) -> WeakRecipient<M> {
        WeakRecipient {
            handle: Arc::downgrade(&self.handle.arc()),
            info: self.info(),
        }
    }
}

impl AnyAddr {
    /// A handle that names this actor without keeping it alive; see [`WeakAnyAddr`].
    pub fn downgrade(&self) -> WeakAnyAddr {
        WeakAnyAddr {
            handle: Arc::downgrade(&self.handle.arc()),
            info: self.info(),
        }
    }
}

impl<A: Actor> From<&Addr<A>> for WeakAddr<A> {
    fn from(addr: &Addr<A>) -> Self {
        addr.downgrade()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    struct Quiet;
    #[actor]
    impl Quiet {}

    #[test]
    fn weak_handles_are_send_sync_and_small() {
        fn send_sync<T: Send + Sync + Clone + fmt::Debug>() {}
        send_sync::<WeakAddr<Quiet>>();
        send_sync::<WeakRecipient<Stop>>();
        send_sync::<WeakAnyAddr>();
        // One pointer (two for the trait objects) plus the actor's info.
        assert_eq!(
            size_of::<WeakAddr<Quiet>>(),
            size_of::<usize>() + size_of::<ActorInfo>()
        );
    }

    #[test]
    fn a_weak_handle_does_not_count_as_a_handle() {
        let addr = Quiet.spawn();
        let weak = addr.downgrade();
        assert_eq!(addr.shared().handle_count(), 1);
        let strong = weak.upgrade().unwrap();
        assert_eq!(addr.shared().handle_count(), 2);
        drop(strong);
        assert_eq!(addr.shared().handle_count(), 1);
        assert_eq!(weak, addr.downgrade());
        assert!(format!("{weak:?}").starts_with("WeakAddr(Quiet"));
    }
}
