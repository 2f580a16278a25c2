//! [`Supervisor`]: an actor that owns children and restarts them when they crash, one
//! for one or all for one, within a restart intensity (OTP's supervisor).

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use crate::call::Pending;
use crate::context::Context;
use crate::handle::{Addr, AnyAddr, Sender, Watcher};
use crate::id::ActorId;
use crate::message::{DynMessage, Stop};
use crate::supervise::{Intensity, StopReason, Terminated};

use super::notices::{ChildNamed, Children, Restarted, WatchRestarts};
use crate::{handles, on_start, on_stop};

/// Which children a supervisor restarts when one crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that crashed.
    OneForOne,
    /// Every child: the others are stopped, and once every one of them has ended (its
    /// `Terminated` has reached the supervisor), all start again in order. A new child
    /// never runs next to an old one, so a name it registers in `#[on_start]` is free. The
    /// supervisor does not block while it waits (it stays an actor among others on its
    /// thread or driver, answering [`ChildNamed`] with `None` meanwhile); a child that
    /// never ends holds the restart up.
    OneForAll,
}

type Start = Box<dyn FnMut() -> AnyAddr + Send>;

struct Child {
    name: String,
    start: Start,
    addr: Option<AnyAddr>,
}

/// Owns children, watches them, and restarts those that crash (a panic that stopped
/// them, a restart limit, a failed start, an escalation: [`StopReason::is_crash`]). A
/// child that stops normally (a `Stop`, or `ctx.stop()`) is not restarted. A child factory
/// that panics counts as a crash too: against the intensity, then tried again. Beyond its
/// intensity the supervisor stops, with every child, and with
/// [`StopReason::Escalated`], so a supervisor above it restarts it (and its children) as
/// any crashed child: supervision trees nest. Children stop when their supervisor stops.
///
/// Each crash reaches the supervisor as a [`Terminated`] message; ask it for a child's
/// current address with [`ChildNamed`], typed with [`Addr::child`], or have it tell you
/// each restart ([`WatchRestarts`], [`Restarted`]).
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::{ChildNamed, Intensity, OnPanic, Spawn, Strategy, Supervisor};
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u32)]
/// struct Work(u32);
///
/// struct Worker;
/// #[actor]
/// impl Worker {
///     #[handles(Work)]
///     fn work(&mut self, Work(n): Work) -> u32 {
///         assert!(n != 0, "zero");
///         100 / n
///     }
/// }
///
/// let wait = Duration::from_secs(5);
/// let supervisor = Supervisor::new(Strategy::OneForOne, Intensity::new(3, Duration::from_secs(60)))
///     .child("worker", || Spawn::new(Worker).on_panic(OnPanic::Stop).spawn())
///     .spawn();
/// let bridge = Bridge::new();
/// let worker = |bridge: &Bridge| {
///     bridge.call(&supervisor, ChildNamed("worker".into()), wait).unwrap().unwrap()
///         .downcast::<Worker>().unwrap()
/// };
/// let first = worker(&bridge);
/// assert_eq!(bridge.call(&first, Work(4), wait).unwrap(), 25);
/// bridge.watch(&first.any()); // told after the supervisor, which watched first
/// assert!(bridge.call(&first, Work(0), wait).is_err()); // crashes: stops, is restarted
/// bridge.receive(wait).unwrap(); // the crash has reached the supervisor too
/// let second = worker(&bridge);
/// assert_ne!(second, first);
/// assert_eq!(bridge.call(&second, Work(5), wait).unwrap(), 20);
/// ```
pub struct Supervisor {
    strategy: Strategy,
    intensity: Intensity,
    restarts: VecDeque<Instant>,
    children: Vec<Child>,
    /// Old children of a one-for-all restart not yet ended: the new ones wait for them.
    waiting: Vec<ActorId>,
    /// Who asked to hear of restarts ([`WatchRestarts`]).
    watchers: Vec<Watcher>,
}

impl Supervisor {
    /// A supervisor with no children yet.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{Children, Intensity, Strategy, Supervisor};
    /// use std::time::Duration;
    ///
    /// // Restart every child when one crashes, at most 5 times in 10 seconds.
    /// let supervisor = Supervisor::new(Strategy::OneForAll, Intensity::new(5, Duration::from_secs(10)))
    ///     .spawn();
    /// let children = Bridge::new().call(&supervisor, Children, Duration::from_secs(5)).unwrap();
    /// assert!(children.is_empty());
    /// ```
    pub fn new(strategy: Strategy, intensity: Intensity) -> Self {
        Supervisor {
            strategy,
            intensity,
            restarts: VecDeque::new(),
            children: Vec::new(),
            waiting: Vec::new(),
            watchers: Vec::new(),
        }
    }

