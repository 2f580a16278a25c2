//! Remote references: the [`Link`] a transport provides, the typed [`RemoteAddr`] built
//! on any link, and [`RemoteActor`], which lists an actor's wire handlers.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::codec::{self, Payload, RemoteMessage, Route};
use super::error::{RemoteError, WireError};
use super::mux::Mux;
use super::serve::Exposed;
use crate::actor::{Actor, Handler};

/// A way to reach actors exposed by name somewhere else: the [`Mux`] over a byte stream,
/// and any later transport (a message bus) that carries the same packets.
///
/// A transport implements the two byte-level methods; the typed [`call`](Link::call) and
/// [`tell`](Link::tell) (and [`RemoteAddr`]) are built on them, so the encoding is the
/// same on every transport. A request that never went out comes back in
/// [`RemoteError::NotSent`]: at byte level there is nothing to give back, so its message
/// is `()`.
pub trait Link: Send + Sync {
    /// Sends the encoded message `body` to `route` and waits up to `timeout` for the
    /// encoded reply.
    fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>>;

    /// Sends the encoded message `body` to `route`, expecting no reply.
    fn post(&self, route: Route<'_>, body: &[u8]) -> Result<(), RemoteError<()>>;

    /// Sends `msg` to the actor exposed as `actor` and waits up to `timeout` for its
    /// typed reply.
    fn call<M: RemoteMessage>(
        &self,
        actor: &str,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, RemoteError<M>>
    where
        Self: Sized,
    {
        call(self, actor, msg, timeout)
    }

    /// Sends `msg` to the actor exposed as `actor`, without waiting for a reply.
    fn tell<M: RemoteMessage>(&self, actor: &str, msg: M) -> Result<(), RemoteError<M>>
    where
        Self: Sized,
    {
        tell(self, actor, msg)
    }
}

impl<L: Link + ?Sized> Link for Arc<L> {
    fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>> {
        (**self).transaction(route, body, timeout)
    }

    fn post(&self, route: Route<'_>, body: &[u8]) -> Result<(), RemoteError<()>> {
        (**self).post(route, body)
    }
}

/// The message's bytes and route; the message itself stays with the caller, to be given
/// back if sending fails. An encoding failure gives it back at once.
fn encode<M: RemoteMessage>(
    actor: &str,
    msg: M,
) -> Result<(Vec<u8>, Route<'_>, M), RemoteError<M>> {
    match codec::to_vec(&msg) {
        Ok(body) => Ok((
            body,
            Route {
                actor,
                message: codec::wire_name::<M>(),
            },
            msg,
        )),
        Err(e) => Err(RemoteError::NotSent {
            error: e.into(),
            msg,
        }),
    }
}

/// Encodes, sends, waits, decodes: a typed call over any link.
pub(crate) fn call<L: Link + ?Sized, M: RemoteMessage>(
    link: &L,
    actor: &str,
    msg: M,
    timeout: Duration,
) -> Result<M::Reply, RemoteError<M>> {
    let (body, route, msg) = encode(actor, msg)?;
    match link.transaction(route, &body, timeout) {
        Ok(reply) => codec::decode(&reply).map_err(|e| RemoteError::Failed(WireError::Codec(e))),
        Err(e) => Err(e.map(|()| msg)),
    }
}

/// Encodes and sends: a typed tell over any link.
pub(crate) fn tell<L: Link + ?Sized, M: RemoteMessage>(
    link: &L,
    actor: &str,
    msg: M,
) -> Result<(), RemoteError<M>> {
    let (body, route, msg) = encode(actor, msg)?;
    link.post(route, &body).map_err(|e| e.map(|()| msg))
}

/// A typed handle to an actor exposed by name on the far side of a [`Link`]: `call` and
/// `tell` compile only for messages the actor's type handles, as on a local
/// [`Addr`](crate::Addr), and the messages must derive serde's traits.
///
/// The actor's type is only a compile-time check here; the far side decides what the
/// name stands for. Cheap to clone when the link is (a [`Mux`] is).
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::{DeMux, Mux, Transport, Workers};
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// struct Add(i64);
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = i64)]
/// struct Total;
///
/// #[derive(Default)]
/// struct Sum(i64);
///
/// #[actor]
/// impl Sum {
///     #[handles(Add)]
///     fn add(&mut self, Add(n): Add) { self.0 += n }
///     #[handles(Total)]
///     fn total(&self, _: Total) -> i64 { self.0 }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (near, far) = Transport::pair()?;
/// let demux = DeMux::new(Workers::Pool(2))?;
/// demux.expose("sum", &Sum::default().spawn()).handle::<Add>().handle::<Total>();
/// let _served = demux.serve(far)?;
///
/// let sum = Mux::new(near)?.remote::<Sum>("sum");
/// sum.tell(Add(40))?;
/// sum.tell(Add(2))?;
/// assert_eq!(sum.call(Total, Duration::from_secs(5))?, 42);
/// # Ok(())
/// # }
/// ```
pub struct RemoteAddr<A, L = Mux> {
    link: L,
    actor: Arc<str>,
    _actor: PhantomData<fn() -> A>,
}

