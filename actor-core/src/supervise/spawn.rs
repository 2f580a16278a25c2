//! How an actor is started beyond `actor.spawn()`: [`Spawn`] (its panic policy, mailbox
//! bound and driver) and [`NamedSpawn`] (a name registered with the start), with the
//! [`SpawnError`] a refused start gives back.

use std::collections::VecDeque;
use std::fmt;

use crate::actor::Actor;
use crate::error::Error;
use crate::handle::Addr;
use crate::hosting::Driver;

use super::policy::{Intensity, OnPanic, Policy, Restart};

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
            policy: Policy::resume(),
            capacity: None,
        }
    }

    /// What to do after a panic: resume (the default) or stop.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{OnPanic, Spawn, StopReason, Terminated};
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
    /// let counter = Spawn::new(Counter::default()).on_panic(OnPanic::Stop).spawn();
    /// let bridge = Bridge::new();
    /// bridge.watch(&counter.any());
    /// let wait = Duration::from_secs(5);
    /// assert!(matches!(bridge.call(&counter, Hit(true), wait), Err(CallError::Panicked { .. })));
    /// let notice: Terminated = bridge.receive(wait).unwrap().downcast().unwrap();
    /// assert_eq!(notice.reason, StopReason::Panicked("crashed".into()));
    /// ```
    pub fn on_panic(mut self, on_panic: OnPanic) -> Self {
        self.policy = match on_panic {
            OnPanic::Resume => Policy::resume(),
            OnPanic::Stop => Policy::stop(),
        };
        self
    }

    /// After a panic, replace the actor with `factory()` (running `#[on_stop]` on the old
    /// one and `#[on_start]` on the new one); mail already queued is kept. Beyond
    /// `intensity`, the actor stops with [`StopReason::RestartLimit`](super::StopReason::RestartLimit).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{Intensity, Spawn, StopReason, Terminated};
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
    /// // One restart a minute at most.
    /// let counter = Spawn::new(Counter::default())
    ///     .restart_with(Counter::default, Intensity::new(1, Duration::from_secs(60)))
    ///     .spawn();
    /// let bridge = Bridge::new();
    /// bridge.watch(&counter.any());
    /// let wait = Duration::from_secs(5);
    /// assert_eq!(bridge.call(&counter, Hit(false), wait).unwrap(), 1);
    /// assert!(bridge.call(&counter, Hit(true), wait).is_err()); // restarted from the factory
    /// assert_eq!(bridge.call(&counter, Hit(false), wait).unwrap(), 1); // fresh state
    /// assert!(bridge.call(&counter, Hit(true), wait).is_err()); // one panic too many
    /// let notice: Terminated = bridge.receive(wait).unwrap().downcast().unwrap();
    /// assert!(matches!(notice.reason, StopReason::RestartLimit { max: 1, .. }));
    /// ```
    pub fn restart_with(
        mut self,
        factory: impl FnMut() -> A + Send + 'static,
        intensity: Intensity,
    ) -> Self {
        self.policy = Policy::restart(Restart {
            factory: Box::new(factory),
            intensity,
            recent: VecDeque::new(),
        });
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
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Spawn;
    /// use std::sync::mpsc;
    ///
    /// #[derive(Message)]
    /// struct Job;
    ///
    /// struct Worker;
    /// #[actor]
    /// impl Worker {
    ///     #[handles(Job)]
    ///     fn job(&mut self, _: Job) {}
    /// }
    ///
    /// let worker = Spawn::new(Worker).bounded(2).spawn();
    /// // Hold the actor in a closure so that nothing leaves the mailbox meanwhile.
    /// let (busy, is_busy) = mpsc::channel();
    /// let (release, released) = mpsc::channel::<()>();
    /// let held = worker.exec(move |_, _| {
    ///     busy.send(()).unwrap();
    ///     released.recv().unwrap();
    /// });
    /// is_busy.recv().unwrap();
    /// assert!(worker.try_tell(Job).is_ok());
    /// assert!(worker.try_tell(Job).is_ok());
    /// assert!(matches!(worker.try_tell(Job), Err(SendError::Full { .. }))); // two at most
    /// assert_eq!(worker.mailbox_len(), 2);
    /// release.send(()).unwrap();
    /// held.wait().unwrap();
    /// ```
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
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{OnPanic, Spawn};
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u64)]
    /// struct Get;
    ///
    /// struct Constant(u64);
    /// #[actor]
    /// impl Constant {
    ///     #[handles(Get)]
    ///     fn get(&self, _: Get) -> u64 { self.0 }
    /// }
    ///
    /// let driver = Driver::new(1);
    /// let constant = Spawn::new(Constant(7)).on_panic(OnPanic::Stop).bounded(16).spawn_on(&driver);
    /// assert_eq!(driver.actor_count(), 1);
    /// assert_eq!(Bridge::new().call(&constant, Get, Duration::from_secs(5)).unwrap(), 7);
    /// ```
    pub fn spawn_on(self, driver: &Driver) -> Addr<A> {
        driver.spawn(self)
    }

    /// Starts the actor in a deterministic [`Simulation`](crate::sim::Simulation).
    pub fn spawn_in(self, sim: &crate::sim::Simulation) -> Addr<A> {
        sim.inner().spawn(self, None)
    }

    pub(crate) fn into_parts(self) -> (A, Policy<A>, Option<usize>) {
        (self.actor, self.policy, self.capacity)
    }

    /// Registers the actor under `name` as it starts, atomically: the name is bound before
    /// the actor can run or be reached, and a name already held by a live actor makes the
    /// spawn fail with [`Error::NameTaken`], giving the actor back
    /// ([`SpawnError::into_actor`]). The name is freed when the actor stops, as with
    /// [`Registry::register`](crate::Registry::register).
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// struct Lobby(u32);
    /// #[actor]
    /// impl Lobby {}
    ///
    /// let lobby = Spawn::new(Lobby(1)).named("doc-room/lobby").spawn().unwrap();
    /// assert_eq!(Registry::lookup::<Lobby>("doc-room/lobby"), Some(lobby.clone()));
    /// let taken = Spawn::new(Lobby(2)).named("doc-room/lobby").spawn().unwrap_err();
    /// assert!(matches!(taken.error(), actor_core::Error::NameTaken { .. }));
    /// assert_eq!(taken.into_actor().map(|Lobby(n)| n), Some(2));
    /// # let driver = Driver::new(1);
    /// # Bridge::new().stop(&[lobby.any()], std::time::Duration::from_secs(5));
    /// # let again = Spawn::new(Lobby(3)).named("doc-room/lobby").spawn_on(&driver).unwrap();
    /// # assert_eq!(Registry::lookup::<Lobby>("doc-room/lobby"), Some(again));
    /// ```
    pub fn named(self, name: &str) -> NamedSpawn<A> {
        NamedSpawn {
            spawn: self,
            name: name.to_owned(),
        }
    }
}

