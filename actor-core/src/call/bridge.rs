//! [`Bridge`]: how plain code (not an actor) calls actors and waits for replies.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender as ChannelSender};

use super::shot::{self, Shot};
use super::{CallTarget, NoReply, ReplyTo};
use crate::error::{CallError, SendError};
use crate::handle::{AnyAddr, Sender};
use crate::hosting::current;
use crate::hosting::waits::{self, Party};
use crate::hosting::worker::SpinBudget;
use crate::id::ActorInfo;
use crate::message::{DynMessage, Message};

/// Lets plain code call actors and wait for their typed replies, with timeouts.
///
/// Every call waits on a reply slot of its own, so a reply that arrives after its call
/// timed out is dropped: it is never handed to a later call. (A thread uses its slots
/// again, but only once no one else holds them.) A bridge also has an inbox:
/// what actors send back through [`Context::sender`](crate::Context::sender) to a message
/// the bridge sent lands there, for [`receive`](Bridge::receive).
///
/// A bridge is cheap to clone and can be shared between threads.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u64)]
/// struct Square(u64);
///
/// struct Math;
/// #[actor]
/// impl Math {
///     #[handles(Square)]
///     fn square(&mut self, Square(n): Square) -> u64 { n * n }
/// }
///
/// let math = Math.spawn();
/// let bridge = Bridge::new();
/// assert_eq!(bridge.call(&math, Square(12), Duration::from_secs(5)).unwrap(), 144);
///
/// // Many calls at once; replies come as they are ready, each with its request's index.
/// let mut squares: Vec<(usize, u64)> = bridge
///     .multi_call((1..=3).map(|n| (&math, Square(n))), Duration::from_secs(5))
///     .map(|(i, reply)| (i, reply.unwrap()))
///     .collect();
/// squares.sort();
/// assert_eq!(squares, [(0, 1), (1, 4), (2, 9)]);
///
/// assert_eq!(bridge.stop(&[math.any()], Duration::from_secs(5)), [Some(Stopped)]);
/// ```
#[derive(Clone)]
pub struct Bridge {
    inbox: Arc<Inbox>,
}

struct Inbox {
    tx: ChannelSender<DynMessage>,
    rx: Receiver<DynMessage>,
}

