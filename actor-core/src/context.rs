//! [`Context`]: what a handler knows about its own actor and the message's sender.

use std::sync::Arc;

use crate::actor::Actor;
use crate::handle::{Addr, Sender, Shared};
use crate::id::{ActorId, ActorInfo};

/// A handler's view of its actor: its own address, the sender of the message being
/// handled, and a way to stop.
///
/// A handler or hook receives it as an optional last parameter, `ctx: &mut Context<Self>`.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = bool)]
/// struct WhoAmI;
///
/// #[derive(Message)]
/// struct Quit;
///
/// struct Me;
/// #[actor]
/// impl Me {
///     #[handles(WhoAmI)]
///     fn who(&mut self, _: WhoAmI, ctx: &mut Context<Self>) -> bool {
///         // A call from a bridge: the sender is the bridge, and `myself` is our own address.
///         matches!(ctx.sender(), Sender::Bridge(_)) && ctx.myself().is_alive()
///     }
///
///     #[handles(Quit)]
///     fn quit(&mut self, _: Quit, ctx: &mut Context<Self>) {
///         ctx.stop(); // after this handler returns
///     }
/// }
///
/// let me = Me.spawn();
/// let bridge = Bridge::new();
/// assert!(bridge.call(&me, WhoAmI, Duration::from_secs(5)).unwrap());
/// me.tell(Quit).unwrap();
/// assert!(matches!(
///     bridge.call(&me, WhoAmI, Duration::from_secs(5)),
///     Err(CallError::Send(_) | CallError::Stopped { .. })
/// ));
/// ```
pub struct Context<A: Actor> {
    shared: Arc<Shared<A>>,
    pub(crate) sender: Sender,
    pub(crate) stopping: bool,
    /// Whether the actor has started: a driver runs `#[on_start]` in the actor's first
    /// turn (kept here, where it fills padding, rather than in the driver's cell).
    pub(crate) started: bool,
    /// Why, when the actor stops for a reason of its own (not `Requested`). Rare, so boxed:
    /// one word in every actor instead of six.
    pub(crate) stop_reason: Option<Box<crate::StopReason>>,
    /// The reply slot of the message being handled, while a handler that returns
    /// `Deferred<R>` runs: a `ReplyTo<R>`, for `defer` to take.
    pub(crate) deferred: Option<Box<dyn std::any::Any + Send>>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(shared: Arc<Shared<A>>, started: bool) -> Self {
        Context {
            shared,
            sender: Sender::Nobody,
            stopping: false,
            started,
            stop_reason: None,
            deferred: None,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<A>> {
        &self.shared
    }

    /// A handle to this actor. Storing it in the actor's own state keeps the actor alive
    /// until it is stopped explicitly.
    pub fn myself(&self) -> Addr<A> {
        Addr::new(self.shared.clone())
    }

    /// Who sent the message being handled. In `#[on_start]` and `#[on_stop]` it is
    /// [`Sender::Nobody`].
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Takes the sender out of the context, to keep it after the handler returns.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Ask;
    /// #[derive(Message)]
    /// struct Ready;
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Answer(u32);
    ///
    /// #[derive(Default)]
    /// struct Later { waiting: Vec<Sender> }
    /// #[actor]
    /// impl Later {
    ///     #[handles(Ask)]
    ///     fn ask(&mut self, _: Ask, ctx: &mut Context<Self>) {
    ///         self.waiting.push(ctx.take_sender()); // answered when ready
    ///         assert!(ctx.sender().is_nobody());
    ///     }
    ///
    ///     #[handles(Ready)]
    ///     fn ready(&mut self, _: Ready) {
    ///         for sender in self.waiting.drain(..) {
    ///             sender.tell(Answer(42)).unwrap();
    ///         }
    ///     }
    /// }
    ///
    /// let later = Later::default().spawn();
    /// let bridge = Bridge::new();
    /// bridge.tell(&later, Ask).unwrap();
    /// later.tell(Ready).unwrap();
    /// let answer = bridge.receive(Duration::from_secs(5)).unwrap();
    /// assert_eq!(answer.downcast::<Answer>().unwrap(), Answer(42));
    /// ```
    pub fn take_sender(&mut self) -> Sender {
        std::mem::take(&mut self.sender)
    }

    /// Stops the actor once the current handler returns; mail still queued is not handled.
    pub fn stop(&mut self) {
        self.stopping = true;
    }

    /// Stops the actor once the current handler returns, with `reason` for its monitors.
    pub(crate) fn stop_because(&mut self, reason: crate::StopReason) {
        self.stopping = true;
        self.stop_reason = Some(Box::new(reason));
    }

    /// Has this actor receive [`Terminated`](crate::Terminated), once, when `other` ends
    /// (at once if it already has). Handle it with `#[handles(Terminated)]` or a catch-all.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{StopReason, Terminated};
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Watch(AnyAddr);
    /// #[derive(Message)]
    /// #[message(reply = Vec<StopReason>)]
    /// struct Ended;
    ///
    /// #[derive(Default)]
    /// struct Monitor { ended: Vec<StopReason> }
    /// #[actor]
    /// impl Monitor {
    ///     #[handles(Watch)]
    ///     fn watch(&mut self, Watch(other): Watch, ctx: &mut Context<Self>) {
    ///         ctx.watch(&other);
    ///     }
    ///     #[handles(Terminated)]
    ///     fn terminated(&mut self, notice: Terminated) { self.ended.push(notice.reason) }
    ///     #[handles(Ended)]
    ///     fn ended(&self, _: Ended) -> Vec<StopReason> { self.ended.clone() }
    /// }
    ///
    /// struct Idle;
    /// #[actor]
    /// impl Idle {}
    ///
    /// let monitor = Monitor::default().spawn();
    /// let idle = Idle.spawn();
    /// monitor.tell(Watch(idle.any())).unwrap();
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// bridge.call(&monitor, Ended, wait).unwrap(); // the watch is in place
    /// bridge.stop(&[idle.any()], wait); // the notice is posted before `Stopped` comes
    /// assert_eq!(bridge.call(&monitor, Ended, wait).unwrap(), [StopReason::Stopped]);
    /// ```
    pub fn watch(&self, other: &crate::AnyAddr) {
        other.watch(crate::handle::Watcher::Actor(std::sync::Arc::downgrade(
            &(self.shared.clone() as std::sync::Arc<dyn crate::handle::Erased>),
        )));
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.info().id
    }

    /// This actor's type name and id.
    pub fn info(&self) -> ActorInfo {
        crate::handle::Erased::info(&*self.shared)
    }

    /// Tells `msg` to this actor once, `delay` from now, as if it told it to itself; the
    /// handler runs no earlier than that, between two other messages, and the thread is
    /// never blocked meanwhile. The returned [`Timer`](crate::Timer) cancels it.
    ///
    /// The timer does not keep the actor alive, and ends with it (cancelled, its message
    /// dropped quietly), whoever holds its handle. A bounded mailbox full at the deadline
    /// drops the message and records a dead letter. A restart after a panic keeps the
    /// actor's timers. Details as for [`Addr::tell_after`].
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// struct Start;
    /// #[derive(Message)]
    /// struct Timeout;
    ///
    /// struct Job(mpsc::Sender<&'static str>);
    ///
    /// #[actor]
    /// impl Job {
    ///     #[handles(Start)]
    ///     fn start(&mut self, _: Start, ctx: &mut Context<Self>) {
    ///         ctx.tell_after(Duration::from_millis(10), Timeout);
    ///     }
    ///
    ///     #[handles(Timeout)]
    ///     fn timeout(&mut self, _: Timeout, ctx: &mut Context<Self>) {
    ///         self.0.send("timed out").unwrap();
    ///         ctx.stop();
    ///     }
    /// }
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let job = Job(tx).spawn(); // held: a pending timer does not keep the actor alive
    /// job.tell(Start).unwrap();
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok("timed out"));
    /// ```
    pub fn tell_after<M: crate::Message>(&self, delay: std::time::Duration, msg: M) -> crate::Timer
    where
        A: crate::Handler<M>,
    {
        crate::handle::tell_after(&self.shared, delay, msg)
    }

    /// Tells `make()` to this actor every `period` (the first time `period` from now)
    /// until the returned [`Timer`](crate::Timer) is cancelled or the actor ends.
    ///
    /// Ticks keep to the grid `start + n * period`: a late tick does not delay the next,
    /// and ticks missed while the timer thread was held up are skipped (one late tick, no
    /// burst). `make` runs on the timer thread; a panic there ends the timer (logged). A
    /// zero period is refused: the timer is inactive and an error is logged. A period
    /// shorter than the actor takes to handle a tick makes an unbounded mailbox grow; a
    /// bounded one drops the ticks that find it full (dead letters). See
    /// [`Timer`](crate::Timer) for an example.
    pub fn tell_every<M: crate::Message>(
        &self,
        period: std::time::Duration,
        make: impl FnMut() -> M + Send + 'static,
    ) -> crate::Timer
    where
        A: crate::Handler<M>,
    {
        crate::handle::tell_every(&self.shared, period, make)
    }
}
