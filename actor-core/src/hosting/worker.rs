//! A driver's worker thread: its loop, its next slot (the task it runs after the current
//! turn, ahead of the shared injector), and what it does before it blocks.
//!
//! The next slot is thread-local: filling and emptying it costs no atomic operation, so a
//! message between two actors of one driver runs on the sending thread, waking no other.
//! The price: a neighbour told from a handler that then computes for long waits in this
//! worker's slot until the handler returns, even while another worker is idle (an idle
//! worker cannot take it). Moving the slot where idle workers can take it costs an
//! uncontended lock on each side of every hop (about 20 % on the driver's ping-pong and
//! ThreadRing rows, measured); that trade is left for a cheaper handshake.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Weak;

use crossbeam_channel::Receiver;

use super::current;
use super::driver::DriverInner;
use super::task::Task;
use super::DriverId;

/// Turns in a row a worker may take from its next slot before serving the injector.
pub(super) const NEXT_SLOT_STREAK: u32 = 32;

/// What the shared injector carries.
pub(super) enum Injected {
    Run(Task),
    /// Ends one worker: sent once per thread by `shutdown`.
    Quit,
}

thread_local! {
    /// The task this worker runs next, ahead of the injector.
    static NEXT_TASK: RefCell<Option<Task>> = const { RefCell::new(None) };
}

/// Puts `task` in this worker's next slot; gives back the task it displaced, if any.
#[inline]
pub(super) fn keep_next(task: Task) -> Option<Task> {
    NEXT_TASK.with_borrow_mut(|next| next.replace(task))
}

/// Called before this thread blocks (a call, a wait, a full mailbox): an actor waiting in
/// this worker's next slot would be stranded there, so it goes to the shared queue.
#[inline]
pub(crate) fn before_blocking() {
    if current::worker().is_some() {
        if let Some(task) = NEXT_TASK.with_borrow_mut(Option::take) {
            task.share();
        }
    }
}

pub(super) fn work(
    id: DriverId,
    threads: usize,
    jobs: Receiver<Injected>,
    driver: Weak<DriverInner>,
) {
    let _worker = current::enter_worker(id, threads);
    let mut streak = 0;
    loop {
        let next = NEXT_TASK.with_borrow_mut(Option::take);
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
                            NEXT_TASK.with_borrow_mut(|slot| *slot = Some(task));
                            other
                        }
                        Ok(Injected::Quit) => {
                            NEXT_TASK.with_borrow_mut(|slot| *slot = Some(task));
                            drain(&jobs, &driver);
                            break;
                        }
                        Err(_) => task,
                    }
                } else {
                    match jobs.recv() {
                        Ok(Injected::Run(task)) => task,
                        Ok(Injected::Quit) => {
                            drain(&jobs, &driver);
                            break;
                        }
                        Err(_) => break,
                    }
                }
            }
        };
        run(task);
    }
    // Whatever is left in the slot belongs to a stopped driver: dropped, it ends its actor
    // (which may queue another here, for a watcher on this driver).
    while let Some(task) = NEXT_TASK.with_borrow_mut(Option::take) {
        drop(task);
    }
}

/// Runs one turn. A turn contains its handlers' panics; this catches what escapes them (a
/// panicking Drop, say) so that the worker, and its other actors, go on.
#[inline]
fn run(task: Task) {
    if panic::catch_unwind(AssertUnwindSafe(|| task.run())).is_err() {
        log::error!("a driver worker caught a panic outside any handler");
    }
}

/// A quitting worker runs what is still queued: `Driver::shutdown` shut every actor's
/// mailbox before it sent the quits, so each such turn ends its actor at once, and no
/// actor is left waiting for a worker still blocked in a handler. The quits meant for the
/// other workers go back on the queue, after everything else has been run.
fn drain(jobs: &Receiver<Injected>, driver: &Weak<DriverInner>) {
    let mut quits = 0;
    while let Ok(job) = jobs.try_recv() {
        match job {
            Injected::Run(task) => run(task),
            Injected::Quit => quits += 1,
        }
    }
    if let Some(driver) = driver.upgrade() {
        for _ in 0..quits {
            let _ = driver.injector.send(Injected::Quit);
        }
    }
}
