//! One shared timer facility for the whole process: what `tell_after` and `tell_every`
//! and the timeouts of `ctx.ask` and `call_async` wait on without blocking a thread.
//!
//! # Shape
//!
//! A single thread, `actor-timer`, started lazily by the first [`schedule`], holds every
//! pending timer in a min-heap of `(deadline, sequence)` entries and sleeps on a condition
//! variable until the earliest deadline; a schedule wakes it only for a deadline before the
//! one it sleeps until (so the stream of far request deadlines wakes nobody). Thousands of pending timers cost heap entries, not threads. A heap rather than a
//! hierarchical wheel: deadlines here are arbitrary `Instant`s spread from microseconds to
//! hours, a heap is exact (no tick granularity, so "no earlier than the deadline" needs no
//! rounding), costs O(log n) per schedule and fire, and needs no periodic ticking while idle;
//! a wheel only wins at very high schedule/cancel rates, which an actor program's timers are
//! not expected to reach. The thread is detached: it never keeps the process from exiting.
//!
//! A heap entry points at any [`Due`]: a [`Timer`]'s own shared state, or, for the
//! deadline of a request (`ctx.ask`, `call_async`, through [`schedule_due`]), the
//! request's shared state itself, so a request's timeout costs no allocation of its own.
//! A request's entry goes first to a *young list* of the thread that made the request
//! (one per thread, under a mutex only that thread and the timer thread take), not to the
//! heap: most requests are answered within microseconds, and a young entry that ended
//! (its `is_pending` is false) is dropped from the front of its list by the next request
//! of that thread, never touching the heap. A young entry holds its timeout, not a
//! deadline: the request reads no clock. The timer thread takes the young lists at least
//! every sixteenth of the shortest timeout put there since it last did ([`service`]);
//! then it reads the clock, drops what has ended and moves what is still pending to the
//! heap, due its timeout after that reading. So a request's deadline is never early (the
//! clock was read after the request went out), and at most a sixteenth of its timeout
//! late (plus the timer thread's own wake-up). A request answered after its entry reached
//! the heap leaves it dead there, skipped when it comes due.
//!
//! # Guarantees
//!
//! - A timer's `fire` runs on the timer thread, never before its deadline, and timers due at
//!   the same moment fire in the order they were scheduled.
//! - `fire` returns `false` when its target is gone: the timer then ends for good.
//! - A periodic timer is rescheduled at *previous deadline + period*, so lateness does not
//!   accumulate into drift. If the thread fell behind so that one or more ticks are already
//!   past when a fire returns, the missed ticks are skipped: one late tick fires at once
//!   (the latest missed one) and the timer goes on at the original `start + n * period`
//!   grid, never a burst of catch-up fires.
//! - A panic inside `fire` is caught and logged (`log::error`); that timer ends, the thread
//!   and every other timer go on.
//! - [`Timer::cancel`] is race-free with firing: an atomic state machine (pending, firing,
//!   done, cancelled) decides each race exactly once. After `cancel` returns, whatever it
//!   returned, no fire of that timer *starts*; a fire of a periodic timer already running
//!   when `cancel` was called may still be finishing (cancel does not wait for it) and is
//!   its last.
//! - A timer's closure is dropped as soon as the timer ends: by `cancel` itself (on the
//!   cancelling thread, or by the timer thread if it was mid-fire), or by the timer thread
//!   right after the last fire. A cancelled entry left in the heap holds no closure; cancelled
//!   entries are compacted away (on the cancelling thread, amortised O(1) per cancel) as soon
//!   as they are more than half of a heap of more than 64 entries. A cancel counts itself
//!   with an atomic and takes the heap's lock only for that compaction. (A dead request
//!   entry keeps its request's block, emptied of continuation and outcome, until then.)
//!
//! # Bounds and failure
//!
//! Nothing but memory bounds the pending timers: they are made by the program's own code
//! (an actor asking for a tick), so a cap would only turn a program bug into a different
//! one. The one kind outside input makes is the deadline of a call a peer makes to an
//! exposed actor (over the wire or NATS), and those are bounded where they are made: at
//! most `Limits::max_queued` such calls are posted at once per DeMux or node. A pending timer costs one 32-byte heap entry (up to
//! twice that while the heap's vector has spare capacity) plus one 72-byte shared block
//! (an 80-byte allocation with glibc) plus the closure's own box if it captures anything
//! (a 16-byte capture is a 32-byte allocation). Measured as resident memory over 1,000,000
//! pending timers: 112 bytes each with a capture-free closure, 144 with a 16-byte capture.
//!
//! If the timer thread cannot be started (the OS refuses a thread), [`schedule`] logs an
//! error and returns an inactive [`Timer`]: `is_active()` is false, `cancel()` is false, the
//! closure is dropped unrun. The next `schedule` tries to start the thread again.

