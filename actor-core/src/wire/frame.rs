//! Frames: how packets are cut out of a byte stream.
//!
//! A frame is a 4-byte big-endian length `n`, then `n` bytes: a version byte
//! ([`VERSION`]) and the payload. `n` counts the version byte, so it is at least 1, and a
//! reader refuses any `n` over its limit before it reads (or allocates) a byte of the
//! rest. A stream that ends between frames ends cleanly; one that ends inside a frame is
//! [`FrameError::Truncated`].
//!
//! ```text
//! +----------------+---------+---------------------------+
//! | n: u32 (BE)    | version | payload (n - 1 bytes)      |
//! +----------------+---------+---------------------------+
//! ```
//!
//! ```
//! use actor_core::wire::frame::{FrameReader, Frame, DEFAULT_MAX_FRAME};
//!
//! let mut bytes = Vec::new();
//! for payload in [&b"hello"[..], b"", b"world"] {
//!     let mut frame = Frame::new();
//!     frame.extend_from_slice(payload);
//!     bytes.extend_from_slice(&frame.finish(DEFAULT_MAX_FRAME).unwrap());
//! }
//! let mut reader = FrameReader::new(&bytes[..], DEFAULT_MAX_FRAME);
//! assert_eq!(reader.read_frame().unwrap().unwrap(), b"hello");
//! assert_eq!(reader.read_frame().unwrap().unwrap(), b"");
//! assert_eq!(reader.read_frame().unwrap().unwrap(), b"world");
//! assert!(reader.read_frame().unwrap().is_none()); // the stream ended between frames
//! ```

use std::io::{self, BufReader, ErrorKind, Read};

use super::error::FrameError;

/// The protocol version this side speaks, the first byte after every length prefix.
pub const VERSION: u8 = 1;

/// Bytes before the payload: the length prefix and the version byte.
pub const HEADER_LEN: usize = 5;

/// The default limit on a frame's length `n` (version byte and payload): 16 MiB.
pub const DEFAULT_MAX_FRAME: u32 = 16 * 1024 * 1024;

/// How much of a claimed length is reserved before its bytes arrive; the rest grows as
/// they come, so a peer cannot make this side allocate what it never sends.
const RESERVE_AHEAD: usize = 64 * 1024;

/// An outgoing frame being built: the header is reserved, the payload is appended, and
/// [`finish`](Frame::finish) writes the length.
#[derive(Debug)]
pub struct Frame {
    buf: Vec<u8>,
}

impl Frame {
    /// An empty frame, with room for the header.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&[0; HEADER_LEN]);
        Frame { buf }
    }

    /// The payload written so far.
    pub fn payload(&self) -> &[u8] {
        &self.buf[HEADER_LEN..]
    }

    /// Appends payload bytes.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The whole buffer, header included: for encoders that append to a `Vec`.
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Drops the payload after its first `len` bytes.
    pub fn truncate_payload(&mut self, len: usize) {
        self.buf.truncate(HEADER_LEN + len);
    }

    /// The frame's bytes, ready to write, or [`FrameError::TooLarge`] if its length is
    /// over `max`.
    pub fn finish(mut self, max: u32) -> Result<Vec<u8>, FrameError> {
        let len = self.buf.len() - HEADER_LEN + 1;
        match u32::try_from(len) {
            Ok(n) if n <= max => {
                self.buf[..4].copy_from_slice(&n.to_be_bytes());
                self.buf[4] = VERSION;
                Ok(self.buf)
            }
            _ => Err(FrameError::TooLarge {
                len: len as u64,
                max,
            }),
        }
    }
}

impl Default for Frame {
    fn default() -> Self {
        Frame::new()
    }
}

/// Reads frames from a byte stream, refusing lengths over its limit.
///
/// Every error leaves the stream out of step (the next byte is not known to start a
/// frame), so a connection ends at its first frame error. A frame whose payload cannot be
/// decoded is another matter: the framing holds, and only that frame is lost.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: BufReader<R>,
    max: u32,
}

