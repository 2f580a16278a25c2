//! Accepting connections: [`DeMux::listen`]'s thread and its [`Listening`] handle.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::demux::DeMux;
use super::error::WireError;
use super::transport::Listen;

impl DeMux {
    /// Accepts until `state` or the DeMux is closed.
    pub(super) fn accept_loop(&self, state: &ListenState) {
        loop {
            let accepted = state.listener.accept_transport();
            if state.closed.load(Ordering::Acquire) || self.is_closed() {
                return;
            }
            match accepted {
                // A connection over the limit was refused, and recorded, by `serve`.
                Ok(transport) => match self.serve(transport) {
                    Ok(_) | Err(WireError::Limit { .. }) => {}
                    Err(e) => self.report(e),
                },
                Err(e) => {
                    self.report(e);
                    // A failing accept (no file descriptors left) usually fails again at
                    // once: pause rather than spin.
                    thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
}

pub(super) struct ListenState {
    pub(super) listener: Box<dyn Listen>,
    pub(super) closed: AtomicBool,
}

impl ListenState {
    pub(super) fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.listener.wake();
        }
    }
}

/// A [`DeMux`] accepting connections on a listener. Dropping it stops accepting (the
/// connections already accepted go on).
#[must_use = "dropping a `Listening` stops accepting connections"]
pub struct Listening {
    pub(super) state: Arc<ListenState>,
}

impl Listening {
    /// What it listens on.
    pub fn describe(&self) -> String {
        self.state.listener.describe()
    }

    /// Stops accepting. The accepting thread is woken (by a connection to the listener)
    /// and ends; it is not waited for, so this never blocks. Idempotent.
    pub fn close(&self) {
        self.state.close();
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Listening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Listening({})", self.describe())
    }
}
