//! The jobs a mailbox carries for the runtime, each in one word: a [`Job`] is a closure
//! that `Addr::exec` runs with the actor ([`Job::exec`], mail `Exec`), or the block of an
//! ended `ctx.ask` that runs its continuation ([`Job::resume`], mail `Resume`).
//!
//! Both were fat pointers (`Box<dyn FnOnce>`, `Arc<dyn Resumable>`), two words each, and
//! so the widest variants of every actor's `Mail`: an actor whose messages are a word or
//! less paid for them on every message. One word each, the typed mail sets the size: 16
//! bytes, not 24, for mail of one-word messages and calls, and 24 bytes, not 32, in a
//! dedicated thread's channel slot (see BENCHMARKS.md, "Session 18", for what that gave
//! Fork-Join). The vtable moves into the block, as a [`JobHeader`]: an exec job's box
//! starts with it, and an ask's block has one as a field, which its job points at.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::actor::Actor;
use crate::context::Context;

/// A job run on an actor's thread with the actor and its context, behind one thin pointer
/// to its [`JobHeader`], whose functions know what the job is. Dropped unrun, it drops
/// what it would have run (a closure, an ask's continuation) at once.
#[doc(hidden)]
pub struct Job<A: Actor> {
    header: NonNull<JobHeader<A>>,
}

// SAFETY: what a job owns is `Send`: a closure that `exec` required to be, or a reference
// to a block that is `Send + Sync` (`Resumable`'s bound). `Job` gives no shared access to
// it (and is not `Sync`, for the pointer).
unsafe impl<A: Actor> Send for Job<A> {}

/// The functions of a [`Job`], in the block it points to.
pub(crate) struct JobHeader<A: Actor> {
    /// Runs the job, taking over what it owns (and freeing it).
    run: unsafe fn(NonNull<JobHeader<A>>, &mut A, &mut Context<A>),
    /// Drops what the job owns unrun.
    drop: unsafe fn(NonNull<JobHeader<A>>),
}

impl<A: Actor> Job<A> {
    /// Boxes `f`, a closure for `Addr::exec`.
    pub(crate) fn exec<F>(f: F) -> Self
    where
        F: FnOnce(&mut A, &mut Context<A>) + Send + 'static,
    {
        let cell = Box::new(ExecCell {
            header: JobHeader {
                run: call_exec::<A, F>,
                drop: drop_exec::<A, F>,
            },
            f,
        });
        Job {
            header: NonNull::from(Box::leak(cell)).cast(),
        }
    }

    /// The job of an ended ask's `block`, which takes over this reference to it.
    pub(crate) fn resume<R: Resumable<A>>(block: Arc<R>) -> Self {
        let raw = Arc::into_raw(block).cast_mut();
        // SAFETY: `HEADER_AT` is the offset of a field of `R` (`Resumable`'s contract), so
        // the pointer stays within the block and is not null.
        let header = unsafe { NonNull::new_unchecked(raw.byte_add(R::HEADER_AT).cast()) };
        Job { header }
    }

    /// Runs the job.
    #[inline]
    pub(crate) fn run(self, actor: &mut A, ctx: &mut Context<A>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: the header was made by `exec` or `resume` with functions that know what
        // the job owns; `this` is not dropped, so that is taken over once.
        unsafe {
            let run = this.header.as_ref().run;
            run(this.header, actor, ctx)
        }
    }
}

impl<A: Actor> Drop for Job<A> {
    fn drop(&mut self) {
        // SAFETY: as in `run`, for `drop`; the job is gone after this.
        unsafe {
            let drop = self.header.as_ref().drop;
            drop(self.header)
        }
    }
}

/// An exec job's box: `repr(C)`, so that its header is at its start.
#[repr(C)]
struct ExecCell<A: Actor, F> {
    header: JobHeader<A>,
    f: F,
}

