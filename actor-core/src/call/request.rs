//! [`Request`]: a message bound for one actor, built by the typed helpers `#[actor]`
//! generates on `Addr<A>` (`counter.inc(2)`), then sent the way the caller chooses.

use std::fmt;
use std::time::Duration;

use super::{Bridge, CallFuture};
use crate::actor::{Actor, Handler};
use crate::context::Context;
use crate::error::{CallError, SendError};
use crate::handle::Addr;
use crate::message::Message;

/// A message `M` addressed to the actor `A`, not sent yet: what a helper of the trait
/// `#[actor]` generates for each actor (`CounterAddr` for `Counter`) returns. Finish it
/// with [`tell`](Request::tell), [`call`](Request::call),
/// [`call_async`](Request::call_async) or [`ask`](Request::ask), which do what the
/// method of the same name on [`Addr`], [`Bridge`] or [`Context`] does, without naming
/// the message type.
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Counter { n: u64 }
///
/// #[actor]
/// impl Counter {
///     /// Adds `by`; replies with the new count.
///     #[message]
///     fn inc(&mut self, by: u64) -> u64 { self.n += by; self.n }
/// }
///
/// let counter = Counter::default().spawn();
/// let bridge = Bridge::new();
/// counter.inc(1).tell().unwrap();                                   // the trait CounterAddr
/// assert_eq!(counter.inc(2).call(&bridge, Duration::from_secs(5)).unwrap(), 3);
/// assert_eq!(bridge.call(&counter, Inc { by: 3 }, Duration::from_secs(5)).unwrap(), 6);
/// ```
#[must_use = "a request is sent only by `.tell()`, `.call(..)`, `.call_async(..)` or `.ask(..)`"]
pub struct Request<'a, A: Actor, M> {
    addr: &'a Addr<A>,
    msg: M,
}

// Without bounds on `M`, so that a helper of a type that is no message is reported once,
// where the type is declared a message, not again in each helper.
impl<'a, A: Actor, M> Request<'a, A, M> {
    /// `msg`, addressed to `addr`.
    pub fn new(addr: &'a Addr<A>, msg: M) -> Self {
        Request { addr, msg }
    }

    /// The message.
    pub fn message(&self) -> &M {
        &self.msg
    }

    /// The message, unsent.
    pub fn into_message(self) -> M {
        self.msg
    }
}

impl<A: Handler<M>, M: Message> Request<'_, A, M> {
    /// [`Addr::tell`]: sends without waiting; a reply, if the message has one, is dropped.
    pub fn tell(self) -> Result<(), SendError<M>> {
        self.addr.tell(self.msg)
    }

    /// [`Bridge::call`]: sends and waits up to `timeout` for the reply.
    pub fn call(self, bridge: &Bridge, timeout: Duration) -> Result<M::Reply, CallError<M>> {
        bridge.call(self.addr, self.msg, timeout)
    }

    /// [`Bridge::call_async`]: the call as a future any executor polls.
    pub fn call_async(self, bridge: &Bridge, timeout: Duration) -> CallFuture<M> {
        bridge.call_async(self.addr, self.msg, timeout)
    }

    /// [`Context::ask`]: from inside the actor `B`, sends and runs `then` later on `B`,
    /// with the reply, a timeout or the error, without blocking.
    pub fn ask<B, F>(self, ctx: &mut Context<B>, timeout: Duration, then: F)
    where
        B: Actor,
        F: FnOnce(&mut B, Result<M::Reply, CallError<M>>, &mut Context<B>) + Send + 'static,
    {
        ctx.ask(self.addr, self.msg, timeout, then)
    }
}

impl<A: Actor, M: fmt::Debug> fmt::Debug for Request<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("actor", &A::NAME)
            .field("msg", &self.msg)
            .finish()
    }
}
