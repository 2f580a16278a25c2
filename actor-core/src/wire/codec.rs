//! The message encoding, shared by every transport: what a request and a reply look like
//! as bytes, whatever carries them (a [`Mux`](super::Mux) over a byte stream today).
//!
//! Values are encoded with [postcard](https://docs.rs/postcard): serde's data model as
//! varints and length-prefixed bytes, with no field names and no padding. A packet is a
//! [`Head`] followed directly by its body, the encoded message or reply, so the body is
//! never copied into an envelope.
//!
//! Messages are named on the wire by [`wire_name`]: the name given with
//! `#[message(name = "shop.Order")]`, or else their full Rust type name. Its docs say
//! what makes two builds compatible.
//!
//! ```
//! use actor_core::wire::codec::{self, Head, Route};
//!
//! let mut packet = Vec::new();
//! let route = Route { actor: "math", message: "app::Square" };
//! codec::encode(&Head::Call { xid: 7, timeout_ms: 1000, route }, &mut packet).unwrap();
//! codec::encode(&12_u64, &mut packet).unwrap();
//!
//! let (head, body) = codec::decode_packet(&packet).unwrap();
//! assert_eq!(head, Head::Call { xid: 7, timeout_ms: 1000, route });
//! assert_eq!(codec::decode::<u64>(body).unwrap(), 12);
//! ```

use std::fmt;
use std::ops::Deref;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use super::depth::MAX_DEPTH;
use super::depth::{Budget, Guard};
use super::error::{CodecError, Fault};
use crate::message::Message;

/// A message that can cross the wire: a [`Message`] whose value and reply both derive
/// serde's `Serialize` and `Deserialize`. Implemented for every such type.
///
/// It goes by its [`wire_name`] (`#[message(name = "shop.Order")]`, or else its Rust type
/// name); two builds exchange it when they agree on that name, on the postcard encoding
/// of its fields and on its reply type: [`wire_name`] says what may and may not change.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::RemoteMessage;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Square(u64);
///
/// fn is_remote<M: RemoteMessage>() {}
/// is_remote::<Square>();
/// ```
pub trait RemoteMessage:
    Message<Reply: Serialize + DeserializeOwned> + Serialize + DeserializeOwned
{
}

impl<M> RemoteMessage for M
where
    M: Message + Serialize + DeserializeOwned,
    M::Reply: Serialize + DeserializeOwned,
{
}

