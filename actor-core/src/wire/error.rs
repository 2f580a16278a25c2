//! Errors of the wire: [`WireError`] says what went wrong; [`RemoteError`] says the same
//! and gives back a request that was never sent; [`Fault`] is what the far side reports
//! back instead of a reply; [`FrameError`] and [`CodecError`] are the framing's and the
//! encoding's share.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::lock;
use serde::{Deserialize, Serialize};

/// Why a frame could not be read or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The stream ended inside a frame: the peer vanished mid-frame.
    #[error("the stream ended in the middle of a frame: {got} of its {expected} bytes arrived")]
    Truncated {
        /// The bytes the frame (or its length prefix) announced.
        expected: u64,
        /// The bytes that came.
        got: u64,
    },
    /// A length over the limit; nothing of the frame was read or allocated.
    #[error("a frame of {len} bytes is over the limit of {max} bytes")]
    TooLarge {
        /// The length announced (or built).
        len: u64,
        /// The limit.
        max: u32,
    },
    /// A length prefix of zero, which leaves no room for the version byte.
    #[error("a frame announced a length of zero, which leaves no room for its version byte")]
    Empty,
    /// A version byte this side does not speak.
    #[error("the peer speaks wire version {found}, but this side speaks version {expected}")]
    Version {
        /// The version byte that came.
        found: u8,
        /// The version this side speaks.
        expected: u8,
    },
    /// The operating system reported an error on the stream.
    #[error("reading the stream failed: {reason}")]
    Io {
        /// What the operating system said.
        reason: String,
    },
}

/// Why a value could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Serialising failed (a `Serialize` impl refused the value).
    #[error("could not encode a `{what}`: {reason}")]
    Encode {
        /// The type being encoded.
        what: &'static str,
        /// What the encoder said.
        reason: String,
    },
    /// The bytes are not a valid encoding of the type.
    #[error("could not decode a `{what}`: {reason}")]
    Decode {
        /// The type being decoded.
        what: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The value nests deeper than [`MAX_DEPTH`](super::codec::MAX_DEPTH) levels; decoding
    /// stopped there rather than recurse on.
    #[error("could not decode a `{what}`: it is nested deeper than the limit of {limit} levels")]
    TooDeep {
        /// The type being decoded.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The value ended before the bytes did.
    #[error(
        "{extra} bytes were left over after a `{what}`: the two sides disagree on its definition"
    )]
    Trailing {
        /// The type decoded.
        what: &'static str,
        /// How many bytes were left.
        extra: usize,
    },
}

/// What the far side sends back instead of a reply: the request reached it, but no reply
/// could be made. Carried over the wire, so every field is text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// No actor or function is exposed under that name.
    #[error("no actor is exposed as `{actor}` on the far side")]
    NoSuchActor {
        /// The name asked for.
        actor: String,
    },
    /// The actor is exposed, but not for that message type.
    #[error("the actor exposed as `{actor}` does not take `{message}` over the wire; the far side registers it with `handle::<{message}>()`")]
    NotHandled {
        /// The name asked for.
        actor: String,
        /// The message's wire name.
        message: String,
    },
    /// The request's bytes did not decode as the message type.
    #[error("the far side could not decode the `{message}` for `{actor}`: {reason}")]
    BadRequest {
        /// The name asked for.
        actor: String,
        /// The message's wire name.
        message: String,
        /// What the decoder said.
        reason: String,
    },
    /// The handler panicked; the panic message is carried here.
    #[error("`{actor}` panicked while handling `{message}`: {panic}")]
    Panicked {
        /// The name asked for.
        actor: String,
        /// The message's wire name.
        message: String,
        /// The panic's message.
        panic: String,
    },
    /// The request was decoded but not answered: the actor had stopped, did not answer in
    /// time, or its reply could not be encoded or was over the frame limit.
    #[error("`{actor}` could not answer `{message}`: {reason}")]
    Failed {
        /// The name asked for.
        actor: String,
        /// The message's wire name.
        message: String,
        /// Why, as a sentence.
        reason: String,
    },
    /// The far side could not take the request at all (it could not start a thread).
    #[error("the far side cannot take requests: {reason}")]
    Unavailable {
        /// Why, as a sentence.
        reason: String,
    },
}

