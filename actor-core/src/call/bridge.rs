//! [`Bridge`]: how plain code (not an actor) calls actors and waits for replies.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender as ChannelSender};

use super::{CallTarget, NoReply, Outcome, ReplyTo};
use crate::error::{CallError, SendError};
use crate::handle::{AnyAddr, Sender};
use crate::hosting::current;
use crate::hosting::waits::{self, Party, Waiting};
use crate::id::ActorInfo;
use crate::message::{DynMessage, Message, Stop, Stopped};

/// Lets plain code call actors and wait for their typed replies, with timeouts.
///
/// Every call waits on a reply channel of its own, so a reply that arrives after its call
/// timed out is dropped: it is never handed to a later call. A bridge also has an inbox:
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
        let _waiting = match waits::wait_for(party(target)) {
            Ok(waiting) => waiting,
            Err(cycle) => return Err(would_deadlock(actor, msg, cycle)),
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        // A full bounded mailbox may make the post itself wait: within the same timeout.
        let deadline = Instant::now().checked_add(timeout);
        target.__deliver(msg, ReplyTo::to(0, tx), self.sender_for(target), deadline)?;
        crate::hosting::before_blocking();
        match recv_until(&rx, deadline) {
            Ok((_, outcome)) => outcome.map_err(|why| failure(actor, why)),
            Err(RecvTimeoutError::Timeout) => Err(CallError::Timeout { actor, timeout }),
            // Unreachable in practice: a reply slot always reports before it goes.
            Err(RecvTimeoutError::Disconnected) => Err(CallError::Stopped { actor }),
        }
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

    /// Sends every request at once and yields each reply as it comes, paired with the
    /// index of its request. Requests still unanswered when `timeout` (counted from now)
    /// runs out are yielded as timeouts, in index order. Every index is yielded once.
    ///
    /// A request whose reply could never come is answered at once, as for
    /// [`call`](Bridge::call). Until every reply is in (or the `MultiCall` is dropped), a
    /// multi-call made inside a handler counts as its actor waiting for those targets.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u32)]
    /// struct Load;
    ///
    /// struct Server(u32);
    /// #[actor]
    /// impl Server {
    ///     #[handles(Load)]
    ///     fn load(&mut self, _: Load) -> u32 { self.0 }
    /// }
    ///
    /// let servers: Vec<_> = [30, 10, 20].into_iter().map(|n| Server(n).spawn()).collect();
    /// let bridge = Bridge::new();
    /// let mut loads = vec![0; servers.len()];
    /// for (index, reply) in bridge.multi_call(servers.iter().map(|s| (s, Load)), Duration::from_secs(5)) {
    ///     loads[index] = reply.unwrap();
    /// }
    /// assert_eq!(loads, [30, 10, 20]); // each reply at its request's index
    /// ```
    pub fn multi_call<T, M, I>(&self, requests: I, timeout: Duration) -> MultiCall<M>
    where
        I: IntoIterator<Item = (T, M)>,
        T: CallTarget<M>,
        M: Message,
    {
        // No deadline for a timeout too long to add (`Duration::MAX`: wait forever).
        let deadline = Instant::now().checked_add(timeout);
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut call = MultiCall {
            rx,
            actors: Vec::new(),
            pending: Vec::new(),
            ready: VecDeque::new(),
            waiting: 0,
            deadline,
            timeout,
            record: Waiting::none(),
        };
        for (index, (target, msg)) in requests.into_iter().enumerate() {
            let actor = target.__info();
            call.actors.push(actor);
            call.pending.push(false);
            if current::would_deadlock(actor.id, target.__driver()) {
                call.ready
                    .push_back((index, Err(CallError::WouldDeadlock { actor, msg })));
                continue;
            }
            if let Err(cycle) = call.record.add(party(&target)) {
                call.ready
                    .push_back((index, Err(would_deadlock(actor, msg, cycle))));
                continue;
            }
            match target.__deliver(
                msg,
                ReplyTo::to(index, tx.clone()),
                self.sender_for(&target),
                deadline,
            ) {
                Ok(()) => {
                    call.pending[index] = true;
                    call.waiting += 1;
                }
                Err(e) => call.ready.push_back((index, Err(CallError::Send(e)))),
            }
        }
        if call.waiting == 0 {
            call.record = Waiting::none();
        }
        call
    }

    /// Stops every actor in `actors` and waits up to `timeout` (in all) for them:
    /// one result per actor, in input order. `Some(Stopped)` means the actor has stopped
    /// (now or before); `None` that it did not stop in time (or that an actor asked to
    /// stop itself through a bridge, which would deadlock: use `ctx.stop()`).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let actors = vec![Idle.spawn().any(), Idle.spawn().any()];
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// assert_eq!(bridge.stop(&actors, wait), [Some(Stopped), Some(Stopped)]);
    /// assert!(actors.iter().all(|actor| !actor.is_alive()));
    /// // Stopping an actor that has stopped already also says `Stopped`.
    /// assert_eq!(bridge.stop(&actors[..1], wait), [Some(Stopped)]);
    /// ```
    pub fn stop(&self, actors: &[AnyAddr], timeout: Duration) -> Vec<Option<Stopped>> {
        self.stop_each(actors, timeout)
            .into_iter()
            .map(|result| match result {
                Ok(stopped) => Some(stopped),
                // Refused because it had stopped, or stopped before answering: stopped. A
                // Stop that found no room in a full mailbox in time leaves it running.
                Err(CallError::Send(SendError::Stopped { .. }) | CallError::Stopped { .. }) => {
                    Some(Stopped)
                }
                Err(_) => None,
            })
            .collect()
    }

    /// Like [`stop`](Bridge::stop), with the full outcome for each actor.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let (first, second) = (Idle.spawn().any(), Idle.spawn().any());
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// bridge.stop(&[first.clone()], wait);
    ///
    /// let results = bridge.stop_each(&[first, second], wait);
    /// // The first had stopped already: the `Stop` was refused and is given back.
    /// assert!(matches!(results[0], Err(CallError::Send(SendError::Stopped { .. }))));
    /// assert_eq!(results[1].as_ref().ok(), Some(&Stopped));
    /// ```
    pub fn stop_each(
        &self,
        actors: &[AnyAddr],
        timeout: Duration,
    ) -> Vec<Result<Stopped, CallError<Stop>>> {
        let mut results: Vec<Option<Result<Stopped, CallError<Stop>>>> =
            actors.iter().map(|_| None).collect();
        for (index, result) in self.multi_call(actors.iter().map(|actor| (actor, Stop)), timeout) {
            results[index] = Some(result);
        }
        results
            .into_iter()
            .zip(actors)
            .map(|(result, actor)| {
                // MultiCall yields every index; this default is never used.
                result.unwrap_or(Err(CallError::Timeout {
                    actor: actor.info(),
                    timeout,
                }))
            })
            .collect()
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

/// Receives until `deadline`, or for as long as it takes without one.
fn recv_until<T>(rx: &Receiver<T>, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
    match deadline {
        Some(deadline) => rx.recv_deadline(deadline),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
}

/// A call target as the wait-for record names it.
fn party<T: CallTarget<M> + ?Sized, M: Message>(target: &T) -> Party {
    Party {
        info: target.__info(),
        host: target.__driver(),
    }
}

/// A call refused because waiting for it could never end.
fn would_deadlock<M>(actor: ActorInfo, msg: M, cycle: String) -> CallError<M> {
    CallError::Send(SendError::WouldDeadlock { actor, msg, cycle })
}

pub(crate) fn failure<M>(actor: ActorInfo, why: NoReply) -> CallError<M> {
    match why {
        NoReply::Stopped => CallError::Stopped { actor },
        NoReply::Panicked(panic) => CallError::Panicked { actor, panic },
        NoReply::Dropped => CallError::Unanswered { actor },
    }
}

/// One answer of a [`MultiCall`]: the request's index and its outcome.
pub type Answer<M> = (usize, Result<<M as Message>::Reply, CallError<M>>);

/// The replies of a [`Bridge::multi_call`], yielded as they come: `(index, result)`.
pub struct MultiCall<M: Message> {
    rx: Receiver<Outcome<M::Reply>>,
    actors: Vec<ActorInfo>,
    /// Whether the request at each index still waits for its reply.
    pending: Vec<bool>,
    ready: VecDeque<Answer<M>>,
    waiting: usize,
    /// `None` for a timeout too long to add to now: no deadline.
    deadline: Option<Instant>,
    timeout: Duration,
    /// While unfinished, a multi-call made by an actor counts as that actor waiting for
    /// its targets (`hosting::waits`).
    record: Waiting,
}

impl<M: Message> Iterator for MultiCall<M> {
    type Item = Answer<M>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.ready.pop_front() {
            return Some(item);
        }
        if self.waiting == 0 {
            return None;
        }
        crate::hosting::before_blocking();
        loop {
            match recv_until(&self.rx, self.deadline) {
                // Only a pending request can be answered. A request whose delivery failed
                // was reported already, and its reply slot, dropped along with the
                // undelivered mail, still says "stopped" on its way out.
                Ok((index, outcome)) if std::mem::take(&mut self.pending[index]) => {
                    self.waiting -= 1;
                    if self.waiting == 0 {
                        self.record = Waiting::none();
                    }
                    let actor = self.actors[index];
                    return Some((index, outcome.map_err(|why| failure(actor, why))));
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        // The deadline passed: every request still pending timed out.
        for (index, pending) in self.pending.iter_mut().enumerate() {
            if std::mem::take(pending) {
                let actor = self.actors[index];
                let timeout = self.timeout;
                self.ready
                    .push_back((index, Err(CallError::Timeout { actor, timeout })));
            }
        }
        self.waiting = 0;
        self.record = Waiting::none();
        self.ready.pop_front()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.ready.len() + self.waiting;
        (n, Some(n))
    }
}