/// The name a message type goes by on the wire, which a [`DeMux`](super::DeMux) and a NATS
/// node match requests by: the name set with `#[message(name = "shop.Order")]`
/// ([`Message::WIRE_NAME`]), or else its full Rust type name, as [`std::any::type_name`]
/// gives it (`app::msg::Square`).
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::wire::codec::wire_name;
///
/// #[derive(Message)]
/// #[message(name = "shop.Order", reply = u64)]
/// struct Order { item: String, count: u32 }
///
/// #[derive(Message)]
/// struct Cancel(u64);
///
/// assert_eq!(wire_name::<Order>(), "shop.Order");
/// assert_eq!(wire_name::<Cancel>(), std::any::type_name::<Cancel>()); // `rust_out::Cancel` here
/// ```
///
/// # Named messages: the allowed names
///
/// A name is 1 to 128 bytes of ASCII letters, digits, `_`, `-`, `:` and `.`, where `.`
/// separates non-empty parts (`shop.Order`, `billing.v2.Invoice`, `Ping`); the derive
/// refuses anything else at compile time. These are characters every transport carries as
/// they are: a NATS subject keeps them readable (`.` is escaped inside its one token, as
/// in `shop~2EOrder`, so a name never adds a subject level nor a wildcard). A hand-written
/// `impl Message` that sets [`Message::WIRE_NAME`] is not checked: any string still
/// travels intact, but keep to the same rule.
///
/// # What makes two builds compatible
///
/// The type name is only as stable as the crate path and the compiler: `std::any::type_name`
/// may differ between compiler versions, and moving or renaming the type changes it. Name
/// a message with `#[message(name = ..)]` and two builds (or two programs) may define it
/// apart, in different crates, modules and compilers. They then talk when they agree on,
/// per message type:
///
/// - **the wire name** (and the name the actor is exposed under);
/// - **the encoding of the message's fields**: postcard writes values in serde's data model
///   with no field names and no type tags, so what must agree is the *sequence* of field
///   types, in declaration order, all the way down (nested structs, enums, collections);
/// - **the reply type**, by the same rule, since the reply comes back encoded the same way.
///
/// What postcard does and does not see, so what may change on one side only:
///
/// - Safe: renaming a field, a variant or the type itself (with an explicit wire name);
///   moving it to another module or crate; wrapping a field in a newtype struct or
///   unwrapping it (a newtype is encoded as its content); changing derives, methods and
///   docs.
/// - Breaking: reordering fields; adding or removing one (a value left over is refused
///   as [`CodecError::Trailing`], a missing one fails to decode; `#[serde(default)]` does
///   not help, since postcard cannot tell a field is absent); reordering variants or
///   inserting one before others (a variant travels as its index); changing a field's
///   type, as between `u8` and `u16`, `u64` and `f64`, `Vec<T>` and `[T; N]`, `String`
///   and a number. A variant added at the end is read by the old side for every other
///   variant, and refused for the new one.
/// - Undetected: a reordering of fields of the same type (two `u64`s swapped) decodes
///   without error into swapped values. Postcard writes `u16` to `u128` and `usize` as
///   varints, `i16` to `i128` and `isize` as zigzag varints (`u8`, `i8` and `bool` are one
///   raw byte, floats fixed-width), so widening `u32` to `u64` happens to read old values
///   (and narrowing fails only on a value that does not fit); keep such coincidences out
///   of a protocol unless a test pins them.
/// - Not usable with postcard on either side: `#[serde(flatten)]` and `untagged` enums
///   (they need a self-describing format), `skip_serializing_if` (the reader cannot tell
///   a field was left out).
///
/// Without the attribute, both sides must take their message types from one crate built
/// by one compiler version, as before: the default keeps old peers working.
pub fn wire_name<M: Message>() -> &'static str {
    M::WIRE_NAME.unwrap_or_else(std::any::type_name::<M>)
}

/// Where a request goes: an actor (or function) exposed under a name, and a message type
/// by its [`wire_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Route<'a> {
    /// The name the actor is exposed under.
    pub actor: &'a str,
    /// The message type's wire name.
    pub message: &'a str,
}

/// What comes first in every packet. The body follows it directly: the encoded message
/// for `Call` and `Tell`, the encoded reply for `Reply`, nothing for `Fault`.
///
/// `xid` (the transaction id) pairs a reply with its call on a connection that carries
/// many at once; a transport with its own request/reply pairing may leave it 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Head<'a> {
    /// A request that waits for a reply.
    Call {
        /// The transaction id, unique among the sender's calls on this connection.
        xid: u64,
        /// How long the caller waits, in milliseconds: the far side waits no longer.
        timeout_ms: u64,
        /// The target.
        #[serde(borrow)]
        route: Route<'a>,
    },
    /// A request without a reply.
    Tell {
        /// The target.
        #[serde(borrow)]
        route: Route<'a>,
    },
    /// The reply to call `xid`.
    Reply {
        /// The call's transaction id.
        xid: u64,
    },
    /// Call `xid` reached the far side but got no reply.
    Fault {
        /// The call's transaction id.
        xid: u64,
        /// Why.
        fault: Fault,
    },
}

impl Head<'_> {
    /// What kind of packet this is, for messages: "call", "tell", "reply" or "fault".
    pub fn kind(&self) -> &'static str {
        match self {
            Head::Call { .. } => "call",
            Head::Tell { .. } => "tell",
            Head::Reply { .. } => "reply",
            Head::Fault { .. } => "fault",
        }
    }
}

/// Appends the encoding of `value` to `out`. On error, `out` may hold part of it.
pub fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), CodecError> {
    postcard::to_extend(value, Append(out))
        .map(|_| ())
        .map_err(|e| CodecError::Encode {
            what: std::any::type_name::<T>(),
            reason: e.to_string(),
        })
}

