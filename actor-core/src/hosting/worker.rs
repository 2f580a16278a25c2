//! A driver's worker thread: its loop, its next slot (the task it runs after the current
//! turn, ahead of the shared injector), and what it does before it blocks.
//!
//! Each worker's next slot sits in the driver's [`Slots`], where an idle worker can take
//! it: a neighbour told from a handler that then computes for long must not wait behind
//! it while another worker has nothing to do. The owner fills and empties its slot with
//! one uncontended lock each; an idle worker looks at the others' slots only every
//! [`STEAL_AFTER`], and takes a task only if it sat there for a whole period, so a message
//! between two actors of one driver still runs on the sending thread, waking no other. An
//! idle worker sleeps without a timeout (no polling) once a whole period passed with no
//! slot filled anywhere; a slot filled while one sleeps so sends one nudge.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::current;
use super::task::Task;
use super::DriverId;
use crate::sync::SpinLock;

/// Turns in a row a worker may take from its next slot before serving the injector.
pub(super) const NEXT_SLOT_STREAK: u32 = 32;

/// How long a task sits in a busy worker's next slot before an idle worker takes it (at
/// most twice this).
pub(super) const STEAL_AFTER: Duration = Duration::from_millis(1);

/// What the shared injector carries.
pub(super) enum Injected {
    Run(Task),
    /// Ends one worker: sent once per thread by `shutdown`.
    Quit,
    /// Wakes a worker sleeping without a timeout: a next slot was filled.
    Nudge,
}

/// A worker's next slot, where others can see it.
#[repr(align(128))]
struct Slot {
    task: SpinLock<Option<Task>>,
    /// How often the slot was filled: written by its owner only.
    fills: AtomicU64,
}

/// The next slots of a driver's workers, and how many sleep without a timeout.
pub(super) struct Slots {
    slots: Box<[Slot]>,
    deep_sleepers: AtomicUsize,
    /// A nudge is on its way: no other is sent until a sleeper wakes.
    nudged: AtomicBool,
}

impl Slots {
    pub(super) fn new(workers: usize) -> Slots {
        Slots {
            slots: (0..workers)
                .map(|_| Slot {
                    task: SpinLock::new(None),
                    fills: AtomicU64::new(0),
                })
                .collect(),
            deep_sleepers: AtomicUsize::new(0),
            nudged: AtomicBool::new(false),
        }
    }
}

thread_local! {
    /// This worker's slot, lent by `work` (which holds the `Slots`) for the thread's life,
    /// on a driver of more than one thread, where others may take from it.
    static MINE: Cell<Option<*const Slot>> = const { Cell::new(None) };
    /// The slot of the only worker of a one-thread driver: no one else could take from it,
    /// so it costs no lock.
    static ALONE: RefCell<Option<Task>> = const { RefCell::new(None) };
}

/// This worker's slot. Only called on a worker (`current::worker()` is set).
#[inline]
fn with_mine<R>(f: impl FnOnce(&Slot) -> R) -> Option<R> {
    // SAFETY: `work` sets the pointer from the `Slots` it holds and clears it before it
    // returns, so the slot is alive while the pointer is set.
    MINE.get().map(|slot| f(unsafe { &*slot }))
}

/// Puts `task` in this worker's next slot; gives back the task it displaced, if any.
#[inline]
pub(super) fn keep_next(
    task: Task,
    threads: usize,
    injector: &Sender<Injected>,
    slots: &Slots,
) -> Option<Task> {
    if threads == 1 {
        ALONE.with_borrow_mut(|next| next.replace(task))
    } else {
        keep_shared(task, injector, slots)
    }
}

