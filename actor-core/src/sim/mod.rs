//! Deterministic simulation: an actor system run on the test's own thread, under a seed,
//! in virtual time.
//!
//! A [`Simulation`] is a third hosting beside threads and drivers. Every actor spawned into
//! it (`actor.spawn_in(&sim)`, or plain `spawn()`/`spawn_on(..)` from inside a simulated
//! actor) runs only when the test steps the simulation; a generator seeded by the test
//! picks which actor runs next and, within its mailbox, which sender's next message, so
//! interleavings vary by seed while every guarantee holds: one message at a time, each
//! sender's order, `Stop` after everything queued before it. Timers, `ctx.ask` deadlines
//! and [`call`](Simulation::call) timeouts count virtual time, which moves only when
//! nothing is left to run now: an hour of heartbeats takes milliseconds.
//!
//! ```
//! use actor_core::prelude::*;
//! use actor_core::sim::Simulation;
//! use std::time::Duration;
//!
//! #[derive(Message)]
//! #[message(reply = u64)]
//! struct Get;
//!
//! #[derive(Message)]
//! struct Beat;
//!
//! #[derive(Default)]
//! struct Heart(u64);
//! #[actor]
//! impl Heart {
//!     #[on_start]
//!     fn start(&mut self, ctx: &mut Context<Self>) {
//!         ctx.tell_every(Duration::from_secs(1), || Beat);
//!     }
//!     #[handles(Beat)]
//!     fn beat(&mut self, _: Beat) { self.0 += 1 }
//!     #[handles(Get)]
//!     fn get(&self, _: Get) -> u64 { self.0 }
//! }
//!
//! let sim = Simulation::new(7);
//! let heart = Heart::default().spawn_in(&sim);
//! sim.advance(Duration::from_secs(3600)).unwrap(); // an hour, in virtual time
//! assert_eq!(sim.call(&heart, Get, Duration::from_secs(1)).unwrap(), 3600);
//! ```
//!
//! A run's [`Trace`] (actor, message, sender, virtual time of every step) is the same for
//! every run of its seed; [`Simulation::explore`] runs a scenario over many seeds and
//! reports the first that fails, with its trace. Faults: [`Simulation::panic_at`],
//! [`Simulation::stop_at`], [`Simulation::delay`].

mod cell;
#[cfg(feature = "wire")]
mod link;
mod sched;
mod trace;

pub(crate) use cell::SimCell;
#[cfg(feature = "wire")]
pub use link::SimLink;
pub(crate) use sched::SimInner;
pub use trace::{SimActor, Step, Trace};

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::call::{failure, CallTarget, ReplyTo};
use crate::error::CallError;
use crate::handle::{AnyAddr, Sender};
use crate::id::ActorInfo;
use crate::message::Message;

