//! Accepting connections: [`DeMux::listen`]'s thread and its [`Listening`] handle.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::conn::Served;
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
                    Ok(served) => state.keep(served),
                    Err(WireError::Limit { .. }) => {}
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
    /// The connections it accepted that have not ended (at most the DeMux's
    /// `max_connections`, once the ended ones are pruned), for [`Listening::join`].
    pub(super) served: Mutex<Vec<Served>>,
}

impl ListenState {
    fn keep(&self, served: Served) {
        let mut all = crate::sync::lock(&self.served);
        all.retain(|s| !s.is_finished());
        all.push(served);
    }

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
    pub(super) thread: Option<JoinHandle<()>>,
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

    /// Waits until the accepting thread has ended and so has every connection it
    /// accepted (its reader and writer threads), then drops the listener: from then on
    /// its port refuses connections. Close it first ([`close`](Listening::close), then
    /// the connections end when their peers leave; or
    /// [`DeMux::close`]/[`DeMux::close_within`], which closes them too): else this waits
    /// for as long as it accepts.
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let served = std::mem::take(&mut *crate::sync::lock(&self.state.served));
        for served in served {
            let _ = served.join();
        }
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
