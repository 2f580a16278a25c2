//! An actor on a driver: its [`DriverCell`] (mailbox and life, owned by whichever worker
//! the mailbox's `scheduled` flag was set for), and the [`Task`] that points to a cell on
//! a run queue. The unsafe code of shared hosting is here.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

use super::current;
use super::driver::DriverInner;
use super::driver::BATCH;
use super::lifecycle::{Flow, Life};
use super::worker::Injected;
use crate::actor::Actor;
use crate::handle::Erased;
use crate::mailbox::{Envelope, Mailbox, Pop, Refused, Wait};

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
///
/// A task dropped unrun (its driver's workers are gone: the injector refused it or dropped
/// it with its last receiver, or a quitting worker held it) ends its actor on the spot:
/// the right to run the actor is also the duty to end it, so no actor is stranded.
pub(crate) struct Task {
    cell: NonNull<()>,
    /// The functions that know the cell's actor type, one static table per type: a task
    /// is two words, so queueing and moving it costs two stores, not four.
    kind: &'static TaskFns,
}

/// What a [`Task`] can do with its cell, for one actor type.
struct TaskFns {
    run: unsafe fn(NonNull<()>),
    share: unsafe fn(NonNull<()>),
    end: unsafe fn(NonNull<()>),
}

// SAFETY: a `DriverCell` is `Send + Sync`; see `Task` for why it outlives the task.
unsafe impl Send for Task {}

impl Task {
    /// The task of a cell.
    ///
    /// # Safety
    ///
    /// The caller has just set the cell's `scheduled` flag, for this task alone (see
    /// `Task`): the task may then run the cell's turn on any worker.
    #[inline]
    pub(super) unsafe fn new<A: Actor>(cell: &DriverCell<A>) -> Task {
        Task {
            cell: NonNull::from(cell).cast(),
            kind: &DriverCell::<A>::FNS,
        }
    }

    #[inline]
    pub(super) fn run(self) {
        let task = ManuallyDrop::new(self);
        // SAFETY: the cell is a `DriverCell` of the type `new` was given, alive while its
        // task exists (see `Task`); the task is consumed, so `end` does not run too.
        unsafe { (task.kind.run)(task.cell) }
    }

    pub(super) fn share(self) {
        let task = ManuallyDrop::new(self);
        // SAFETY: as in `run`.
        unsafe { (task.kind.share)(task.cell) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: as in `run`: this task, dropped unrun, still holds the flag.
        unsafe { (self.kind.end)(self.cell) }
    }
}

/// An actor hosted on a driver: its mailbox, and its cell, owned by whichever worker the
/// mailbox's `scheduled` flag was set for.
///
/// The cell is not an allocation of its own: it is the actor's `Host::Driver`, inside its
/// `Shared` (`handle/shared.rs`), so an actor on a driver is one block (see BENCHMARKS.md,
/// "Session 6", for what each part costs).
pub(crate) struct DriverCell<A: Actor> {
    mailbox: Mailbox<Envelope<A>>,
    /// The actor (whether it has started is kept in its `Life`).
    state: UnsafeCell<Option<Life<A>>>,
    driver: Arc<DriverInner>,
}

// SAFETY: `state` is only touched by the one worker running the cell's turn
// (the mailbox's `scheduled` flag is set for it), or before the cell is first queued.
unsafe impl<A: Actor> Sync for DriverCell<A> {}

impl<A: Actor> DriverCell<A> {
    /// The functions of this actor type's tasks.
    const FNS: TaskFns = TaskFns {
        run: Self::run,
        share: Self::share,
        end: Self::end,
    };

    /// A cell with no actor in it yet (see `set_life`). An actor with `#[on_start]` is
    /// queued at spawn (its mailbox made scheduled); it has not started until its first
    /// turn runs the hook.
    pub(super) fn new(mailbox: Mailbox<Envelope<A>>, driver: Arc<DriverInner>) -> Self {
        DriverCell {
            mailbox,
            state: UnsafeCell::new(None),
            driver,
        }
    }

    /// Puts the actor in its cell.
    ///
    /// # Safety
    ///
    /// No one else can reach the cell yet: it is on no run queue and no handle to it has
    /// been returned.
    pub(super) unsafe fn set_life(&self, life: Life<A>) {
        // SAFETY: as the caller promises, this thread has the cell to itself.
        unsafe { *self.state.get() = Some(life) };
    }

    /// Takes the actor out of a cell that never ran.
    ///
    /// # Safety
    ///
    /// As for `set_life`.
    pub(super) unsafe fn take_life(&self) -> Option<Life<A>> {
        // SAFETY: as the caller promises, this thread has the cell to itself.
        unsafe { (*self.state.get()).take() }
    }

