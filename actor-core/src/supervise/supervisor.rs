//! [`Supervisor`]: an actor that owns children and restarts them when they crash, one
//! for one or all for one, within a restart intensity (OTP's supervisor).

use std::collections::VecDeque;
use std::time::Instant;

use crate::context::Context;
use crate::handle::{Addr, AnyAddr};
use crate::message::{Message, Stop};
use crate::supervise::{Intensity, StopReason, Terminated};
use crate::{handles, on_start, on_stop};

/// Which children a supervisor restarts when one crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that crashed.
    OneForOne,
    /// Every child: the others are stopped, then all start again in order.
    OneForAll,
}

type Start = Box<dyn FnMut() -> AnyAddr + Send>;

struct Child {
    name: String,
    start: Start,
    addr: Option<AnyAddr>,
}

/// Owns children, watches them, and restarts those that crash (a panic that stopped
/// them, a restart limit, a failed start). A child that stops normally (a `Stop`, or
/// `ctx.stop()`) is not restarted. Beyond its intensity the supervisor stops, and with
/// it every child. Children stop when their supervisor stops.
///
/// Each crash reaches the supervisor as a [`Terminated`] message; ask it for a child's
/// current address with [`ChildNamed`].
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
}

/// Asks a [`Supervisor`] for the current address of its child called so.
#[derive(Debug, Clone)]
pub struct ChildNamed(pub String);

impl Message for ChildNamed {
    type Reply = Option<AnyAddr>;
}

/// Asks a [`Supervisor`] for all its children's names and current addresses, in order.
#[derive(Debug, Clone, Copy)]
pub struct Children;

impl Message for Children {
    type Reply = Vec<(String, Option<AnyAddr>)>;
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

    fn start_child(child: &mut Child, ctx: &Context<Self>) {
        let addr = (child.start)();
        ctx.watch(&addr);
        child.addr = Some(addr);
    }

    /// Counts a restart; false once the intensity is exceeded.
    fn may_restart(&mut self) -> bool {
        let now = Instant::now();
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
    fn start_children(&mut self, ctx: &mut Context<Self>) {
        for child in &mut self.children {
            Supervisor::start_child(child, ctx);
        }
    }

    #[handles(Terminated)]
    fn child_ended(&mut self, notice: Terminated, ctx: &mut Context<Self>) {
        let Some(index) = self.children.iter().position(|child| {
            child
                .addr
                .as_ref()
                .is_some_and(|addr| addr.id() == notice.id())
        }) else {
            // An earlier incarnation, stopped by a one-for-all restart.
            return;
        };
        let crashed = matches!(
            notice.reason,
            StopReason::Panicked(_) | StopReason::RestartLimit { .. } | StopReason::StartFailed(_)
        );
        if !crashed {
            self.children[index].addr = None;
            return;
        }
        if !self.may_restart() {
            log::error!(
                "{} stops: its children crashed more than {} times within {:?}",
                ctx.info(),
                self.intensity.max,
                self.intensity.within
            );
            ctx.stop();
            return;
        }
        match self.strategy {
            Strategy::OneForOne => Supervisor::start_child(&mut self.children[index], ctx),
            Strategy::OneForAll => {
                for child in &mut self.children {
                    if let Some(old) = child.addr.take() {
                        let _ = old.tell(Stop);
                    }
                }
                for child in &mut self.children {
                    Supervisor::start_child(child, ctx);
                }
            }
        }
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
