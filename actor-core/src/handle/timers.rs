//! Timers that tell an actor a message later: the glue between the process's timer
//! thread (`crate::timer`, a leaf that knows nothing of actors) and an actor's mailbox.
//!
//! A timer's closure holds only a `Weak` to the actor's `Shared`, so a pending timer never
//! keeps its actor alive. At each deadline, on the timer thread, it upgrades that reference,
//! makes the message and posts it with [`Wait::Never`] (the timer thread never waits for an
//! actor), stamped with the actor itself as the sender: a tell from the actor to itself.
//! A post refused because the actor stopped ends the timer quietly; one refused because a
//! bounded mailbox is full drops that tick and records a dead letter, and a periodic timer
//! goes on.
//!
//! Every timer made for an actor is also listed in its `Shared` ([`Rare`], with its
//! monitors), so that `Life::finish` cancels them all when the actor ends, whoever holds
//! their handles: one lock-and-pointer field per actor, allocated on the first timer. Ended timers
//! are pruned from the list whenever it would grow, so an actor that sets a timer in every
//! handler keeps a list about as long as its pending timers, not its history.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::counted::Counted;
use super::shared::{Erased, Shared};
use super::{Addr, AnyAddr, Sender, Watcher};
use crate::actor::{Actor, Handler};
use crate::call::ReplyTo;
use crate::mailbox::{Refused, Wait};
use crate::message::Message;
use crate::supervise::{Monitors, Terminated};
use crate::sync::SpinLock;
use crate::timer::{self, Timer};

impl Timer {
    /// The longest delay or period an actor's timer takes: 100 years. A longer one (up
    /// to `Duration::MAX`) is taken as this: such a timer stays pending and never fires in
    /// practice, which is what was asked, without overflowing `Instant`.
    pub const MAX_DELAY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
}

/// What few actors use, behind one lock and one pointer, allocated on first use: the
/// actor's timers, cancelled when it ends, and its monitors, told when it ends (the box
/// is made then, to keep the notice for a monitor that comes later).
pub(crate) struct Rare(SpinLock<Option<Box<Parts>>>);

#[derive(Default)]
struct Parts {
    timers: Vec<Timer>,
    monitors: Monitors<Watcher, Terminated>,
}

impl Rare {
    pub(crate) fn new() -> Self {
        Rare(SpinLock::new(None))
    }

    /// Lists `timer`, to be cancelled when the actor ends; cancels it at once if the actor
    /// already has (`alive` is read under the lock that `end_timers` takes after the actor
    /// was marked stopped, so a timer is either in the list it takes, or sees the mark).
    fn register(&self, timer: &Timer, alive: impl FnOnce() -> bool) {
        let mut slot = self.0.lock();
        if !alive() {
            drop(slot);
            cancel_quietly(timer);
            return;
        }
        let list = &mut slot.get_or_insert_with(Box::default).timers;
        if list.len() == list.capacity() {
            // Before growing, drop the timers that ended. Ended timers hold no closure, so
            // this runs no program code under the lock. Afterwards at least half the room
            // is free, so a prune of n entries comes after n/2 pushes at least: O(1) each.
            list.retain(Timer::is_active);
            if list.capacity() > 64 && list.len() < list.capacity() / 4 {
                list.shrink_to(2 * list.len());
            }
            list.reserve(list.len().max(4));
        }
        list.push(timer.clone());
    }

    /// Cancels every listed timer: the actor ended.
    pub(crate) fn end_timers(&self) {
        let list = match self.0.lock().as_mut() {
            Some(parts) => std::mem::take(&mut parts.timers),
            None => return,
        };
        for timer in list.iter() {
            cancel_quietly(timer);
        }
    }

    /// Adds a monitor; one that comes after the end is told at once (outside the lock).
    pub(crate) fn watch(&self, watcher: Watcher, tell: impl FnOnce(Watcher, Terminated)) {
        let late = self
            .0
            .lock()
            .get_or_insert_with(Box::default)
            .monitors
            .add(watcher);
        if let Some((watcher, notice)) = late {
            tell(watcher, notice);
        }
    }

    /// Records the end and tells every monitor (outside the lock), once.
    pub(crate) fn end_monitors(
        &self,
        notice: Terminated,
        mut tell: impl FnMut(Watcher, Terminated),
    ) {
        let watchers = self
            .0
            .lock()
            .get_or_insert_with(Box::default)
            .monitors
            .end(&notice);
        for watcher in watchers {
            tell(watcher, notice.clone());
        }
    }

    /// How many timers are listed (pending, or ended and not yet pruned).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().as_ref().map_or(0, |parts| parts.timers.len())
    }

    /// The listed timers still active (not fired for good, not cancelled).
    #[cfg(any(feature = "metrics", feature = "console"))]
    fn active(&self) -> usize {
        self.0.lock().as_ref().map_or(0, |parts| {
            parts
                .timers
                .iter()
                .filter(|timer| timer.is_active())
                .count()
        })
    }
}