mod service;

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use service::{Inner, Service};

/// What a timer runs at each deadline: `false` once its target is gone.
pub(crate) type Fire = Box<dyn FnMut() -> bool + Send>;

/// Something the timer heap holds until a deadline: a [`Timer`]'s shared state, or the
/// whole state of a request (`ctx.ask`, `call_async`) that times out.
///
/// Called on the timer thread, never under the heap's lock except [`is_pending`]
/// (which must only read an atomic).
///
/// [`is_pending`]: Due::is_pending
pub(crate) trait Due: Send + Sync {
    /// Still waiting for its deadline: `false` once it ended some other way (then its
    /// entry is dropped unfired).
    fn is_pending(&self) -> bool;

    /// Its deadline (`deadline`) came. Returns the next deadline if it stays scheduled.
    fn fire_due(self: Arc<Self>, deadline: Instant) -> Option<Instant>;

    /// The service shut down: it will never fire.
    fn abandon(&self);
}

/// Waiting in the heap for its deadline (or between two fires of a periodic timer).
const PENDING: u8 = 0;
/// Its closure is running on the timer thread.
const FIRING: u8 = 1;
/// Ended on its own: a one-shot fired, `fire` returned false or panicked.
const DONE: u8 = 2;
/// Ended by [`Timer::cancel`].
const CANCELLED: u8 = 3;

/// A handle to one pending timer: ask whether it is still running, or cancel it.
///
/// Cheap to clone (one reference count); clones refer to the same timer. `Send + Sync`, so
/// it may be cancelled from any thread. Dropping a `Timer` does **not** cancel it: like a
/// detached thread handle, the timer goes on until it fires (one-shot), its target is gone,
/// or some clone of the handle cancels it. Every timer of an actor ends when the actor ends,
/// whether or not anyone still holds its handle.
///
/// Made by [`Context::tell_after`](crate::Context::tell_after),
/// [`Context::tell_every`](crate::Context::tell_every) and
/// [`Addr::tell_after`](crate::Addr::tell_after). All of them share one timer thread
/// (`actor-timer`) for the whole process: a pending timer costs about 150 bytes, not a
/// thread.
///
/// ```
/// use actor_core::prelude::*;
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// struct Tick;
///
/// #[derive(Message)]
/// #[message(reply = Timer)]
/// struct Start;
///
/// struct Metronome(mpsc::Sender<()>);
///
/// #[actor]
/// impl Metronome {
///     #[handles(Start)]
///     fn start(&mut self, _: Start, ctx: &mut Context<Self>) -> Timer {
///         ctx.tell_every(Duration::from_millis(5), || Tick)
///     }
///
///     #[handles(Tick)]
///     fn tick(&mut self, _: Tick) {
///         let _ = self.0.send(());
///     }
/// }
///
/// let (tx, ticks) = mpsc::channel();
/// let metronome = Metronome(tx).spawn();
/// let timer = Bridge::new().call(&metronome, Start, Duration::from_secs(5)).unwrap();
/// for _ in 0..3 {
///     ticks.recv_timeout(Duration::from_secs(5)).unwrap();
/// }
/// assert!(timer.is_active());
/// assert!(timer.cancel()); // this call stopped it
/// assert!(!timer.cancel()); // already stopped
/// assert!(!timer.is_active());
/// ```
#[derive(Clone)]
pub struct Timer {
    shared: Arc<TimerState>,
}

/// The state one timer's handle and the timer thread share.
struct TimerState {
    state: AtomicU8,
    /// `None` for a one-shot; never zero.
    period: Option<Duration>,
    /// The closure, taken out while it runs and for good when the timer ends.
    fire: Mutex<Option<Fire>>,
    /// The service whose heap holds this timer, told of cancellations; `None` when inactive.
    service: Option<Arc<Inner>>,
}

