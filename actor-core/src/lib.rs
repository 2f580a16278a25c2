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
//!
//! # Testing under a seed
//!
//! The [`sim`] module runs an actor system on the test's own thread, deterministically:
//! a [`Simulation`](sim::Simulation) made from a seed picks every interleaving, runs
//! timers in virtual time, and replays a failing seed step by step.
//!
//! ```
//! use actor_core::prelude::*;
//! use actor_core::sim::Simulation;
//! use std::time::Duration;
//!
//! #[derive(Message)]
//! #[message(reply = u64)]
//! struct Next;
//!
//! #[derive(Default)]
//! struct Counter(u64);
//! #[actor]
//! impl Counter {
//!     #[handles(Next)]
//!     fn next(&mut self, _: Next) -> u64 { self.0 += 1; self.0 }
//! }
//!
//! let sim = Simulation::new(1);
//! let counter = Counter::default().spawn_in(&sim);
//! counter.tell(Next).unwrap();
//! assert_eq!(sim.call(&counter, Next, Duration::from_secs(1)).unwrap(), 2);
//! assert_eq!(sim.trace().len(), 2);
//! ```
//!
//! # Writing handlers
//!
//! [`#[actor]`](macro@actor) goes on an inherent `impl` block. Each method marked
//! `#[handles(M)]` handles the message type `M`; `#[handles(other)]` marks the catch-all,
//! `#[on_start]` and `#[on_stop]` the lifecycle hooks. Other methods in the block are left
//! alone. The forms it accepts:
//!
//! | form | notes |
//! |---|---|
//! | `#[handles(M)] fn f(&mut self, msg: M)` | the reply is `()` |
//! | `#[handles(M)] fn f(&self, msg: M) -> R` | `R` is `M`'s reply type (`#[message(reply = R)]`); `-> ()` may be written or left out |
//! | `#[handles(M)] fn f(&mut self, msg: M, ctx: &mut Context<Self>) -> R` | the [`Context`] last; `Context<ActorName>` works too |
//! | `#[handles(M)] fn f(&mut self, msg: M, ctx: &mut Context<Self>) -> Deferred<R>` | replies later: [`Context::defer`] gives the [`Reply<R>`](Reply) to send from any thread (the context is required) |
//! | `#[message] fn inc(&mut self, by: u64 [, ctx: &mut Context<Self>]) -> R` | the short form: the macro writes the message `Inc { by }` next to the block (reply `R`), and the helper trait `CounterAddr` on `Addr<Counter>` gives `addr.inc(2).call(&bridge, timeout)`; see the actor-macros docs for its rules |
//! | `#[handles(M)] fn f(&mut self, Pattern { x, .. }: M)` | any pattern binds the message |
//! | `#[handles(path::M<T>)] fn f(&mut self, msg: path::M<T>)` | any type, written the same way in both places |
//! | `#[handles(other)] fn f(&mut self, msg: DynMessage [, ctx: &mut Context<Self>])` | receives what no typed handler takes (a [`DynMessage`]); returns nothing |
//! | `#[on_start] fn f(&mut self [, ctx: &mut Context<Self>])` | runs on the actor's thread before its first message |
//! | `#[on_stop] fn f(&self [, ctx: &mut Context<Self>])` | runs on the actor's thread when it stops |
//! | `#[actor] impl<T: Clone + Send + 'static> Cache<T> { #[handles(Put<T>)] .. }` | a generic actor: see below |
//! | `#[actor(remote)] impl A { .. }` | also lists the handlers for the wire: `wire::RemoteActor` (feature `wire`) |
//!
//! Inside an `#[actor]` block, `#[handles(..)]`, `#[on_start]` and `#[on_stop]` need no
//! import: `#[actor]` reads and removes them, as a derive does its helper attributes. So
//! `use actor_core::{actor, Message};` is enough, or nothing at all with
//! `#[actor_core::actor]`; `#[actor_core::handles(M)]` works too. An import written for
//! them anyway still counts as used. Outside an `#[actor]` block they are errors that say
//! where they belong. [`Stop`] is handled by every actor already (it runs the `#[on_stop]`
//! hook and replies [`Stopped`]), so `#[handles(Stop)]` is refused: write an `#[on_stop]`
//! hook, or name a message type of your own called `Stop` by its path
//! (`#[handles(self::Stop)]`).
//!
//! ```
//! // No imports for the attributes: `#[actor_core::actor]` reads its helpers itself.
//! use actor_core::{Actor, Bridge, Context, DynMessage, Message};
//! use std::time::Duration;
//!
//! #[derive(Message)]
//! struct Deposit { cents: u64 }
//!
//! #[derive(Message)]
//! #[message(reply = u64)]
//! struct Balance;
//!
//! #[derive(Message)]
//! #[message(reply = u64)]
//! struct Withdraw(u64);
//!
//! #[derive(Message)]
//! #[message(reply = usize)]
//! struct Unknown;
//!
//! #[derive(Default)]
//! struct Account { cents: u64, unknown: usize }
//!
//! #[actor_core::actor]
//! impl Account {
//!     #[on_start]
//!     fn opened(&mut self) { self.cents = 100 }
//!
//!     #[handles(Deposit)]
//!     fn deposit(&mut self, Deposit { cents }: Deposit) { self.cents += cents }
//!
//!     #[handles(Balance)]
//!     fn balance(&self, _: Balance) -> u64 { self.cents }
//!
//!     #[handles(Withdraw)]
//!     fn withdraw(&mut self, Withdraw(cents): Withdraw, ctx: &mut Context<Self>) -> u64 {
//!         self.cents = self.cents.saturating_sub(cents);
//!         if self.cents == 0 {
//!             ctx.stop(); // after this reply
//!         }
//!         self.cents
//!     }
//!
//!     #[handles(Unknown)]
//!     fn unknown(&self, _: Unknown) -> usize { self.unknown }
//!
//!     #[handles(other)]
//!     fn other(&mut self, _: DynMessage) { self.unknown += 1 }
//!
//!     #[on_stop]
//!     fn closed(&self) {}
//! }
//!
//! let account = Account::default().spawn();
//! let bridge = Bridge::new();
//! let wait = Duration::from_secs(5);
//! account.tell(Deposit { cents: 50 }).unwrap();
//! assert_eq!(bridge.call(&account, Balance, wait).unwrap(), 150);
//! account.any().tell_dyn(DynMessage::new("not ours")).unwrap(); // to the catch-all
//! assert_eq!(bridge.call(&account, Unknown, wait).unwrap(), 1);
//! assert_eq!(bridge.call(&account, Withdraw(150), wait).unwrap(), 0);
//! ```
//!
//! ## Generic actors
//!
//! An `#[actor]` block may have type and const parameters and a `where` clause: `Cache<T>`
//! is then an actor for each `T`, spawned, sent to and called like any other. Everything
//! generated carries the block's parameters and where clause, plus `T: Send + 'static` for
//! each type parameter; a `Cache<Rc<u8>>` is then no actor, an error where it is spawned.
//! [`Actor::NAME`] is the bare type name (`"Cache"`) and [`Actor::HANDLES`] lists the
//! message types as written (`"Put<T>"`). A message of another instantiation (a `Put<u64>`
//! sent dynamically to a `Cache<u32>`) goes to the catch-all. Refused: a lifetime
//! parameter, a bare type parameter as the message type (wrap it: `#[handles(Wrap<M>)]`),
//! and `#[actor(remote)]` on a generic block.
//!
//! ```
//! use actor_core::prelude::*;
//! use std::marker::PhantomData;
//! use std::time::Duration;
//!
//! #[derive(Message)]
//! struct Put<T>(T);
//!
//! #[derive(Message)]
//! #[message(reply = Option<T>)]
//! struct Last<T>(PhantomData<T>);
//!
//! struct Cache<T: Send + 'static>(Vec<T>);
//!
//! #[actor]
//! impl<T: Clone + Send + 'static> Cache<T> {
//!     #[handles(Put<T>)]
//!     fn put(&mut self, Put(value): Put<T>) { self.0.push(value) }
//!
//!     #[handles(Last<T>)]
//!     fn last(&self, _: Last<T>) -> Option<T> { self.0.last().cloned() }
//! }
//!
//! let words = Cache::<&'static str>(Vec::new()).spawn();
//! let numbers = Cache::<u64>(Vec::new()).spawn();
//! words.tell(Put("hello")).unwrap();
//! numbers.tell(Put(7)).unwrap();
//! let bridge = Bridge::new();
//! let wait = Duration::from_secs(5);
//! assert_eq!(bridge.call(&words, Last(PhantomData), wait).unwrap(), Some("hello"));
//! assert_eq!(bridge.call(&numbers, Last(PhantomData), wait).unwrap(), Some(7));
//! assert_eq!(Cache::<u64>::HANDLES, ["Put<T>", "Last<T>"]);
//! ```
//!
//! ## Mistakes
//!
//! Every other form is refused at compile time, with an error on the tokens at fault that
//! says what to write instead, and all the mistakes of one block are reported in one
//! build. The full list of rejected forms, each with its error and its compile-fail case
//! in `ui-tests/tests/ui/`, is the "Rejected forms" table of the
//! [`actor_macros` crate docs](actor_macros#rejected-forms) (`actor-macros/src/lib.rs`).

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