impl<R: Read> FrameReader<R> {
    /// Reads from `inner`, refusing frames whose length is over `max`.
    pub fn new(inner: R, max: u32) -> Self {
        FrameReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            max,
        }
    }

    /// How many bytes have been read from the stream but not yet taken as frames.
    pub fn buffered(&self) -> usize {
        self.inner.buffer().len()
    }

    /// The next frame's payload; `None` if the stream ended cleanly between frames.
    pub fn read_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let mut prefix = [0u8; 4];
        let got = read_full(&mut self.inner, &mut prefix)?;
        if got == 0 {
            return Ok(None);
        }
        if got < prefix.len() {
            return Err(FrameError::Truncated {
                expected: prefix.len() as u64,
                got: got as u64,
            });
        }
        let n = u32::from_be_bytes(prefix);
        if n == 0 {
            return Err(FrameError::Empty);
        }
        if n > self.max {
            return Err(FrameError::TooLarge {
                len: u64::from(n),
                max: self.max,
            });
        }
        let mut version = [0u8; 1];
        if read_full(&mut self.inner, &mut version)? == 0 {
            return Err(FrameError::Truncated {
                expected: u64::from(n),
                got: 0,
            });
        }
        if version[0] != VERSION {
            return Err(FrameError::Version {
                found: version[0],
                expected: VERSION,
            });
        }
        let len = n as usize - 1;
        let mut payload = Vec::with_capacity(len.min(RESERVE_AHEAD));
        let got = (&mut self.inner)
            .take(len as u64)
            .read_to_end(&mut payload)
            .map_err(io_error)?;
        if got < len {
            return Err(FrameError::Truncated {
                expected: u64::from(n),
                got: 1 + got as u64,
            });
        }
        Ok(Some(payload))
    }
}

/// Fills `buf` unless the stream ends first; how many bytes it got.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, FrameError> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(got)
}

fn io_error(e: io::Error) -> FrameError {
    FrameError::Io {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut frame = Frame::new();
        frame.extend_from_slice(payload);
        frame.finish(DEFAULT_MAX_FRAME).unwrap()
    }

    #[test]
    fn a_frame_is_length_version_payload() {
        assert_eq!(frame(b"ab"), [0, 0, 0, 3, VERSION, b'a', b'b']);
    }

    #[test]
    fn a_length_over_the_limit_is_refused_before_reading_on() {
        let bytes = [0xff, 0xff, 0xff, 0xff];
        let err = FrameReader::new(&bytes[..], 1024).read_frame().unwrap_err();
        assert_eq!(
            err,
            FrameError::TooLarge {
                len: 0xffff_ffff,
                max: 1024
            }
        );
    }

    #[test]
    fn a_stream_ending_inside_a_frame_is_truncated() {
        let bytes = frame(b"hello");
        for cut in 1..bytes.len() {
            let err = FrameReader::new(&bytes[..cut], DEFAULT_MAX_FRAME)
                .read_frame()
                .unwrap_err();
            assert!(matches!(err, FrameError::Truncated { .. }), "{cut}: {err}");
        }
    }

    #[test]
    fn a_zero_length_and_a_foreign_version_are_refused() {
        let empty = FrameReader::new(&[0u8, 0, 0, 0][..], DEFAULT_MAX_FRAME).read_frame();
        assert_eq!(empty.unwrap_err(), FrameError::Empty);
        let foreign = FrameReader::new(&[0u8, 0, 0, 1, 9][..], DEFAULT_MAX_FRAME).read_frame();
        assert_eq!(
            foreign.unwrap_err(),
            FrameError::Version {
                found: 9,
                expected: VERSION
            }
        );
    }

    #[test]
    fn finishing_a_frame_over_the_limit_fails() {
        let mut big = Frame::new();
        big.extend_from_slice(&[0; 10]);
        assert_eq!(
            big.finish(10).unwrap_err(),
            FrameError::TooLarge { len: 11, max: 10 }
        );
    }
}