impl Timer {
    /// Stops the timer. Returns `true` if this call stopped it: a one-shot before it fired,
    /// a periodic timer while it was still running (even mid-fire; that fire is its last).
    /// Returns `false` if it already fired (one-shot), ended on its own, was already
    /// cancelled, or never started.
    ///
    /// Never waits for a running fire. After it returns, no fire of this timer starts. The
    /// timer's closure is dropped by this call, on this thread, unless the timer thread is
    /// running it at that moment (then the timer thread drops it right after).
    pub fn cancel(&self) -> bool {
        let shared = &*self.shared;
        let mut state = shared.state.load(Ordering::Acquire);
        loop {
            let in_heap = match state {
                PENDING => true,
                FIRING if shared.period.is_some() => false,
                _ => return false,
            };
            match shared.state.compare_exchange_weak(
                state,
                CANCELLED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // `None` if the timer thread holds it mid-fire: it drops it after.
                    drop(shared.take_fire());
                    if in_heap {
                        if let Some(service) = &shared.service {
                            service.cancelled_one();
                        }
                    }
                    return true;
                }
                Err(now) => state = now,
            }
        }
    }

    /// Whether the timer may still fire: `true` while [`cancel`](Timer::cancel) would stop
    /// it, `false` once it fired (one-shot; also while that single fire is running), ended
    /// on its own, or was cancelled. A snapshot: a pending timer may fire right after.
    pub fn is_active(&self) -> bool {
        match self.shared.state.load(Ordering::Acquire) {
            PENDING => true,
            FIRING => self.shared.period.is_some(),
            _ => false,
        }
    }

    /// A timer that never runs: what [`schedule`] returns when there is no timer thread.
    pub(crate) fn inactive(period: Option<Duration>) -> Timer {
        Timer {
            shared: Arc::new(TimerState {
                state: AtomicU8::new(DONE),
                period,
                fire: Mutex::new(None),
                service: None,
            }),
        }
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.shared.state.load(Ordering::Acquire) {
            PENDING => "pending",
            FIRING => "firing",
            DONE => "done",
            _ => "cancelled",
        };
        f.debug_struct("Timer")
            .field("state", &state)
            .field("period", &self.shared.period)
            .finish()
    }
}

impl TimerState {
    fn new(period: Option<Duration>, fire: Fire, service: Arc<Inner>) -> TimerState {
        TimerState {
            state: AtomicU8::new(PENDING),
            period,
            fire: Mutex::new(Some(fire)),
            service: Some(service),
        }
    }

    fn take_fire(&self) -> Option<Fire> {
        self.fire
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Runs the closure for the deadline that came due, on the timer thread. Returns the
    /// next deadline if the timer stays scheduled; otherwise it has ended and its closure is
    /// dropped.
    fn fire_at(&self, deadline: Instant, now: impl FnOnce() -> Instant) -> Option<Instant> {
        if self
            .state
            .compare_exchange(PENDING, FIRING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return None; // cancelled after it left the heap
        }
        // `None`: a periodic timer cancelled between the line above and this one.
        let mut fire = self.take_fire()?;
        let again = match panic::catch_unwind(AssertUnwindSafe(&mut fire)) {
            Ok(again) => again,
            Err(payload) => {
                log::error!(
                    "a timer panicked; it is ended: {}",
                    panic_message(&*payload)
                );
                drop_quietly(payload);
                false
            }
        };
        let next = match (again, self.period) {
            (true, Some(period)) => next_deadline(deadline, period, now()),
            _ => None,
        };
        let Some(next) = next else {
            drop_quietly(fire);
            // Fails if a periodic timer was cancelled mid-fire: it stays cancelled.
            let _ = self
                .state
                .compare_exchange(FIRING, DONE, Ordering::AcqRel, Ordering::Acquire);
            return None;
        };
        *self.fire.lock().unwrap_or_else(PoisonError::into_inner) = Some(fire);
        if self
            .state
            .compare_exchange(FIRING, PENDING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return Some(next);
        }
        // Cancelled mid-fire: the canceller may have found the slot empty.
        drop_quietly(self.take_fire());
        None
    }

    /// Ends a pending timer whose service shut down: it will never fire.
    fn abandon_now(&self) {
        if self
            .state
            .compare_exchange(PENDING, DONE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            drop_quietly(self.take_fire());
        }
    }
}

impl Due for TimerState {
    /// Still waiting for a deadline (not cancelled, not ended).
    fn is_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) == PENDING
    }

    fn fire_due(self: Arc<Self>, deadline: Instant) -> Option<Instant> {
        self.fire_at(deadline, Instant::now)
    }

    fn abandon(&self) {
        self.abandon_now();
    }
}

/// The deadline after `prev` for a timer of `period`, seen at `now`: `prev + period`, or if
/// that is already past, the latest tick of the grid `prev + n * period` not after `now`
/// (fired at once, late, the ticks before it skipped). `None` past the end of `Instant`.
fn next_deadline(prev: Instant, period: Duration, now: Instant) -> Option<Instant> {
    let next = prev.checked_add(period)?;
    if next > now {
        return Some(next);
    }
    let nanos = period.as_nanos().max(1);
    let skipped = now.saturating_duration_since(prev).as_nanos() / nanos * nanos;
    prev.checked_add(Duration::from_nanos(u64::try_from(skipped).ok()?))
}