/// `keep_next` on a driver of more than one thread, where an idle worker may take it.
#[inline(never)]
fn keep_shared(task: Task, injector: &Sender<Injected>, slots: &Slots) -> Option<Task> {
    let older = with_mine(|slot| {
        let older = slot.task.lock().replace(task);
        slot.fills
            .store(slot.fills.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        older
    })
    .flatten();
    if older.is_none() && slots.deep_sleepers.load(Ordering::Relaxed) > 0 {
        nudge(injector, slots);
    }
    older
}

#[cold]
#[inline(never)]
fn nudge(injector: &Sender<Injected>, slots: &Slots) {
    if !slots.nudged.swap(true, Ordering::Relaxed) {
        let _ = injector.send(Injected::Nudge);
    }
}

/// Takes this worker's next task; `shared`: the driver has more than one thread.
#[inline]
fn take_mine(shared: bool) -> Option<Task> {
    if shared {
        take_shared()
    } else {
        ALONE.with_borrow_mut(Option::take)
    }
}

#[inline(never)]
fn take_shared() -> Option<Task> {
    with_mine(|slot| slot.task.lock().take()).flatten()
}

/// Called before this thread blocks (a call, a wait, a full mailbox): an actor waiting in
/// this worker's next slot would be stranded there, so it goes to the shared queue.
#[inline]
pub(crate) fn before_blocking() {
    if let Some((_, threads)) = current::worker() {
        if let Some(task) = take_mine(threads > 1) {
            task.share();
        }
    }
}

/// An idle worker's watch on the other workers' slots.
struct Watch {
    /// Each slot's fill count at the last look.
    seen: Vec<u64>,
}

impl Watch {
    /// A task that sat in another worker's slot for a whole period, taken; and whether any
    /// slot was filled or is full (if not, the driver is idle: sleep without a timeout).
    fn steal(&mut self, slots: &Slots, me: usize) -> (Option<Task>, bool) {
        let mut busy = false;
        for (n, slot) in slots.slots.iter().enumerate() {
            if n == me {
                continue;
            }
            let fills = slot.fills.load(Ordering::Relaxed);
            let unchanged = std::mem::replace(&mut self.seen[n], fills) == fills;
            let mut task = slot.task.lock();
            if task.is_some() {
                busy = true;
                if unchanged {
                    return (task.take(), true);
                }
            } else if !unchanged {
                busy = true;
            }
        }
        (None, busy)
    }
}

/// The next job for an idle worker: from the injector, or stolen from a busy worker's
/// slot. `None` when the injector is closed.
fn next_job(
    jobs: &Receiver<Injected>,
    slots: &Slots,
    me: usize,
    watch: &mut Watch,
) -> Option<Injected> {
    if slots.slots.len() == 1 {
        // No one else's slot to watch.
        return jobs.recv().ok();
    }
    loop {
        match jobs.recv_timeout(STEAL_AFTER) {
            Ok(Injected::Nudge) => {
                slots.nudged.store(false, Ordering::Relaxed);
                continue;
            }
            Ok(job) => return Some(job),
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let (stolen, busy) = watch.steal(slots, me);
        if let Some(task) = stolen {
            return Some(Injected::Run(task));
        }
        if !busy {
            // Nothing filled for a whole period: sleep until there is work, or a nudge.
            slots.deep_sleepers.fetch_add(1, Ordering::SeqCst);
            let job = if slots.slots.iter().any(|slot| slot.task.lock().is_some()) {
                Ok(Injected::Nudge)
            } else {
                jobs.recv()
            };
            slots.deep_sleepers.fetch_sub(1, Ordering::SeqCst);
            slots.nudged.store(false, Ordering::Relaxed);
            match job {
                Ok(Injected::Nudge) => continue,
                Ok(job) => return Some(job),
                Err(_) => return None,
            }
        }
    }
}

pub(super) fn work(
    id: DriverId,
    me: usize,
    threads: usize,
    jobs: Receiver<Injected>,
    slots: Arc<Slots>,
) {
    let _worker = current::enter_worker(id, threads);
    let shared = threads > 1;
    if shared {
        MINE.set(Some(&slots.slots[me] as *const Slot));
    }
    let mut watch = Watch {
        seen: vec![0; slots.slots.len()],
    };
    let mut streak = 0;
    loop {
        let next = take_mine(shared);
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
                        Ok(Injected::Run(other)) => {
                            put_back(task, shared);
                            other
                        }
                        Ok(Injected::Quit) => {
                            put_back(task, shared);
                            break;
                        }
                        Ok(Injected::Nudge) => {
                            // Meant for a sleeper: let the next fill send another.
                            slots.nudged.store(false, Ordering::Relaxed);
                            task
                        }
                        Err(_) => task,
                    }
                } else {
                    let job = match jobs.try_recv() {
                        Ok(job) => Some(job),
                        Err(_) => next_job(&jobs, &slots, me, &mut watch),
                    };
                    match job {
                        Some(Injected::Run(task)) => task,
                        Some(Injected::Nudge) => {
                            slots.nudged.store(false, Ordering::Relaxed);
                            continue;
                        }
                        Some(Injected::Quit) | None => break,
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
    // Whatever is left in the slot belongs to a stopped driver: dropped, it ends its actor
    // (which may queue another here, for a watcher on this driver).
    while let Some(task) = take_mine(shared) {
        drop(task);
    }
    MINE.set(None);
}

fn put_back(task: Task, shared: bool) {
    if shared {
        with_mine(|slot| *slot.task.lock() = Some(task));
    } else {
        ALONE.with_borrow_mut(|next| *next = Some(task));
    }
}