/// Everything that can go wrong on the wire, without the request itself.
///
/// [`RemoteError`] converts into it with `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The connection is gone (or was closed by this side): pending calls are released
    /// with it at once, and new calls fail at once.
    #[error("the connection to {peer} is closed: {reason}")]
    Disconnected {
        /// Who was on the other end.
        peer: String,
        /// Why it closed.
        reason: String,
    },
    /// No reply within the timeout; a reply that comes later is dropped.
    #[error("`{actor}` did not answer the `{message}` within {timeout:?}")]
    Timeout {
        /// The remote actor's name.
        actor: String,
        /// The message's wire name.
        message: String,
        /// How long the caller waited.
        timeout: Duration,
    },
    /// A frame could not be read or built.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A value could not be encoded or decoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The far side got the request and sent back this fault instead of a reply.
    #[error(transparent)]
    Remote(#[from] Fault),
    /// A reply named a transaction this side never started; it was dropped.
    #[error("a reply arrived for transaction {xid}, which this side never started")]
    UnknownTransaction {
        /// The transaction id in the reply.
        xid: u64,
    },
    /// A packet that goes the other way: a request at a Mux, or a reply at a DeMux.
    #[error("the peer sent a {what}, which a {side} does not take; it was dropped")]
    Unexpected {
        /// What came.
        what: &'static str,
        /// This side's role.
        side: &'static str,
    },
    /// The message bus found no one serving the name: nothing received the request, so
    /// the message comes back (a NATS request to a subject with no subscriber).
    #[error("no one serves `{actor}`: the server has no subscriber on `{subject}`")]
    NoResponders {
        /// The name called.
        actor: String,
        /// The subject the request was sent to.
        subject: String,
    },
    /// A packet over the message bus's size limit (NATS' `max_payload`); it was not sent.
    #[error("a packet of {len} bytes is over the server's limit of {max} bytes (its max_payload), so it was not sent")]
    PayloadTooLarge {
        /// The packet's length: head and body.
        len: u64,
        /// The server's limit.
        max: u64,
    },
    /// The serving side went past one of its [`Limits`](super::Limits) because of this
    /// peer: a connection over the cap was refused, a connection was closed for a timeout,
    /// or a request was refused because the workers were full (a tell is then dropped).
    #[error("{peer}: {reason}")]
    Limit {
        /// Who the peer was.
        peer: String,
        /// Which limit, as a sentence.
        reason: String,
    },
    /// Two different message types of one [wire name](super::codec::wire_name) were
    /// exposed under one name: the second was refused and the first still serves it.
    #[error("`{actor}` already takes `{first}` under the wire name `{message}`, so `{second}` was refused: give one of them another `#[message(name = ..)]`")]
    WireNameTaken {
        /// The name the actor or function is exposed under.
        actor: String,
        /// The wire name both types have.
        message: String,
        /// The type that has it there, which stays.
        first: String,
        /// The type refused.
        second: String,
    },
    /// Connecting, accepting or starting a thread failed.
    #[error("{action} failed: {reason}")]
    Io {
        /// What was being done.
        action: String,
        /// What the operating system said.
        reason: String,
    },
}

/// Cuts `text` to at most `max` bytes (on a character boundary), saying how long it was.
pub(crate) fn clip(text: &mut String, max: usize) {
    if text.len() > max {
        let total = text.len();
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        // A new string: truncating would keep the whole allocation.
        *text = format!("{}... ({total} bytes in all)", &text[..end]);
    }
}

impl Fault {
    /// Cuts every text in the fault to at most `max` bytes.
    fn clip(&mut self, max: usize) {
        match self {
            Fault::NoSuchActor { actor } => clip(actor, max),
            Fault::NotHandled { actor, message } => {
                [actor, message].into_iter().for_each(|t| clip(t, max))
            }
            Fault::BadRequest {
                actor,
                message,
                reason: text,
            }
            | Fault::Panicked {
                actor,
                message,
                panic: text,
            }
            | Fault::Failed {
                actor,
                message,
                reason: text,
            } => [actor, message, text]
                .into_iter()
                .for_each(|t| clip(t, max)),
            Fault::Unavailable { reason } => clip(reason, max),
        }
    }
}

impl WireError {
    /// Cuts every text in the error to at most `max` bytes, so a kept error costs little
    /// whatever the peer sent.
    fn clip(&mut self, max: usize) {
        match self {
            WireError::Disconnected { peer: a, reason: b }
            | WireError::Limit { peer: a, reason: b }
            | WireError::Io {
                action: a,
                reason: b,
            }
            | WireError::NoResponders {
                actor: a,
                subject: b,
            } => [a, b].into_iter().for_each(|t| clip(t, max)),
            WireError::Timeout { actor, message, .. } => {
                [actor, message].into_iter().for_each(|t| clip(t, max))
            }
            WireError::WireNameTaken {
                actor,
                message,
                first,
                second,
            } => [actor, message, first, second]
                .into_iter()
                .for_each(|t| clip(t, max)),
            WireError::Frame(FrameError::Io { reason })
            | WireError::Codec(
                CodecError::Encode { reason, .. } | CodecError::Decode { reason, .. },
            ) => clip(reason, max),
            WireError::Remote(fault) => fault.clip(max),
            WireError::Frame(_)
            | WireError::Codec(_)
            | WireError::UnknownTransaction { .. }
            | WireError::Unexpected { .. }
            | WireError::PayloadTooLarge { .. } => {}
        }
    }

    pub(crate) fn io(action: impl Into<String>, e: impl fmt::Display) -> Self {
        WireError::Io {
            action: action.into(),
            reason: e.to_string(),
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, WireError::Timeout { .. })
    }

    /// Whether the connection is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, WireError::Disconnected { .. })
    }

    /// Whether no one serves the name called (a message bus' "no responders").
    pub fn is_no_responders(&self) -> bool {
        matches!(self, WireError::NoResponders { .. })
    }

    /// The far side's fault, if it sent one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            WireError::Remote(fault) => Some(fault),
            _ => None,
        }
    }
}