/// Drops a value the program gave us, on the timer thread, without letting a panicking
/// `Drop` take the thread down.
fn drop_quietly<T>(value: T) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(value))) {
        log::error!(
            "dropping a timer's closure panicked: {}",
            panic_message(&*payload)
        );
        // Its own `Drop` could panic again, outside any guard: leak it instead.
        std::mem::forget(payload);
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    crate::call::panic_text(payload).unwrap_or("(a panic payload that is not a string)")
}

/// A timer on someone else's clock: the simulation's (`crate::sim`), which keeps it in its
/// own heap and fires it when virtual time reaches its deadline. Its [`Timer`] handle
/// cancels it as any other.
pub(crate) struct Manual(Arc<TimerState>);

impl Manual {
    /// A pending timer of `period` (none: a one-shot) and its handle.
    pub(crate) fn new(period: Option<Duration>, fire: Fire) -> (Timer, Manual) {
        let period = period.map(|p| p.max(Duration::from_nanos(1)));
        let shared = Arc::new(TimerState {
            state: AtomicU8::new(PENDING),
            period,
            fire: Mutex::new(Some(fire)),
            service: None,
        });
        (
            Timer {
                shared: Arc::clone(&shared),
            },
            Manual(shared),
        )
    }

    /// Still waiting for a deadline.
    pub(crate) fn is_pending(&self) -> bool {
        self.0.is_pending()
    }

    /// Fires it for `deadline`, the clock reading `now`: the next deadline if it stays
    /// scheduled.
    pub(crate) fn fire(&self, deadline: Instant, now: Instant) -> Option<Instant> {
        self.0.fire_at(deadline, || now)
    }
}

/// The process's timer service, once started. Never dropped: its thread lives as long as
/// the process, detached.
static GLOBAL: OnceLock<Service> = OnceLock::new();

/// The process's timer service, started by the first call; `None` (logged) if its thread
/// could not be started this time.
#[inline]
fn global() -> Option<&'static Service> {
    match GLOBAL.get() {
        Some(service) => Some(service),
        None => start_global(),
    }
}

#[cold]
fn start_global() -> Option<&'static Service> {
    static STARTING: Mutex<()> = Mutex::new(());
    let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(service) = GLOBAL.get() {
        return Some(service);
    }
    match Service::start() {
        Ok(service) => Some(GLOBAL.get_or_init(|| service)),
        Err(error) => {
            log::error!("cannot start the actor-timer thread ({error}); the timer will not run");
            None
        }
    }
}

/// Schedules `fire` to run on the timer thread at `deadline` (at once if it is past), and
/// for a `period`, again at every `deadline + n * period` while it returns `true`. A zero
/// period is taken as one nanosecond (a timer that fires as often as the thread comes
/// round); the callers are expected to refuse it first. Without a timer thread, logs an
/// error and returns an inactive [`Timer`] (the closure is dropped unrun).
pub(crate) fn schedule(deadline: Instant, period: Option<Duration>, fire: Fire) -> Timer {
    schedule_on(global(), deadline, period, fire)
}

fn schedule_on(
    service: Option<&Service>,
    deadline: Instant,
    period: Option<Duration>,
    fire: Fire,
) -> Timer {
    let period = period.map(|p| p.max(Duration::from_nanos(1)));
    match service {
        Some(service) => service.schedule(deadline, period, fire),
        None => {
            drop(fire);
            Timer::inactive(period)
        }
    }
}

/// Puts `due` on the process's timer, to fire `timeout` from now (never, for a timeout too
/// long to count: `Duration::MAX`): the deadlines of `ctx.ask` and `call_async`, whose
/// request state is its own entry (no [`Timer`], no closure). `false` if there is no timer
/// thread: the deadline will never fire.
///
/// The entry goes to this thread's young list (no clock read, no heap lock, no heap push);
/// the timer thread takes the young lists within a sixteenth of the timeout, and moves
/// what is still pending to the heap, due `timeout` after it took it: never early, at most
/// `timeout / 16` late (plus the timer thread's wake-up). An entry that ends first (the reply came) is dropped from the
/// list by this thread's next schedule, or skipped in the heap: nothing is cancelled.
#[inline]
pub(crate) fn schedule_due(timeout: Duration, due: Arc<dyn Due>) -> bool {
    match global() {
        Some(service) => {
            service.schedule_young(timeout, due);
            true
        }
        None => false,
    }
}

/// How many entries the process's timer heap holds: pending timers, plus cancelled ones not
/// yet compacted away (never more than about as many as the pending ones). Zero before the
/// first timer; does not start the thread. For benchmarks and memory measurements.
pub(crate) fn pending_count() -> usize {
    GLOBAL.get().map_or(0, Service::len)
}

#[cfg(test)]
mod tests;
