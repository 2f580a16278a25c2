//! The two jobs a mailbox carries for the runtime, each in one word: [`ExecFn`], a closure
//! that `Addr::exec` runs with the actor, and [`Resume`], the block of an ended
//! `ctx.ask` that runs its continuation.
//!
//! Both were fat pointers (`Box<dyn FnOnce>`, `Arc<dyn Resumable>`), two words each, and
//! so the widest variants of every actor's `Mail`: an actor whose messages are a word or
//! less paid for them on every message. One word each, the typed mail sets the size: 16
//! bytes, not 24, for mail of one-word messages and calls, and 24 bytes, not 32, in a
//! dedicated thread's channel slot (see BENCHMARKS.md, "Session 18", for what that gave
//! Fork-Join). The vtable moves into the block: an [`ExecFn`]'s box starts with its two
//! functions, and a [`Resume`] points at a [`ResumeHeader`] field of the ask's own block.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::actor::Actor;
use crate::context::Context;

/// A closure run on an actor's thread with the actor and its context (`Addr::exec`),
/// boxed behind one thin pointer: the box starts with the functions that know the
/// closure's type.
#[doc(hidden)]
pub struct ExecFn<A: Actor> {
    header: NonNull<ExecHeader<A>>,
}

// SAFETY: the box holds a closure that `new` required to be `Send`; `ExecFn` gives no
// shared access to it (and is not `Sync`, for the pointer).
unsafe impl<A: Actor> Send for ExecFn<A> {}

/// The first field of an [`ExecFn`]'s box.
struct ExecHeader<A: Actor> {
    /// Runs the closure and frees the box.
    call: unsafe fn(NonNull<ExecHeader<A>>, &mut A, &mut Context<A>),
    /// Drops the closure unrun and frees the box.
    drop: unsafe fn(NonNull<ExecHeader<A>>),
}

/// An [`ExecFn`]'s box: `repr(C)`, so that its header is at its start.
#[repr(C)]
struct ExecCell<A: Actor, F> {
    header: ExecHeader<A>,
    f: F,
}

impl<A: Actor> ExecFn<A> {
    /// Boxes `f`.
    pub(crate) fn new<F>(f: F) -> Self
    where
        F: FnOnce(&mut A, &mut Context<A>) + Send + 'static,
    {
        let cell = Box::new(ExecCell {
            header: ExecHeader {
                call: call_exec::<A, F>,
                drop: drop_exec::<A, F>,
            },
            f,
        });
        ExecFn {
            header: NonNull::from(Box::leak(cell)).cast(),
        }
    }

    /// Runs the closure (its box is freed before it runs, so a panic in it leaks nothing).
    #[inline]
    pub(crate) fn run(self, actor: &mut A, ctx: &mut Context<A>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: the header is the start of a live `ExecCell` made by `new` (`repr(C)`),
        // whose `call` knows its closure's type; `this` is not dropped, so the box is
        // taken over once.
        unsafe {
            let call = this.header.as_ref().call;
            call(this.header, actor, ctx)
        }
    }
}

impl<A: Actor> Drop for ExecFn<A> {
    fn drop(&mut self) {
        // SAFETY: as in `run`, for `drop`; the `ExecFn` is gone after this.
        unsafe {
            let drop = self.header.as_ref().drop;
            drop(self.header)
        }
    }
}

/// # Safety
///
/// `header` is the header of a live `ExecCell<A, F>` made by `ExecFn::new`, given up by
/// its `ExecFn`.
unsafe fn call_exec<A: Actor, F>(
    header: NonNull<ExecHeader<A>>,
    actor: &mut A,
    ctx: &mut Context<A>,
) where
    F: FnOnce(&mut A, &mut Context<A>),
{
    // The box is freed before the closure runs: what the closure does (and a panic in it)
    // cannot leave it behind.
    let f = {
        // SAFETY: as the caller promises: the box `new` leaked.
        let cell = unsafe { Box::from_raw(header.cast::<ExecCell<A, F>>().as_ptr()) };
        cell.f
    };
    f(actor, ctx);
}

/// # Safety
///
/// As for `call_exec`.
unsafe fn drop_exec<A: Actor, F>(header: NonNull<ExecHeader<A>>) {
    // SAFETY: as the caller promises.
    drop(unsafe { Box::from_raw(header.cast::<ExecCell<A, F>>().as_ptr()) });
}

