//! Faults and their handling: [`Spawn`] (how an actor is started: its panic policy,
//! restart factory and mailbox bound), the [`Monitors`] that report an actor's end, and
//! the [`Supervisor`] actor.

mod monitors;
mod spawn;
mod supervisor;

pub(crate) use monitors::Monitors;
pub(crate) use spawn::{AfterPanic, Policy};
pub use spawn::{Intensity, NamedSpawn, OnPanic, Spawn, SpawnError, StopReason, Terminated};
pub use supervisor::{ChildNamed, Children, Restarted, Strategy, Supervisor, WatchRestarts};