/// Cancels `timer`, whose closure (and the message in it, user code) is dropped here: a
/// panicking `Drop` must not break the actor's ending.
fn cancel_quietly(timer: &Timer) {
    if panic::catch_unwind(AssertUnwindSafe(|| timer.cancel())).is_err() {
        log::error!("dropping a cancelled timer's message panicked");
    }
}

/// A timer that never runs, with the reason logged.
fn refused(why: std::fmt::Arguments<'_>) -> Timer {
    log::error!("{why}; the timer is inactive and will not fire");
    Timer::inactive(None)
}

/// Schedules `make`'s messages for `shared`'s actor: first after `delay`, then every
/// `period` if there is one, while `make` gives one. See the module docs.
fn tell_later<A, M>(
    shared: &Arc<Shared<A>>,
    delay: Duration,
    period: Option<Duration>,
    mut make: impl FnMut() -> Option<M> + Send + 'static,
) -> Timer
where
    A: Handler<M>,
    M: Message,
{
    let info = shared.info();
    if period.is_some_and(|period| period.is_zero()) {
        return refused(format_args!(
            "tell_every for {info} with a zero period ({})",
            std::any::type_name::<M>()
        ));
    }
    let period = period.map(|period| period.min(Timer::MAX_DELAY));
    let delay = delay.min(Timer::MAX_DELAY);
    // A simulated actor's timers run on its simulation's clock.
    let deadline = match shared.host.sim() {
        Some(_) => None,
        None => match Instant::now().checked_add(delay) {
            Some(deadline) => Some(deadline),
            None => {
                return refused(format_args!(
                    "a timer for {info}: its deadline is past the end of the clock"
                ))
            }
        },
    };
    if !shared.is_alive() {
        // The message is dropped: a due message for an ended actor is dropped quietly.
        return Timer::inactive(period);
    }
    let weak = Arc::downgrade(shared);
    let fire: timer::Fire = Box::new(move || fire(&weak, &mut make));
    let timer = match (deadline, shared.host.sim()) {
        (Some(deadline), _) => timer::schedule(deadline, period, fire),
        (None, Some(sim)) => sim.schedule_timer(delay, period, fire),
        (None, None) => unreachable!("a deadline is made for every host but a simulation"),
    };
    shared.rare.register(&timer, || shared.is_alive());
    timer
}

/// One deadline of a timer, on the timer thread: `false` ends the timer.
fn fire<A, M>(weak: &Weak<Shared<A>>, make: &mut impl FnMut() -> Option<M>) -> bool
where
    A: Handler<M>,
    M: Message,
{
    let Some(shared) = weak.upgrade() else {
        return false;
    };
    if !shared.is_alive() {
        return false;
    }
    let Some(msg) = make() else {
        return false;
    };
    match shared.post_packed(msg, ReplyTo::none(), own_sender(&shared), Wait::Never) {
        Ok(()) => true,
        // It ended meanwhile: dropped quietly, and the timer with it.
        Err((_, Refused::Stopped)) => false,
        Err((mail, _)) => {
            // A full bounded mailbox: this tick is dropped. No sender gets it back, so it
            // is a dead letter, not back-pressure.
            drop(A::__unpack(mail));
            let message = crate::message::short_type_name(std::any::type_name::<M>());
            crate::dead::DeadLetters::record(
                Some(shared.info()),
                Some(message),
                crate::dead::DeadReason::Full,
            );
            true
        }
    }
}

/// The actor as the sender of its own timer's message, as a tell from itself would be
/// stamped; no one when the handler cannot look, or when the actor's last strong handle is
/// gone (a stamp must not revive it: a timer never keeps its actor alive).
fn own_sender<A: Handler<M>, M: Message>(shared: &Arc<Shared<A>>) -> Sender {
    if !<A as Handler<M>>::__SENDER {
        return Sender::Nobody;
    }
    let erased: Arc<dyn Erased> = shared.clone();
    Counted::upgrade(erased).map_or(Sender::Nobody, |handle| Sender::Actor(AnyAddr { handle }))
}

/// A one-shot timer telling `msg` to `shared`'s actor after `delay`.
pub(crate) fn tell_after<A, M>(shared: &Arc<Shared<A>>, delay: Duration, msg: M) -> Timer
where
    A: Handler<M>,
    M: Message,
{
    let mut msg = Some(msg);
    tell_later(shared, delay, None, move || msg.take())
}

/// A periodic timer telling `make()` to `shared`'s actor every `period`.
pub(crate) fn tell_every<A, M>(
    shared: &Arc<Shared<A>>,
    period: Duration,
    mut make: impl FnMut() -> M + Send + 'static,
) -> Timer
where
    A: Handler<M>,
    M: Message,
{
    tell_later(shared, period, Some(period), move || Some(make()))
}

impl<A: Actor> Shared<A> {
    /// Cancels every timer of the actor: called once it is marked stopped.
    pub(crate) fn end_timers(&self) {
        self.rare.end_timers();
    }

