//! Dedicated hosting: one OS thread per actor, named after the actor's type, blocking in
//! a plain crossbeam `recv` loop.
//!
//! A thread that has just run out of mail may spin before it blocks ([`wait`]), looking at
//! its channel for as long as its [`Patience`] says: twice the last gap between running
//! out of mail and the next envelope, when that gap was short enough for a spin to catch
//! (at least `worker::SPIN_MIN`, 2 µs, at most `worker::SPIN_FOR`, 50 µs), doubled by each
//! spin that catches its envelope (so a thread in a steady call loop soon spins the full
//! 50 µs after the last call of a burst), and no spin at all after a longer gap. It spins
//! only when it handled one envelope since its last wait: the signature of a partner
//! waiting on its answer (a call, a ping-pong), not of a stream that piles up mail. An
//! actor called in a loop from a plain thread or an async task then finds its next request
//! while still awake: the sender pays no futex wake and the request no wake-up latency. An
//! actor whose mail comes seldom, or after a long round (a ring of threads), learns not to
//! spin and pays two clock reads per wait.
//!
//! A spin gives up when one of its yields took [`CROWDED`] or longer (another thread ran
//! on the core: it is wanted for work that is ready), and the thread then blocks at once
//! for its next 1, 2, 4, .. up to [`COOL_MAX`] waits that would have spun, back to none
//! after a spin that catches its envelope. At most [`spinners`] dedicated threads spin at
//! once (one fewer than the machine's cores: none on one core, where the thread it waits
//! for could only run once it stops); the others block at once.
//! Drivers' workers and callers waiting for a reply spin within bounds of their own
//! (`worker.rs`, `call/bridge.rs`), not counted here.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvError, TryRecvError};

use super::current;
use super::lifecycle::{Flow, Life};
use super::worker::{spin, Spun, SPIN_FOR, SPIN_MIN};
use crate::actor::Actor;
use crate::error::Error;
use crate::handle::{Addr, Erased, Shared};
use crate::mailbox::{Envelope, Host};
use crate::registry::{Registry, Reservation};
use crate::supervise::{Spawn, SpawnError};

pub(crate) fn spawn<A: Actor>(spawn: Spawn<A>) -> Result<Addr<A>, Error> {
    start(spawn, None)
}

/// `spawn` with a name bound in the registry before the thread starts: a taken name gives
/// the actor back, a refused thread frees the name.
pub(crate) fn spawn_named<A: Actor>(
    spawn: Spawn<A>,
    reservation: Reservation,
) -> Result<Addr<A>, SpawnError<A>> {
    // The actor went with the closure the OS did not run: nothing to give back.
    start(spawn, Some(reservation)).map_err(|e| SpawnError::new(e, None))
}

fn start<A: Actor>(spawn: Spawn<A>, name: Option<Reservation>) -> Result<Addr<A>, Error> {
    // Spawned from inside a simulated actor: into its simulation.
    if let Some(sim) = crate::sim::current() {
        return Ok(sim.spawn(spawn, name));
    }
    let (actor, policy, capacity) = spawn.into_parts();
    let (tx, rx) = match capacity {
        Some(capacity) => crossbeam_channel::bounded(capacity),
        None => crossbeam_channel::unbounded(),
    };
    let shared = Arc::new(Shared::new(Host::Thread(tx, OnceLock::new())));
    if let Some(name) = name {
        name.bind(&shared);
    }
    let addr = Addr::new(shared.clone());
    let life = Life::new(actor, shared.clone(), policy);
    let started = thread::Builder::new()
        .name(A::NAME.to_owned())
        .spawn(move || run(life, rx));
    match started {
        Ok(_) => Ok(addr),
        Err(e) => {
            // Frees a name bound above.
            if shared.mark_stopped() {
                Registry::forget(shared.info().id);
            }
            Err(Error::Spawn {
                actor: A::NAME,
                reason: e.to_string(),
            })
        }
    }
}

