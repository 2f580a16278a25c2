//! Messages: the [`Message`] trait, the built-in [`Stop`]/[`Stopped`] pair and the
//! type-erased [`DynMessage`] carried to catch-all handlers.

use std::any::Any;
use std::fmt;

/// A value that can be sent to an actor.
///
/// Derive it with `#[derive(Message)]`; the reply type defaults to `()` and is set with
/// `#[message(reply = T)]`. The reply is what a handler for this message returns and what
/// [`Bridge::call`](crate::Bridge::call) hands back.
///
/// ```
/// use actor_core::prelude::*;
///
/// #[derive(Message)]
/// struct Deposit(u64);                 // reply: ()
///
/// #[derive(Message)]
/// #[message(reply = u64)]
/// struct Balance;                      // reply: u64
/// # fn main() {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message",
    label = "`{Self}` does not implement `Message`",
    note = "a message is a struct or enum with `#[derive(Message)]` (and `#[message(reply = T)]` if it expects a reply): derive it on `{Self}`, or wrap the value in a type that has it"
)]
pub trait Message: Send + 'static {
    /// What a handler of this message returns to a caller.
    type Reply: Send + 'static;

    /// The name the message type goes by on the wire, set with
    /// `#[message(name = "shop.Order")]`; `None` (the default) names it by its full Rust
    /// type name. Only the wire reads it (`actor_core::wire::codec::wire_name`, feature
    /// `wire`), whose docs say what makes two builds compatible.
    const WIRE_NAME: Option<&'static str> = None;
}

/// The message every actor handles: it stops the actor.
///
/// Everything sent before it is handled first; then the actor's `#[on_stop]` hook runs,
/// mail still queued is dropped (calls among it fail at once) and the stopper gets
/// [`Stopped`].
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// struct Idle;
/// #[actor]
/// impl Idle {}
///
/// let addr = Idle.spawn();
/// let bridge = Bridge::new();
/// assert_eq!(bridge.call(&addr, Stop, Duration::from_secs(5)).unwrap(), Stopped);
/// assert!(!addr.is_alive());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stop;

impl Message for Stop {
    type Reply = Stopped;
}

/// The reply to [`Stop`]: the actor has run its `#[on_stop]` hook and handles nothing more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stopped;

/// A message whose type is known only at run time.
///
/// It is what a catch-all handler (`#[handles(other)]`) receives, what a type-erased
/// [`AnyAddr`](crate::AnyAddr) sends and what a [`Bridge`](crate::Bridge) collects in its
/// inbox. Get the value back with [`downcast`](DynMessage::downcast).
///
/// ```
/// use actor_core::DynMessage;
///
/// let msg = DynMessage::new(42_u32);
/// assert_eq!(msg.type_name(), "u32");
/// assert!(msg.is::<u32>());
/// let back: u32 = msg.downcast().unwrap();
/// assert_eq!(back, 42);
/// ```
pub struct DynMessage {
    value: Box<dyn Payload>,
}

/// A boxed value that knows its type name: keeps `DynMessage` at two words.
trait Payload: Any + Send {
    fn type_name(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: Send + 'static> Payload for T {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl DynMessage {
    /// Wraps `value`, remembering its type name.
    pub fn new<T: Send + 'static>(value: T) -> Self {
        DynMessage {
            value: Box::new(value),
        }
    }

    /// The full type name of the value, as [`std::any::type_name`] gives it.
    pub fn type_name(&self) -> &'static str {
        // Deref first: `Box<dyn Payload>` is itself a `Payload`.
        (*self.value).type_name()
    }

    /// Whether the value is a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        (*self.value).as_any().is::<T>()
    }

    /// A reference to the value if it is a `T`.
    ///
    /// ```
    /// use actor_core::DynMessage;
    ///
    /// let msg = DynMessage::new(String::from("hi"));
    /// assert_eq!(msg.downcast_ref::<String>().map(String::as_str), Some("hi"));
    /// assert!(msg.downcast_ref::<u8>().is_none());
    /// ```
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        (*self.value).as_any().downcast_ref()
    }

    /// The value if it is a `T`; otherwise the message itself, unchanged.
    ///
    /// ```
    /// use actor_core::DynMessage;
    ///
    /// let msg = DynMessage::new(7_u8);
    /// let msg = msg.downcast::<u32>().unwrap_err(); // not a `u32`: given back whole
    /// assert_eq!(msg.downcast::<u8>().unwrap(), 7);
    /// ```
    pub fn downcast<T: 'static>(self) -> Result<T, DynMessage> {
        if self.is::<T>() {
            let value = self.value.into_any().downcast::<T>();
            Ok(*value.unwrap_or_else(|_| unreachable!("checked by `is`")))
        } else {
            Err(self)
        }
    }
}

impl fmt::Debug for DynMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DynMessage({})", self.type_name())
    }
}

/// `a::b::Foo<c::Bar>` -> `Foo<Bar>`: type names as a user writes them, for error messages.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    for (i, c) in full.char_indices() {
        if c.is_alphanumeric() || c == '_' {
            continue;
        }
        if c == ':' {
            // `::` ends a path segment: forget what came before it.
            segment_start = i + 1;
            continue;
        }
        out.push_str(&full[segment_start..i]);
        out.push(c);
        segment_start = i + c.len_utf8();
    }
    out.push_str(&full[segment_start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_type_names_drop_module_paths() {
        assert_eq!(short_type_name("app::Ping"), "Ping");
        assert_eq!(
            short_type_name("alloc::vec::Vec<app::msg::Item>"),
            "Vec<Item>"
        );
        assert_eq!(
            short_type_name("(u8, core::option::Option<i64>)"),
            "(u8, Option<i64>)"
        );
        assert_eq!(short_type_name("u32"), "u32");
    }
}