    /// How many of the actor's listed timers are still active.
    #[cfg(any(feature = "metrics", feature = "console"))]
    pub(crate) fn timers_pending(&self) -> usize {
        self.rare.active()
    }
}

impl<A: Actor> Addr<A> {
    /// Tells `msg` to the actor once, `delay` from now, as if the actor told it to itself
    /// (its [`Context::sender`](crate::Context::sender) is the actor), and returns the
    /// [`Timer`], which can [`cancel`](Timer::cancel) it. For code outside the actor;
    /// inside a handler, [`Context::tell_after`](crate::Context::tell_after) does the same.
    ///
    /// The message is delivered no earlier than `delay` from now (later if the timer
    /// thread or the actor is busy). The timer does not keep the actor alive, and ends
    /// with it: when the actor stops, the timer is cancelled and its message dropped
    /// quietly. If the actor has already stopped, the timer is inactive from the start.
    /// A bounded mailbox that is full at the deadline drops the message and records a
    /// dead letter ([`DeadLetters`](crate::DeadLetters)); the timer thread never waits.
    /// A delay longer than [`Timer::MAX_DELAY`] (100 years) is taken as that.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::sync::mpsc;
    /// use std::time::{Duration, Instant};
    ///
    /// #[derive(Message)]
    /// struct Wake(Instant);
    ///
    /// struct Sleeper(mpsc::Sender<Duration>);
    ///
    /// #[actor]
    /// impl Sleeper {
    ///     #[handles(Wake)]
    ///     fn wake(&mut self, Wake(since): Wake) {
    ///         self.0.send(since.elapsed()).unwrap();
    ///     }
    /// }
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let sleeper = Sleeper(tx).spawn();
    /// let timer: Timer = sleeper.tell_after(Duration::from_millis(20), Wake(Instant::now()));
    /// let waited = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    /// assert!(waited >= Duration::from_millis(20)); // never early
    /// assert!(!timer.cancel()); // it fired already
    /// ```
    pub fn tell_after<M: Message>(&self, delay: Duration, msg: M) -> Timer
    where
        A: Handler<M>,
    {
        tell_after(&self.handle.arc(), delay, msg)
    }

    /// Tells `make()` to the actor every `period`, the first time `period` from now, until
    /// the returned [`Timer`] is cancelled or the actor ends; from outside the actor, as
    /// [`Context::tell_every`](crate::Context::tell_every) does inside it. `make` runs on
    /// the timer thread; a panic there ends the timer (logged). A zero period is refused:
    /// the timer is inactive and an error is logged.
    pub fn tell_every<M: Message>(
        &self,
        period: Duration,
        make: impl FnMut() -> M + Send + 'static,
    ) -> Timer
    where
        A: Handler<M>,
    {
        tell_every(&self.handle.arc(), period, make)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use crossbeam_channel::bounded;

    const WAIT: Duration = Duration::from_secs(30);

    #[derive(Message)]
    struct Tick(crossbeam_channel::Sender<()>);

    struct Ticked;
    #[actor]
    impl Ticked {
        #[handles(Tick)]
        fn tick(&mut self, Tick(done): Tick) {
            let _ = done.send(());
        }
    }

    #[test]
    fn ended_timers_are_pruned_from_the_actors_list() {
        let addr = Ticked.spawn();
        let (tx, rx) = bounded(1);
        for _ in 0..1000 {
            addr.tell_after(Duration::ZERO, Tick(tx.clone()));
            rx.recv_timeout(WAIT).unwrap();
        }
        // The timer thread marks a one-shot done right after its fire, so at most the
        // last one or two may still count as active; the list never grew past a few.
        assert!(
            addr.shared().rare.len() <= 8,
            "{}",
            addr.shared().rare.len()
        );
    }

    #[test]
    fn an_actor_without_timers_pays_a_lock_and_a_pointer() {
        assert_eq!(size_of::<Rare>(), 2 * size_of::<usize>());
    }

    #[test]
    fn zero_period_and_absurd_durations_do_not_panic() {
        let addr = Ticked.spawn();
        let (tx, _rx) = bounded(1);
        let zero = addr.tell_every(Duration::ZERO, move || Tick(tx.clone()));
        assert!(!zero.is_active());
        assert!(!zero.cancel());
        let (tx, _rx) = bounded(1);
        let far = addr.tell_after(Duration::MAX, Tick(tx.clone()));
        assert!(far.is_active());
        let every = addr.tell_every(Duration::MAX, move || Tick(tx.clone()));
        assert!(every.is_active());
        assert!(far.cancel() && every.cancel());
    }

    #[test]
    fn a_timer_for_a_stopped_actor_is_inactive() {
        let addr = Ticked.spawn();
        let pending = addr.tell_after(Duration::from_secs(3600), Tick(bounded(1).0));
        Bridge::new().stop(&[addr.any()], WAIT);
        assert!(!pending.is_active());
        assert_eq!(addr.shared().rare.len(), 0);
        let late = addr.tell_after(Duration::ZERO, Tick(bounded(1).0));
        assert!(!late.is_active());
    }
}