thread_local! {
    /// The simulation being stepped on this thread: where a spawn made here goes.
    static CURRENT: RefCell<Option<Arc<SimInner>>> = const { RefCell::new(None) };
    /// The text of the panic a simulation is injecting here, for the reply slots that
    /// the unwinding drops (`ReplyTo`'s drop).
    static INJECTED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The simulation being stepped on this thread, if any.
pub(crate) fn current() -> Option<Arc<SimInner>> {
    CURRENT.with_borrow(Option::clone)
}

/// Now, on the clock of the simulation being stepped on this thread (virtual time), or
/// the real clock elsewhere: for the runtime's own reckoning of time that a simulated
/// actor's fate depends on (a restart intensity), so one seed always runs the same way.
pub(crate) fn clock() -> Instant {
    CURRENT.with_borrow(|sim| sim.as_ref().map_or_else(Instant::now, |sim| sim.now()))
}

/// The panic being injected on this thread, if any.
pub(crate) fn injected_panic() -> Option<String> {
    INJECTED.with_borrow(Option::clone)
}

fn with_injected_panic<T>(panic: String, f: impl FnOnce() -> T) -> T {
    INJECTED.set(Some(panic));
    let out = f();
    INJECTED.set(None);
    out
}

/// Sets the current simulation on this thread until dropped.
struct Entered(Option<Arc<SimInner>>);

impl Entered {
    fn new(sim: &Arc<SimInner>) -> Entered {
        Entered(CURRENT.replace(Some(sim.clone())))
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.set(self.0.take());
    }
}

/// How a simulation runs: its seed, its step limit, whether it keeps a trace.
///
/// ```
/// use actor_core::sim::SimConfig;
///
/// let sim = SimConfig::new(42).max_steps(10_000).trace(false).build();
/// assert_eq!(sim.seed(), 42);
/// ```
#[derive(Debug, Clone)]
pub struct SimConfig {
    seed: u64,
    max_steps: u64,
    trace: bool,
    trace_limit: usize,
}

/// How many of the last steps a trace keeps unless told otherwise
/// ([`SimConfig::trace_limit`]): about 48 MiB of steps at most.
pub const DEFAULT_TRACE_LIMIT: usize = 1_000_000;

impl SimConfig {
    /// A simulation seeded with `seed`, at most 1,000,000 steps, with a trace of the last
    /// [`DEFAULT_TRACE_LIMIT`] steps.
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            max_steps: 1_000_000,
            trace: true,
            trace_limit: DEFAULT_TRACE_LIMIT,
        }
    }

    /// At most `steps` steps in all: beyond, running fails with [`SimError::StepLimit`]
    /// (an actor that tells itself forever would otherwise never let a run end).
    pub fn max_steps(mut self, steps: u64) -> SimConfig {
        self.max_steps = steps;
        self
    }

    /// Whether to record the [`Trace`] (on by default; off, a run is a little faster).
    pub fn trace(mut self, on: bool) -> SimConfig {
        self.trace = on;
        self
    }

    /// The trace keeps the last `steps` steps (default [`DEFAULT_TRACE_LIMIT`]): once it
    /// holds that many, each new step drops the oldest, counted in
    /// [`Trace::dropped`], so a long run's trace stays in bounds whatever
    /// [`max_steps`](SimConfig::max_steps) allows. Zero keeps none (as `trace(false)`).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::sim::SimConfig;
    ///
    /// #[derive(Message)]
    /// struct Tick;
    /// struct Clock;
    /// #[actor]
    /// impl Clock {
    ///     #[handles(Tick)]
    ///     fn tick(&mut self, _: Tick) {}
    /// }
    ///
    /// let sim = SimConfig::new(1).trace_limit(3).build();
    /// let clock = Clock.spawn_in(&sim);
    /// for _ in 0..5 {
    ///     clock.tell(Tick).unwrap();
    /// }
    /// assert_eq!(sim.run_until_idle().unwrap(), 5);
    /// let trace = sim.trace();
    /// assert_eq!((trace.len(), trace.dropped()), (3, 2));
    /// assert!(trace.to_string().starts_with("(2 earlier steps not kept)\n    2 "));
    /// ```
    pub fn trace_limit(mut self, steps: usize) -> SimConfig {
        self.trace_limit = steps;
        self
    }

    /// The simulation.
    pub fn build(self) -> Simulation {
        Simulation {
            inner: SimInner::new(self),
        }
    }

    /// Runs `scenario` on a fresh simulation of this configuration for each seed of
    /// `seeds`, in order, and reports the first whose scenario fails (returns an error or
    /// panics), with its trace. See [`Simulation::explore`].
    pub fn explore<E, F>(&self, seeds: Range<u64>, mut scenario: F) -> Result<u64, Failure<E>>
    where
        F: FnMut(&Simulation) -> Result<(), E>,
    {
        if seeds.is_empty() {
            // A check over no seed tests nothing: say so rather than pass.
            return Err(Failure {
                seed: seeds.start,
                cause: Cause::NoSeeds(seeds),
                trace: Trace::default(),
            });
        }
        let mut ran = 0;
        for seed in seeds {
            let sim = SimConfig {
                seed,
                ..self.clone()
            }
            .build();
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| scenario(&sim)));
            let cause = match outcome {
                Ok(Ok(())) => {
                    ran += 1;
                    continue;
                }
                Ok(Err(error)) => Cause::Failed(error),
                Err(payload) => Cause::Panicked(
                    crate::call::panic_text(&*payload)
                        .unwrap_or("a panic that is not a string")
                        .to_owned(),
                ),
            };
            return Err(Failure {
                seed,
                cause,
                trace: sim.trace(),
            });
        }
        Ok(ran)
    }
}

