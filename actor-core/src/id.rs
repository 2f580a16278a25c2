//! Actor identity: a process-unique [`ActorId`] and the [`ActorInfo`] that names an actor
//! in errors and logs.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A process-unique actor number, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(u64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ActorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number itself.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Who an actor is: its type name and id, displayed as `Warehouse#3`.
///
/// ```
/// use actor_core::prelude::*;
///
/// struct Warehouse;
/// #[actor]
/// impl Warehouse {}
///
/// let addr = Warehouse.spawn();
/// let info = addr.info();
/// assert_eq!(info.name, "Warehouse");
/// assert_eq!(info.to_string(), format!("Warehouse{}", info.id));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActorInfo {
    /// The actor's unique id.
    pub id: ActorId,
    /// The actor's type name, as written in its `#[actor] impl` block.
    pub name: &'static str,
}

impl fmt::Display for ActorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name, self.id)
    }
}
