//! Faults and their handling: [`Spawn`] (how an actor is started: its panic policy,
//! restart factory and mailbox bound), the [`Monitors`] that report an actor's end, and
//! the [`Supervisor`] actor.

mod monitors;
mod notices;
mod policy;
mod spawn;
mod supervisor;

pub(crate) use monitors::Monitors;
pub use notices::{ChildNamed, Children, Restarted, WatchRestarts};
pub(crate) use policy::{AfterPanic, Policy};
pub use policy::{Intensity, OnPanic, StopReason, Terminated};
pub use spawn::{NamedSpawn, Spawn, SpawnError};
pub use supervisor::{Strategy, Supervisor};