/// A deterministic simulation of an actor system: see the [module docs](self).
///
/// Dropping it ends every actor still in it (their `#[on_stop]` runs, their monitors
/// hear), so names they registered are free for the next run.
pub struct Simulation {
    inner: Arc<SimInner>,
}

impl Simulation {
    /// A simulation seeded with `seed`, with the defaults of [`SimConfig::new`].
    pub fn new(seed: u64) -> Simulation {
        SimConfig::new(seed).build()
    }

    /// Runs `scenario` on a fresh simulation for each seed of `seeds` and reports the
    /// first that fails (an error returned, or a panic such as a failed `assert!`) with
    /// its seed and trace; `Ok(n)`: all `n` passed. Replay a failing seed with
    /// `Simulation::new(seed)` and the same scenario: it runs the same steps.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::sim::Simulation;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Add(u64);
    /// #[derive(Message)]
    /// #[message(reply = u64)]
    /// struct Total;
    ///
    /// #[derive(Default)]
    /// struct Sum(u64);
    /// #[actor]
    /// impl Sum {
    ///     #[handles(Add)]
    ///     fn add(&mut self, Add(n): Add) { self.0 = self.0 * 10 + n }
    ///     #[handles(Total)]
    ///     fn total(&self, _: Total) -> u64 { self.0 }
    /// }
    ///
    /// struct Adder { to: Addr<Sum>, n: u64 }
    /// #[actor]
    /// impl Adder {
    ///     #[on_start]
    ///     fn go(&mut self, _: &mut Context<Self>) { self.to.tell(Add(self.n)).unwrap() }
    /// }
    ///
    /// // Two senders race; the check that their order is fixed fails on some seed.
    /// let failure = Simulation::explore(0..1000, |sim| {
    ///     let sum = Sum::default().spawn_in(sim);
    ///     Adder { to: sum.clone(), n: 1 }.spawn_in(sim);
    ///     Adder { to: sum.clone(), n: 2 }.spawn_in(sim);
    ///     sim.run_until_idle().unwrap();
    ///     match sim.call(&sum, Total, Duration::from_secs(1)).unwrap() {
    ///         12 => Ok(()),
    ///         other => Err(format!("total {other}")),
    ///     }
    /// })
    /// .unwrap_err();
    /// assert_eq!(failure.cause.to_string(), "total 21");
    /// assert!(failure.trace.to_string().contains("Sum[0] <- Add from Adder[2]"));
    /// ```
    pub fn explore<E, F>(seeds: Range<u64>, scenario: F) -> Result<u64, Failure<E>>
    where
        F: FnMut(&Simulation) -> Result<(), E>,
    {
        SimConfig::new(0).explore(seeds, scenario)
    }

    pub(crate) fn inner(&self) -> &Arc<SimInner> {
        &self.inner
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.inner.config().seed
    }

    /// Virtual time since the simulation began.
    pub fn elapsed(&self) -> Duration {
        self.inner.elapsed()
    }

    /// How many steps have run.
    pub fn steps(&self) -> u64 {
        self.inner.steps()
    }

    /// What has run so far, step by step (empty if the trace is off).
    pub fn trace(&self) -> Trace {
        self.inner.trace()
    }

