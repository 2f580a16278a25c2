//! Typed actors on plain threads, written by macros.
//!
//! An actor is a struct plus an `#[actor] impl` block whose `#[handles(M)]` methods each
//! handle one message type. The macro generates a dispatch enum (one variant per message
//! type, carried by value through the mailbox, a crossbeam channel for an actor on its own
//! thread or a queue next to the actor on a driver: no `Box` and no `dyn` per message)
//! and the trait impls that make `addr.tell(msg)` compile only for the types the actor
//! handles. Messages derive [`Message`], with an optional reply type.
//!
//! ```
//! use actor_core::prelude::*;
//! use std::time::Duration;
//!
//! #[derive(Message)]                       // reply type defaults to ()
//! struct Product(i64);
//!
//! #[derive(Message)]
//! #[message(reply = Vec<i64>)]             // typed reply
//! struct GetInventory;
//!
//! #[derive(Default)]
//! struct Warehouse { inventory: Vec<i64> }
//!
//! #[actor]
//! impl Warehouse {
//!     #[handles(GetInventory)]
//!     fn on_get(&mut self, _: GetInventory) -> Vec<i64> { self.inventory.clone() }
//!
//!     #[handles(Product)]
//!     fn on_product(&mut self, p: Product) { self.inventory.push(p.0) }
//! }
//!
//! fn main() -> Result<(), actor_core::Error> {
//!     let warehouse = Warehouse::default().spawn();   // on a thread of its own
//!     warehouse.tell(Product(2))?;
//!     warehouse.tell(Product(4))?;
//!     let bridge = Bridge::new();
//!     assert_eq!(bridge.call(&warehouse, GetInventory, Duration::from_secs(1))?, [2, 4]);
//!     assert_eq!(bridge.stop(&[warehouse.any()], Duration::from_secs(1)), [Some(Stopped)]);
//!     Ok(())
//! }
//! ```
//!
//! The guarantees: messages from one sender to one actor are handled in the order sent,
//! one at a time; a handler always knows its [`Sender`]; [`Stop`] is handled after
//! everything sent before it, and a send to a stopped actor gives the message back; when
//! every handle to an actor is dropped it stops on its own; a [`Bridge`] call's reply is
//! never handed to another call; a panicking handler's caller gets the panic message and
//! the actor goes on.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

// Lets the macros' `::actor_core::...` paths resolve inside this crate's own tests.
extern crate self as actor_core;

mod actor;
mod call;
mod context;
mod dead;
mod error;
mod handle;
mod hosting;
mod id;
mod mailbox;
mod message;
#[cfg(feature = "nats")]
pub mod nats;
mod pubsub;
mod registry;
mod supervise;
mod sync;
mod timer;
#[cfg(feature = "wire")]
pub mod wire;

pub use actor::{Actor, Handler};
pub use call::Request;
pub use call::{
    Answer, Bridge, CallFuture, CallQueue, CallTarget, Collector, Deferred, ExecError, MultiCall,
    Pending, Reply,
};
pub use context::Context;
pub use dead::{DeadLetter, DeadLetters, DeadReason};
pub use error::{CallError, Error, SendError};
pub use handle::{Addr, AnyAddr, Recipient, Sender};
pub use hosting::{Driver, DriverId, BATCH};
pub use id::{ActorId, ActorInfo};
pub use message::{DynMessage, Message, Stop, Stopped};
pub use pubsub::PubSub;
pub use registry::{Named, Registry};
pub use supervise::{
    ChildNamed, Children, Intensity, NamedSpawn, OnPanic, Restarted, Spawn, SpawnError, StopReason,
    Strategy, Supervisor, Terminated, WatchRestarts,
};

/// Marks an inherent `impl` block as an actor; see the crate docs of `actor-macros` for
/// the handler forms it accepts.
pub use actor_macros::actor;
/// Marks a method of an `#[actor]` block as the handler of one message type:
/// `#[handles(Ping)]`, or `#[handles(other)]` for the catch-all.
pub use actor_macros::handles;
/// Marks a method of an `#[actor]` block to run on the actor's thread before its first
/// message.
pub use actor_macros::on_start;
/// Marks a method of an `#[actor]` block to run on the actor's thread when it stops.
pub use actor_macros::on_stop;
/// Derives [`Message`](trait@Message); `#[message(reply = T)]` sets the reply type.
pub use actor_macros::Message;

/// Everything a user of the framework needs, in one import: `use actor_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        actor, handles, on_start, on_stop, Actor, ActorId, ActorInfo, Addr, AnyAddr, Bridge,
        CallError, Context, Driver, DynMessage, Handler, Message, PubSub, Recipient, Registry,
        SendError, Sender, Stop, Stopped,
    };
    pub use crate::{Deferred, Reply};
    pub use crate::{Intensity, OnPanic, Spawn, StopReason, Strategy, Supervisor, Terminated};
}

/// `#[actor(remote)]`: lists the actor's handlers for the wire (feature `wire`).
#[cfg(feature = "wire")]
#[doc(hidden)]
#[macro_export]
macro_rules! __remote_actor {
    ($actor:ty; $($msg:ty),* $(,)?) => {
        #[automatically_derived]
        impl $crate::wire::RemoteActor for $actor {
            fn expose_handlers(
                exposed: $crate::wire::Exposed<'_, Self>,
            ) -> $crate::wire::Exposed<'_, Self> {
                exposed $( .handle::<$msg>() )*
            }
        }
    };
}

/// `#[actor(remote)]` without the `wire` feature: say so, at the attribute.
#[cfg(not(feature = "wire"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __remote_actor {
    ($actor:ty; $($msg:ty),* $(,)?) => {
        ::core::compile_error!(
            "`#[actor(remote)]` needs actor-core's `wire` feature: write `actor-core = { version = \"..\", features = [\"wire\"] }` in Cargo.toml"
        );
    };
}

/// What generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__remote_actor as remote_actor;
    pub use crate::actor::{__mismatched_mail, Actor, Handler, Mail};
    pub use crate::call::Request;
    pub use crate::call::{__deferred as deferred, Deferred, ReplyTo};
    pub use crate::context::Context;
    pub use crate::handle::Addr;
    pub use crate::message::{DynMessage, Message};
}