/// The encoding of `value`, in a vector of its own.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode(value, &mut out)?;
    Ok(out)
}

/// Decodes a `T` that fills `bytes` exactly: bytes left over mean the two sides disagree
/// on the type, and are an error rather than silently ignored.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, CodecError> {
    let (value, rest) = decode_prefix(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(CodecError::Trailing {
            what: std::any::type_name::<T>(),
            extra: rest.len(),
        })
    }
}

/// Decodes a `T` from the start of `bytes`; returns it and the bytes after it.
///
/// Values may nest at most [`MAX_DEPTH`] levels deep ([`CodecError::TooDeep`] past it),
/// so no input, however it is built, can overflow the decoding thread's stack.
pub fn decode_prefix<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<(T, &'a [u8]), CodecError> {
    let what = std::any::type_name::<T>();
    let mut deserializer = postcard::Deserializer::from_bytes(bytes);
    let budget = Budget::new(MAX_DEPTH);
    let guarded = Guard {
        inner: &mut deserializer,
        budget: &budget,
    };
    let decoded = T::deserialize(guarded).and_then(|value| Ok((value, deserializer.finalize()?)));
    decoded.map_err(|e| match budget.exceeded() {
        true => CodecError::TooDeep {
            what,
            limit: MAX_DEPTH,
        },
        false => CodecError::Decode {
            what,
            reason: e.to_string(),
        },
    })
}

/// Splits a packet into its [`Head`] and its body.
pub fn decode_packet(packet: &[u8]) -> Result<(Head<'_>, &[u8]), CodecError> {
    decode_prefix(packet)
}

/// The body of a received packet, left in the packet's own buffer rather than copied.
///
/// ```
/// use actor_core::wire::codec::Payload;
///
/// let body = Payload::new(b"headbody".to_vec(), 4);
/// assert_eq!(&*body, b"body");
/// assert_eq!(body.into_vec(), b"body");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    packet: Vec<u8>,
    start: usize,
}

impl Payload {
    /// The bytes of `packet` from `start` on (none if `start` is past its end).
    pub fn new(packet: Vec<u8>, start: usize) -> Self {
        let start = start.min(packet.len());
        Payload { packet, start }
    }

    /// The bytes, in a vector of their own.
    pub fn into_vec(mut self) -> Vec<u8> {
        self.packet.drain(..self.start);
        self.packet
    }
}

impl Deref for Payload {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.packet[self.start..]
    }
}

impl AsRef<[u8]> for Payload {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload({} bytes)", self.len())
    }
}

/// Lets postcard append to a borrowed vector (it takes its output by value).
struct Append<'a>(&'a mut Vec<u8>);

impl Extend<u8> for Append<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_round_trips_with_its_body() {
        let mut packet = Vec::new();
        let fault = Fault::NoSuchActor {
            actor: "nobody".into(),
        };
        encode(
            &Head::Fault {
                xid: 3,
                fault: fault.clone(),
            },
            &mut packet,
        )
        .unwrap();
        let (head, body) = decode_packet(&packet).unwrap();
        assert_eq!(head, Head::Fault { xid: 3, fault });
        assert!(body.is_empty());
    }

    #[test]
    fn leftover_bytes_are_an_error() {
        let bytes = to_vec(&(1_u8, 2_u8)).unwrap();
        assert_eq!(
            decode::<u8>(&bytes).unwrap_err(),
            CodecError::Trailing {
                what: "u8",
                extra: 1
            }
        );
    }

    #[test]
    fn wire_names_are_full_type_names_unless_set() {
        struct Plain;
        impl Message for Plain {
            type Reply = ();
        }
        struct Named;
        impl Message for Named {
            type Reply = ();
            const WIRE_NAME: Option<&'static str> = Some("shop.Named");
        }
        assert_eq!(
            wire_name::<Plain>(),
            "actor_core::wire::codec::tests::wire_names_are_full_type_names_unless_set::Plain"
        );
        assert_eq!(wire_name::<Named>(), "shop.Named");
        assert_eq!(wire_name::<crate::Stop>(), "actor_core::message::Stop");
    }
}
