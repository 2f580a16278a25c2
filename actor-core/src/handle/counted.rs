//! [`Counted`], one live handle to an actor, and the unsafe code of the handle count.
//!
//! Every handle ([`Addr`](crate::Addr), [`Recipient`](crate::Recipient),
//! [`AnyAddr`](crate::AnyAddr)) is a `Counted` pointer to the actor's `Shared`, through
//! its own type or a trait object. The count lives in `Shared`'s first word, so the
//! pointer of any of those types reaches it without a virtual call.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::shared::Erased;

/// A counted reference: one live handle to an actor.
///
/// Handles count themselves in the actor's shared state, and all the live handles of an
/// actor share one strong reference to it: the handle that brings the count up from zero
/// keeps the `Arc` it was made from, and the one that brings it back to zero gives that
/// reference back. So cloning or dropping a handle (a sender stamp on every message sent
/// from a handler, say) is one atomic operation, not two.
///
/// `P` is always a `Shared<A>` behind its own type or a trait object (`Erased` and
/// `Deliver` are implemented by `Shared` alone), so the count is the pointee's first word.
pub(super) struct Counted<P: ?Sized + Erased>(NonNull<P>);

// SAFETY: `Erased` is `Send + Sync`, and a handle is a shared reference to it.
unsafe impl<P: ?Sized + Erased> Send for Counted<P> {}
// SAFETY: as for `Send`.
unsafe impl<P: ?Sized + Erased> Sync for Counted<P> {}

/// The highest handle count before `acquire` aborts, leaving headroom as `Arc` does.
const MAX_COUNT: usize = isize::MAX as usize;

impl<P: ?Sized + Erased> Counted<P> {
    pub(super) fn new(inner: Arc<P>) -> Self {
        let handle = Counted(NonNull::from(&*inner));
        if handle.acquire() {
            // The first live handle: `inner` becomes the handles' strong reference.
            std::mem::forget(inner);
        }
        handle
    }

    /// A handle made from the actor running on this thread.
    ///
    /// # Safety
    ///
    /// `ptr` comes from `Arc::as_ptr` (or `into_raw`) of a `Shared`, and that `Arc` is
    /// alive.
    #[inline]
    pub(super) unsafe fn from_raw(ptr: *const P) -> Self {
        // SAFETY: the caller's `Arc` keeps the pointee alive for this call.
        let handle = Counted(unsafe { NonNull::new_unchecked(ptr.cast_mut()) });
        if handle.acquire() {
            // SAFETY: `ptr` came from a live `Arc`; this is the handles' reference.
            unsafe { Arc::increment_strong_count(ptr) };
        }
        handle
    }

    /// A handle made from `inner` only if the actor still has live handles: what a weak
    /// handle's `upgrade` does. `None` once the count has come down to zero (the last
    /// handle is gone and `Released` is on its way), so a weak handle never brings an
    /// actor back from its release.
    pub(super) fn upgrade(inner: Arc<P>) -> Option<Self> {
        let candidate = std::mem::ManuallyDrop::new(Counted(NonNull::from(&*inner)));
        candidate
            .count()
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |count| {
                (count != 0 && count <= MAX_COUNT).then(|| count + 1)
            })
            .ok()?;
        // Counted now, with the handles' strong reference already there (the count was
        // not zero): `inner`, the caller's own reference, is given back as it drops.
        Some(std::mem::ManuallyDrop::into_inner(candidate))
    }

    /// Counts one more handle; true if it is the only one, which must then take the
    /// handles' strong reference.
    #[inline]
    fn acquire(&self) -> bool {
        let before = self.count().fetch_add(1, Ordering::Relaxed);
        // As `Arc` does: a count this high means handles are being leaked by the billion
        // (`mem::forget` in a loop); wrapping would free the actor under live handles.
        if before > MAX_COUNT {
            std::process::abort();
        }
        before == 0
    }

    /// The actor's handle count: the first field of its `repr(C)` `Shared`.
    #[inline]
    fn count(&self) -> &AtomicUsize {
        // SAFETY: the pointee is a `Shared<A>` (see `Handle`), alive while this handle
        // is counted.
        unsafe { &*self.0.as_ptr().cast::<AtomicUsize>() }
    }

    /// A strong reference of the caller's own.
    pub(super) fn arc(&self) -> Arc<P> {
        // SAFETY: the handles' strong reference keeps the allocation alive while this
        // handle lives, and the pointer came from that `Arc`.
        unsafe {
            Arc::increment_strong_count(self.0.as_ptr());
            Arc::from_raw(self.0.as_ptr())
        }
    }
}

impl<P: ?Sized + Erased> std::ops::Deref for Counted<P> {
    type Target = P;

    #[inline]
    fn deref(&self) -> &P {
        // SAFETY: as in `arc`.
        unsafe { self.0.as_ref() }
    }
}

impl<P: ?Sized + Erased> Clone for Counted<P> {
    #[inline]
    fn clone(&self) -> Self {
        // The count is at least one (this handle), so the strong reference is there.
        self.acquire();
        Counted(self.0)
    }
}

impl<P: ?Sized + Erased> Drop for Counted<P> {
    #[inline]
    fn drop(&mut self) {
        // Only the count is touched until it is known to be the last handle: another
        // thread may free the state as soon as the count comes down.
        if self.count().fetch_sub(1, Ordering::AcqRel) == 1 {
            // The handles' strong reference is still held here.
            (**self).released();
            // The last live handle gives that reference back; nothing of the actor is
            // touched after this.
            // SAFETY: the pointer came from the `Arc` whose reference this is.
            unsafe { Arc::decrement_strong_count(self.0.as_ptr()) };
        }
    }
}
