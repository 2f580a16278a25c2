//! What happens when an actor panics or ends: its panic policy (chosen at spawn with
//! [`Spawn`]), why it stopped ([`StopReason`]), and the [`Terminated`] notice its
//! monitors receive.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use crate::actor::Actor;
use crate::error::Error;
use crate::handle::Addr;
use crate::hosting::Driver;
use crate::id::{ActorId, ActorInfo};
use crate::message::Message;

/// What an actor does after one of its handlers panics (the caller of a pending call is
/// told either way). To restart, use [`Spawn::restart_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnPanic {
    /// Keep going with the state as the handler left it (the default).
    #[default]
    Resume,
    /// Stop, with [`StopReason::Panicked`].
    Stop,
}

/// Why an actor stopped, as its monitors learn in [`Terminated`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// It handled a [`Stop`](crate::Stop).
    Stopped,
    /// A handler called [`Context::stop`](crate::Context::stop).
    Requested,
    /// Every handle to it was dropped.
    Released,
    /// A handler panicked and its policy was [`OnPanic::Stop`].
    Panicked(String),
    /// It panicked more often than its restart intensity allows.
    RestartLimit {
        /// Restarts allowed within `within`.
        max: u32,
        /// The intensity's window.
        within: Duration,
        /// The last panic's message.
        panic: String,
    },
    /// Its `#[on_start]` hook panicked.
    StartFailed(String),
    /// It never ran: its driver was shut down before it started.
    NeverStarted,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Stopped => f.write_str("stopped by a Stop message"),
            StopReason::Requested => f.write_str("stopped itself"),
            StopReason::Released => f.write_str("every handle to it was dropped"),
            StopReason::Panicked(panic) => write!(f, "a handler panicked: {panic}"),
            StopReason::RestartLimit { max, within, panic } => write!(
                f,
                "panicked more than {max} times within {within:?}; last panic: {panic}"
            ),
            StopReason::StartFailed(panic) => write!(f, "its #[on_start] hook panicked: {panic}"),
            StopReason::NeverStarted => f.write_str("its driver was shut down before it started"),
        }
    }
}

/// Sent, exactly once, to every monitor of an actor when the actor ends; a monitor that
/// starts watching an actor that has already ended gets it at once.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::{StopReason, Terminated};
/// use std::time::Duration;
///
/// struct Short;
/// #[actor]
/// impl Short {}
///
/// let short = Short.spawn();
/// let bridge = Bridge::new();
/// bridge.watch(&short.any());
/// bridge.stop(&[short.any()], Duration::from_secs(5));
/// let notice = bridge.receive(Duration::from_secs(5)).unwrap();
/// let Terminated { actor, reason } = notice.downcast().unwrap();
/// assert_eq!(actor, short.info());
/// assert_eq!(reason, StopReason::Stopped);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// The actor that ended.
    pub actor: ActorInfo,
    /// Why.
    pub reason: StopReason,
}

impl Terminated {
    /// The id of the actor that ended.
    pub fn id(&self) -> ActorId {
        self.actor.id
    }
}

impl Message for Terminated {
    type Reply = ();
}

/// OTP's restart intensity: at most `max` restarts within any `within` window; one more
/// panic stops the actor with [`StopReason::RestartLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed in the window.
    pub max: u32,
    /// The window.
    pub within: Duration,
}

impl Intensity {
    /// At most `max` restarts within `within`.
    pub fn new(max: u32, within: Duration) -> Self {
        Intensity { max, within }
    }
}

type Factory<A> = Box<dyn FnMut() -> A + Send>;

/// The runtime side of a policy.
pub(crate) enum Policy<A> {
    Resume,
    Stop,
    Restart {
        factory: Factory<A>,
        intensity: Intensity,
        recent: VecDeque<Instant>,
    },
}

/// What to do after a panic, as decided by the policy.
pub(crate) enum AfterPanic<A> {
    Resume,
    Stop(StopReason),
    Restart(A),
}