/// A request block that a [`Resume`] can carry: `ctx.ask`'s shared state (`call/ask.rs`),
/// which holds the continuation and the outcome that ended the request.
///
/// # Safety
///
/// The type has a [`ResumeHeader<A>`] field made by [`ResumeHeader::new::<Self>`],
/// [`HEADER_AT`](Resumable::HEADER_AT) bytes into it.
pub(crate) unsafe trait Resumable<A: Actor>: Send + Sync + Sized + 'static {
    /// Where the [`ResumeHeader`] field is, in bytes from the start (`offset_of!`).
    const HEADER_AT: usize;

    /// Runs the continuation with the outcome, on the asking actor, once.
    fn resume(self: Arc<Self>, actor: &mut A, ctx: &mut Context<A>);

    /// Drops the continuation and the outcome unrun (the mail was never handled).
    fn discard(&self);
}

/// The field of a [`Resumable`] block that a [`Resume`] points at: the functions that
/// know the block's type.
pub(crate) struct ResumeHeader<A: Actor> {
    /// Takes over the block's reference and runs its continuation.
    resume: unsafe fn(NonNull<ResumeHeader<A>>, &mut A, &mut Context<A>),
    /// Takes over the block's reference and drops its continuation unrun.
    discard: unsafe fn(NonNull<ResumeHeader<A>>),
}

impl<A: Actor> ResumeHeader<A> {
    /// The header of blocks of type `R`.
    pub(crate) fn new<R: Resumable<A>>() -> Self {
        ResumeHeader {
            resume: resume_block::<A, R>,
            discard: discard_block::<A, R>,
        }
    }
}

/// The block of `header`, whose reference its `Resume` gave up.
///
/// # Safety
///
/// `header` was made by `Resume::new` from an `Arc<R>`, and that reference is the
/// caller's to take over.
unsafe fn block_of<A: Actor, R: Resumable<A>>(header: NonNull<ResumeHeader<A>>) -> Arc<R> {
    // SAFETY: as the caller promises: `Resume::new` moved the `Arc::into_raw` pointer
    // `HEADER_AT` bytes on, within the block (`Resumable`'s contract); this moves it back.
    unsafe { Arc::from_raw(header.as_ptr().byte_sub(R::HEADER_AT).cast::<R>()) }
}

/// # Safety
///
/// As for `block_of`.
unsafe fn resume_block<A: Actor, R: Resumable<A>>(
    header: NonNull<ResumeHeader<A>>,
    actor: &mut A,
    ctx: &mut Context<A>,
) {
    // SAFETY: as the caller promises.
    unsafe { block_of::<A, R>(header) }.resume(actor, ctx);
}

/// # Safety
///
/// As for `block_of`.
unsafe fn discard_block<A: Actor, R: Resumable<A>>(header: NonNull<ResumeHeader<A>>) {
    // SAFETY: as the caller promises.
    unsafe { block_of::<A, R>(header) }.discard();
}

/// The mail that carries an ended `ctx.ask` back to its asker: a thin pointer into the
/// request's own block (no box of its own), which holds one reference to it. Dropped
/// unhandled (the asker stopped first), it drops the continuation at once, not when the
/// last reference to the block goes.
#[doc(hidden)]
pub struct Resume<A: Actor> {
    header: NonNull<ResumeHeader<A>>,
}

// SAFETY: the block is `Send + Sync` (`Resumable`'s bound); `Resume` only hands its
// reference on.
unsafe impl<A: Actor> Send for Resume<A> {}

impl<A: Actor> Resume<A> {
    /// The mail of `block`, which takes over this reference to it.
    pub(crate) fn new<R: Resumable<A>>(block: Arc<R>) -> Self {
        let raw = Arc::into_raw(block).cast_mut();
        // SAFETY: `HEADER_AT` is the offset of a field of `R` (`Resumable`'s contract), so
        // the pointer stays within the block and is not null.
        let header = unsafe { NonNull::new_unchecked(raw.byte_add(R::HEADER_AT).cast()) };
        Resume { header }
    }

    /// Runs the continuation.
    #[inline]
    pub(crate) fn run(self, actor: &mut A, ctx: &mut Context<A>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `new` made the header from the block's reference, which `this`, never
        // dropped, gives up here, once.
        unsafe {
            let resume = this.header.as_ref().resume;
            resume(this.header, actor, ctx)
        }
    }
}

impl<A: Actor> Drop for Resume<A> {
    fn drop(&mut self) {
        // SAFETY: as in `run`, for `discard`: dropped unhandled.
        unsafe {
            let discard = self.header.as_ref().discard;
            discard(self.header)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExecFn;
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
        let job = ExecFn::<Noop>::new(move |_, _| {
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
        assert_eq!(size_of::<ExecFn<Noop>>(), 8);
        assert_eq!(size_of::<super::Resume<Noop>>(), 8);
    }
}