// Lets the macros' `::actor_core::...` paths resolve inside this crate's own tests.
extern crate self as actor_core;

mod actor;
mod call;
#[cfg(feature = "console")]
pub mod console;
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
#[cfg(any(feature = "metrics", feature = "console"))]
pub mod observe;
#[cfg(not(any(feature = "metrics", feature = "console")))]
mod observe;
mod pubsub;
mod registry;
pub mod sim;
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
pub use handle::{Addr, AnyAddr, Recipient, Sender, WeakAddr, WeakAnyAddr, WeakRecipient};
pub use hosting::{Driver, DriverId, BATCH};
pub use id::{ActorId, ActorInfo};
pub use message::{DynMessage, Message, Stop, Stopped};
pub use pubsub::PubSub;
pub use registry::{Named, Registry};
pub use supervise::{
    ChildNamed, Children, Intensity, NamedSpawn, OnPanic, Restarted, Spawn, SpawnError, StopReason,
    Strategy, Supervisor, Terminated, WatchRestarts,
};
pub use timer::Timer;

/// Marks an inherent `impl` block as an actor: generates the dispatch and the
/// [`Actor`](trait@Actor) and [`Handler`] impls from its `#[handles(M)]`, `#[on_start]` and
/// `#[on_stop]` methods. `#[actor(remote)]` also lists the handlers for the wire (feature
/// `wire`).
///
/// The handler forms it accepts, with examples, are in the crate docs'
/// [Writing handlers](crate#writing-handlers) section; the forms it refuses are listed in
/// the [`actor_macros` crate docs](actor_macros#rejected-forms).
pub use actor_macros::actor;
/// Marks a method of an `#[actor]` block as the handler of one message type:
/// `#[handles(Ping)]`, or `#[handles(other)]` for the catch-all.
pub use actor_macros::handles;
/// Marks a method of an `#[actor]` block to run on the actor's thread before its first
/// message.
pub use actor_macros::on_start;
/// Marks a method of an `#[actor]` block to run on the actor's thread when it stops.
pub use actor_macros::on_stop;
/// Derives [`Message`](trait@Message); `#[message(reply = T)]` sets the reply type,
/// `#[message(name = "shop.Order")]` the name it goes by on the wire
/// ([`Message::WIRE_NAME`]).
pub use actor_macros::Message;

/// Everything a user of the framework needs, in one import: `use actor_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        actor, handles, on_start, on_stop, Actor, ActorId, ActorInfo, Addr, AnyAddr, Bridge,
        CallError, Context, Driver, DynMessage, Handler, Message, PubSub, Recipient, Registry,
        SendError, Sender, Stop, Stopped, Timer, WeakAddr,
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
    pub use crate::actor::{__mismatched_mail, Actor, Handler, Mail, Stamp, Unstamped};
    pub use crate::call::Request;
    pub use crate::call::{__deferred as deferred, Deferred, ReplyTo};
    pub use crate::context::Context;
    pub use crate::handle::Addr;
    pub use crate::handle::Sender;
    pub use crate::message::{DynMessage, Message};

    /// How many entries the process's timer heap holds (pending timers, plus cancelled
    /// ones not yet compacted away); zero before the first timer. For tests and benchmarks
    /// that watch timers end.
    pub fn timer_pending_count() -> usize {
        crate::timer::pending_count()
    }
}
