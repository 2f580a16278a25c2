//! Asking actors for answers: the reply slot a handler's return value goes to
//! ([`ReplyTo`]: a channel, a one-result slot, or a hook), the [`Bridge`] through which
//! plain code calls actors (blocking, or as a [`CallFuture`]), `ctx.ask` between actors,
//! replies given later ([`Deferred`], [`Reply`]), and `exec` with its [`Pending`] results,
//! [`Collector`] and [`CallQueue`].

mod ask;
mod bridge;
mod deferred;
mod exec;
mod future;
mod job;
mod multi;
mod queue;
mod reply;
mod request;
mod shot;
mod target;

pub(crate) use bridge::failure;
pub use bridge::Bridge;
pub use deferred::{__deferred, Deferred, Reply};
pub use exec::{ExecError, Pending};
pub use future::CallFuture;
pub use job::Job;
pub(crate) use job::{JobHeader, Resumable};
pub use multi::{Answer, MultiCall};
pub use queue::{CallQueue, Collector};
pub use reply::ReplyTo;
pub(crate) use reply::{panic_message, panic_text, NoReply, Outcome};
pub use request::Request;
pub use target::CallTarget;
