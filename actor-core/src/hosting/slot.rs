//! A one-value slot with one owner and any number of thieves: a driver worker's next
//! slot, which its owner fills and empties on every hop between neighbours, and which an
//! idle worker may empty when the owner is stuck in a long handler. A leaf, loom-checked.
//!
//! The owner pays one plain store to fill it and one compare-and-swap to empty it; a thief
//! pays a compare-and-swap and a store, and only when it steals. The state word says who
//! may touch the value:
//!
//! - `EMPTY`: no value; only the owner writes one (`put`).
//! - `FULL`: a value; the owner (`take_own`) or one thief (`steal`) claims it by moving the
//!   state on with a compare-and-swap, and whoever wins reads it.
//! - `TAKING`: a thief is reading the value; it sets `EMPTY` when done, and an owner that
//!   found the slot so waits for that before it may `put` again.

use std::mem::MaybeUninit;

use crate::sync::model::{AtomicU8, Ordering};
use crate::sync::Backoff;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const TAKING: u8 = 2;

pub(super) struct Slot<T> {
    state: AtomicU8,
    #[cfg(not(loom))]
    value: std::cell::UnsafeCell<MaybeUninit<T>>,
    #[cfg(loom)]
    value: loom::cell::UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is read by exactly one party per `put` (whoever claims the `FULL`
// state), and written only by the owner while the state is `EMPTY`: it moves between
// threads as a `T: Send` does.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(super) fn new() -> Self {
        Slot {
            state: AtomicU8::new(EMPTY),
            #[cfg(not(loom))]
            value: std::cell::UnsafeCell::new(MaybeUninit::uninit()),
            #[cfg(loom)]
            value: loom::cell::UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Fills the slot.
    ///
    /// # Safety
    ///
    /// Only the slot's owner calls `put` and `take_own`, and the slot is empty: it is new,
    /// or the owner's last call on it was a `take_own`.
    #[inline]
    pub(super) unsafe fn put(&self, value: T) {
        // SAFETY: the state is `EMPTY` (the caller's promise, and no thief leaves it
        // otherwise), so no one else reads or writes the value.
        unsafe { self.write(value) };
        self.state.store(FULL, Ordering::Release);
    }

    /// Empties the slot: its value, unless a thief took it first. The slot is empty on
    /// return, so the owner may `put` again.
    ///
    /// # Safety
    ///
    /// Only the slot's owner calls `put` and `take_own`.
    #[inline]
    pub(super) unsafe fn take_own(&self) -> Option<T> {
        match self
            .state
            .compare_exchange(FULL, EMPTY, Ordering::Relaxed, Ordering::Acquire)
        {
            // SAFETY: the owner wrote the value and has just claimed it; no thief can
            // claim an `EMPTY` slot, and only the owner writes one.
            Ok(_) => Some(unsafe { self.read() }),
            Err(TAKING) => {
                // A thief is reading the value: it is the thief's. Wait for the read to
                // end (a few instructions) before the next `put` may write.
                self.wait_empty();
                None
            }
            Err(_) => None,
        }
    }

    /// Takes the value, if there is one and no one else is taking it. Anyone may call it.
    #[inline]
    pub(super) fn steal(&self) -> Option<T> {
        self.state
            .compare_exchange(FULL, TAKING, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // SAFETY: `TAKING` gives this thread the value alone: the owner neither reads a
        // claimed value nor writes until the slot is `EMPTY` again.
        let value = unsafe { self.read() };
        self.state.store(EMPTY, Ordering::Release);
        Some(value)
    }

    /// Whether the slot holds a value no one is taking (a hint: it may change at once).
    #[inline]
    pub(super) fn is_full(&self) -> bool {
        self.state.load(Ordering::Relaxed) == FULL
    }

    #[cold]
    fn wait_empty(&self) {
        let mut backoff = Backoff::new();
        while self.state.load(Ordering::Acquire) != EMPTY {
            backoff.snooze();
        }
    }

    /// # Safety
    ///
    /// The caller may write the value: see `put`.
    #[inline]
    unsafe fn write(&self, value: T) {
        #[cfg(not(loom))]
        // SAFETY: as the caller promises.
        unsafe {
            (*self.value.get()).write(value);
        }
        #[cfg(loom)]
        // SAFETY: as the caller promises.
        self.value.with_mut(|slot| unsafe {
            (*slot).write(value);
        });
    }

    /// # Safety
    ///
    /// The caller has claimed a value written by `put` and not read since.
    #[inline]
    unsafe fn read(&self) -> T {
        #[cfg(not(loom))]
        // SAFETY: as the caller promises: the value is initialised and read once.
        unsafe {
            (*self.value.get()).assume_init_read()
        }
        #[cfg(loom)]
        // SAFETY: as the caller promises.
        self.value
            .with(|slot| unsafe { (*slot).assume_init_read() })
    }
}

impl<T> Drop for Slot<T> {
    fn drop(&mut self) {
        if self.state.load(Ordering::Acquire) == FULL {
            // SAFETY: `&mut self`: no one else can claim the value, which `put` wrote.
            drop(unsafe { self.read() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Slot;

    #[test]
    fn the_owner_takes_back_what_it_put_and_a_thief_what_is_left() {
        let slot = Slot::new();
        // SAFETY: this test is the owner.
        unsafe {
            assert_eq!(slot.take_own(), None::<String>);
            slot.put("one".to_owned());
            assert!(slot.is_full());
            assert_eq!(slot.take_own().as_deref(), Some("one"));
            slot.put("two".to_owned());
        }
        assert_eq!(slot.steal().as_deref(), Some("two"));
        assert_eq!(slot.steal(), None);
        // SAFETY: as above; the slot is empty after a steal.
        unsafe {
            assert_eq!(slot.take_own(), None);
            slot.put("three".to_owned());
        }
        // Dropped full: its value is dropped with it (Miri or a leak checker would say).
        drop(slot);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::Slot;
    use loom::sync::Arc;
    use loom::thread;

    /// An owner refilling its slot races with a thief: every value is taken exactly once,
    /// by one of them, and the owner never writes over a value being read.
    #[test]
    fn loom_every_value_in_a_slot_is_taken_exactly_once() {
        loom::model(|| {
            let slot = Arc::new(Slot::new());
            let thief = {
                let slot = slot.clone();
                thread::spawn(move || slot.steal())
            };
            let mut owner = Vec::new();
            // SAFETY: this thread is the slot's only owner.
            unsafe {
                slot.put(1_u32);
                owner.extend(slot.take_own());
                slot.put(2);
                owner.extend(slot.take_own());
            }
            let stolen = thief.join().unwrap();
            let mut all: Vec<u32> = owner.into_iter().chain(stolen).collect();
            all.sort_unstable();
            assert_eq!(all, [1, 2]);
        });
    }
}