/// A [`Spawn`] with a registry name (see [`Spawn::named`]); spawning it can fail, so its
/// `spawn` and `spawn_on` return a `Result`.
pub struct NamedSpawn<A: Actor> {
    spawn: Spawn<A>,
    name: String,
}

impl<A: Actor> NamedSpawn<A> {
    /// Starts the actor on a thread of its own, registered under its name.
    pub fn spawn(self) -> Result<Addr<A>, SpawnError<A>> {
        let NamedSpawn { spawn, name } = self;
        match crate::registry::Reservation::new(&name) {
            Ok(reservation) => crate::hosting::thread::spawn_named(spawn, reservation),
            Err(error) => Err(SpawnError::new(error, Some(spawn.actor))),
        }
    }

    /// Starts the actor in a deterministic [`Simulation`](crate::sim::Simulation),
    /// registered under its name.
    pub fn spawn_in(self, sim: &crate::sim::Simulation) -> Result<Addr<A>, SpawnError<A>> {
        let NamedSpawn { spawn, name } = self;
        match crate::registry::Reservation::new(&name) {
            Ok(reservation) => Ok(sim.inner().spawn(spawn, Some(reservation))),
            Err(error) => Err(SpawnError::new(error, Some(spawn.actor))),
        }
    }

    /// Starts the actor on a shared driver, registered under its name. On a driver that
    /// was shut down the actor is stopped from the start, and the name freed with it.
    pub fn spawn_on(self, driver: &Driver) -> Result<Addr<A>, SpawnError<A>> {
        let NamedSpawn { spawn, name } = self;
        match crate::registry::Reservation::new(&name) {
            Ok(reservation) => {
                // The driver makes the actor's cell, which binds the name before the actor
                // is scheduled; the guard frees it if that never happened.
                let _unbound = reservation.for_next_cell();
                Ok(driver.spawn(spawn))
            }
            Err(error) => Err(SpawnError::new(error, Some(spawn.actor))),
        }
    }
}

/// Why an actor could not be spawned, with the actor given back when it was not lost
/// (a taken name gives it back; a thread the operating system refused took it along).
pub struct SpawnError<A> {
    error: Error,
    actor: Option<A>,
}

impl<A> SpawnError<A> {
    pub(crate) fn new(error: Error, actor: Option<A>) -> Self {
        SpawnError { error, actor }
    }

    /// What went wrong: [`Error::NameTaken`], or [`Error::Spawn`].
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The actor, given back, if it was not lost.
    pub fn into_actor(self) -> Option<A> {
        self.actor
    }
}

impl<A> fmt::Debug for SpawnError<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpawnError({:?})", self.error)
    }
}

impl<A> fmt::Display for SpawnError<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<A> std::error::Error for SpawnError<A> {}

impl<A> From<SpawnError<A>> for Error {
    fn from(e: SpawnError<A>) -> Self {
        e.error
    }
}
