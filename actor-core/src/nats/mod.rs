//! Actors across machines over NATS (feature `nats`).
//!
//! A [`Node`] is a process's connection to a NATS system (one or more servers). It serves
//! local actors by name, reaches actors served by any other node through typed
//! [`RemoteAddr`](crate::wire::RemoteAddr)s, spreads requests over every node serving a
//! name (a queue group: the seed `001` worker pool, across machines), and extends
//! [`PubSub`](crate::PubSub) to every node ([`NatsPubSub`]). It is the wire's remote-ref
//! API on another transport: the same [`RemoteMessage`](crate::wire::RemoteMessage)s, the
//! same encoding ([`codec`](crate::wire::codec)), the same errors
//! ([`RemoteError`](crate::wire::RemoteError), [`WireError`](crate::wire::WireError),
//! [`Fault`](crate::wire::Fault)), the same [`Link`](crate::wire::Link) trait
//! ([`NatsLink`]).
//!
//! The API is blocking: the official async client (`async-nats`) runs on one private
//! thread per node, with a single-threaded tokio runtime that nothing else sees.
//!
//! # Subjects
//!
//! Every subject starts with the node's prefix ([`NodeConfig::prefix`], default
//! [`DEFAULT_PREFIX`]), so applications sharing a server use different subjects. This is
//! naming, not isolation: a client on the same account may subscribe to `{prefix}.>`;
//! NATS accounts and per-user permissions keep applications apart (README, "NATS trust
//! model"). Names,
//! message types and keys become one token each: letters, digits, `_`, `-` and `:` stay
//! as they are, every other byte is written `~XX` (so `app::Price` stays `app::Price`,
//! `cart.eu` becomes `cart~2Eeu`).
//!
//! | subject | what goes there |
//! |---|---|
//! | `{prefix}.actor.{name}` | calls and tells to the actor served as `name`; its servers form the queue group `{name}` |
//! | `{prefix}.topic.{message type}` | publishes of that type without a key |
//! | `{prefix}.topic.{message type}.{key}` | publishes of that type under `key` |
//! | `{prefix}.console.{node name}` | the node's process snapshots, for a console gathering the cluster (features `nats` and `console`: [`Node::publish_snapshots`], [`console::Cluster`](crate::console::Cluster)); `{prefix}.console.>` is reserved for them |
//! | `{inbox}.{unique id}.{xid}` | the reply to call `xid` of one node (`{inbox}` is `_INBOX` unless [`NodeConfig::inbox_prefix`] says otherwise) |
//!
//! # Encoding
//!
//! A NATS message's payload is one wire packet as a frame carries it, minus the length
//! prefix (NATS has its own): the wire's [version byte](crate::wire::frame::VERSION), a
//! [`Head`](crate::wire::codec::Head), then the postcard-encoded body. A call's head
//! names the message type and the caller's timeout; its reply is a `Reply` head and the
//! encoded reply, or a `Fault` head saying why there is none. Replies are matched to
//! calls by their reply subject, which is unique to the call: a late reply finds no one
//! waiting and is dropped.
//!
//! # Failure
//!
//! Explicit and fast: no one serving a name is [`WireError::NoResponders`] at once; a
//! server that goes away fails new calls at once ([`WireError::Disconnected`]) and
//! releases the waiting ones at once; the client reconnects on its own, and names served
//! and topics subscribed resume; a payload over the server's `max_payload` is refused
//! before it is sent ([`WireError::PayloadTooLarge`]). Wherever a request was not sent,
//! its message comes back in the error.
//!
//! # Bounds
//!
//! Nothing a peer sends can grow a node's memory or threads without bound: requests are
//! routed where they arrive without waiting and run on a bounded pool
//! ([`NodeConfig::limits`]; past it a call is answered at once with
//! [`Fault::Unavailable`](crate::wire::Fault::Unavailable), a tell is dropped and recorded);
//! a served actor whose bounded mailbox is full holds back only its own tells; the
//! outgoing queue is bounded ([`NodeConfig::max_outgoing`], past it a send fails with
//! its message back); and a partition without a TCP reset is noticed within a bound the
//! config sets ([`NodeConfig::ping_interval`] and [`NodeConfig::max_outstanding_pings`]).
//!
//! [`WireError::NoResponders`]: crate::wire::WireError::NoResponders
//! [`WireError::Disconnected`]: crate::wire::WireError::Disconnected
//! [`WireError::PayloadTooLarge`]: crate::wire::WireError::PayloadTooLarge
//!
//! ```no_run
//! use actor_core::prelude::*;
//! use actor_core::nats::{Node, NodeConfig};
//! use serde::{Deserialize, Serialize};
//! use std::time::Duration;
//!
//! #[derive(Message, Serialize, Deserialize)]
//! #[message(reply = u64)]
//! struct Square(u64);
//!
//! #[derive(Message, Clone, Serialize, Deserialize)]
//! struct Price(u32);
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = NodeConfig::new(["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]).prefix("shop");
//!
//! // Each worker process serves the same name: each request goes to one of them.
//! let worker = config.clone().connect()?;
//! worker.function("squares", |Square(n): Square| n * n)?;
//!
//! // Any process calls it, and publishes to whoever subscribes.
//! let client = config.connect()?;
//! assert_eq!(client.call("squares", Square(12), Duration::from_secs(5))?, 144);
//! client.pubsub().publish(Price(101))?;
//! # Ok(())
//! # }
//! ```

mod calls;
mod config;
mod error;
mod link;
mod node;
pub(crate) mod packet;
mod pubsub;
mod runtime;
mod serve;
mod subject;

pub use config::{NodeConfig, DEFAULT_PREFIX};
pub use error::NatsError;
pub use link::NatsLink;
pub use node::Node;
pub use pubsub::{NatsPubSub, TopicMessage};
