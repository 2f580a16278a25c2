//! Handles to actors: the typed [`Addr`], the per-message-type [`Recipient`], the
//! type-erased [`AnyAddr`], and the [`Sender`] of the message being handled.
//!
//! All three handles count themselves in the actor's [`Shared`](shared::Shared) state
//! (not only in the `Arc`, see [`counted`]), so the runtime can keep its own reference yet
//! notice when the last handle goes: that drop posts `Mail::Released`, which stops the
//! actor after everything sent before it.
//!
//! `shared.rs` holds the one cycle of ownership the runtime needs: an actor's `Shared`
//! owns its `Host`, whose driver cell owns the actor, whose `Context` points back at the
//! `Shared`; `finish` (in `hosting/lifecycle.rs`) breaks it.

/// What the three handles have in common: `Clone`, `Debug`, `Eq` by actor id, and `id`,
/// `info`, `is_alive`, `mailbox_len`, all read through the counted pointer.
macro_rules! impl_handle {
    ($handle:ident $(<$param:ident: $bound:path>)?) => {
        impl$(<$param: $bound>)? $handle$(<$param>)? {
            /// The actor's id.
            pub fn id(&self) -> $crate::ActorId {
                self.info().id
            }

            /// The actor's type name and id.
            pub fn info(&self) -> $crate::ActorInfo {
                $crate::handle::Erased::info(&*self.handle)
            }

            /// Whether the actor still handles messages (it has not stopped).
            pub fn is_alive(&self) -> bool {
                $crate::handle::Erased::is_alive(&*self.handle)
            }

            /// How many messages wait in the actor's mailbox.
            pub fn mailbox_len(&self) -> usize {
                $crate::handle::Erased::mailbox_len(&*self.handle)
            }
        }

        impl$(<$param: $bound>)? ::std::clone::Clone for $handle$(<$param>)? {
            fn clone(&self) -> Self {
                $handle {
                    handle: self.handle.clone(),
                }
            }
        }

        impl$(<$param: $bound>)? ::std::fmt::Debug for $handle$(<$param>)? {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($handle), self.info())
            }
        }

        impl$(<$param: $bound>)? ::std::cmp::PartialEq for $handle$(<$param>)? {
            fn eq(&self, other: &Self) -> bool {
                self.id() == other.id()
            }
        }

        impl$(<$param: $bound>)? ::std::cmp::Eq for $handle$(<$param>)? {}
    };
}

mod addr;
mod any;
mod counted;
mod recipient;
mod sender;
mod shared;
mod timers;
mod weak;

pub use addr::Addr;
pub use any::AnyAddr;
pub use recipient::Recipient;
pub use sender::Sender;
pub(crate) use sender::Watcher;
pub(crate) use shared::{Erased, Shared};
pub(crate) use timers::{tell_after, tell_every};
pub use weak::{WeakAddr, WeakAnyAddr, WeakRecipient};
