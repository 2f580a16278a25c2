//! Typed calls to actors in another process, over one byte stream (feature `wire`).
//!
//! A [`Mux`] is the calling side: any number of threads call and tell through it at once,
//! over a single connection, each call with its own timeout and its reply matched back to
//! it by transaction id. A [`DeMux`] is the serving side: it exposes actors (and plain
//! functions) by name and runs incoming requests on a pool of workers or a thread per
//! request, sending back each reply, or the [`Fault`] (a panic, an unknown name, a message
//! that did not decode) that took its place. [`RemoteAddr<A>`] gives a remote actor the
//! look of a local one: `call` and `tell` compile only for the messages `A` handles.
//!
//! An actor written with `#[actor(remote)]` lists its handlers for the wire (it implements
//! [`RemoteActor`]), so [`DeMux::expose_actor`] serves all of them in one call. To serve
//! only some, chain them by hand: `demux.expose(name, &addr).handle::<M>()`, or write the
//! [`RemoteActor`] impl yourself.
//!
//! - Transports ([`Transport`]): any `Read + Write` pair; TCP, Unix sockets and a child
//!   process's stdin/stdout are ready-made.
//! - Framing ([`frame`]): a 4-byte big-endian length, a version byte, the payload; the
//!   length is checked against a limit ([`Config::max_frame`]) before anything is read.
//! - Encoding ([`codec`]): postcard over serde; messages are named by
//!   [`codec::wire_name`]: `#[message(name = "shop.Order")]`, or else their full Rust type
//!   name (then both sides use the same message crate). Its docs say what makes two
//!   builds compatible.
//! - Bad input never takes a peer down: a packet that does not decode is dropped and
//!   reported ([`Mux::anomalies`], [`DeMux::anomalies`]); a frame error ends only its own
//!   connection, releasing the calls waiting on it.
//!
//! The encoding, the errors and the [`Link`] trait behind [`RemoteAddr`] do not depend on
//! the transport, so another one (a message bus) can carry the same packets.
//!
//! ```
//! use actor_core::prelude::*;
//! use actor_core::wire::{DeMux, Mux, Transport, Workers};
//! use serde::{Deserialize, Serialize};
//! use std::net::TcpListener;
//! use std::time::Duration;
//!
//! #[derive(Message, Serialize, Deserialize)]
//! struct Product(i64);
//!
//! #[derive(Message, Serialize, Deserialize)]
//! #[message(reply = Vec<i64>)]
//! struct GetInventory;
//!
//! #[derive(Default)]
//! struct Warehouse { inventory: Vec<i64> }
//!
//! #[actor(remote)] // its handlers, for `expose_actor`
//! impl Warehouse {
//!     #[handles(GetInventory)]
//!     fn on_get(&mut self, _: GetInventory) -> Vec<i64> { self.inventory.clone() }
//!
//!     #[handles(Product)]
//!     fn on_product(&mut self, p: Product) { self.inventory.push(p.0) }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The serving side (usually another process).
//! let demux = DeMux::new(Workers::Pool(4))?;
//! let warehouse = Warehouse::default().spawn();
//! demux.expose_actor("warehouse", &warehouse);
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let _listening = demux.listen(listener)?;
//!
//! // The calling side.
//! let mux = Mux::new(Transport::connect_tcp(addr)?)?;
//! let remote = mux.remote::<Warehouse>("warehouse");
//! for n in [2, 4, 6] {
//!     remote.tell(Product(n))?;
//! }
//! assert_eq!(remote.call(GetInventory, Duration::from_secs(5))?, [2, 4, 6]);
//! # Ok(())
//! # }
//! ```

pub mod codec;
mod conn;
mod demux;
mod depth;
mod error;
pub mod frame;
mod gauge;
mod limits;
mod listen;
mod mux;
mod pool;
mod reader;
mod remote;
mod serve;
mod transport;
mod woken;
mod work;

// For the `nats` transport: the request path it shares with the DeMux, and the anomaly log.
#[cfg(feature = "nats")]
pub(crate) use error::{clip, Anomalies};
#[cfg(feature = "nats")]
pub(crate) use limits::Counters;
#[cfg(feature = "nats")]
pub(crate) use pool::{Hold, Job, Pool};
#[cfg(feature = "nats")]
pub(crate) use serve::{catch, Answer, Endpoint, Failure, Request, Table};

pub use codec::{Payload, RemoteMessage, Route};
pub use conn::Served;
pub use demux::DeMux;
pub use error::{CodecError, Fault, FrameError, RemoteError, WireError};
pub use limits::{Limits, Load};
pub use listen::Listening;
pub use mux::Mux;
pub use pool::Workers;
pub use remote::{Link, RemoteActor, RemoteAddr};
pub use serve::Exposed;
pub use transport::{Listen, Transport};

/// Settings shared by a [`Mux`] and a [`DeMux`].
///
/// ```
/// use actor_core::wire::Config;
///
/// let config = Config::default().max_frame(64 * 1024);
/// assert_eq!(config.max_frame, 64 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The largest frame sent or accepted, in bytes (version byte and payload): a longer
    /// request is refused before it is sent, a longer length prefix ends the connection
    /// before anything more is read. Both sides should agree on it. Default: 16 MiB.
    pub max_frame: u32,
}

impl Config {
    /// The same settings with another frame limit.
    pub fn max_frame(mut self, max_frame: u32) -> Self {
        self.max_frame = max_frame;
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame: frame::DEFAULT_MAX_FRAME,
        }
    }
}