    /// Runs `f` as if inside a simulated actor: an actor it spawns with plain `spawn()`,
    /// `spawn_on(..)` or `Spawn::spawn`, a supervisor included, lands in this simulation.
    /// For setting up production code unchanged.
    pub fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        let _entered = Entered::new(&self.inner);
        f()
    }

    /// Handles every message deliverable now, and fires every timer due now, until none
    /// is left. The clock does not move. Returns how many steps ran.
    pub fn run_until_idle(&self) -> Result<u64, SimError> {
        let _stepping = self.inner.begin()?;
        self.inner.run_until_idle()
    }

    /// Moves virtual time forward by `by`, firing timers and deadlines in order of their
    /// due time, each at its own instant, and handling the mail each makes before the
    /// clock moves on.
    pub fn advance(&self, by: Duration) -> Result<(), SimError> {
        let _stepping = self.inner.begin()?;
        let now = self.inner.now_nanos();
        let target = u64::try_from(by.as_nanos())
            .ok()
            .and_then(|by| now.checked_add(by))
            .ok_or(SimError::ClockOverflow {
                at: Duration::from_nanos(now),
                by,
            })?;
        loop {
            self.inner.run_until_idle()?;
            if !self.inner.fire_next(target) {
                break;
            }
        }
        self.inner.set_now(target);
        Ok(())
    }

    /// Sends `msg` to `target` and runs the simulation until the reply comes, moving the
    /// clock as timers come due. Fails with the call's own error (the actor stopped,
    /// panicked, ...), with a timeout once `timeout` of virtual time has passed, or at
    /// once when the simulation goes idle with no reply and no timer left that could
    /// bring one ([`SimCallError::Idle`], which names what is waiting).
    pub fn call<T, M>(
        &self,
        target: &T,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, SimCallError<M>>
    where
        T: CallTarget<M> + ?Sized,
        M: Message,
    {
        let _stepping = self.inner.begin().map_err(SimCallError::Sim)?;
        let actor = target.__info();
        if target.__driver() != Some((crate::hosting::DriverId::SIMULATED, 0)) {
            // Its answer comes on a real thread, when it comes: "idle" would be a guess.
            return Err(SimCallError::NotSimulated { actor, msg });
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        target
            .__deliver(msg, ReplyTo::to(0, tx), Sender::Nobody, None)
            .map_err(|e| SimCallError::Call(CallError::Send(e)))?;
        let deadline = self
            .inner
            .now_nanos()
            .saturating_add(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX));
        loop {
            if let Ok((_, outcome)) = rx.try_recv() {
                return outcome.map_err(|why| SimCallError::Call(failure(actor, why)));
            }
            if self.inner.step().map_err(SimCallError::Sim)? || self.inner.fire_next(deadline) {
                continue;
            }
            if self.inner.next_event().is_some() {
                // Something is still to come, but not before the deadline.
                self.inner.set_now(deadline);
                return Err(SimCallError::Call(CallError::Timeout { actor, timeout }));
            }
            return Err(SimCallError::Idle {
                actor,
                message: std::any::type_name::<M>(),
                at: self.elapsed(),
                waiting: self.inner.waiting_asks(),
            });
        }
    }

    /// Fault: the actor panics at its `nth` message (typed or catch-all, counted from 1)
    /// instead of handling it. A caller waiting on that message gets
    /// [`CallError::Panicked`]; the actor's panic policy applies (resume, stop, restart).
    pub fn panic_at(&self, actor: &AnyAddr, nth: u64) {
        self.inner.add_panic(actor.info().id, nth);
    }

    /// Fault: the actor ends just before the simulation's step `step` (counted from 0;
    /// see [`steps`](Simulation::steps)), as if it crashed: its queued mail is dropped
    /// unhandled (callers among it fail at once), `#[on_stop]` runs, monitors hear. If the
    /// run never reaches that step, nothing happens.
    pub fn stop_at(&self, actor: &AnyAddr, step: u64) {
        self.inner.add_stop(actor.info().id, step);
    }

    /// Fault: every message `sender` sends from now on is delivered `by` later in virtual
    /// time, in the order sent (a slow link). A zero delay lifts it.
    pub fn delay(&self, sender: &AnyAddr, by: Duration) {
        self.inner.add_delay(sender.info().id, by);
    }
}

impl Drop for Simulation {
    fn drop(&mut self) {
        let _entered = Entered::new(&self.inner);
        self.inner.close();
    }
}

impl fmt::Debug for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulation")
            .field("seed", &self.seed())
            .field("elapsed", &self.elapsed())
            .field("steps", &self.steps())
            .finish()
    }
}