impl<A> Policy<A> {
    pub(crate) fn after_panic(&mut self, panic: String) -> AfterPanic<A> {
        match self {
            Policy::Resume => AfterPanic::Resume,
            Policy::Stop => AfterPanic::Stop(StopReason::Panicked(panic)),
            Policy::Restart {
                factory,
                intensity,
                recent,
            } => {
                let now = Instant::now();
                while recent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > intensity.within)
                {
                    recent.pop_front();
                }
                if recent.len() >= intensity.max as usize {
                    return AfterPanic::Stop(StopReason::RestartLimit {
                        max: intensity.max,
                        within: intensity.within,
                        panic,
                    });
                }
                recent.push_back(now);
                // A factory that panics cannot restart anything: the actor stops, as if its
                // start had failed.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(factory)) {
                    Ok(fresh) => AfterPanic::Restart(fresh),
                    Err(payload) => AfterPanic::Stop(StopReason::StartFailed(
                        crate::call::panic_message(&*payload),
                    )),
                }
            }
        }
    }
}

/// How to start an actor, beyond `actor.spawn()`: its panic policy and mailbox bound.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::{Intensity, Spawn};
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u32)]
/// struct Hit(bool);
///
/// #[derive(Default)]
/// struct Counter(u32);
/// #[actor]
/// impl Counter {
///     #[handles(Hit)]
///     fn hit(&mut self, Hit(crash): Hit) -> u32 {
///         assert!(!crash, "crashed");
///         self.0 += 1;
///         self.0
///     }
/// }
///
/// // Restarted from the factory after a panic: at most 3 times per minute.
/// let counter = Spawn::new(Counter::default())
///     .restart_with(Counter::default, Intensity::new(3, Duration::from_secs(60)))
///     .bounded(100)
///     .spawn();
/// let bridge = Bridge::new();
/// let wait = Duration::from_secs(5);
/// assert_eq!(bridge.call(&counter, Hit(false), wait).unwrap(), 1);
/// assert!(bridge.call(&counter, Hit(true), wait).is_err()); // panics: restarted
/// assert_eq!(bridge.call(&counter, Hit(false), wait).unwrap(), 1); // fresh state
/// ```
pub struct Spawn<A: Actor> {
    actor: A,
    policy: Policy<A>,
    capacity: Option<usize>,
}

impl<A: Actor> Spawn<A> {
    /// Starts from `actor`, resuming after panics, with an unbounded mailbox.
    pub fn new(actor: A) -> Self {
        Spawn {
            actor,
            policy: Policy::Resume,
            capacity: None,
        }
    }

    /// What to do after a panic: resume (the default) or stop.
    pub fn on_panic(mut self, on_panic: OnPanic) -> Self {
        self.policy = match on_panic {
            OnPanic::Resume => Policy::Resume,
            OnPanic::Stop => Policy::Stop,
        };
        self
    }

    /// After a panic, replace the actor with `factory()` (running `#[on_stop]` on the old
    /// one and `#[on_start]` on the new one); mail already queued is kept. Beyond
    /// `intensity`, the actor stops with [`StopReason::RestartLimit`].
    pub fn restart_with(
        mut self,
        factory: impl FnMut() -> A + Send + 'static,
        intensity: Intensity,
    ) -> Self {
        self.policy = Policy::Restart {
            factory: Box::new(factory),
            intensity,
            recent: VecDeque::new(),
        };
        self
    }

    /// Bounds the mailbox to `capacity` messages: `tell` then waits for room,
    /// `try_tell` gives the message back when full. A capacity of 0 is taken as 1.
    ///
    /// A wait for room that could never end is refused at once with
    /// [`SendError::WouldDeadlock`](crate::SendError::WouldDeadlock), the message given
    /// back, instead of blocking: a `tell` from the actor to itself, or from an actor
    /// whose own thread is the only one that could run the target. On a driver, a `tell`
    /// between neighbours blocks its worker only while another of the driver's workers is
    /// left to run the target; the one that would block the last is refused, so
    /// back-pressure never leaves a driver with no thread to serve its actors.
    pub fn bounded(mut self, capacity: usize) -> Self {
        self.capacity = Some(capacity.max(1));
        self
    }

    /// Starts the actor on a thread of its own.
    ///
    /// # Panics
    ///
    /// If the operating system refuses a new thread; see [`try_spawn`](Spawn::try_spawn).
    pub fn spawn(self) -> Addr<A> {
        match self.try_spawn() {
            Ok(addr) => addr,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts the actor on a thread of its own, or says why it could not.
    pub fn try_spawn(self) -> Result<Addr<A>, Error> {
        crate::hosting::thread::spawn(self)
    }

    /// Starts the actor on a shared driver.
    pub fn spawn_on(self, driver: &Driver) -> Addr<A> {
        driver.spawn(self)
    }

    pub(crate) fn into_parts(self) -> (A, Policy<A>, Option<usize>) {
        (self.actor, self.policy, self.capacity)
    }
}