    /// Queues an envelope, and the actor too if it was idle. `may_wait` is asked before a
    /// post waits for room in a full bounded mailbox. Inlined into the handles' post, with
    /// `schedule`: the envelope is then written once, into the queue.
    #[inline(always)]
    pub(crate) fn post<G>(
        &self,
        envelope: Envelope<A>,
        wait: Wait,
        may_wait: impl FnOnce() -> Result<G, Refused>,
    ) -> Result<(), (Envelope<A>, Refused)> {
        if self.mailbox.push(envelope, wait, may_wait)? {
            // SAFETY: `push` set the flag for the caller, who queues this one task.
            self.driver.schedule(unsafe { Task::new(self) });
        }
        Ok(())
    }

    /// Shuts the mailbox (later posts fail) and ends the actor, at its driver's shutdown:
    /// here if it is idle, else in the turn under way (once its handler returns) or the
    /// one queued.
    pub(crate) fn shut_down(&self) {
        if self.mailbox.shut() {
            // SAFETY: `shut` set the flag for this caller, who hands it to this task, which
            // is dropped at once: it ends the actor.
            drop(unsafe { Task::new(self) });
        }
    }

    /// Closes the mailbox for good, handing back what is queued.
    pub(super) fn close(&self) -> VecDeque<Envelope<A>> {
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
        // SAFETY: the flag is set for the caller's task, which this one replaces.
        let task = unsafe { Task::new(this) };
        // Fails only once every worker has quit: the driver is shut down.
        let _ = this.driver.injector.send(Injected::Run(task));
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
        // SAFETY: this worker took the cell off a run queue, so the flag is set for it and
        // no one else touches the cell's state until the flag is cleared.
        let state = unsafe { &mut *this.state.get() };
        let Some(life) = state.as_mut() else {
            return;
        };
        // SAFETY: the cell holds this `Arc` for the whole turn; in the stopping path below
        // a clone of it outlives the guard.
        let entered = unsafe { current::enter(Arc::as_ptr(life.shared()) as *const dyn Erased) };
        let mut flow = Flow::Continue;
        if !life.started() {
            if this.mailbox.is_closed() {
                // Shut down before its first turn: it never starts.
                drop(entered);
                // SAFETY: the flag is still set for this turn's task, which ends here.
                unsafe { Self::end(ptr) };
                return;
            }
            life.set_started();
            flow = life.start();
        }
        let mut handled = 0;
        // What this run handles, counted in registers and published as it lets go of the
        // actor (zero-sized without the observing features).
        let mut tally = life.tally();
        while flow == Flow::Continue {
            if handled == BATCH {
                // More mail, most likely: go to the back of the shared queue, keeping the
                // flag.
                life.publish(&mut tally);
                drop(entered);
                // SAFETY: the flag is still set for this turn's task.
                unsafe { Self::share(ptr) };
                return;
            }
            let next = this.mailbox.pop_into(
                &mut (&mut *life, &mut tally),
                |(life, tally), envelope| life.handle(envelope, tally),
                |(life, tally)| life.publish(tally),
            );
            match next {
                Pop::Item(next) => {
                    flow = next;
                    handled += 1;
                }
                // The flag is clear: from here on another worker may own the cell, so
                // nothing of it is touched again.
                Pop::Idle => return,
                // The driver shut the mailbox: end the actor now, its mail unhandled.
                Pop::Closed => break,
            }
        }
        life.publish(&mut tally);
        drop(entered);
        // SAFETY: the flag is still set for this turn's task, which ends here.
        unsafe { Self::end(ptr) };
    }

    /// Ends the actor: off the live list, `Life::finish` (which closes the mailbox and
    /// drops what is queued), with the actor set as running. Nothing if it has ended.
    ///
    /// # Safety
    ///
    /// `cell` points to a `DriverCell<A>` whose flag is set for the caller's task, which
    /// ends here: the flag stays set for good, so nothing is queued for the cell again.
    unsafe fn end(ptr: NonNull<()>) {
        // SAFETY: as the caller promises; not used after `shared` is dropped below.
        let this = unsafe { ptr.cast::<Self>().as_ref() };
        // SAFETY: the flag is set for the caller: no one else touches the cell's state.
        let state = unsafe { &mut *this.state.get() };
        let Some(life) = state.take() else {
            return;
        };
        let started = life.started();
        let shared = life.shared().clone();
        // SAFETY: `shared` outlives the guard: it is dropped after it, below.
        let entered = unsafe { current::enter(Arc::as_ptr(&shared) as *const dyn Erased) };
        // Off the live list before the stopper hears `Stopped`.
        this.driver.forget(shared.slot());
        if started {
            life.finish(|| this.close());
        } else {
            life.finish_unstarted(|| this.close());
        }
        drop(entered);
        // Perhaps the last reference to the cell: it is not touched after this.
        drop(shared);
    }
}
