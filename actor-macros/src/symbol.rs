//! Every attribute keyword the macros understand, named once.

pub const HANDLES: &str = "handles";
pub const ON_START: &str = "on_start";
pub const ON_STOP: &str = "on_stop";
/// `#[handles(other)]`: the catch-all handler.
pub const OTHER: &str = "other";
/// `#[message(reply = T)]`.
pub const MESSAGE: &str = "message";
pub const REPLY: &str = "reply";
/// The context parameter's type, `&mut Context<Self>`.
pub const CONTEXT: &str = "Context";
/// The catch-all handler's parameter type.
pub const DYN_MESSAGE: &str = "DynMessage";
