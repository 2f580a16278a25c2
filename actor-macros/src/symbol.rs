//! Every attribute keyword and every name the macros recognise, named once.

pub const HANDLES: &str = "handles";
pub const ON_START: &str = "on_start";
pub const ON_STOP: &str = "on_stop";
/// `#[handles(other)]`: the catch-all handler.
pub const OTHER: &str = "other";
/// `#[message(reply = T)]` on a message type; `#[message]` on a method of an `#[actor]`
/// block, whose parameters then make a generated message type.
pub const MESSAGE: &str = "message";
/// `#[message(derive(Debug, Clone))]` on a method: the derives of the generated type.
pub const DERIVE: &str = "derive";
/// `#[message(name = IncBy)]` on a method: the generated type's name;
/// `#[message(name = "shop.Order")]` on a message type: its wire name.
pub const NAME: &str = "name";
/// `#[message(wire_name = "shop.Inc")]` on a method: the generated type's wire name
/// (`#[message(name = "shop.Inc")]` on a message type).
pub const WIRE_NAME: &str = "wire_name";
/// The generated trait of typed helpers on `Addr<A>` is named `{A}Addr`.
pub const ADDR_SUFFIX: &str = "Addr";
/// The names `actor_core::prelude` brings in: a generated message type of one of these
/// names would shadow it in the user's module, silently. Kept in step with the prelude.
pub const PRELUDE: &[&str] = &[
    "Actor",
    "ActorId",
    "ActorInfo",
    "Addr",
    "AnyAddr",
    "Bridge",
    "CallError",
    "Context",
    "Deferred",
    "Driver",
    "DynMessage",
    "Handler",
    "Intensity",
    "Message",
    "OnPanic",
    "PubSub",
    "Recipient",
    "Registry",
    "Reply",
    "SendError",
    "Sender",
    "Spawn",
    "Stop",
    "StopReason",
    "Stopped",
    "Strategy",
    "Supervisor",
    "Terminated",
];
pub const REPLY: &str = "reply";
/// The context parameter's type, `&mut Context<Self>`.
pub const CONTEXT: &str = "Context";
/// The catch-all handler's parameter type.
pub const DYN_MESSAGE: &str = "DynMessage";
/// A handler's return type when it replies later: `Deferred<R>`.
pub const DEFERRED: &str = "Deferred";
/// The built-in message every actor already handles.
pub const STOP: &str = "Stop";
/// The runtime crate, as a path's first segment.
pub const ACTOR_CORE: &str = "actor_core";
/// The argument `#[actor]` gives each helper attribute path it removed, on a hidden item
/// where the compiler resolves it once: the attribute macro then passes the item through.
pub const CONSUMED: &str = "__consumed_by_actor";
/// `#[actor(remote)]`: also list the handlers for the wire.
pub const REMOTE: &str = "remote";
