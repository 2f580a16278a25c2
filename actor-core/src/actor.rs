//! The [`Actor`] and [`Handler`] traits, which `#[actor]` implements, and the mail a
//! mailbox carries.

use crate::call::{Job, ReplyTo};
use crate::context::Context;
use crate::error::Error;
use crate::handle::{Addr, Sender};
use crate::hosting::driver::Driver;
use crate::message::{DynMessage, Message, Stop, Stopped};
use crate::supervise::Spawn;

/// A type whose messages are handled one at a time on its own thread or on a shared
/// driver.
///
/// Implemented by `#[actor]` on an `impl` block whose methods carry `#[handles(M)]`;
/// writing it by hand is not supported (its hidden items are the macro's business).
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Message)]
/// #[message(reply = u64)]
/// struct Next;
///
/// #[derive(Default)]
/// struct Counter(u64);
///
/// #[actor]
/// impl Counter {
///     #[handles(Next)]
///     fn next(&mut self, _: Next) -> u64 {
///         self.0 += 1;
///         self.0
///     }
/// }
///
/// assert_eq!(Counter::HANDLES, ["Next"]);
/// let counter = Counter::default().spawn();
/// let bridge = Bridge::new();
/// assert_eq!(bridge.call(&counter, Next, Duration::from_secs(5)).unwrap(), 1);
/// assert_eq!(bridge.call(&counter, Next, Duration::from_secs(5)).unwrap(), 2);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an actor",
    label = "`{Self}` does not implement `Actor`",
    note = "put `#[actor]` on an `impl {Self} {{ ... }}` block whose methods carry `#[handles(MessageType)]`"
)]
pub trait Actor: Sized + Send + 'static {
    /// The actor's type name, as written in its `#[actor] impl` block.
    const NAME: &'static str;

    /// The message types this actor handles, by name, in declaration order.
    const HANDLES: &'static [&'static str];

    #[doc(hidden)]
    const __CATCH_ALL: bool;

    /// Whether the actor has an `#[on_start]` hook. Without one, an actor spawned on a
    /// driver is not queued until its first message: spawning costs no turn.
    #[doc(hidden)]
    const __ON_START: bool = true;

    /// The generated dispatch enum: one variant per handled message type, each carrying
    /// the message by value and its reply slot.
    #[doc(hidden)]
    type Dispatch: Send + 'static;

    #[doc(hidden)]
    fn __dispatch(&mut self, msg: Self::Dispatch, ctx: &mut Context<Self>);

    #[doc(hidden)]
    fn __catch_all(&mut self, msg: DynMessage, ctx: &mut Context<Self>) {
        let _ = (msg, ctx);
    }

    /// A dynamic message as typed mail, with `sender` taken into it as `__pack` does (kept
    /// if the handler can see it, else dropped); or back, and `sender` left where it is,
    /// if no typed handler takes its type.
    #[doc(hidden)]
    fn __from_dyn(msg: DynMessage, sender: &mut Sender) -> Result<Self::Dispatch, DynMessage>;

    /// Takes a message out of `slot` (an `&mut Option<M>`) as typed mail, if a typed
    /// handler takes `M`, with `sender` taken into it as `__pack` does (kept if the
    /// handler can see it, else dropped); leaves both where they are otherwise. How a
    /// dynamic send to a typed handler avoids boxing the message.
    #[doc(hidden)]
    fn __take(slot: &mut dyn std::any::Any, sender: &mut Sender) -> Option<Self::Dispatch> {
        let _ = (slot, sender);
        None
    }

    /// The inverse of `__from_dyn`: typed mail as a dynamic message.
    #[doc(hidden)]
    fn __into_dyn(msg: Self::Dispatch) -> DynMessage;

    /// Which entry of [`HANDLES`](Actor::HANDLES) a piece of typed mail is: how a span or
    /// a metric names the message without boxing it.
    #[doc(hidden)]
    fn __message_index(msg: &Self::Dispatch) -> usize {
        let _ = msg;
        usize::MAX
    }

    /// The Rust type name of the message in typed mail (`std::any::type_name`), read
    /// without moving it.
    #[doc(hidden)]
    fn __type_name(msg: &Self::Dispatch) -> &'static str {
        let _ = msg;
        "?"
    }

    /// The name of the message type in typed mail, as in [`HANDLES`](Actor::HANDLES)
    /// (`"?"` if it has none): for the simulation's trace.
    #[doc(hidden)]
    fn __message_name(msg: &Self::Dispatch) -> &'static str {
        Self::HANDLES
            .get(Self::__message_index(msg))
            .copied()
            .unwrap_or("?")
    }

    #[doc(hidden)]
    fn __on_start(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
    }

    #[doc(hidden)]
    fn __on_stop(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
    }

    /// Starts the actor on a thread of its own, named after its type.
    ///
    /// # Panics
    ///
    /// If the operating system refuses a new thread, as [`std::thread::spawn`] does; use
    /// [`try_spawn`](Actor::try_spawn) to get an error instead.
    fn spawn(self) -> Addr<Self> {
        match self.try_spawn() {
            Ok(addr) => addr,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts the actor on a thread of its own, or says why the thread could not start.
    fn try_spawn(self) -> Result<Addr<Self>, Error> {
        crate::hosting::thread::spawn(Spawn::new(self))
    }

    /// Starts the actor on a shared [`Driver`], which serves many actors with a few
    /// threads. The actor's code is the same as on a thread of its own. On a driver that
    /// was shut down, the actor is stopped from the start (sends to it fail).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use std::time::Duration;
    ///
    /// #[derive(Message)]
    /// #[message(reply = String)]
    /// struct Where;
    ///
    /// struct Local;
    /// #[actor]
    /// impl Local {
    ///     #[handles(Where)]
    ///     fn at(&self, _: Where) -> String {
    ///         std::thread::current().name().unwrap_or_default().to_owned()
    ///     }
    /// }
    ///
    /// let driver = Driver::new(1);
    /// let local = Local.spawn_on(&driver);
    /// let thread = Bridge::new().call(&local, Where, Duration::from_secs(5)).unwrap();
    /// assert!(thread.starts_with("driver")); // one of the driver's threads
    /// assert_eq!(driver.actor_count(), 1);
    /// ```
    fn spawn_on(self, driver: &Driver) -> Addr<Self> {
        driver.spawn(Spawn::new(self))
    }

    /// Starts the actor in a deterministic [`Simulation`](crate::sim::Simulation): it runs
    /// on the test's thread when the simulation steps it. Inside a simulated actor, plain
    /// [`spawn`](Actor::spawn) and [`spawn_on`](Actor::spawn_on) land in the same
    /// simulation.
    fn spawn_in(self, sim: &crate::sim::Simulation) -> Addr<Self> {
        Spawn::new(self).spawn_in(sim)
    }
}

/// `Self` handles messages of type `M`: implemented by `#[actor]` for each
/// `#[handles(M)]` method, and for [`Stop`] by every actor.
///
/// It is the bound that makes `addr.tell(msg)` compile only for the messages an actor
/// handles.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not handle `{M}`",
    label = "`{Self}` has no handler for `{M}`",
    note = "add `#[handles({M})]` to a method of `impl {Self}`"
)]
pub trait Handler<M: Message>: Actor {
    /// Whether the handler can see who sent the message (it takes a `Context`). When it
    /// cannot, senders stamp no one on the message and skip the reference counting a
    /// stamp costs. `#[actor]` sets it.
    #[doc(hidden)]
    const __SENDER: bool = true;

