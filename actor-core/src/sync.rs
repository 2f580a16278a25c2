//! Locks. [`lock`] (and, for the wire, `try_lock`) takes a std mutex, recovering it from
//! poison: every mutex of the runtime guards data that a panicking holder leaves
//! consistent (single inserts, removes and swaps), so a poisoned lock is still usable.
//! [`model`] is the set of primitives that loom model-checks (`RUSTFLAGS="--cfg loom"
//! cargo test -p actor-core --lib loom`): under `cfg(loom)` they are loom's, otherwise
//! std's. [`SpinLock`] is built on them.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use model::{AtomicBool, Ordering};

/// Locks `mutex`, taking it over from a holder that panicked.
#[inline]
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Locks `mutex` if no one holds it (`None` if someone does), taking it over from a
/// holder that panicked.
#[cfg(feature = "wire")]
#[inline]
pub(crate) fn try_lock<T: ?Sized>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    use std::sync::TryLockError;
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Waits on `condvar` until notified, or until `deadline` if there is one, taking the
/// lock over from a holder that panicked; `None`, without waiting, once the deadline has
/// passed.
pub(crate) fn wait_until<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    deadline: Option<Instant>,
) -> Option<MutexGuard<'a, T>> {
    let guard = match deadline {
        None => condvar
            .wait(guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
        Some(deadline) => {
            let left = deadline.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            condvar
                .wait_timeout(guard, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0
        }
    };
    Some(guard)
}

/// Read-locks `lock`, taking it over from a writer that panicked.
#[inline]
pub(crate) fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Write-locks `lock`, taking it over from a writer that panicked.
#[inline]
pub(crate) fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The primitives of the model-checked handshakes: loom's under `cfg(loom)`, else std's.
pub(crate) mod model {
    #[cfg(loom)]
    pub(crate) use loom::sync::{
        atomic::{AtomicBool, AtomicU8, Ordering},
        Condvar, Mutex, MutexGuard,
    };
    #[cfg(not(loom))]
    pub(crate) use std::sync::{
        atomic::{AtomicBool, AtomicU8, Ordering},
        Condvar, Mutex, MutexGuard,
    };

    /// Locks a model mutex, recovering it from poison as [`lock`](super::lock) does.
    #[inline]
    pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits on `condvar` until notified (or `timeout` passes, if given), recovering the
    /// lock from poison.
    #[inline]
    pub(crate) fn wait<'a, T>(
        condvar: &Condvar,
        guard: MutexGuard<'a, T>,
        timeout: Option<std::time::Duration>,
    ) -> MutexGuard<'a, T> {
        match timeout {
            Some(timeout) => {
                condvar
                    .wait_timeout(guard, timeout)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0
            }
            None => condvar
                .wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }
}

/// How a thread waits for another's few instructions to end (a lock's holder, a slot's
/// thief): it spins briefly, then yields its thread, so that a party preempted in the
/// middle is not spun against for a whole time slice. Under loom, every wait yields.
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    spins: u32,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            #[cfg(not(loom))]
            spins: 0,
        }
    }

    /// Waits a little; longer (a yield) once it has spun for a while.
    #[inline]
    pub(crate) fn snooze(&mut self) {
        #[cfg(loom)]
        loom::thread::yield_now();
        #[cfg(not(loom))]
        if self.spins < 100 {
            self.spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// A lock for critical sections of a few instructions, where no user code runs: taking it
/// is one compare-and-swap and releasing it one plain store, where a futex mutex needs a
/// second atomic swap to release. A waiter spins briefly, then yields its thread, so a
/// holder preempted in the middle is not spun against for a whole time slice.
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    #[cfg(not(loom))]
    value: std::cell::UnsafeCell<T>,
    #[cfg(loom)]
    value: loom::cell::UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and one guard exists at a time.
unsafe impl<T: Send> Sync for SpinLock<T> {}

pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// `Send` and `Sync` as a `&mut T` is, not as the lock is.
    _value: std::marker::PhantomData<&'a mut T>,
    #[cfg(loom)]
    value: loom::cell::MutPtr<T>,
}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            #[cfg(not(loom))]
            value: std::cell::UnsafeCell::new(value),
            #[cfg(loom)]
            value: loom::cell::UnsafeCell::new(value),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard {
            lock: self,
            _value: std::marker::PhantomData,
            #[cfg(loom)]
            value: self.value.get_mut(),
        }
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut backoff = Backoff::new();
        loop {
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock.
        #[cfg(not(loom))]
        unsafe {
            &*self.lock.value.get()
        }
        #[cfg(loom)]
        unsafe {
            self.value.deref()
        }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the lock.
        #[cfg(not(loom))]
        unsafe {
            &mut *self.lock.value.get()
        }
        #[cfg(loom)]
        unsafe {
            self.value.deref()
        }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}
