//! [`NatsError`]: what can go wrong setting up a node. Calls, tells and publishes report
//! with the wire's own errors ([`RemoteError`](crate::wire::RemoteError) and
//! [`WireError`](crate::wire::WireError)), as over any transport.

use std::time::Duration;

/// Why a node could not connect, serve, subscribe or confirm a round trip.
///
/// ```
/// use actor_core::nats::NatsError;
///
/// let err = NatsError::Connect {
///     servers: "nats://127.0.0.1:1".into(),
///     reason: "connection refused".into(),
/// };
/// assert_eq!(err.to_string(), "could not connect to NATS at nats://127.0.0.1:1: connection refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NatsError {
    /// No server in the list could be reached, or the servers refused the credentials.
    #[error("could not connect to NATS at {servers}: {reason}")]
    Connect {
        /// The servers tried.
        servers: String,
        /// What the client said.
        reason: String,
    },
    /// A server URL, subject prefix or inbox prefix that NATS cannot use.
    #[error("`{value}` is not a valid {what}: {reason}")]
    Invalid {
        /// What the value was meant to be.
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A TLS file (CA, client certificate or key) or an nkey seed that cannot be used,
    /// found before connecting. The reason never quotes a secret.
    #[error("the node's {what} cannot be used: {reason}")]
    Trust {
        /// What it is (with its path, for a file).
        what: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The node was closed, so it takes nothing more.
    #[error("the NATS node is closed: {reason}")]
    Closed {
        /// Why.
        reason: String,
    },
    /// The server did not confirm a round trip in time.
    #[error("NATS at {servers} did not confirm a round trip within {timeout:?}")]
    Timeout {
        /// The servers of the node.
        servers: String,
        /// How long the node waited.
        timeout: Duration,
    },
    /// The server refused a subscription: the user's permissions do not allow it
    /// (`serve`, `function` and `subscribe` return this instead of looking served while
    /// nothing can arrive). Nothing is left subscribed or served under it.
    #[error("the NATS server refused the subscription to `{subject}`: {reason}")]
    Forbidden {
        /// The subject.
        subject: String,
        /// The server's error, as it sent it.
        reason: String,
    },
    /// The client refused a subscription.
    #[error("subscribing to `{subject}` failed: {reason}")]
    Subscribe {
        /// The subject.
        subject: String,
        /// What the client said.
        reason: String,
    },
    /// Serving was refused: two message types of one wire name under one served name
    /// ([`WireError::WireNameTaken`](crate::wire::WireError::WireNameTaken)).
    #[error(transparent)]
    Refused(#[from] crate::wire::WireError),
    /// A thread of the node (its runtime, its dispatcher or a worker) could not start.
    #[error("starting the node's {what} failed: {reason}")]
    Thread {
        /// Which thread.
        what: &'static str,
        /// What the operating system said.
        reason: String,
    },
}