    /// Wraps a message, its reply slot and its sender as mail for this actor: the sender
    /// is kept in the mail if the handler can see it, dropped here if not ([`Stamp`]).
    #[doc(hidden)]
    fn __pack(msg: M, reply: ReplyTo<M::Reply>, sender: Sender) -> Mail<Self>;

    /// Takes back a message packed by `__pack`, when it could not be delivered.
    #[doc(hidden)]
    fn __unpack(mail: Mail<Self>) -> M;
}

impl<A: Actor> Handler<Stop> for A {
    const __SENDER: bool = false;

    fn __pack(_: Stop, reply: ReplyTo<Stopped>, _: Sender) -> Mail<Self> {
        Mail::Stop(reply)
    }

    fn __unpack(_: Mail<Self>) -> Stop {
        Stop
    }
}

/// What a mailbox carries.
#[doc(hidden)]
pub enum Mail<A: Actor> {
    /// A message for one of the typed handlers.
    Typed(A::Dispatch),
    /// A message for the catch-all handler, and its sender, boxed together: a second
    /// allocation (32 bytes) per catch-all message, beside the message's own box, so
    /// that the mail of every actor stays as small as its typed mail.
    Other(Box<(DynMessage, Sender)>),
    /// Stop after everything sent before.
    Stop(ReplyTo<Stopped>),
    /// The last handle was dropped: stop unless a new one was made since.
    Released,
    /// A closure to run with the actor (`Addr::exec`).
    Exec(Job<A>),
    /// A `ctx.ask` ended: its continuation, to run with its outcome.
    Resume(Job<A>),
}

