//! A future polled where it is woken: on the thread that completes it (an actor's, as it
//! replies, or the timer's, at a deadline), with no executor and no thread waiting for
//! it. This is how a serving front end posts a call to an exposed actor and writes the
//! reply back from the actor's own thread, instead of blocking a worker in
//! `Bridge::call` for the whole call.
//!
//! The future's waker is the state itself: waking it polls the future once more, and
//! the output goes to the continuation there. The first poll is on the calling thread;
//! an output ready at once comes back to it (with the continuation's context), so the
//! caller can see a refusal (a full mailbox) and take another road.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::sync::lock;

/// The future, the context its continuation is given, and the continuation.
struct Woken<F: Future, C> {
    /// Taken out when the output comes: later wakes find nothing to do.
    state: Mutex<Option<(F, C)>>,
    then: fn(F::Output, C),
}

/// Polls `future` once here; if it is not ready, it is polled again wherever it is woken,
/// and its output goes to `then` with `context` there. An output ready at once comes back
/// with `context` instead, and `then` is not called.
///
/// The future must complete in the end (a call's future does, at its timeout at the
/// latest): until then, it and its waker hold each other.
pub(crate) fn run<F, C>(future: F, context: C, then: fn(F::Output, C)) -> Option<(F::Output, C)>
where
    F: Future + Unpin + Send + 'static,
    C: Send + 'static,
{
    let woken = Arc::new(Woken {
        state: Mutex::new(Some((future, context))),
        then,
    });
    woken.poll()
}

impl<F, C> Woken<F, C>
where
    F: Future + Unpin + Send + 'static,
    C: Send + 'static,
{
    /// Polls the future, if it is still there; its output (and the context) if ready.
    fn poll(self: &Arc<Self>) -> Option<(F::Output, C)> {
        // Held while polling: a wake that comes meanwhile (on another thread) waits for
        // this poll to end, then polls again and finds the output.
        let mut state = lock(&self.state);
        let (future, _) = state.as_mut()?;
        let waker = Waker::from(Arc::clone(self));
        match Pin::new(future).poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => None,
            Poll::Ready(output) => state.take().map(|(_, context)| (output, context)),
        }
    }
}

impl<F, C> Wake for Woken<F, C>
where
    F: Future + Unpin + Send + 'static,
    C: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some((output, context)) = self.poll() {
            (self.then)(output, context);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A future that is ready once its slot is filled, woken by whoever fills it.
    struct Slot(Arc<Mutex<(Option<u32>, Option<Waker>)>>);

    impl Future for Slot {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let mut slot = lock(&self.0);
            match slot.0.take() {
                Some(value) => Poll::Ready(value),
                None => {
                    slot.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    fn send(value: u32, to: mpsc::Sender<(u32, std::thread::ThreadId)>) {
        to.send((value, std::thread::current().id())).unwrap();
    }

    #[test]
    fn an_output_ready_at_once_comes_back_and_the_continuation_is_not_called() {
        let (to, from) = mpsc::channel();
        let slot = Arc::new(Mutex::new((Some(7), None)));
        let ready = run(Slot(slot), to, send);
        assert_eq!(ready.map(|(value, _)| value), Some(7));
        assert!(from.try_recv().is_err());
    }

    #[test]
    fn a_later_output_goes_to_the_continuation_on_the_waking_thread() {
        let (to, from) = mpsc::channel();
        let slot = Arc::new(Mutex::new((None, None)));
        assert!(run(Slot(slot.clone()), to, send).is_none());
        let filler = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                let waker = {
                    let mut slot = lock(&slot);
                    slot.0 = Some(9);
                    slot.1.take().unwrap()
                };
                waker.wake();
                std::thread::current().id()
            })
        };
        let filler = filler.join().unwrap();
        let (value, thread) = from.recv().unwrap();
        assert_eq!((value, thread), (9, filler));
        // The state let go of the future and its continuation: waking again does nothing.
        assert!(from.try_recv().is_err());
    }
}
