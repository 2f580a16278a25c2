//! Asking actors for answers: the reply slot a handler's return value goes to
//! ([`ReplyTo`]), the [`Bridge`] through which plain code calls actors, and `exec` with its
//! [`Pending`] results, [`Collector`] and [`CallQueue`].

mod bridge;
mod exec;
mod queue;
mod reply;
mod shot;
mod target;

pub use bridge::{Answer, Bridge, MultiCall};
pub use exec::{ExecError, Pending};
pub use queue::{CallQueue, Collector};
pub use reply::ReplyTo;
pub(crate) use reply::{panic_message, NoReply, Outcome};
pub use target::CallTarget;