impl<A: Actor> Mail<A> {
    /// What the mail is, for the simulation's trace.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Mail::Typed(msg) => A::__message_name(msg),
            Mail::Other(other) => other.0.type_name(),
            Mail::Stop(_) => "Stop",
            Mail::Released => "Released",
            Mail::Exec(_) => "exec",
            Mail::Resume(_) => "ask reply",
        }
    }

    /// The Rust type name of the message that [`into_dyn`](Mail::into_dyn) would box, read
    /// without moving the mail (a dead letter is named before its reply slot drops).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Mail::Typed(msg) => A::__type_name(msg),
            Mail::Other(other) => other.0.type_name(),
            Mail::Stop(_) | Mail::Released => std::any::type_name::<Stop>(),
            Mail::Exec(_) | Mail::Resume(_) => std::any::type_name::<ExecJob>(),
        }
    }

    pub(crate) fn into_dyn(self) -> DynMessage {
        match self {
            Mail::Typed(msg) => A::__into_dyn(msg),
            Mail::Other(other) => other.0,
            Mail::Stop(_) | Mail::Released => DynMessage::new(Stop),
            Mail::Exec(_) | Mail::Resume(_) => DynMessage::new(ExecJob),
        }
    }
}

/// Where a dispatch variant keeps the sender of its message: [`Sender`] for a handler that
/// takes a `Context` (it can look), [`Unstamped`] (nothing) for one that cannot. Named by
/// generated code only.
#[doc(hidden)]
pub trait Stamp: Default + Send {
    /// The stamp of mail packed with `sender`: `sender` itself, or nothing (and `sender`
    /// dropped), which the type decides, so that packing matches on nothing.
    fn from_sender(sender: Sender) -> Self;

    /// Hands the sender to the handler's context, before the handler runs.
    fn enter<A: Actor>(self, ctx: &mut Context<A>);
}

impl Stamp for Sender {
    #[inline(always)]
    fn from_sender(sender: Sender) -> Self {
        sender
    }

    #[inline(always)]
    fn enter<A: Actor>(self, ctx: &mut Context<A>) {
        // The host empties the context's sender after every handler: what is replaced
        // is `Nobody`.
        ctx.sender = self;
    }
}

/// The stamp of a handler that takes no `Context`: no sender, no bytes.
#[doc(hidden)]
#[derive(Default, Debug, Clone, Copy)]
pub struct Unstamped;

impl Stamp for Unstamped {
    #[inline(always)]
    fn from_sender(sender: Sender) -> Self {
        drop(sender);
        Unstamped
    }

    #[inline(always)]
    fn enter<A: Actor>(self, ctx: &mut Context<A>) {
        let _ = ctx;
    }
}

/// What an undeliverable `exec` closure is called in errors.
pub(crate) struct ExecJob;

/// Called by generated code on a dispatch variant that cannot occur.
#[doc(hidden)]
#[cold]
pub fn __mismatched_mail() -> ! {
    unreachable!("actor-core: mail was unpacked as a type it was not packed as")
}