impl Bridge {
    /// A bridge with an empty inbox.
    pub fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Bridge {
            inbox: Arc::new(Inbox { tx, rx }),
        }
    }

    /// Sends `msg` to `target` and waits up to `timeout` for the reply.
    ///
    /// Fails at once, giving the message back, if the actor has stopped, or if the reply
    /// could never come: the caller is the target itself, or the target runs on a
    /// one-thread driver and the caller is that thread ([`CallError::WouldDeadlock`]), or
    /// a chain of blocked calls would come back to the caller's thread
    /// ([`SendError::WouldDeadlock`], naming the chain; see
    /// [`CallError::is_would_deadlock`]).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u64)]
    /// struct Double(u64);
    ///
    /// struct Math;
    /// #[actor]
    /// impl Math {
    ///     #[handles(Double)]
    ///     fn double(&mut self, Double(n): Double) -> u64 { n * 2 }
    /// }
    ///
    /// let math = Math.spawn();
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// assert_eq!(bridge.call(&math, Double(21), wait).unwrap(), 42);
    /// // Any handle that takes the message will do: here a `Recipient<Double>`.
    /// assert_eq!(bridge.call(&math.recipient::<Double>(), Double(4), wait).unwrap(), 8);
    ///
    /// bridge.stop(&[math.any()], wait);
    /// let err = bridge.call(&math, Double(1), wait).unwrap_err();
    /// assert!(err.to_string().contains("has stopped"));
    /// ```
    pub fn call<T, M>(
        &self,
        target: &T,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, CallError<M>>
    where
        T: CallTarget<M> + ?Sized,
        M: Message,
    {
        let actor = target.__info();
        if current::would_deadlock(actor.id, target.__driver()) {
            return Err(CallError::WouldDeadlock { actor, msg });
        }
        // Recorded until the reply comes, if the caller is an actor (`hosting::waits`).
        let _waiting = match waits::wait_for(party(target), waits::Kind::Call) {
            Ok(waiting) => waiting,
            Err(cycle) => return Err(would_deadlock(actor, msg, cycle)),
        };
        // This thread's reply slot for `M::Reply`, used again from call to call: nothing
        // is allocated, nor freed on the actor's thread (where a free of this thread's
        // memory may take its allocator's lock).
        let slot = ReplySlot::<M::Reply>::take();
        // A full bounded mailbox may make the post itself wait: within the same timeout.
        let deadline = Instant::now().checked_add(timeout);
        let reply = ReplyTo::shot(slot.shot.clone());
        if let Err(e) = target.__deliver(msg, reply, self.sender_for(target), deadline) {
            slot.give_back();
            return Err(e.into());
        }
        crate::hosting::before_blocking();
        let shot = &slot.shot;
        let outcome = REPLY_SPIN
            .spin(deadline, || shot.try_take())
            .or_else(|| shot.wait(deadline));
        let result = match outcome {
            Some(shot::Outcome::Done(outcome)) => outcome.map_err(|why| failure(actor, why)),
            Some(shot::Outcome::TimedOut) | None => {
                // A reply after this is dropped: the slot is not used again while its
                // actor holds it (`Shot::reset`).
                shot.close();
                Err(CallError::Timeout { actor, timeout })
            }
        };
        slot.give_back();
        result
    }

    /// Like [`call`](Bridge::call), but a timeout gives `default` instead of an error (the
    /// seed recipe's `default`). Other failures are still errors.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u32)]
    /// struct Score;
    ///
    /// struct Judge;
    /// #[actor]
    /// impl Judge {
    ///     #[handles(Score)]
    ///     fn score(&mut self, _: Score) -> u32 { 10 }
    /// }
    ///
    /// let judge = Judge.spawn();
    /// let bridge = Bridge::new();
    /// // Keep the judge busy until released: the first call cannot be answered in time.
    /// let (release, released) = mpsc::channel::<()>();
    /// let held = judge.exec(move |_, _| released.recv().unwrap());
    /// assert_eq!(bridge.call_or(&judge, Score, Duration::from_millis(10), 0).unwrap(), 0);
    /// release.send(()).unwrap();
    /// held.wait().unwrap();
    /// assert_eq!(bridge.call_or(&judge, Score, Duration::from_secs(5), 0).unwrap(), 10);
    /// ```
    pub fn call_or<T, M>(
        &self,
        target: &T,
        msg: M,
        timeout: Duration,
        default: M::Reply,
    ) -> Result<M::Reply, CallError<M>>
    where
        T: CallTarget<M> + ?Sized,
        M: Message,
    {
        match self.call(target, msg, timeout) {
            Err(CallError::Timeout { .. }) => Ok(default),
            other => other,
        }
    }

    /// Sends `msg` with this bridge as its sender: what the handler sends back through
    /// [`Context::sender`](crate::Context::sender) lands in this bridge's inbox.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Subscribe;
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Tick(u32);
    ///
    /// struct Clock;
    /// #[actor]
    /// impl Clock {
    ///     #[handles(Subscribe)]
    ///     fn subscribe(&mut self, _: Subscribe, ctx: &mut Context<Self>) {
    ///         for n in 1..=3 {
    ///             ctx.sender().tell(Tick(n)).unwrap();
    ///         }
    ///     }
    /// }
    ///
    /// let clock = Clock.spawn();
    /// let bridge = Bridge::new();
    /// bridge.tell(&clock, Subscribe).unwrap();
    /// let wait = Duration::from_secs(5);
    /// for n in 1..=3 {
    ///     let tick = bridge.receive(wait).unwrap().downcast::<Tick>().unwrap();
    ///     assert_eq!(tick, Tick(n));
    /// }
    /// ```
    pub fn tell<T, M>(&self, target: &T, msg: M) -> Result<(), SendError<M>>
    where
        T: CallTarget<M> + ?Sized,
        M: Message,
    {
        target.__deliver(msg, ReplyTo::none(), self.sender_for(target), None)
    }

    /// Has [`Terminated`](crate::Terminated) land in this bridge's inbox, once, when
    /// `actor` ends (at once if it already has).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{StopReason, Terminated};
    /// use std::time::Duration;
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let idle = Idle.spawn();
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// bridge.stop(&[idle.any()], wait);
    /// bridge.watch(&idle.any()); // ended already: the notice comes at once
    /// let notice: Terminated = bridge.receive(wait).unwrap().downcast().unwrap();
    /// assert_eq!((notice.id(), notice.reason), (idle.id(), StopReason::Stopped));
    /// assert!(bridge.receive(Duration::from_millis(10)).is_none()); // only once
    /// ```
    pub fn watch(&self, actor: &AnyAddr) {
        actor.watch(crate::handle::Watcher::Bridge(self.clone()));
    }

    /// The next message sent to this bridge, waiting up to `timeout`.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Ping;
    /// #[derive(Message)]
    /// struct Pong;
    ///
    /// struct Ponger;
    /// #[actor]
    /// impl Ponger {
    ///     #[handles(Ping)]
    ///     fn ping(&mut self, _: Ping, ctx: &mut Context<Self>) {
    ///         ctx.sender().tell(Pong).unwrap();
    ///     }
    /// }
    ///
    /// let bridge = Bridge::new();
    /// assert!(bridge.receive(Duration::from_millis(1)).is_none()); // nothing sent yet
    /// bridge.tell(&Ponger.spawn(), Ping).unwrap();
    /// let answer = bridge.receive(Duration::from_secs(5)).unwrap();
    /// assert!(answer.is::<Pong>());
    /// ```
    pub fn receive(&self, timeout: Duration) -> Option<DynMessage> {
        crate::hosting::before_blocking();
        self.inbox.rx.recv_timeout(timeout).ok()
    }

    /// How many messages wait in this bridge's inbox.
    pub fn inbox_len(&self) -> usize {
        self.inbox.rx.len()
    }

    pub(crate) fn post(&self, msg: DynMessage) {
        // The bridge holds its own receiver, so the inbox is always open.
        let _ = self.inbox.tx.send(msg);
    }

    /// This bridge as the sender of a message to `target`, or no one when the handler
    /// cannot look (it takes no `Context`): no reference count is taken then.
    pub(super) fn sender_for<T: CallTarget<M> + ?Sized, M: Message>(&self, target: &T) -> Sender {
        if target.__wants_sender() {
            Sender::Bridge(self.clone())
        } else {
            Sender::Nobody
        }
    }
}

