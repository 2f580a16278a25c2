//! Shared hosting: a [`Driver`] is a small pool of threads that serves many actors. This
//! file is the pool (start, spawn, shutdown); `worker.rs` is each thread's loop and run
//! queues, `task.rs` an actor's cell and the task that points to it.
//!
//! Each actor on a driver has a [`DriverCell`]: its `Cell` and its mailbox, a queue with a
//! `scheduled` flag under one lock (`sync::Mailbox`). The sender whose post finds the flag
//! clear sets it and puts the cell on a run queue; the worker that takes it off has the
//! cell to itself until a pop finds the queue empty and clears the flag. A worker handles
//! at most [`BATCH`] messages of one actor per turn, then moves on, so a busy actor cannot
//! starve its neighbours.
//!
//! Run queues: one shared injector (a crossbeam channel, which also puts idle workers to
//! sleep and wakes them), plus a "next" slot per worker. An actor scheduled by a handler
//! running on the same driver goes to that worker's next slot, so a message between two
//! actors of one driver runs on the sending thread without waking another; a second one
//! goes to the injector, where an idle worker can take it. After `worker::NEXT_SLOT_STREAK`
//! turns in a row from the next slot, the worker serves the injector first, so two actors
//! bouncing messages cannot starve the rest. A task left in a slot while its worker stays
//! in one long turn is taken by an idle worker after `worker::STEAL_AFTER`.
//!
//! At shutdown, an actor that did not stop in time is shut (`Mailbox::shut`) and ended
//! by whoever holds its run flag: `shutdown` if it was idle, else the turn that finds the
//! mailbox closed; a task dropped unrun ends its actor too (see `Task`).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender as ChannelSender};

use super::current;
use super::lifecycle::Life;
use super::roster::Roster;
use super::task::{DriverCell, Task};
use super::worker::{self, Injected, Slots};
use crate::actor::Actor;
use crate::call::Bridge;
use crate::error::Error;
use crate::handle::{Addr, AnyAddr, Erased, Shared};
use crate::id::ActorId;
use crate::mailbox::{Host, Mailbox};
use crate::message::Stopped;
use crate::supervise::Spawn;
use crate::sync::lock;

/// Messages one actor handles per turn before the worker moves to the next ready actor.
pub const BATCH: usize = 64;

/// A driver's process-unique number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DriverId(pub(super) u64);

impl DriverId {
    /// What a simulated actor reports as its host: no driver, and no thread.
    pub(crate) const SIMULATED: DriverId = DriverId(0);

