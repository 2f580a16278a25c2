//! Shared hosting: a [`Driver`] is a small pool of threads that serves many actors.
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
//! goes to the injector, where an idle worker can take it. After [`NEXT_SLOT_STREAK`] turns
//! in a row from the next slot, the worker serves the injector first, so two actors bouncing
//! messages cannot starve the rest.

use std::cell::{RefCell, UnsafeCell};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender as ChannelSender};

use crate::actor::Actor;
use crate::addr::{Addr, AnyAddr, Envelope, Erased, Refused, Shared, Wait};
use crate::bridge::Bridge;
use crate::current;
use crate::error::Error;
use crate::host::Host;
use crate::id::ActorId;
use crate::message::Stopped;
use crate::runtime::{Cell, Flow};
use crate::supervise::Spawn;
use crate::sync::Mailbox;

/// Messages one actor handles per turn before the worker moves to the next ready actor.
pub const BATCH: usize = 64;

/// Turns in a row a worker may take from its next slot before serving the injector.
const NEXT_SLOT_STREAK: u32 = 32;

/// A driver's process-unique number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DriverId(u64);

/// An actor ready to run a turn: a pointer to its cell, which costs no reference count to
/// queue or to run, and the two functions that know the cell's actor type.
///
/// A task exists only while its cell's `scheduled` flag is set, and then exactly one (the
/// flag is set by whoever creates the task, and cleared or left set for good only by the
/// turn the task runs). A cell whose flag is set is alive: its state holds the actor's
/// `Context`, which holds the `Shared`, which holds the cell, a cycle that only `finish`
/// breaks, and only the task's own turn runs `finish` (keeping the `Shared` alive until
/// it is done with the cell). The turn takes the pointer, not a reference, so that no
/// reference to the cell outlives the moment another worker may free it.
pub(crate) struct Task {
    cell: NonNull<()>,
    run: unsafe fn(NonNull<()>),
    share: unsafe fn(NonNull<()>),
}

// SAFETY: a `DriverCell` is `Send + Sync`; see `Task` for why it outlives the task.
unsafe impl Send for Task {}

impl Task {
    /// The task of a cell whose flag the caller has just set (see `Task`).
    #[inline]
    fn new<A: Actor>(cell: &DriverCell<A>) -> Task {
        Task {
            cell: NonNull::from(cell).cast(),
            run: DriverCell::<A>::run,
            share: DriverCell::<A>::share,
        }
    }

    #[inline]
    fn run(self) {
        // SAFETY: the cell is a `DriverCell` of the type `new` was given, alive while its
        // task exists (see `Task`).
        unsafe { (self.run)(self.cell) }
    }

    fn share(self) {
        // SAFETY: as in `run`.
        unsafe { (self.share)(self.cell) }
    }
}

/// Called before this thread blocks (a call, a wait, a full mailbox): an actor waiting in
/// this worker's next slot would be stranded there, so it goes to the shared queue.
#[inline]
pub(crate) fn before_blocking() {
    if current::worker().is_some() {
        if let Some(task) = NEXT.with_borrow_mut(Option::take) {
            task.share();
        }
    }
}

enum Job {
    Run(Task),
    /// Ends one worker: sent once per thread by `shutdown`.
    Quit,
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
    injector: ChannelSender<Job>,
    /// Live actors, for `shutdown` and `actor_count`; ids are in spawn order.
    actors: Mutex<HashMap<ActorId, Weak<dyn Erased>, BuildHasherDefault<IdHasher>>>,
    closed: AtomicBool,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// Disconnects once every worker has ended: each holds a sender it drops on exit.
    exited: Receiver<()>,
}

