//! A NATS message's payload is one wire packet, as a frame carries it minus the length
//! prefix (NATS gives every message its length): the wire's version byte, a
//! [`Head`](crate::wire::codec::Head), then the body.

use crate::wire::codec::{self, Head};
use crate::wire::frame::VERSION;
use crate::wire::{CodecError, FrameError, WireError};

/// A payload holding `head` and nothing after it yet.
pub(crate) fn start(head: &Head<'_>) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    out.push(VERSION);
    codec::encode(head, &mut out)?;
    Ok(out)
}

/// A whole payload: `head`, then `body`.
pub(crate) fn build(head: &Head<'_>, body: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut out = start(head)?;
    out.extend_from_slice(body);
    Ok(out)
}

/// Reads a payload's head; returns it and where the body starts.
pub(crate) fn open(payload: &[u8]) -> Result<(Head<'_>, usize), WireError> {
    match payload.split_first() {
        None => Err(FrameError::Empty.into()),
        Some((&found, _)) if found != VERSION => Err(FrameError::Version {
            found,
            expected: VERSION,
        }
        .into()),
        Some((_, rest)) => {
            let (head, body) = codec::decode_packet(rest)?;
            Ok((head, payload.len() - body.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Route;

    #[test]
    fn a_payload_opens_to_its_head_and_body() {
        let route = Route {
            actor: "math",
            message: "app::Square",
        };
        let head = Head::Call {
            xid: 9,
            timeout_ms: 500,
            route,
        };
        let payload = build(&head, b"body").unwrap();
        assert_eq!(payload[0], VERSION);
        let (opened, start) = open(&payload).unwrap();
        assert_eq!(opened, head);
        assert_eq!(&payload[start..], b"body");
    }

    #[test]
    fn empty_foreign_and_garbage_payloads_are_errors() {
        assert_eq!(open(b"").unwrap_err(), WireError::Frame(FrameError::Empty));
        assert_eq!(
            open(&[VERSION + 1, 0]).unwrap_err(),
            WireError::Frame(FrameError::Version {
                found: VERSION + 1,
                expected: VERSION
            })
        );
        assert!(matches!(
            open(&[VERSION, 0xff, 0xff]).unwrap_err(),
            WireError::Codec(_)
        ));
    }
}