impl Default for Bridge {
    fn default() -> Self {
        Bridge::new()
    }
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("inbox_len", &self.inbox_len())
            .finish()
    }
}

/// How long a caller looks for its reply before it blocks: up to as long as a driver's
/// worker just out of work looks for its next task (`worker::SPIN_FOR`), shorter while
/// replies keep taking longer (the budget adapts, process-wide). A reply from an actor
/// that is awake comes within it, and then neither side pays a futex wake nor the other's
/// wake-up latency.
pub(super) static REPLY_SPIN: SpinBudget = SpinBudget::new();

/// Receives until `deadline`, or for as long as it takes without one; spins for up to
/// [`REPLY_SPIN`] (within the deadline) before it blocks.
pub(super) fn recv_until<T>(
    rx: &Receiver<T>,
    deadline: Option<Instant>,
) -> Result<T, RecvTimeoutError> {
    if let Some(value) = REPLY_SPIN.spin(deadline, || rx.try_recv().ok()) {
        return Ok(value);
    }
    match deadline {
        Some(deadline) => rx.recv_deadline(deadline),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
}

/// A thread's reply slot for one reply type, taken for a call and given back after it.
/// Each thread keeps [`ReplySlot::KEPT`] per type: the shot of the call just answered may
/// still be held, for a moment, by the actor that completed it (then the other is free),
/// and the shot of a call that timed out, until its actor answers or drops it.
struct ReplySlot<R: Send + 'static> {
    shot: Arc<Shot<R>>,
}

