//! Where an actor's handlers run. A dedicated thread blocks in `recv` and needs no
//! notice of new mail; a shared driver must be told when an idle actor has mail, so it
//! can put the actor on its run queue.

/// How an actor is hosted, as the sending side sees it.
pub(crate) enum Host {
    /// A thread of its own, woken by the channel itself.
    Thread,
}

impl Host {
    /// Called after each successful post.
    #[inline]
    pub(crate) fn notify(&self) {
        match self {
            Host::Thread => {}
        }
    }
}