    /// Adds a child, started (and restarted) by `start`. Children start in the order
    /// they are added, when the supervisor starts.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{Children, Intensity, Strategy, Supervisor};
    /// use std::time::Duration;
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// struct Log;
    /// #[actor]
    /// impl Log {}
    ///
    /// let supervisor = Supervisor::new(Strategy::OneForOne, Intensity::new(3, Duration::from_secs(60)))
    ///     .child("cache", || Cache.spawn())
    ///     .child("log", || Log.spawn())
    ///     .spawn();
    /// let children = Bridge::new().call(&supervisor, Children, Duration::from_secs(5)).unwrap();
    /// let names: Vec<&str> = children.iter().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["cache", "log"]);
    /// assert!(children.iter().all(|(_, addr)| addr.as_ref().is_some_and(AnyAddr::is_alive)));
    /// ```
    pub fn child<A: crate::Actor>(
        mut self,
        name: &str,
        mut start: impl FnMut() -> Addr<A> + Send + 'static,
    ) -> Self {
        self.children.push(Child {
            name: name.to_owned(),
            start: Box::new(move || start().any()),
            addr: None,
        });
        self
    }

    /// Starts a child; false if its factory panicked (the child then has no address).
    fn start_child(child: &mut Child, ctx: &Context<Self>) -> bool {
        let started = panic::catch_unwind(AssertUnwindSafe(|| (child.start)()));
        match started {
            Ok(addr) => {
                ctx.watch(&addr);
                child.addr = Some(addr);
                true
            }
            Err(payload) => {
                log::error!(
                    "{}: the factory of child `{}` panicked: {}",
                    ctx.info(),
                    child.name,
                    crate::call::panic_message(&*payload)
                );
                child.addr = None;
                false
            }
        }
    }

    /// Starts the children at `indices` that have no address, in order. A factory that
    /// panics counts against the intensity and is tried again; beyond the intensity the
    /// supervisor escalates. Each child restarted (not first started) is announced.
    fn start_children(&mut self, indices: &[usize], restart: bool, ctx: &mut Context<Self>) {
        loop {
            let mut failed = None;
            for &index in indices {
                let child = &mut self.children[index];
                if child.addr.is_some() {
                    continue;
                }
                if Supervisor::start_child(child, ctx) {
                    if restart {
                        self.announce(index);
                    }
                } else {
                    failed.get_or_insert(index);
                }
            }
            let Some(failed) = failed else { return };
            if !self.may_restart() {
                self.escalate(failed, ctx);
                return;
            }
        }
    }

    /// Stops the supervisor, and so its children, with a reason its own supervisor reads
    /// as a crash.
    fn escalate(&mut self, child: usize, ctx: &mut Context<Self>) {
        log::error!(
            "{} stops: its children crashed more than {} times within {:?}",
            ctx.info(),
            self.intensity.max,
            self.intensity.within
        );
        ctx.stop_because(StopReason::Escalated {
            max: self.intensity.max,
            within: self.intensity.within,
            child: self.children[child].name.clone(),
        });
    }

    /// Tells the restart watchers about child `index`'s new address.
    fn announce(&mut self, index: usize) {
        let child = &self.children[index];
        let Some(addr) = child.addr.clone() else {
            return;
        };
        let notice = Restarted {
            name: child.name.clone(),
            addr,
        };
        self.watchers.retain(|watcher| match watcher {
            Watcher::Actor(actor) => match actor.upgrade() {
                Some(actor) => {
                    // A watcher without a handler for it makes a dead letter, recorded there.
                    let _ = actor.post_dyn(DynMessage::new(notice.clone()), Sender::Nobody);
                    true
                }
                None => false,
            },
            Watcher::Bridge(bridge) => {
                bridge.post(DynMessage::new(notice.clone()));
                true
            }
        });
    }

    /// Counts a restart; false once the intensity is exceeded.
    fn may_restart(&mut self) -> bool {
        // Virtual time in a simulation, so one seed gives up at the same restart.
        let now = crate::sim::clock();
        let within = self.intensity.within;
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > within)
        {
            self.restarts.pop_front();
        }
        if self.restarts.len() >= self.intensity.max as usize {
            return false;
        }
        self.restarts.push_back(now);
        true
    }
}