/// # Safety
///
/// `header` is the header of a live `ExecCell<A, F>` made by `Job::exec`, given up by its
/// job.
unsafe fn call_exec<A: Actor, F>(header: NonNull<JobHeader<A>>, actor: &mut A, ctx: &mut Context<A>)
where
    F: FnOnce(&mut A, &mut Context<A>),
{
    // The box is freed before the closure runs: what the closure does (and a panic in it)
    // cannot leave it behind.
    let f = {
        // SAFETY: as the caller promises: the box `exec` leaked.
        let cell = unsafe { Box::from_raw(header.cast::<ExecCell<A, F>>().as_ptr()) };
        cell.f
    };
    f(actor, ctx);
}

/// # Safety
///
/// As for `call_exec`.
unsafe fn drop_exec<A: Actor, F>(header: NonNull<JobHeader<A>>) {
    // SAFETY: as the caller promises.
    drop(unsafe { Box::from_raw(header.cast::<ExecCell<A, F>>().as_ptr()) });
}

/// A request block that a resume [`Job`] can carry: `ctx.ask`'s shared state
/// (`call/ask.rs`), which holds the continuation and the outcome that ended the request.
///
/// # Safety
///
/// The type has a [`JobHeader<A>`] field made by [`JobHeader::resume::<Self>`],
/// [`HEADER_AT`](Resumable::HEADER_AT) bytes into it.
pub(crate) unsafe trait Resumable<A: Actor>: Send + Sync + Sized + 'static {
    /// Where the [`JobHeader`] field is, in bytes from the start (`offset_of!`).
    const HEADER_AT: usize;

    /// Runs the continuation with the outcome, on the asking actor, once.
    fn resume(self: Arc<Self>, actor: &mut A, ctx: &mut Context<A>);

    /// Drops the continuation and the outcome unrun (the mail was never handled).
    fn discard(&self);
}

impl<A: Actor> JobHeader<A> {
    /// The header field of request blocks of type `R`.
    pub(crate) fn resume<R: Resumable<A>>() -> Self {
        JobHeader {
            run: resume_block::<A, R>,
            drop: discard_block::<A, R>,
        }
    }
}

/// The block of `header`, whose reference its job gave up.
///
/// # Safety
///
/// `header` was made by `Job::resume` from an `Arc<R>`, and that reference is the
/// caller's to take over.
unsafe fn block_of<A: Actor, R: Resumable<A>>(header: NonNull<JobHeader<A>>) -> Arc<R> {
    // SAFETY: as the caller promises: `Job::resume` moved the `Arc::into_raw` pointer
    // `HEADER_AT` bytes on, within the block (`Resumable`'s contract); this moves it back.
    unsafe { Arc::from_raw(header.as_ptr().byte_sub(R::HEADER_AT).cast::<R>()) }
}

/// # Safety
///
/// As for `block_of`.
unsafe fn resume_block<A: Actor, R: Resumable<A>>(
    header: NonNull<JobHeader<A>>,
    actor: &mut A,
    ctx: &mut Context<A>,
) {
    // SAFETY: as the caller promises.
    unsafe { block_of::<A, R>(header) }.resume(actor, ctx);
}

/// # Safety
///
/// As for `block_of`.
unsafe fn discard_block<A: Actor, R: Resumable<A>>(header: NonNull<JobHeader<A>>) {
    // SAFETY: as the caller promises.
    unsafe { block_of::<A, R>(header) }.discard();
}

#[cfg(test)]
mod tests {
    use super::Job;
    use crate::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[derive(Message)]
    struct Tick;

    struct Noop;
    #[actor]
    impl Noop {
        #[handles(Tick)]
        fn tick(&mut self, _: Tick) {}
    }

    /// A job dropped unrun drops its closure (and what the closure holds) once.
    #[test]
    fn an_exec_job_dropped_unrun_drops_its_closure() {
        let held = Arc::new(AtomicUsize::new(0));
        let mine = held.clone();
        let job = Job::<Noop>::exec(move |_, _| {
            mine.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(Arc::strong_count(&held), 2);
        drop(job);
        assert_eq!(Arc::strong_count(&held), 1, "the closure is dropped");
        assert_eq!(held.load(Ordering::SeqCst), 0, "and not run");
    }

    /// Mail for the runtime is one word: it does not widen an actor's typed mail.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn runtime_jobs_are_one_word() {
        use std::mem::size_of;
        assert_eq!(size_of::<Job<Noop>>(), 8);
    }
}