thread_local! {
    /// Per reply type, up to `ReplySlot::KEPT` idle shots (`Vec<Arc<Shot<R>>>`, as `Any`).
    static SLOTS: std::cell::RefCell<Vec<Box<dyn Any>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<R: Send + 'static> ReplySlot<R> {
    /// Idle shots a thread keeps per reply type.
    const KEPT: usize = 2;

    /// Runs `kept` on this thread's idle shots for `R` (none yet, the first time); `None`
    /// while the thread's slots are gone (its end) or in use.
    fn with_kept<T>(kept: impl FnOnce(&mut Vec<Arc<Shot<R>>>) -> T) -> Option<T> {
        SLOTS
            .try_with(|slots| {
                let mut slots = slots.try_borrow_mut().ok()?;
                let at = match slots.iter().position(|s| s.is::<Vec<Arc<Shot<R>>>>()) {
                    Some(at) => at,
                    None => {
                        slots.push(Box::new(Vec::<Arc<Shot<R>>>::with_capacity(Self::KEPT)));
                        slots.len() - 1
                    }
                };
                let shots = slots[at].downcast_mut()?;
                Some(kept(shots))
            })
            .ok()
            .flatten()
    }

    /// An empty shot: one of this thread's that no one else holds, else a new one.
    fn take() -> Self {
        let free = Self::with_kept(|shots| {
            let free = shots.iter_mut().position(Shot::reset)?;
            Some(shots.swap_remove(free))
        });
        let shot = free.flatten().unwrap_or_else(Shot::new);
        ReplySlot { shot }
    }

    /// Keeps the shot for this thread's next call of this reply type, if there is room
    /// (it replaces one still held elsewhere, which then goes with its last holder).
    fn give_back(self) {
        Self::with_kept(|shots| {
            if shots.len() < Self::KEPT {
                shots.push(self.shot);
            } else if let Some(held) = shots.iter().position(|s| Arc::strong_count(s) > 1) {
                shots[held] = self.shot;
            }
        });
    }
}

/// A call target as the wait-for record names it.
pub(super) fn party<T: CallTarget<M> + ?Sized, M: Message>(target: &T) -> Party {
    Party {
        info: target.__info(),
        host: target.__driver(),
    }
}

/// A call refused because waiting for it could never end.
pub(super) fn would_deadlock<M>(actor: ActorInfo, msg: M, cycle: String) -> CallError<M> {
    CallError::Send(SendError::WouldDeadlock { actor, msg, cycle })
}

pub(crate) fn failure<M>(actor: ActorInfo, why: NoReply) -> CallError<M> {
    match why {
        NoReply::Stopped => CallError::Stopped { actor },
        NoReply::Panicked(panic) => CallError::Panicked { actor, panic },
        NoReply::Dropped => CallError::Unanswered { actor },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_uses_its_reply_slot_again_once_no_one_else_holds_it() {
        let first = ReplySlot::<u64>::take();
        let held = first.shot.clone();
        first.give_back();
        // Still held, as by an actor that has not answered: not handed out again.
        let second = ReplySlot::<u64>::take();
        assert!(!Arc::ptr_eq(&second.shot, &held));
        second.give_back();
        // The actor answers late, and lets it go.
        held.complete(shot::Outcome::Done(Ok(7)));
        let was = Arc::as_ptr(&held);
        drop(held);
        let third = ReplySlot::<u64>::take();
        assert!(std::ptr::eq(Arc::as_ptr(&third.shot), was), "the same slot");
        assert!(
            third.shot.try_take().is_none(),
            "emptied: the late reply is gone"
        );
    }
}