/// A remote call or tell that failed. Where the request was never sent, it comes back.
///
/// ```
/// use actor_core::wire::{RemoteError, WireError};
///
/// let closed = WireError::Disconnected { peer: "tcp 127.0.0.1:4000".into(), reason: "the Mux was closed".into() };
/// let err = RemoteError::NotSent { error: closed, msg: 42_u32 };
/// assert!(err.error().is_disconnected());
/// assert_eq!(err.to_string(), "the connection to tcp 127.0.0.1:4000 is closed: the Mux was closed");
/// assert_eq!(err.into_message(), Some(42));
/// ```
pub enum RemoteError<M> {
    /// Nothing of the request went out; the message is given back.
    NotSent {
        /// Why.
        error: WireError,
        /// The message, given back.
        msg: M,
    },
    /// The request went out, but no reply came back: the far side's fault, a timeout, a
    /// lost connection or a reply that did not decode.
    Failed(WireError),
}

impl<M> RemoteError<M> {
    /// What went wrong.
    pub fn error(&self) -> &WireError {
        match self {
            RemoteError::NotSent { error, .. } | RemoteError::Failed(error) => error,
        }
    }

    /// What went wrong, dropping any message.
    pub fn into_error(self) -> WireError {
        match self {
            RemoteError::NotSent { error, .. } | RemoteError::Failed(error) => error,
        }
    }

    /// The message, if it was never sent.
    pub fn into_message(self) -> Option<M> {
        match self {
            RemoteError::NotSent { msg, .. } => Some(msg),
            RemoteError::Failed(_) => None,
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        self.error().is_timeout()
    }

    /// Whether the connection is gone.
    pub fn is_disconnected(&self) -> bool {
        self.error().is_disconnected()
    }

    /// Whether no one serves the name called.
    pub fn is_no_responders(&self) -> bool {
        self.error().is_no_responders()
    }

    /// The far side's fault, if it sent one.
    pub fn fault(&self) -> Option<&Fault> {
        self.error().fault()
    }

    /// The same error with the message turned into another value.
    pub fn map<N>(self, f: impl FnOnce(M) -> N) -> RemoteError<N> {
        match self {
            RemoteError::NotSent { error, msg } => RemoteError::NotSent { error, msg: f(msg) },
            RemoteError::Failed(error) => RemoteError::Failed(error),
        }
    }
}

impl<M> fmt::Display for RemoteError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error().fmt(f)
    }
}

impl<M> fmt::Debug for RemoteError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::NotSent { error, .. } => write!(f, "RemoteError::NotSent({error:?})"),
            RemoteError::Failed(error) => write!(f, "RemoteError::Failed({error:?})"),
        }
    }
}

// Display shows the inner error, so it is not also given as the source.
impl<M> std::error::Error for RemoteError<M> {}

impl<M> From<RemoteError<M>> for WireError {
    fn from(e: RemoteError<M>) -> Self {
        e.into_error()
    }
}

/// Bad input that a connection survived (or that ended it): kept for inspection, newest
/// last, at most [`Anomalies::KEEP`] of them, each text in them cut to
/// [`Anomalies::TEXT`] bytes (a peer chooses the names it sends, and their size).
#[derive(Default)]
pub(crate) struct Anomalies {
    recent: Mutex<VecDeque<WireError>>,
    count: AtomicU64,
}

impl Anomalies {
    pub(crate) const KEEP: usize = 64;
    pub(crate) const TEXT: usize = 256;

    pub(crate) fn report(&self, mut error: WireError) {
        self.count.fetch_add(1, Ordering::Relaxed);
        error.clip(Self::TEXT);
        let mut recent = lock(&self.recent);
        if recent.len() == Self::KEEP {
            recent.pop_front();
        }
        recent.push_back(error);
    }

    pub(crate) fn recent(&self) -> Vec<WireError> {
        let recent = lock(&self.recent);
        recent.iter().cloned().collect()
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_anomalies_are_bounded_in_number_and_size() {
        let anomalies = Anomalies::default();
        for _ in 0..Anomalies::KEEP + 10 {
            anomalies.report(WireError::Remote(Fault::NoSuchActor {
                actor: "é".repeat(100_000),
            }));
        }
        let kept = anomalies.recent();
        assert_eq!(kept.len(), Anomalies::KEEP);
        assert_eq!(anomalies.count(), Anomalies::KEEP as u64 + 10);
        for error in kept {
            let text = error.to_string();
            assert!(text.len() < 2 * Anomalies::TEXT, "{} bytes", text.len());
            match error {
                WireError::Remote(Fault::NoSuchActor { actor }) => {
                    assert!(
                        actor.capacity() < 2 * Anomalies::TEXT,
                        "{}",
                        actor.capacity()
                    )
                }
                other => panic!("{other:?}"),
            }
            assert!(text.contains("(200000 bytes in all)"), "{text}");
        }
    }
}