#[crate::actor]
impl Supervisor {
    #[on_start]
    fn start_all(&mut self, ctx: &mut Context<Self>) {
        let all: Vec<usize> = (0..self.children.len()).collect();
        self.start_children(&all, false, ctx);
    }

    #[handles(Terminated)]
    fn child_ended(&mut self, notice: Terminated, ctx: &mut Context<Self>) {
        if let Some(at) = self.waiting.iter().position(|id| *id == notice.id()) {
            // An old child of a one-for-all restart has ended: once the last has, the
            // new ones start.
            self.waiting.swap_remove(at);
            if self.waiting.is_empty() {
                let all: Vec<usize> = (0..self.children.len()).collect();
                self.start_children(&all, true, ctx);
            }
            return;
        }
        let Some(index) = self.children.iter().position(|child| {
            child
                .addr
                .as_ref()
                .is_some_and(|addr| addr.id() == notice.id())
        }) else {
            // An earlier incarnation, stopped by a one-for-all restart.
            return;
        };
        self.children[index].addr = None;
        if !notice.reason.is_crash() {
            return;
        }
        if !self.may_restart() {
            self.escalate(index, ctx);
            return;
        }
        match self.strategy {
            Strategy::OneForOne => self.start_children(&[index], true, ctx),
            Strategy::OneForAll => {
                for child in &mut self.children {
                    if let Some(old) = child.addr.take() {
                        // Watched since its start: its `Terminated` comes, even if this
                        // `Stop` finds it ended already.
                        self.waiting.push(old.id());
                        let _ = old.tell(Stop);
                    }
                }
                if self.waiting.is_empty() {
                    let all: Vec<usize> = (0..self.children.len()).collect();
                    self.start_children(&all, true, ctx);
                }
            }
        }
    }

    #[handles(WatchRestarts)]
    fn watch_restarts(&mut self, _: WatchRestarts, ctx: &mut Context<Self>) -> bool {
        let watcher = match ctx.sender() {
            Sender::Nobody => return false,
            Sender::Actor(actor) => Watcher::Actor(actor.weak()),
            Sender::Bridge(bridge) => Watcher::Bridge(bridge.clone()),
        };
        self.watchers.push(watcher);
        true
    }

    #[handles(ChildNamed)]
    fn child_named(&self, ChildNamed(name): ChildNamed) -> Option<AnyAddr> {
        self.children
            .iter()
            .find(|child| child.name == name)
            .and_then(|child| child.addr.clone())
    }

    #[handles(Children)]
    fn list_children(&self, _: Children) -> Vec<(String, Option<AnyAddr>)> {
        self.children
            .iter()
            .map(|child| (child.name.clone(), child.addr.clone()))
            .collect()
    }

    #[on_stop]
    fn stop_children(&mut self) {
        for child in &mut self.children {
            if let Some(addr) = child.addr.take() {
                let _ = addr.tell(Stop);
            }
        }
    }
}

impl Addr<Supervisor> {
    /// The current incarnation of the child called `name`, typed: `None` if there is no
    /// such child, it is not an `A`, or it is not running (stopped normally, or between a
    /// one-for-all stop and restart). Asked of the supervisor between two of its messages;
    /// the answer comes through the [`Pending`], which can be waited on or polled.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// struct Worker;
    /// #[actor]
    /// impl Worker {}
    ///
    /// let supervisor = Supervisor::new(Strategy::OneForOne, Intensity::new(1, Duration::from_secs(1)))
    ///     .child("worker", || Worker.spawn())
    ///     .spawn();
    /// let worker: Option<Addr<Worker>> = supervisor.child("worker").wait().unwrap();
    /// assert!(worker.unwrap().is_alive());
    /// assert!(supervisor.child::<Worker>("nobody").wait().unwrap().is_none());
    /// ```
    pub fn child<A: crate::Actor>(&self, name: &str) -> Pending<Option<Addr<A>>> {
        let name = name.to_owned();
        self.exec(move |supervisor, _| {
            supervisor
                .children
                .iter()
                .find(|child| child.name == name)
                .and_then(|child| child.addr.clone())
                .and_then(AnyAddr::downcast)
        })
    }
}