fn run<A: Actor>(mut life: Life<A>, rx: Receiver<Envelope<A>>) {
    let shared = life.shared().clone();
    // SAFETY: `shared` outlives the guard: declared before it, so dropped after it.
    let _entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
    if life.start() == Flow::Continue {
        // The runtime's own reference keeps the channel open, so `recv` ends only
        // through `Stop`, `ctx.stop()` or the release of the last handle.
        // What is handled between two waits, counted in registers and published before
        // each (zero-sized without the observing features).
        let mut tally = life.tally();
        // This thread's own: how long it spins before it blocks.
        let mut patience = Patience::default();
        // Envelopes handled since the last wait.
        let mut handled: u32 = 0;
        loop {
            // Drain what is queued on the cheap non-blocking path; block only when empty.
            let envelope = match rx.try_recv() {
                Ok(envelope) => envelope,
                Err(TryRecvError::Empty) => {
                    life.publish(&mut tally);
                    let alternating = handled == 1;
                    handled = 0;
                    match wait(&rx, &mut patience, alternating) {
                        Ok(envelope) => envelope,
                        Err(_) => break,
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            handled = handled.saturating_add(1);
            if life.handle(envelope, &mut tally) == Flow::Stop {
                break;
            }
        }
        life.publish(&mut tally);
    }
    life.finish(|| close(&shared, rx));
}

/// The seats of the dedicated threads that may spin at once (see the module's notes).
static SEATS: Seats = Seats::new();

/// The most dedicated threads that may spin at once: one fewer than the cores this process
/// may run on: none on a single core, where a spin only delays the thread it waits for.
/// Read once.
fn spinners() -> usize {
    static SPINNERS: OnceLock<usize> = OnceLock::new();
    *SPINNERS.get_or_init(|| {
        thread::available_parallelism().map_or(0, |cores| cores.get().saturating_sub(1))
    })
}

/// Seats for spinning threads: at most `max` held at once (`None`: [`spinners`]).
struct Seats {
    held: AtomicUsize,
    max: Option<usize>,
}

impl Seats {
    const fn new() -> Seats {
        Seats {
            held: AtomicUsize::new(0),
            max: None,
        }
    }

    fn max(&self) -> usize {
        self.max.unwrap_or_else(spinners)
    }

    /// A seat, if one is free; given back when the returned guard drops.
    #[inline]
    fn take(&self) -> Option<Seat<'_>> {
        let max = self.max();
        // A plain load first: a full house costs no read-modify-write.
        if self.held.load(Ordering::Relaxed) >= max {
            return None;
        }
        if self.held.fetch_add(1, Ordering::Relaxed) >= max {
            self.held.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Seat(self))
    }
}

/// One of the [`Seats`], held while its thread spins.
struct Seat<'a>(&'a Seats);

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How long a dedicated thread spins for its next envelope before it blocks: learnt from
/// its own waits (see the module's notes). Starts at no spin.
#[derive(Debug, Default)]
struct Patience {
    spin: Duration,
    /// Waits that would have spun left to block at once, after a spin found its core
    /// crowded.
    cooling: u32,
    /// How many such waits the next crowded spin cools for: doubled by each, up to
    /// [`COOL_MAX`], back to none by a spin that caught its envelope.
    cool: u32,
}

/// The most waits a crowded thread blocks at once before it tries a spin again.
const COOL_MAX: u32 = 1024;

/// A yield of the thread that took this long or longer gave its core to another thread:
/// the core is wanted, and spinning on it would take time from work that is ready.
const CROWDED: Duration = Duration::from_micros(2);

impl Patience {
    /// Whether to spin now (counting down a cooling).
    fn spins(&mut self) -> bool {
        if self.cooling > 0 {
            self.cooling -= 1;
            return false;
        }
        !self.spin.is_zero()
    }

    /// A spin caught the next envelope: the next may be twice as long.
    fn caught(&mut self) {
        self.spin = self.spin.saturating_mul(2).min(SPIN_FOR);
        self.cool = 0;
    }

    /// A spin found its core crowded: block at once for the next `cool` waits.
    fn crowded(&mut self) {
        self.cool = self.cool.saturating_mul(2).clamp(1, COOL_MAX);
        self.cooling = self.cool;
    }

    /// The thread blocked and its next envelope came `gap` after it ran out of mail: spin
    /// about twice that next time, if a spin could have caught it; else not at all.
    fn waited(&mut self, gap: Duration) {
        self.spin = if gap <= SPIN_FOR {
            gap.saturating_mul(2).clamp(SPIN_MIN, SPIN_FOR)
        } else {
            Duration::ZERO
        };
    }
}

/// Waits for the next envelope of a thread whose channel has just been found empty:
/// spins for as long as `patience` says if it is `alternating` (it handled one envelope
/// since its last wait: someone is likely waiting on its answer to send the next) and a
/// spinner's seat is free, then blocks, and learns from the wait. An error once the
/// channel is disconnected.
fn wait<T>(rx: &Receiver<T>, patience: &mut Patience, alternating: bool) -> Result<T, RecvError> {
    wait_seated(rx, patience, alternating, &SEATS)
}

/// [`wait`], with the seats taken from `seats`.
fn wait_seated<T>(
    rx: &Receiver<T>,
    patience: &mut Patience,
    alternating: bool,
    seats: &Seats,
) -> Result<T, RecvError> {
    let idle_since = Instant::now();
    if alternating && patience.spins() {
        if let Some(_seat) = seats.take() {
            let spun = spin(idle_since + patience.spin, Some(CROWDED), || {
                match rx.try_recv() {
                    Ok(envelope) => Some(Ok(envelope)),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => Some(Err(RecvError)),
                }
            });
            match spun {
                Spun::Found(found) => {
                    patience.caught();
                    return found;
                }
                Spun::Crowded => patience.crowded(),
                Spun::Ended => {}
            }
        }
    }
    let got = rx.recv();
    patience.waited(idle_since.elapsed());
    got
}

/// Closes a thread's mailbox: collects what is queued, then drops the receiver, which
/// disconnects the channel. Mail posted in between is dropped by the channel itself; its
/// envelopes record themselves as dead letters.
///
/// A bounded channel keeps what slips in after its receiver goes, so its receiver is parked
/// in the shared state instead (see `Shared::post_bounded`).
fn close<A: Actor>(shared: &Shared<A>, rx: Receiver<Envelope<A>>) -> VecDeque<Envelope<A>> {
    if rx.capacity().is_some() {
        return shared.park(rx);
    }
    let left = rx.try_iter().collect();
    // A message's `Drop` is user code: a panic there must not skip the rest of the end.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(rx)));
    left
}

#[cfg(test)]
mod tests {
    use super::{wait, wait_seated, Patience, Seats, COOL_MAX, CROWDED};
    use crate::hosting::worker::{spin, Spun, SPIN_FOR, SPIN_MIN};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn seats(max: usize) -> Seats {
        Seats {
            held: AtomicUsize::new(0),
            max: Some(max),
        }
    }

    #[test]
    fn no_more_seats_are_held_at_once_than_there_are() {
        let seats = seats(2);
        let (a, b) = (seats.take(), seats.take());
        assert!(a.is_some() && b.is_some());
        assert!(seats.take().is_none(), "both seats are taken");
        drop(a);
        let c = seats.take();
        assert!(c.is_some(), "a seat given back is free again");
        drop((b, c));
        // Eight threads taking and giving back seats: never more than two held.
        let inside = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        if let Some(_seat) = seats.take() {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            assert!(now <= 2, "{now} seats held at once");
                            inside.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(seats.held.load(Ordering::SeqCst), 0, "every seat came back");
    }

    /// Waits for mail already in the channel, with a spin of `SPIN_FOR` and a cooling
    /// left over from earlier crowded spins: whether it spun (a spin that catches its
    /// mail ends the cooling; a blocking receive leaves it be).
    fn spun(alternating: bool, seats: &Seats) -> bool {
        let (tx, rx) = crossbeam_channel::unbounded();
        tx.send(7_u32).unwrap();
        let mut patience = Patience {
            spin: SPIN_FOR,
            cooling: 0,
            cool: 5,
        };
        assert_eq!(wait_seated(&rx, &mut patience, alternating, seats), Ok(7));
        patience.cool == 0
    }

    #[test]
    fn a_thread_spins_only_after_answering_one_envelope_and_with_a_seat_free() {
        let free = seats(1);
        assert!(spun(true, &free), "it spun and caught its mail");
        assert!(!spun(false, &free), "a stream: it blocked at once");
        let _held = free.take().unwrap();
        assert!(!spun(true, &free), "no seat free: it blocked at once");
    }

    #[test]
    fn a_thread_waiting_for_mail_gets_what_comes_and_sees_its_channel_close() {
        let mut patience = Patience::default();
        let (tx, rx) = crossbeam_channel::unbounded();
        let (go, went) = crossbeam_channel::bounded::<()>(0);
        let sender = std::thread::spawn(move || {
            for n in 0..100_u32 {
                went.recv().unwrap();
                tx.send(n).unwrap();
            }
        });
        for n in 0..100 {
            go.send(()).unwrap();
            // Whether it spins (a seat was free) or blocks, the mail is taken in order.
            assert_eq!(wait(&rx, &mut patience, true), Ok(n));
        }
        sender.join().unwrap();
        assert!(
            wait(&rx, &mut patience, true).is_err(),
            "every sender is gone"
        );
    }

    #[test]
    fn a_spin_ends_by_its_time() {
        let mut looks = 0;
        let spun = spin(Instant::now(), Some(CROWDED), || {
            looks += 1;
            None::<()>
        });
        assert!(matches!(spun, Spun::Ended));
        assert_eq!(looks, 1, "a time already passed: one look, no more");
    }

    #[test]
    fn a_thread_spins_about_twice_a_gap_a_spin_could_catch_and_not_after_a_longer_one() {
        let mut patience = Patience::default();
        assert!(!patience.spins(), "a new thread does not spin");
        patience.waited(Duration::from_micros(10));
        assert_eq!(patience.spin, Duration::from_micros(20));
        patience.caught();
        assert_eq!(
            patience.spin,
            Duration::from_micros(40),
            "doubled by a catch"
        );
        patience.caught();
        assert_eq!(patience.spin, SPIN_FOR, "no longer than the ceiling");
        patience.waited(Duration::from_nanos(100));
        assert_eq!(patience.spin, SPIN_MIN, "no shorter than the floor");
        patience.waited(SPIN_FOR);
        assert_eq!(patience.spin, SPIN_FOR);
        patience.waited(SPIN_FOR + Duration::from_micros(1));
        assert_eq!(patience.spin, Duration::ZERO, "too long a gap: no spin");
    }

    #[test]
    fn a_crowded_spin_cools_for_twice_as_many_waits_each_time_until_a_catch() {
        let mut patience = Patience {
            spin: SPIN_FOR,
            ..Patience::default()
        };
        let blocked_before_spinning = |patience: &mut Patience| {
            let mut blocked = 0;
            while !patience.spins() {
                blocked += 1;
            }
            blocked
        };
        for cool in [1, 2, 4, 8] {
            patience.crowded();
            assert_eq!(blocked_before_spinning(&mut patience), cool);
        }
        for _ in 0..20 {
            patience.crowded();
        }
        assert_eq!(blocked_before_spinning(&mut patience), COOL_MAX, "capped");
        patience.caught();
        patience.crowded();
        assert_eq!(
            blocked_before_spinning(&mut patience),
            1,
            "a catch resets it"
        );
    }
}