/// Why running a simulation stopped short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The simulation is being stepped already: from inside one of its own handlers, or
    /// from another thread. Steps run one at a time, from one caller, or a seed would
    /// not replay.
    #[error("the simulation is being stepped already (from one of its own handlers, or from another thread)")]
    Reentrant,
    /// [`advance`](Simulation::advance) would move the clock past the last instant it can
    /// count (about 584 years of virtual time).
    #[error(
        "advancing {by:?} from {at:?} of virtual time passes the end of the simulation's clock"
    )]
    ClockOverflow {
        /// The virtual time then.
        at: Duration,
        /// How far the call asked to go.
        by: Duration,
    },
    /// The run reached its step limit ([`SimConfig::max_steps`]).
    #[error("the simulation reached its limit of {steps} steps at {at:?} of virtual time; an actor may be telling itself forever")]
    StepLimit {
        /// The steps run.
        steps: u64,
        /// The virtual time reached.
        at: Duration,
    },
}

/// Why [`Simulation::call`] got no reply.
pub enum SimCallError<M> {
    /// The call failed as a call does: not delivered (the request given back), timed out
    /// in virtual time, the actor stopped or panicked.
    Call(CallError<M>),
    /// The simulation went idle with no reply and no timer left that could bring one.
    Idle {
        /// The target.
        actor: ActorInfo,
        /// The request's type.
        message: &'static str,
        /// The virtual time it went idle.
        at: Duration,
        /// The `ctx.ask`s still waiting, as "asker asks target (message)".
        waiting: Vec<String>,
    },
    /// The run stopped short.
    Sim(SimError),
    /// The target is not a simulated actor (it runs on a thread or a driver): call it
    /// with a [`Bridge`](crate::Bridge). The request is given back.
    NotSimulated {
        /// The target.
        actor: ActorInfo,
        /// The request, not sent.
        msg: M,
    },
}

impl<M> fmt::Display for SimCallError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimCallError::Call(e) => e.fmt(f),
            SimCallError::Sim(e) => e.fmt(f),
            SimCallError::NotSimulated { actor, .. } => write!(
                f,
                "{actor} is not simulated: call it with a Bridge, not through the simulation"
            ),
            SimCallError::Idle {
                actor,
                message,
                at,
                waiting,
            } => {
                let message = crate::message::short_type_name(message);
                write!(
                    f,
                    "the call of {message} to {actor} can never be answered: the simulation \
                     went idle at {at:?} with no reply and no timer pending"
                )?;
                match waiting.is_empty() {
                    true => write!(f, "; nothing else is waiting"),
                    false => write!(f, "; waiting: {}", waiting.join(", ")),
                }
            }
        }
    }
}

impl<M> fmt::Debug for SimCallError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimCallError({self})")
    }
}

impl<M> std::error::Error for SimCallError<M> {}

/// The first seed whose scenario failed, as [`Simulation::explore`] reports it.
pub struct Failure<E> {
    /// The seed: `Simulation::new(seed)` replays the run.
    pub seed: u64,
    /// What failed.
    pub cause: Cause<E>,
    /// Every step of the failed run.
    pub trace: Trace,
}

/// What failed in an explored run.
#[derive(Debug)]
pub enum Cause<E> {
    /// The scenario returned this error.
    Failed(E),
    /// The scenario panicked (a failed `assert!`), with this message.
    Panicked(String),
    /// The range of seeds to explore was empty: nothing ran.
    NoSeeds(Range<u64>),
}

impl<E: fmt::Display> fmt::Display for Cause<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Failed(e) => e.fmt(f),
            Cause::Panicked(panic) => write!(f, "panicked: {panic}"),
            Cause::NoSeeds(seeds) => write!(f, "no seed in {seeds:?}: nothing was explored"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {} failed: {}", self.seed, self.cause)?;
        let kept = self.trace.len();
        match self.trace.dropped() {
            0 => write!(f, "trace ({kept} steps):\n{}", self.trace),
            dropped => write!(
                f,
                "trace (the last {kept} of {} steps):\n{}",
                dropped.saturating_add(kept as u64),
                self.trace
            ),
        }
    }
}

impl<E: fmt::Display> fmt::Debug for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<E: fmt::Display> std::error::Error for Failure<E> {}