    /// The number itself, as the console and the metrics show it.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A pool of threads serving many actors: `actor.spawn_on(&driver)`.
///
/// Every guarantee of a dedicated thread holds on a driver: order per sender, one message
/// at a time per actor, `Stop`/`Stopped`, calls and timeouts, panics contained. A driver
/// handle is cheap to clone; the threads end when [`shutdown`](Driver::shutdown) is called,
/// or when every handle to the driver and every actor on it are gone.
///
/// ```
/// use actor_core::prelude::*;
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
/// let driver = Driver::new(2);
/// let actors: Vec<_> = (0..1_000).map(|n| Constant(n).spawn_on(&driver)).collect();
/// let bridge = Bridge::new();
/// assert_eq!(bridge.call(&actors[999], Get, Duration::from_secs(5)).unwrap(), 999);
/// assert_eq!(driver.actor_count(), 1_000);
/// let stopped = driver.shutdown(Duration::from_secs(5)).unwrap();
/// assert!(stopped.iter().all(Option::is_some));
/// assert!(!actors[0].is_alive());
/// ```
#[derive(Clone)]
pub struct Driver {
    inner: Arc<DriverInner>,
}

pub(crate) struct DriverInner {
    id: DriverId,
    threads: usize,
    pub(super) injector: ChannelSender<Injected>,
    /// The workers' next slots.
    slots: Arc<Slots>,
    /// Live actors, for `shutdown` and `actor_count`, each in its slot (`roster.rs`);
    /// their cells, inside them, are what `shutdown` ends. Ids are in spawn order.
    actors: Mutex<Roster>,
    closed: AtomicBool,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// Disconnects once every worker has ended: each holds a sender it drops on exit.
    exited: Receiver<()>,
}

impl Driver {
    /// Tasks its idle workers took from a neighbour's slot (see `worker::Slots::stolen`).
    #[cfg(test)]
    pub(super) fn stolen(&self) -> usize {
        self.inner
            .slots
            .stolen
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A driver of `threads` worker threads.
    ///
    /// # Panics
    ///
    /// If `threads` is zero or the operating system refuses a thread; use
    /// [`try_new`](Driver::try_new) to get an error instead.
    pub fn new(threads: usize) -> Driver {
        match Driver::try_new(threads) {
            Ok(driver) => driver,
            Err(e) => panic!("{e}"),
        }
    }

    /// A driver of `threads` worker threads, or why it could not start.
    pub fn try_new(threads: usize) -> Result<Driver, Error> {
        if threads == 0 {
            return Err(Error::Spawn {
                actor: "Driver",
                reason: "a driver needs at least one thread".to_owned(),
            });
        }
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = DriverId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let (injector, jobs) = crossbeam_channel::unbounded();
        let (exiting, exited) = crossbeam_channel::bounded::<()>(0);
        let inner = Arc::new(DriverInner {
            id,
            threads,
            injector,
            slots: Arc::new(Slots::new(threads)),
            actors: Mutex::new(Roster::new()),
            closed: AtomicBool::new(false),
            workers: Mutex::new(Vec::with_capacity(threads)),
            exited,
        });
        for n in 0..threads {
            let (jobs, on_exit, weak) = (jobs.clone(), exiting.clone(), Arc::downgrade(&inner));
            let slots = inner.slots.clone();
            let worker = thread::Builder::new()
                .name(format!("driver{}-{n}", id.0))
                .spawn(move || {
                    worker::work(id, n, slots, jobs, weak);
                    drop(on_exit);
                })
                .map_err(|e| Error::Spawn {
                    actor: "Driver",
                    reason: e.to_string(),
                });
            match worker {
                Ok(handle) => lock(&inner.workers).push(handle),
                Err(e) => {
                    drop(exiting);
                    Driver { inner }.quit_workers(None);
                    return Err(e);
                }
            }
        }
        drop(exiting);
        crate::observe::register_driver(&inner);
        Ok(Driver { inner })
    }

    /// The driver's id.
    pub fn id(&self) -> DriverId {
        self.inner.id
    }

    /// How many threads serve this driver's actors.
    pub fn threads(&self) -> usize {
        self.inner.threads
    }

    /// How many actors live on this driver.
    pub fn actor_count(&self) -> usize {
        lock(&self.inner.actors).len()
    }

    /// Handles to the live actors, in spawn order.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let driver = Driver::new(1);
    /// let first = Idle.spawn_on(&driver);
    /// let second = Idle.spawn_on(&driver);
    /// let actors = driver.actors();
    /// assert_eq!(actors, [first.any(), second.any()]); // spawn order
    /// let stopped = Bridge::new().stop(&actors, Duration::from_secs(5));
    /// assert_eq!(stopped, [Some(Stopped), Some(Stopped)]);
    /// ```
    pub fn actors(&self) -> Vec<AnyAddr> {
        let mut live: Vec<(ActorId, Arc<dyn Erased>)> = lock(&self.inner.actors)
            .iter()
            .filter_map(Weak::upgrade)
            .map(|actor| (actor.info().id, actor))
            .collect();
        // Ids are handed out in spawn order.
        live.sort_unstable_by_key(|(id, _)| *id);
        live.into_iter()
            .map(|(_, actor)| AnyAddr::from_arc(actor))
            .collect()
    }

    /// Stops every actor on the driver (sending `Stop` in spawn order), then ends and joins
    /// the driver's threads, all within `timeout`. One result per actor, as
    /// [`Bridge::stop`] gives: `None` for an actor that did not stop in time.
    ///
    /// No actor outlives a shutdown. One that did not handle its `Stop` in time is ended
    /// without handling the rest of its mail: at once if it is idle or only queued, else
    /// as soon as the handler it is in returns (a worker busy in a handler is not waited
    /// for; it ends that actor, then itself, when the handler returns). Ended so, an actor
    /// runs `#[on_stop]` (if it had started), its queued mail is dropped as when it stops
    /// (each call among it fails at once with [`CallError::Stopped`](crate::CallError),
    /// each tell is a dead letter), its monitors get [`Terminated`](crate::Terminated),
    /// and every later send fails with the message given back. Actors spawned on the
    /// driver afterwards are stopped from the start.
    ///
    /// Fails with [`Error::OwnThread`] when called from one of the driver's own threads,
    /// which cannot join themselves.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Ping;
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {
    ///     #[handles(Ping)]
    ///     fn ping(&mut self, _: Ping) {}
    /// }
    ///
    /// let driver = Driver::new(2);
    /// let actors: Vec<_> = (0..3).map(|_| Idle.spawn_on(&driver)).collect();
    /// let stopped = driver.shutdown(Duration::from_secs(5)).unwrap();
    /// assert_eq!(stopped, [Some(Stopped); 3]);
    /// assert!(actors.iter().all(|actor| !actor.is_alive()));
    /// // An actor spawned afterwards is stopped from the start.
    /// assert!(Idle.spawn_on(&driver).tell(Ping).is_err());
    /// ```
    pub fn shutdown(&self, timeout: Duration) -> Result<Vec<Option<Stopped>>, Error> {
        if current::worker().is_some_and(|(id, _)| id == self.inner.id) {
            return Err(Error::OwnThread);
        }
        // No deadline at all for a timeout too long to add (`Duration::MAX`: wait forever).
        let deadline = Instant::now().checked_add(timeout);
        self.inner.closed.store(true, Ordering::SeqCst);
        let actors = self.actors();
        let stopped = Bridge::new().stop(&actors, timeout);
        // What did not stop in time ends now, or when its current handler returns.
        let live: Vec<Arc<dyn Erased>> = lock(&self.inner.actors)
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for actor in live {
            actor.shut_down();
        }
        self.quit_workers(deadline);
        Ok(stopped)
    }

    /// Asks every worker to end and joins those that have by `deadline`. A worker still
    /// inside a handler that did not stop in time is left to end by itself, once the
    /// handler returns: joining it could wait forever.
    fn quit_workers(&self, deadline: Option<Instant>) {
        self.inner.closed.store(true, Ordering::SeqCst);
        let workers = std::mem::take(&mut *lock(&self.inner.workers));
        for _ in &workers {
            let _ = self.inner.injector.send(Injected::Quit);
        }
        // Nothing is ever sent on `exited`: it only disconnects, when the last worker ends.
        let all_ended = match deadline {
            Some(deadline) => matches!(
                self.inner.exited.recv_deadline(deadline),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected)
            ),
            None => self.inner.exited.recv().is_err(),
        };
        for worker in workers {
            if all_ended || worker.is_finished() {
                let _ = worker.join();
            }
        }
    }

    pub(crate) fn spawn<A: Actor>(&self, spawn: Spawn<A>) -> Addr<A> {
        // Spawned from inside a simulated actor: into its simulation.
        if let Some(sim) = crate::sim::current() {
            return sim.spawn(spawn, None);
        }
        let (actor, policy, capacity) = spawn.into_parts();
        // With `#[on_start]`, scheduled from the start: the first turn, which runs the hook,
        // is queued below. Without, the first message queues the actor.
        // One block: the cell is the `Shared`'s host.
        let shared = Arc::new(Shared::new(Host::Driver(DriverCell::new(
            Mailbox::new(capacity, A::__ON_START),
            self.inner.clone(),
        ))));
        let Host::Driver(cell) = &shared.host else {
            unreachable!("made with a driver host just above")
        };
        let addr = Addr::new(shared.clone());
        // SAFETY: no one else can reach the cell's state yet: no handle to it has been
        // returned and it is on no run queue.
        unsafe { cell.set_life(Life::new(actor, shared.clone(), policy)) };
        let erased: Arc<dyn Erased> = shared.clone();
        let mut actors = lock(&self.inner.actors);
        // Checked under the lock that `shutdown` takes after closing the driver: either
        // `shutdown` finds this actor, or this finds the driver closed.
        if self.inner.closed.load(Ordering::SeqCst) {
            drop(actors);
            // A closed driver runs nothing: the actor is stopped before it starts, here,
            // where no one else can reach it (it is on no list, and `addr` not returned).
            // SAFETY: as above, the cell is still this thread's alone.
            if let Some(life) = unsafe { cell.take_life() } {
                life.finish_unstarted(|| cell.close());
            }
            return addr;
        }
        let Some(slot) = actors.insert(Arc::downgrade(&erased)) else {
            drop(actors);
            log::error!(
                "{}: not spawned, its driver has no room left",
                shared.info()
            );
            // SAFETY: as above, the cell is still this thread's alone.
            if let Some(life) = unsafe { cell.take_life() } {
                life.finish_unstarted(|| cell.close());
            }
            return addr;
        };
        // Under the roster's lock: whoever ends the actor takes it after this.
        shared.set_slot(slot);
        drop(actors);
        if A::__ON_START {
            // SAFETY: the flag was set at creation, for this first turn.
            self.inner.schedule(unsafe { Task::new(cell) });
        }
        addr
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("id", &self.inner.id.0)
            .field("threads", &self.inner.threads)
            .field("actors", &self.actor_count())
            .finish()
    }
}

impl DriverInner {
    /// Queues a ready actor: in this worker's next slot if this thread serves this driver,
    /// else on the injector.
    #[inline(always)]
    pub(super) fn schedule(&self, task: Task) {
        let task = match worker::keep_next(self.id, task) {
            // The slot was free: this thread runs the task after the current turn (or an
            // idle neighbour, if the turn goes on too long: wake one to watch, if all
            // sleep).
            Ok(None) => return self.slots.rouse(&self.injector),
            // Keep the newest in the slot (it is the likeliest to have hot data) and share
            // the older one.
            Ok(Some(older)) => older,
            // Not one of this driver's workers.
            Err(task) => task,
        };
        // Refused once every worker has quit: the task comes back and is dropped, which
        // ends its actor (see `Task`).
        let _ = self.injector.send(Injected::Run(task));
    }

    /// Takes a finished actor off the live list, by the slot it was given.
    pub(super) fn forget(&self, slot: u32) {
        lock(&self.actors).remove(slot);
    }

    pub(crate) fn id(&self) -> DriverId {
        self.id
    }

    /// What a snapshot shows of the driver.
    #[cfg(any(feature = "metrics", feature = "console"))]
    pub(crate) fn view(&self) -> crate::observe::DriverView {
        let (busy_ns, uptime_ns) = self.slots.busy_ns();
        crate::observe::DriverView {
            id: self.id.0,
            threads: self.threads,
            actors: lock(&self.actors).len(),
            queue: self.injector.len(),
            busy_ns,
            uptime_ns,
        }
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }
}
