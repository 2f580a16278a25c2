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

use std::io::{self, BufRead, BufReader, ErrorKind, Read};
use std::mem;
use std::time::Instant;

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
///
/// A read that times out (a socket with a read timeout) loses nothing: the part of a frame
/// read so far is kept, and the next read goes on from it, whichever thread makes it.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: BufReader<R>,
    max: u32,
    /// How far the frame being read has come.
    partial: Partial,
}

/// The part of a frame read so far.
#[derive(Debug)]
enum Partial {
    /// `got` bytes of the length prefix.
    Prefix { prefix: [u8; 4], got: usize },
    /// The length `n` (checked), the version byte next.
    Version { n: u32 },
    /// The length `n`, and the payload's bytes so far.
    Payload { n: u32, payload: Vec<u8> },
}

/// What a read that may time out gave.
#[derive(Debug)]
pub(crate) enum Polled {
    /// A whole frame's payload.
    Frame(Vec<u8>),
    /// The stream ended cleanly between frames.
    End,
    /// The read timed out; the part of a frame read so far is kept.
    Later,
}

impl<R: Read> FrameReader<R> {
    /// Reads from `inner`, refusing frames whose length is over `max`.
    pub fn new(inner: R, max: u32) -> Self {
        FrameReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            max,
            partial: Partial::Prefix {
                prefix: [0; 4],
                got: 0,
            },
        }
    }

    /// How many bytes have been read from the stream but not yet taken as frames.
    pub fn buffered(&self) -> usize {
        self.inner.buffer().len()
    }

    /// The next frame's payload; `None` if the stream ended cleanly between frames.
    ///
    /// On a stream whose reads time out, a timeout is an error here
    /// ([`FrameError::Io`]); the part of a frame read so far is kept all the same.
    pub fn read_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        match self.poll_frame(None)? {
            Polled::Frame(payload) => Ok(Some(payload)),
            Polled::End => Ok(None),
            Polled::Later => Err(io_error(io::Error::from(ErrorKind::TimedOut))),
        }
    }

    /// The next frame, the end of the stream, or [`Polled::Later`] if a read timed out
    /// first (`WouldBlock` or `TimedOut`) or `until` passed after a read that left the
    /// frame unfinished, in which case the next call goes on where this one stopped. So a
    /// peer that trickles a frame holds the caller for one read past `until` at most, not
    /// for the whole frame.
    pub(crate) fn poll_frame(&mut self, until: Option<Instant>) -> Result<Polled, FrameError> {
        let passed = || until.is_some_and(|until| Instant::now() >= until);
        loop {
            match &mut self.partial {
                Partial::Prefix { prefix, got } => {
                    while *got < prefix.len() {
                        match self.inner.read(&mut prefix[*got..]) {
                            Ok(0) if *got == 0 => return Ok(Polled::End),
                            Ok(0) => {
                                return Err(FrameError::Truncated {
                                    expected: prefix.len() as u64,
                                    got: *got as u64,
                                })
                            }
                            Ok(read) => *got += read,
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(e) => return later(e),
                        }
                        // (A whole prefix is kept too: the next call goes on from it.)
                        if passed() {
                            return Ok(Polled::Later);
                        }
                    }
                    let n = u32::from_be_bytes(*prefix);
                    if n == 0 {
                        return Err(FrameError::Empty);
                    }
                    if n > self.max {
                        return Err(FrameError::TooLarge {
                            len: u64::from(n),
                            max: self.max,
                        });
                    }
                    self.partial = Partial::Version { n };
                }
                &mut Partial::Version { n } => {
                    let mut version = [0u8; 1];
                    match self.inner.read(&mut version) {
                        Ok(0) => {
                            return Err(FrameError::Truncated {
                                expected: u64::from(n),
                                got: 0,
                            })
                        }
                        Ok(_) if version[0] != VERSION => {
                            return Err(FrameError::Version {
                                found: version[0],
                                expected: VERSION,
                            })
                        }
                        Ok(_) => {
                            let len = n as usize - 1;
                            let payload = Vec::with_capacity(len.min(RESERVE_AHEAD));
                            self.partial = Partial::Payload { n, payload };
                            if len > 0 && passed() {
                                return Ok(Polled::Later);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return later(e),
                    }
                }
                Partial::Payload { n, payload } => {
                    let len = *n as usize - 1;
                    while payload.len() < len {
                        // One read at a time (through the buffer: no room to zero ahead),
                        // so that `until` is seen between reads.
                        match self.inner.fill_buf() {
                            Ok([]) => {
                                return Err(FrameError::Truncated {
                                    expected: u64::from(*n),
                                    got: 1 + payload.len() as u64,
                                })
                            }
                            Ok(buffered) => {
                                let take = buffered.len().min(len - payload.len());
                                payload.extend_from_slice(&buffered[..take]);
                                self.inner.consume(take);
                            }
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(e) => return later(e),
                        }
                        if payload.len() < len && passed() {
                            return Ok(Polled::Later);
                        }
                    }
                    let payload = mem::take(payload);
                    self.partial = Partial::Prefix {
                        prefix: [0; 4],
                        got: 0,
                    };
                    return Ok(Polled::Frame(payload));
                }
            }
        }
    }
}

/// A failed read: a timeout is [`Polled::Later`], anything else is the error.
fn later(e: io::Error) -> Result<Polled, FrameError> {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Ok(Polled::Later),
        _ => Err(io_error(e)),
    }
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

    /// Gives its bytes one read at a time, `step` bytes each, with a timeout (or an
    /// interruption) before every read.
    struct Stuttering {
        bytes: Vec<u8>,
        at: usize,
        step: usize,
        timed_out: bool,
        interrupt: bool,
    }

    impl Read for Stuttering {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.timed_out {
                self.timed_out = true;
                let kind = if self.interrupt {
                    ErrorKind::Interrupted
                } else {
                    ErrorKind::WouldBlock
                };
                return Err(io::Error::from(kind));
            }
            self.timed_out = false;
            let n = self.step.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_that_times_out_anywhere_in_a_frame_loses_nothing() {
        let payloads: [&[u8]; 4] = [b"hello", b"", &[7; 300], b"world"];
        let bytes: Vec<u8> = payloads.iter().flat_map(|p| frame(p)).collect();
        for step in [1, 2, 3, 5, 7, 64] {
            let stream = Stuttering {
                bytes: bytes.clone(),
                at: 0,
                step,
                timed_out: false,
                interrupt: false,
            };
            // A buffer of one byte, so that every byte of a frame is a read of its own.
            let mut reader = FrameReader {
                inner: BufReader::with_capacity(1, stream),
                ..FrameReader::new(Stuttering::empty(), DEFAULT_MAX_FRAME)
            };
            let (mut got, mut laters) = (Vec::new(), 0);
            loop {
                match reader.poll_frame(None).unwrap() {
                    Polled::Frame(payload) => got.push(payload),
                    Polled::Later => laters += 1,
                    Polled::End => break,
                }
            }
            assert_eq!(got, payloads.map(<[u8]>::to_vec), "step {step}");
            assert!(
                laters > bytes.len() / step,
                "step {step}: {laters} timeouts"
            );
        }
    }

    /// Gives one byte per read, never timing out, and counts its reads.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn a_deadline_passed_stops_a_trickled_frame_after_one_read_and_loses_nothing() {
        let bytes = frame(&[5; 40]);
        let mut reader = FrameReader {
            inner: BufReader::with_capacity(
                1,
                Trickle {
                    bytes: bytes.clone(),
                    at: 0,
                },
            ),
            ..FrameReader::new(
                Trickle {
                    bytes: Vec::new(),
                    at: 0,
                },
                DEFAULT_MAX_FRAME,
            )
        };
        let passed = Some(Instant::now());
        let mut calls = 0;
        let payload = loop {
            calls += 1;
            match reader.poll_frame(passed).unwrap() {
                Polled::Later => assert_eq!(reader.inner.get_ref().at, calls, "one read a call"),
                Polled::Frame(payload) => break payload,
                Polled::End => panic!("the stream ended before its frame"),
            }
        };
        assert_eq!(payload, [5; 40]);
        assert_eq!(calls, bytes.len());
        // Without a deadline, a whole trickled frame in one call.
        let mut reader = FrameReader::new(Trickle { bytes, at: 0 }, DEFAULT_MAX_FRAME);
        assert!(matches!(reader.poll_frame(None).unwrap(), Polled::Frame(p) if p == [5; 40]));
    }

    #[test]
    fn an_interrupted_read_is_tried_again_not_reported() {
        let stream = Stuttering {
            bytes: frame(b"hello"),
            at: 0,
            step: 2,
            timed_out: false,
            interrupt: true,
        };
        let mut reader = FrameReader::new(stream, DEFAULT_MAX_FRAME);
        assert_eq!(reader.read_frame().unwrap().unwrap(), b"hello");
        assert!(reader.read_frame().unwrap().is_none());
    }

    impl Stuttering {
        fn empty() -> Self {
            Stuttering {
                bytes: Vec::new(),
                at: 0,
                step: 1,
                timed_out: true,
                interrupt: false,
            }
        }
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
