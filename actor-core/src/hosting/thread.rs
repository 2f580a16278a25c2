//! Dedicated hosting: one OS thread per actor, named after the actor's type, blocking in
//! a plain crossbeam `recv` loop.
//!
//! A thread that has just run out of mail may spin before it blocks ([`wait`]), looking at
//! its channel for as long as its [`Patience`] says: twice the last gap between running
//! out of mail and the next envelope, when that gap was short enough for a spin to catch
//! (at most `worker::SPIN_FOR`, 50 µs), doubled by each spin that catches its envelope, and
//! no spin at all after a longer gap. It spins only when it handled one envelope since its
//! last wait: the signature of a partner waiting on its answer (a call, a ping-pong), not
//! of a stream that piles up mail. An actor called in a loop from a plain thread or an
//! async task then finds its next request while still awake: the sender pays no futex wake
//! and the request no wake-up latency. An actor whose mail comes seldom, or after a long
//! round (a ring of threads), learns not to spin and pays two clock reads per wait. At most
//! [`spinners`] dedicated threads spin at once (one fewer than the machine's cores, at
//! least one); the others block at once, so a program with many dedicated actors never
//! has more spinning than it has cores to spare.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvError, TryRecvError};

use super::current;
use super::lifecycle::{Flow, Life};
use super::worker::{SPIN_FOR, SPIN_MIN};
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

/// How many dedicated threads spin at once, at most (see the module's notes).
static SPINNING: AtomicUsize = AtomicUsize::new(0);

/// The most dedicated threads that may spin at once: one fewer than the cores this process
/// may run on, at least one. Read once.
fn spinners() -> usize {
    static SPINNERS: OnceLock<usize> = OnceLock::new();
    *SPINNERS.get_or_init(|| {
        thread::available_parallelism()
            .map_or(1, |cores| cores.get().saturating_sub(1))
            .max(1)
    })
}

/// One of the [`spinners`] seats, held while its thread spins.
struct Spinning;

impl Spinning {
    /// A seat, if one is free.
    #[inline]
    fn take() -> Option<Spinning> {
        // A plain load first: a full house costs no read-modify-write.
        if SPINNING.load(Ordering::Relaxed) >= spinners() {
            return None;
        }
        if SPINNING.fetch_add(1, Ordering::Relaxed) >= spinners() {
            SPINNING.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Spinning)
    }
}

impl Drop for Spinning {
    fn drop(&mut self) {
        SPINNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How long a dedicated thread spins for its next envelope before it blocks: learnt from
/// its own waits (see the module's notes). Starts at no spin.
#[derive(Debug, Default)]
struct Patience {
    spin: Duration,
    /// Waits left to block at once, after a spin found its core crowded.
    cooling: u32,
    /// How many waits the next crowded spin cools for: doubled by each, up to
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

/// How a spin ended.
enum Spun<T> {
    Found(T),
    /// Its time was up.
    Ended,
    /// A yield gave the core to another thread for [`CROWDED`] or longer.
    Crowded,
}

/// Polls `poll` until it gives a value, `until` passes, or the core turns out to be wanted
/// by another thread: pauses that grow (1, 2, 4, .. 64 `spin_loop` hints) between the first
/// looks, then a yield of the thread between each of the rest, as `worker::spin_until`
/// does, and a yield that took [`CROWDED`] or longer ends the spin.
fn spin<T>(until: Instant, mut poll: impl FnMut() -> Option<T>) -> Spun<T> {
    const ROUNDS: u32 = 7;
    let mut round = 0;
    let mut last = Instant::now();
    loop {
        if let Some(value) = poll() {
            return Spun::Found(value);
        }
        let yielded = round >= ROUNDS;
        if yielded {
            thread::yield_now();
        } else {
            for _ in 0..1_u32 << round {
                std::hint::spin_loop();
            }
            round += 1;
        }
        let now = Instant::now();
        if yielded && now.saturating_duration_since(last) >= CROWDED {
            return Spun::Crowded;
        }
        if now >= until {
            return Spun::Ended;
        }
        last = now;
    }
}

/// Waits for the next envelope of a thread whose channel has just been found empty:
/// spins for as long as `patience` says if it is `alternating` (it handled one envelope
/// since its last wait: someone is likely waiting on its answer to send the next) and a
/// spinner's seat is free, then blocks, and learns from the wait. An error once the
/// channel is disconnected.
fn wait<T>(rx: &Receiver<T>, patience: &mut Patience, alternating: bool) -> Result<T, RecvError> {
    let idle_since = Instant::now();
    if alternating && patience.spins() {
        if let Some(_seat) = Spinning::take() {
            let spun = spin(idle_since + patience.spin, || match rx.try_recv() {
                Ok(envelope) => Some(Ok(envelope)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => Some(Err(RecvError)),
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
    use super::{spinners, wait, Patience, Spinning, SPINNING};
    use crate::hosting::worker::{SPIN_FOR, SPIN_MIN};
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    #[test]
    fn no_more_threads_spin_at_once_than_there_are_seats() {
        // Other tests' actors may hold seats meanwhile: take every one still free.
        let mut held = Vec::new();
        while let Some(seat) = Spinning::take() {
            held.push(seat);
            assert!(held.len() <= spinners(), "more seats than {}", spinners());
        }
        assert!(SPINNING.load(Ordering::Relaxed) <= spinners());
        assert!(Spinning::take().is_none(), "every seat is taken");
        // With no seat free, a thread blocks at once, and is still woken by its mail.
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut patience = Patience {
            spin: SPIN_FOR,
            ..Patience::default()
        };
        let sender = std::thread::spawn(move || tx.send(7_u32).unwrap());
        assert_eq!(wait(&rx, &mut patience, true), Ok(7));
        sender.join().unwrap();
        drop(held);
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
    fn a_thread_spins_about_twice_a_gap_a_spin_could_catch_and_not_after_a_longer_one() {
        let mut patience = Patience::default();
        assert_eq!(patience.spin, Duration::ZERO, "a new thread does not spin");
        patience.waited(Duration::from_micros(10));
        assert_eq!(patience.spin, Duration::from_micros(20));
        patience.waited(Duration::from_nanos(100));
        assert_eq!(patience.spin, SPIN_MIN, "no shorter than the floor");
        patience.waited(SPIN_FOR);
        assert_eq!(patience.spin, SPIN_FOR, "no longer than the ceiling");
        patience.waited(SPIN_FOR + Duration::from_micros(1));
        assert_eq!(patience.spin, Duration::ZERO, "too long a gap: no spin");
    }
}
