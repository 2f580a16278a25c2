//! Where an actor runs. [`lifecycle`] is the whole actor minus its host (start, handle one
//! envelope, finish); [`thread`] drives it from a dedicated thread's `recv` loop;
//! [`driver`], [`worker`] and [`task`] drive many actors on a small pool of threads;
//! [`current`] is the thread-local "actor running here"; [`waits`] the record of which
//! actor waits for which, that refuses a wait that could never end.

pub(crate) mod current;
pub(crate) mod driver;
pub(crate) mod lifecycle;
mod roster;
mod slot;
mod task;
pub(crate) mod thread;
pub(crate) mod waits;
pub(crate) mod worker;

pub use driver::{Driver, DriverId, BATCH};
pub(crate) use roster::UNLISTED;
pub(crate) use task::DriverCell;
pub(crate) use worker::before_blocking;