impl Driver {
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
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = DriverId(NEXT.fetch_add(1, Ordering::Relaxed));
        let (injector, jobs) = crossbeam_channel::unbounded();
        let (exiting, exited) = crossbeam_channel::bounded::<()>(0);
        let inner = Arc::new(DriverInner {
            id,
            threads,
            injector,
            actors: Mutex::new(HashMap::default()),
            closed: AtomicBool::new(false),
            workers: Mutex::new(Vec::with_capacity(threads)),
            exited,
        });
        for n in 0..threads {
            let (jobs, on_exit) = (jobs.clone(), exiting.clone());
            let worker = thread::Builder::new()
                .name(format!("driver{}-{n}", id.0))
                .spawn(move || {
                    work(id, threads, jobs);
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
    pub fn actors(&self) -> Vec<AnyAddr> {
        let mut live: Vec<(ActorId, Arc<dyn Erased>)> = lock(&self.inner.actors)
            .iter()
            .filter_map(|(id, actor)| Some((*id, actor.upgrade()?)))
            .collect();
        // Ids are handed out in spawn order.
        live.sort_unstable_by_key(|(id, _)| *id);
        live.into_iter()
            .map(|(_, actor)| AnyAddr::from_arc(actor))
            .collect()
    }

    /// Stops every actor on the driver (sending `Stop` in spawn order), then ends and joins
    /// the driver's threads, all within `timeout`: a thread still busy in a handler that did
    /// not stop in time is not waited for (it ends by itself when the handler returns). Actors spawned on it
    /// afterwards are stopped from the start. One result per actor, as
    /// [`Bridge::stop`] gives.
    ///
    /// Fails with [`Error::OwnThread`] when called from one of the driver's own threads,
    /// which cannot join themselves.
    pub fn shutdown(&self, timeout: Duration) -> Result<Vec<Option<Stopped>>, Error> {
        if current::worker().is_some_and(|(id, _)| id == self.inner.id) {
            return Err(Error::OwnThread);
        }
        // No deadline at all for a timeout too long to add (`Duration::MAX`: wait forever).
        let deadline = Instant::now().checked_add(timeout);
        self.inner.closed.store(true, Ordering::SeqCst);
        let actors = self.actors();
        let stopped = Bridge::new().stop(&actors, timeout);
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
            let _ = self.inner.injector.send(Job::Quit);
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
        let (actor, policy, capacity) = spawn.into_parts();
        let cell = Arc::new(DriverCell {
            // With `#[on_start]`, scheduled from the start: the first turn, which runs the
            // hook, is queued below. Without, the first message queues the actor.
            mailbox: Mailbox::new(capacity, A::__ON_START),
            started: UnsafeCell::new(!A::__ON_START),
            state: UnsafeCell::new(None),
            driver: self.inner.clone(),
        });
        let shared = Arc::new(Shared::new(Host::Driver(cell.clone())));
        let addr = Addr::new(shared.clone());
        let id = shared.info().id;
        // No one else can reach the cell's state yet: no handle to it has been returned.
        unsafe { *cell.state.get() = Some(Cell::new(actor, shared.clone(), policy)) };
        let erased: Arc<dyn Erased> = shared;
        let mut actors = lock(&self.inner.actors);
        // Checked under the lock that `shutdown` takes after closing the driver: either
        // `shutdown` finds this actor, or this finds the driver closed.
        if self.inner.closed.load(Ordering::SeqCst) {
            drop(actors);
            // A closed driver runs nothing: the actor is stopped before it starts, here,
            // where no one else can reach it (it is on no list, and `addr` not returned).
            if let Some(cell_state) = unsafe { (*cell.state.get()).take() } {
                cell_state.finish_unstarted();
            }
            return addr;
        }
        actors.insert(id, Arc::downgrade(&erased));
        drop(actors);
        if A::__ON_START {
            // The flag was set at creation, for this first turn.
            self.inner.schedule(Task::new(&cell));
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
    #[inline]
    fn schedule(&self, task: Task) {
        let task = match current::worker() {
            Some((id, _)) if id == self.id => match NEXT.with_borrow_mut(|next| next.replace(task))
            {
                // The slot was free: this thread runs the task after the current turn.
                None => return,
                // Keep the newest in the slot (it is the likeliest to have hot data) and
                // share the older one.
                Some(older) => older,
            },
            _ => task,
        };
        if self.injector.send(Job::Run(task)).is_err() {
            // Every worker has quit: the driver is shut down and its actors stopped.
        }
    }

    pub(crate) fn id(&self) -> DriverId {
        self.id
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }
}

thread_local! {
    /// The task this worker runs next, ahead of the injector.
    static NEXT: RefCell<Option<Task>> = const { RefCell::new(None) };
}

fn work(id: DriverId, threads: usize, jobs: Receiver<Job>) {
    let _worker = current::enter_worker(id, threads);
    let mut streak = 0;
    loop {
        let next = NEXT.with_borrow_mut(Option::take);
        let task = match next {
            Some(task) if streak < NEXT_SLOT_STREAK => {
                streak += 1;
                task
            }
            next => {
                streak = 0;
                if let Some(task) = next {
                    // Fairness: the slot's task waits its turn behind the injector's.
                    match jobs.try_recv() {
                        Ok(Job::Run(other)) => {
                            NEXT.with_borrow_mut(|slot| *slot = Some(task));
                            other
                        }
                        Ok(Job::Quit) => {
                            NEXT.with_borrow_mut(|slot| *slot = Some(task));
                            break;
                        }
                        Err(_) => task,
                    }
                } else {
                    match jobs.recv() {
                        Ok(Job::Run(task)) => task,
                        Ok(Job::Quit) | Err(_) => break,
                    }
                }
            }
        };
        // A turn contains its handlers' panics; this catches what escapes them (a
        // panicking Drop, say) so that the worker, and its other actors, go on.
        if panic::catch_unwind(AssertUnwindSafe(|| task.run())).is_err() {
            log::error!("a driver worker caught a panic outside any handler");
        }
    }
    // Whatever is left in the slot belongs to a stopped driver: drop it here.
    NEXT.with_borrow_mut(Option::take);
}

/// An actor hosted on a driver: its mailbox, and its cell, owned by whichever worker the
/// mailbox's `scheduled` flag was set for.
pub(crate) struct DriverCell<A: Actor> {
    mailbox: Mailbox<Envelope<A>>,
    started: UnsafeCell<bool>,
    state: UnsafeCell<Option<Cell<A>>>,
    driver: Arc<DriverInner>,
}

// `started` and `state` are only touched by the one worker running the cell's turn (the
// mailbox's `scheduled` flag is set for it), or before the cell is first queued.
unsafe impl<A: Actor> Sync for DriverCell<A> {}

impl<A: Actor> DriverCell<A> {
    /// Queues an envelope, and the actor too if it was idle. `may_wait` is asked before a
    /// post waits for room in a full bounded mailbox.
    #[inline]
    pub(crate) fn post(
        &self,
        envelope: Envelope<A>,
        wait: Wait,
        may_wait: impl FnOnce() -> bool,
    ) -> Result<(), (Envelope<A>, Refused)> {
        if self.mailbox.push(envelope, wait, may_wait)? {
            self.driver.schedule(Task::new(self));
        }
        Ok(())
    }

    /// Closes the mailbox for good, handing back what is queued.
    pub(crate) fn close(&self) -> VecDeque<Envelope<A>> {
        self.mailbox.close()
    }

    pub(crate) fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    pub(crate) fn driver(&self) -> &DriverInner {
        &self.driver
    }

    /// Puts the actor on its driver's shared queue, where any worker can take it.
    ///
    /// # Safety
    ///
    /// `cell` points to a `DriverCell<A>` whose flag is set for the caller's task.
    unsafe fn share(cell: NonNull<()>) {
        // SAFETY: as the caller promises.
        let this = unsafe { cell.cast::<Self>().as_ref() };
        // Fails only once every worker has quit: the driver is shut down.
        let _ = this.driver.injector.send(Job::Run(Task::new(this)));
    }

    /// Runs one turn.
    ///
    /// # Safety
    ///
    /// `cell` points to a `DriverCell<A>` whose flag is set for the caller's task.
    unsafe fn run(ptr: NonNull<()>) {
        // SAFETY: as the caller promises. A local reference, not an argument: it is not
        // used after the flag is cleared, when another worker may free the cell.
        let this = unsafe { ptr.cast::<Self>().as_ref() };
        // SAFETY: this worker took the cell off a run queue, so the flag is set for it.
        let state = unsafe { &mut *this.state.get() };
        let started = unsafe { &mut *this.started.get() };
        let Some(cell) = state.as_mut() else {
            return;
        };
        // SAFETY: the cell holds this `Arc` for the whole turn; in the stopping path below
        // a clone of it outlives the guard.
        let entered = unsafe { current::enter(Arc::as_ptr(cell.shared()) as *const dyn Erased) };
        let mut flow = Flow::Continue;
        if !*started {
            *started = true;
            flow = cell.start();
        }
        let mut handled = 0;
        while flow == Flow::Continue {
            if handled == BATCH {
                // More mail, most likely: go to the back of the shared queue, keeping the
                // flag.
                drop(entered);
                // SAFETY: the flag is still set for this turn's task.
                unsafe { Self::share(ptr) };
                return;
            }
            match this.mailbox.pop_or_idle() {
                Some(envelope) => {
                    flow = cell.handle(envelope);
                    handled += 1;
                }
                // The flag is clear: from here on another worker may own the cell, so
                // nothing of it is touched again.
                None => return,
            }
        }
        let shared = cell.shared().clone();
        // Off the live list before the stopper hears `Stopped`.
        lock(&this.driver.actors).remove(&shared.info().id);
        if let Some(cell) = state.take() {
            cell.finish(None);
        }
        // The flag stays set: nothing is queued for a finished actor again.
        drop(entered);
        // Perhaps the last reference to the cell: it is not touched after this.
        drop(shared);
    }
}

/// Hashes an `ActorId`, a counter unique to each actor, with one multiplication: the live
/// list needs no defence against chosen keys, and SipHash costs more than the rest of an
/// insert.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks leaves the data consistent (single inserts and
    // removes), so a poisoned lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
