//! One shared timer facility for the whole process: what `tell_after` and `tell_every`
//! (and later the timeouts of `call_async`) wait on without blocking a thread.
//!
//! # Shape
//!
//! A single thread, `actor-timer`, started lazily by the first [`schedule`], holds every
//! pending timer in a min-heap of `(deadline, sequence)` entries and sleeps on a condition
//! variable until the earliest deadline; scheduling a timer that becomes the earliest wakes
//! it. Thousands of pending timers cost heap entries, not threads. A heap rather than a
//! hierarchical wheel: deadlines here are arbitrary `Instant`s spread from microseconds to
//! hours, a heap is exact (no tick granularity, so "no earlier than the deadline" needs no
//! rounding), costs O(log n) per schedule and fire, and needs no periodic ticking while idle;
//! a wheel only wins at very high schedule/cancel rates, which an actor program's timers are
//! not expected to reach. The thread is detached: it never keeps the process from exiting.
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
//!   as they are more than half of a heap of more than 64 entries.
//!
//! # Bounds and failure
//!
//! Nothing but memory bounds the pending timers: they are made by the program's own code
//! (an actor asking for a tick), never directly by outside input, so a cap would only turn
//! a program bug into a different one. A pending timer costs one 32-byte heap entry (up to
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

    /// Still waiting for a deadline (not cancelled, not ended).
    fn is_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) == PENDING
    }

    /// Runs the closure for the deadline that came due, on the timer thread. Returns the
    /// next deadline if the timer stays scheduled; otherwise it has ended and its closure is
    /// dropped.
    fn fire_due(&self, deadline: Instant) -> Option<Instant> {
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
            (true, Some(period)) => next_deadline(deadline, period, Instant::now()),
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
    fn abandon(&self) {
        if self
            .state
            .compare_exchange(PENDING, DONE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            drop_quietly(self.take_fire());
        }
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

/// The process's timer service, once started. Never dropped: its thread lives as long as
/// the process, detached.
static GLOBAL: OnceLock<Service> = OnceLock::new();

/// The process's timer service, started by the first call; `None` (logged) if its thread
/// could not be started this time.
fn global() -> Option<&'static Service> {
    static STARTING: Mutex<()> = Mutex::new(());
    if let Some(service) = GLOBAL.get() {
        return Some(service);
    }
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

/// Runs `f` once on the timer thread at `deadline`, unless cancelled first: a one-shot
/// [`schedule`]: the deadlines of `ctx.ask` and `call_async`.
pub(crate) fn after(deadline: Instant, f: impl FnOnce() + Send + 'static) -> Timer {
    let mut f = Some(f);
    schedule(
        deadline,
        None,
        Box::new(move || {
            if let Some(f) = f.take() {
                f();
            }
            false
        }),
    )
}

/// How many entries the process's timer heap holds: pending timers, plus cancelled ones not
/// yet compacted away (never more than about as many as the pending ones). Zero before the
/// first timer; does not start the thread. For benchmarks and memory measurements.
pub(crate) fn pending_count() -> usize {
    GLOBAL.get().map_or(0, Service::len)
}

#[cfg(test)]
mod tests {
    use super::service::{Entry, Service, COMPACT_MIN};
    use super::*;
    use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
    use std::sync::atomic::AtomicUsize;
    use std::sync::Barrier;
    use std::thread;

    /// How long a test waits for something that must happen: generous, never a measurement.
    const LONG: Duration = Duration::from_secs(30);

    /// Sends on its channel when dropped: shows when a timer let go of its closure.
    struct Dropped(Sender<()>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    fn service() -> Service {
        Service::start().expect("a timer thread")
    }

    fn once(service: &Service, deadline: Instant, f: impl FnOnce() + Send + 'static) -> Timer {
        let mut f = Some(f);
        service.schedule(
            deadline,
            None,
            Box::new(move || {
                if let Some(f) = f.take() {
                    f();
                }
                false
            }),
        )
    }

    /// Waits until everything due up to `deadline` has been handled by the timer thread,
    /// which fires in deadline order: a timer at `deadline`, scheduled last, has fired.
    fn settle(service: &Service, deadline: Instant) {
        let (tx, rx) = bounded(1);
        once(service, deadline, move || tx.send(()).unwrap());
        rx.recv_timeout(LONG).expect("the sentinel timer fired");
    }

    /// A timer thread held inside a fire until the returned sender is dropped or sent to.
    fn block(service: &Service) -> Sender<()> {
        let (entered_tx, entered_rx) = bounded(1);
        let (release_tx, release_rx) = bounded::<()>(1);
        once(service, Instant::now(), move || {
            entered_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(LONG);
        });
        entered_rx.recv_timeout(LONG).expect("the blocker runs");
        release_tx
    }

    #[test]
    fn one_shot_fires_once_on_the_timer_thread_not_before_its_deadline() {
        let service = service();
        let fired = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = unbounded();
        let deadline = Instant::now() + Duration::from_millis(20);
        let count = Arc::clone(&fired);
        let timer = once(&service, deadline, move || {
            count.fetch_add(1, Ordering::SeqCst);
            tx.send((Instant::now(), thread::current().name().map(String::from)))
                .unwrap();
        });
        let (at, name) = rx.recv_timeout(LONG).unwrap();
        assert!(at >= deadline, "fired early");
        assert_eq!(name.as_deref(), Some("actor-timer"));
        settle(&service, Instant::now());
        assert_eq!(fired.load(Ordering::SeqCst), 1);
        assert!(!timer.is_active());
        assert!(format!("{timer:?}").contains("done"));
    }

    #[test]
    fn deadlines_fire_in_order_and_ties_in_scheduling_order() {
        let service = service();
        let base = Instant::now() + Duration::from_millis(30);
        let offsets = [50, 10, 30, 20, 40, 0, 20, 20];
        let (tx, rx) = unbounded();
        for (i, ms) in offsets.into_iter().enumerate() {
            let deadline = base + Duration::from_millis(ms);
            let tx = tx.clone();
            once(&service, deadline, move || {
                tx.send((i, deadline, Instant::now())).unwrap()
            });
        }
        let got: Vec<(usize, Instant, Instant)> = (0..offsets.len())
            .map(|_| rx.recv_timeout(LONG).unwrap())
            .collect();
        assert!(
            got.iter().all(|&(_, deadline, at)| at >= deadline),
            "a timer fired early"
        );
        let order: Vec<usize> = got.iter().map(|&(i, _, _)| i).collect();
        assert_eq!(order, [5, 1, 3, 6, 7, 2, 4, 0]);
    }

    #[test]
    fn a_periodic_timer_repeats_on_its_grid_until_fire_returns_false() {
        let service = service();
        let (tx, rx) = unbounded();
        let (dropped_tx, dropped_rx) = bounded(1);
        let guard = Dropped(dropped_tx);
        let period = Duration::from_millis(2);
        let start = Instant::now() + period;
        let mut n = 0;
        let timer = service.schedule(
            start,
            Some(period),
            Box::new(move || {
                let _ = &guard;
                n += 1;
                tx.send(Instant::now()).unwrap();
                n < 5
            }),
        );
        for k in 0..5u32 {
            let at = rx.recv_timeout(LONG).unwrap();
            assert!(at >= start + period * k, "tick {k} fired early");
        }
        dropped_rx
            .recv_timeout(LONG)
            .expect("the closure is dropped when it ends");
        settle(&service, Instant::now() + 10 * period);
        assert!(rx.try_recv().is_err(), "fired after returning false");
        assert!(!timer.is_active());
        assert!(!timer.cancel());
    }

    #[test]
    fn missed_ticks_are_skipped_on_the_grid() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(next_deadline(t0, ms(10), t0 + ms(5)), Some(t0 + ms(10)));
        assert_eq!(next_deadline(t0, ms(10), t0 + ms(10)), Some(t0 + ms(10)));
        assert_eq!(next_deadline(t0, ms(10), t0 + ms(19)), Some(t0 + ms(10)));
        assert_eq!(next_deadline(t0, ms(10), t0 + ms(35)), Some(t0 + ms(30)));
        assert_eq!(next_deadline(t0, Duration::MAX, t0), None);
    }

    #[test]
    fn cancel_before_fire_returns_true_drops_the_closure_and_it_never_fires() {
        let service = service();
        let far = once(&service, Instant::now() + Duration::from_secs(3600), || {});
        assert!(far.is_active());
        assert!(far.cancel());
        assert!(!far.cancel(), "a second cancel");
        assert!(!far.is_active());

        // Hold the timer thread so a due timer cannot fire while we cancel it.
        let release = block(&service);
        let fired = Arc::new(AtomicUsize::new(0));
        let (dropped_tx, dropped_rx) = bounded(1);
        let guard = Dropped(dropped_tx);
        let count = Arc::clone(&fired);
        let due = once(&service, Instant::now(), move || {
            let _ = &guard;
            count.fetch_add(1, Ordering::SeqCst);
        });
        let clone = due.clone();
        assert!(clone.cancel());
        assert!(
            dropped_rx.try_recv().is_ok(),
            "cancel drops the closure at once"
        );
        assert!(!due.is_active());
        drop(release);
        settle(&service, Instant::now());
        assert_eq!(fired.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn cancel_after_or_during_a_one_shot_fire_returns_false() {
        let service = service();
        let (tx, rx) = bounded(1);
        let timer = once(&service, Instant::now(), move || tx.send(()).unwrap());
        rx.recv_timeout(LONG).unwrap();
        settle(&service, Instant::now());
        assert!(!timer.cancel());

        let (entered_tx, entered_rx) = bounded(1);
        let (release_tx, release_rx) = bounded::<()>(1);
        let (done_tx, done_rx) = bounded(1);
        let timer = once(&service, Instant::now(), move || {
            entered_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(LONG);
            done_tx.send(()).unwrap();
        });
        entered_rx.recv_timeout(LONG).unwrap();
        assert!(
            !timer.is_active(),
            "a one-shot that is firing can no longer be stopped"
        );
        assert!(!timer.cancel());
        drop(release_tx);
        done_rx.recv_timeout(LONG).expect("the fire ran to its end");
    }

    #[test]
    fn cancel_stops_a_periodic_timer_pending_or_mid_fire() {
        let service = service();
        let pending = service.schedule(
            Instant::now() + Duration::from_secs(3600),
            Some(Duration::from_millis(1)),
            Box::new(|| true),
        );
        assert!(pending.cancel());
        assert!(!pending.is_active());

        let fired = Arc::new(AtomicUsize::new(0));
        let (entered_tx, entered_rx) = bounded(1);
        let (release_tx, release_rx) = bounded::<()>(1);
        let (dropped_tx, dropped_rx) = bounded(1);
        let guard = Dropped(dropped_tx);
        let count = Arc::clone(&fired);
        let timer = service.schedule(
            Instant::now(),
            Some(Duration::from_millis(1)),
            Box::new(move || {
                let _ = &guard;
                if count.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                    entered_tx.send(()).unwrap();
                    let _ = release_rx.recv_timeout(LONG);
                }
                true
            }),
        );
        entered_rx.recv_timeout(LONG).unwrap();
        assert!(timer.is_active());
        assert!(timer.cancel(), "mid-fire cancel of a periodic timer");
        assert!(!timer.is_active());
        assert!(!timer.cancel());
        drop(release_tx);
        dropped_rx
            .recv_timeout(LONG)
            .expect("the timer thread drops the closure");
        settle(&service, Instant::now() + Duration::from_millis(20));
        assert_eq!(fired.load(Ordering::SeqCst), 3);
    }

    /// Cancels `timer` from `threads` threads at once; how many calls returned true.
    fn race_cancel(timer: &Timer, threads: usize) -> usize {
        let barrier = Barrier::new(threads);
        thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        timer.cancel()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        })
    }

    #[test]
    fn concurrent_cancels_and_fires_decide_each_timer_once() {
        const ROUNDS: usize = 200;
        const CANCELLERS: usize = 3;
        let service = service();
        let fired: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let mut stopped = vec![0; ROUNDS];
        for (round, stopped) in stopped.iter_mut().enumerate() {
            let count = Arc::clone(&fired);
            let timer = once(&service, Instant::now(), move || {
                count[round].fetch_add(1, Ordering::SeqCst);
            });
            *stopped = race_cancel(&timer, CANCELLERS);
        }
        settle(&service, Instant::now());
        for (round, stopped) in stopped.into_iter().enumerate() {
            let fires = fired[round].load(Ordering::SeqCst);
            assert_eq!(
                fires + stopped,
                1,
                "round {round}: {fires} fires, {stopped} cancels"
            );
        }

        // Periodic: exactly one canceller wins, and no fire starts after it returned.
        for _ in 0..20 {
            let fires = Arc::new(AtomicUsize::new(0));
            let (tx, rx) = unbounded();
            let count = Arc::clone(&fires);
            let timer = service.schedule(
                Instant::now(),
                Some(Duration::from_micros(100)),
                Box::new(move || {
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = tx.send(());
                    true
                }),
            );
            rx.recv_timeout(LONG).unwrap();
            let wins = race_cancel(&timer, CANCELLERS);
            assert_eq!(wins, 1);
            let seen = fires.load(Ordering::SeqCst);
            settle(&service, Instant::now() + Duration::from_millis(5));
            // One fire may have been running (and counted late) when cancel was called.
            assert!(fires.load(Ordering::SeqCst) <= seen + 1);
        }
    }

    #[test]
    fn a_panicking_fire_or_drop_ends_only_its_own_timer() {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("a closure's drop panics");
            }
        }
        let service = service();
        let one = once(&service, Instant::now(), || panic!("a one-shot panics"));
        let periodic = service.schedule(
            Instant::now(),
            Some(Duration::from_millis(1)),
            Box::new(|| panic!("a periodic timer panics")),
        );
        let guard = PanicOnDrop;
        once(&service, Instant::now(), move || {
            let _ = &guard;
        });
        settle(&service, Instant::now() + Duration::from_millis(5));
        assert!(!one.is_active());
        assert!(!periodic.is_active());
        assert!(!periodic.cancel());
        settle(&service, Instant::now());
    }

    #[test]
    fn compaction_keeps_cancelled_entries_under_half_the_heap() {
        let service = service();
        let far = Instant::now() + Duration::from_secs(3600);
        let timers: Vec<Timer> = (0..10_000).map(|_| once(&service, far, || {})).collect();
        assert_eq!(service.len(), 10_000);
        for (i, timer) in timers.iter().enumerate() {
            if i % 10 != 0 {
                assert!(timer.cancel());
            }
        }
        let len = service.len();
        assert!(
            (1000..=2001).contains(&len),
            "{len} entries for 1000 pending timers"
        );
        for timer in timers.iter().step_by(10) {
            assert!(timer.is_active());
            assert!(timer.cancel());
        }
        assert!(
            service.len() <= COMPACT_MIN,
            "{} entries left",
            service.len()
        );
        assert!(
            service.capacity() <= 4 * COMPACT_MIN,
            "capacity {}",
            service.capacity()
        );
        settle(&service, Instant::now());
    }

    /// Resident memory of this process, in bytes (Linux).
    fn resident() -> Option<usize> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    #[test]
    fn a_million_pending_timers_cost_little_memory() {
        const N: usize = 1_000_000;
        let arc_block = 2 * size_of::<usize>() + size_of::<TimerState>();
        eprintln!(
            "entry {} B, shared block {} B (TimerState {} B), handle {} B",
            size_of::<Entry>(),
            arc_block,
            size_of::<TimerState>(),
            size_of::<Timer>()
        );
        assert!(size_of::<Entry>() + arc_block <= 128);
        assert_eq!(size_of::<Timer>(), size_of::<usize>());

        let service = service();
        let far = Instant::now() + Duration::from_secs(24 * 3600);
        let before = resident();
        for _ in 0..N {
            // Dropping the handle leaves the timer pending.
            let _ = service.schedule(far, None, Box::new(|| false));
        }
        let after = resident();
        assert_eq!(service.len(), N);
        if let (Some(before), Some(after)) = (before, after) {
            let per_timer = after.saturating_sub(before) / N;
            eprintln!("{per_timer} bytes of resident memory per pending timer");
            // Generous: other tests of this binary allocate meanwhile, which can only add
            // to the figure (112 B alone). A thread per timer would cost kilobytes.
            assert!(per_timer < 512, "{per_timer} bytes per pending timer");
        }
    }

    #[test]
    fn without_a_timer_thread_a_timer_is_inactive_and_its_closure_dropped() {
        let (dropped_tx, dropped_rx) = bounded(1);
        let guard = Dropped(dropped_tx);
        let timer = schedule_on(
            None,
            Instant::now(),
            None,
            Box::new(move || {
                let _ = &guard;
                true
            }),
        );
        assert!(dropped_rx.try_recv().is_ok());
        assert!(!timer.is_active());
        assert!(!timer.cancel());
    }

    #[test]
    fn the_process_timer_runs_after_and_schedule() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Timer>();
        let (tx, rx): (Sender<Option<String>>, Receiver<_>) = bounded(1);
        let timer = after(Instant::now(), move || {
            tx.send(thread::current().name().map(String::from)).unwrap()
        });
        assert_eq!(
            rx.recv_timeout(LONG).unwrap().as_deref(),
            Some("actor-timer")
        );
        let (tx, rx) = bounded(1);
        let periodic = schedule(
            Instant::now(),
            Some(Duration::ZERO),
            Box::new(move || {
                let _ = tx.send(());
                false
            }),
        );
        rx.recv_timeout(LONG).unwrap();
        assert!(!timer.cancel());
        let _ = pending_count();
        assert!(format!("{periodic:?}").starts_with("Timer"));
    }
}