impl<A: Actor, L: Link> RemoteAddr<A, L> {
    /// A handle to the actor exposed as `actor` on the far side of `link`.
    pub fn new(link: L, actor: &str) -> Self {
        RemoteAddr {
            link,
            actor: actor.into(),
            _actor: PhantomData,
        }
    }

    /// Sends `msg` and waits up to `timeout` for the typed reply. If the request never
    /// went out, the message comes back in the error.
    pub fn call<M>(&self, msg: M, timeout: Duration) -> Result<M::Reply, RemoteError<M>>
    where
        A: Handler<M>,
        M: RemoteMessage,
    {
        call(&self.link, &self.actor, msg, timeout)
    }

    /// Sends `msg` without waiting. Messages told through one link arrive in the order
    /// told. What the far side cannot deliver is reported there, not here.
    pub fn tell<M>(&self, msg: M) -> Result<(), RemoteError<M>>
    where
        A: Handler<M>,
        M: RemoteMessage,
    {
        tell(&self.link, &self.actor, msg)
    }

    /// The name the actor is exposed under.
    pub fn name(&self) -> &str {
        &self.actor
    }

    /// The link the handle talks through.
    pub fn link(&self) -> &L {
        &self.link
    }
}

impl<A, L: Clone> Clone for RemoteAddr<A, L> {
    fn clone(&self) -> Self {
        RemoteAddr {
            link: self.link.clone(),
            actor: self.actor.clone(),
            _actor: PhantomData,
        }
    }
}

impl<A: Actor, L> fmt::Debug for RemoteAddr<A, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteAddr<{}>({:?})", A::NAME, self.actor)
    }
}

/// An actor that lists the handlers it takes over the wire, so a
/// [`DeMux`](super::DeMux) can expose it in one call with
/// [`expose_actor`](super::DeMux::expose_actor) (and a NATS `Node` serve it with `serve`).
///
/// Write `#[actor(remote)]` instead of `#[actor]` and the macro implements it, listing
/// every typed `#[handles(M)]` handler of the block as an [`Exposed::handle`] call; each
/// such `M` must then be a [`RemoteMessage`] (derive serde's `Serialize` and
/// `Deserialize` on it and on its reply). The catch-all and the hooks are not exposed, and
/// a generic actor cannot be remote (it is refused at the attribute).
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::{DeMux, Mux, Transport, Workers};
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Ping(u64);
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Count;
///
/// #[derive(Default)]
/// struct Echo(u64);
///
/// #[actor(remote)] // also implements `RemoteActor`, exposing `Ping` and `Count`
/// impl Echo {
///     #[handles(Ping)]
///     fn ping(&mut self, Ping(n): Ping) -> u64 {
///         self.0 += 1;
///         n
///     }
///
///     #[handles(Count)]
///     fn count(&self, _: Count) -> u64 { self.0 }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (near, far) = Transport::pair()?;
/// let demux = DeMux::new(Workers::Pool(1))?;
/// demux.expose_actor("echo", &Echo::default().spawn()); // every handler at once
/// let _served = demux.serve(far)?;
///
/// let echo = Mux::new(near)?.remote::<Echo>("echo");
/// assert_eq!(echo.call(Ping(7), Duration::from_secs(5))?, 7);
/// assert_eq!(echo.call(Count, Duration::from_secs(5))?, 1);
/// # Ok(())
/// # }
/// ```
///
/// Implement it by hand (with a plain `#[actor]`) only to expose a chosen subset of the
/// handlers, as a chain of [`handle`](Exposed::handle) calls; the others stay local, and
/// a remote peer that sends one gets [`Fault::NotHandled`](super::Fault::NotHandled).
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::{DeMux, Exposed, RemoteActor, Workers};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Ping(u64);
///
/// #[derive(Message)]
/// struct Reset; // local only: it need not be serializable
///
/// struct Echo;
///
/// #[actor]
/// impl Echo {
///     #[handles(Ping)]
///     fn ping(&mut self, Ping(n): Ping) -> u64 { n }
///
///     #[handles(Reset)]
///     fn reset(&mut self, _: Reset) {}
/// }
///
/// impl RemoteActor for Echo {
///     fn expose_handlers(exposed: Exposed<'_, Self>) -> Exposed<'_, Self> {
///         exposed.handle::<Ping>() // `Reset` is not exposed
///     }
/// }
///
/// let demux = DeMux::new(Workers::Pool(1)).unwrap();
/// demux.expose_actor("echo", &Echo.spawn()); // takes `Ping` from peers, not `Reset`
/// ```
pub trait RemoteActor: Actor {
    /// Registers every handler of the actor that takes messages over the wire.
    fn expose_handlers(exposed: Exposed<'_, Self>) -> Exposed<'_, Self>;
}
