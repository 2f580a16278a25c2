//! Fuzzing the wire's decoders with proptest, as part of the normal test suite: random
//! bytes, streams cut anywhere and corrupted streams must give frames or clear errors,
//! never a panic, a hang or an allocation the input did not pay for; and random bytes
//! sent to a live DeMux end only their own connection.
#![cfg(feature = "wire")]

use actor_core::prelude::*;
use actor_core::wire::codec::{self, Head, Route};
use actor_core::wire::frame::{Frame, FrameReader, DEFAULT_MAX_FRAME, HEADER_LEN};
use actor_core::wire::{CodecError, DeMux, Fault, FrameError, Mux, Transport, Workers};
use proptest::collection::vec;
use proptest::prelude::*;
// Both preludes bring a `Strategy` (actor_core's supervision strategy): this one is meant.
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestRunner};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// Reads frames until the stream ends or fails.
fn read_all(bytes: &[u8], max: u32) -> (Vec<Vec<u8>>, Option<FrameError>) {
    let mut reader = FrameReader::new(bytes, max);
    let mut frames = Vec::new();
    loop {
        match reader.read_frame() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(e)),
        }
    }
}

fn encode_all(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut stream = Vec::new();
    for payload in payloads {
        let mut frame = Frame::new();
        frame.extend_from_slice(payload);
        stream.extend(frame.finish(DEFAULT_MAX_FRAME).unwrap());
    }
    stream
}

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(vec(any::<u8>(), 0..64), 0..6)
}

proptest! {
    #![proptest_config(Config { cases: 1000, ..Config::default() })]

    #[test]
    fn the_frame_decoder_survives_random_bytes(bytes in vec(any::<u8>(), 0..512), max in 1u32..1024) {
        let (frames, _) = read_all(&bytes, max);
        let consumed: usize = frames.iter().map(|f| f.len() + HEADER_LEN).sum();
        prop_assert!(consumed <= bytes.len());
        for frame in &frames {
            prop_assert!(frame.len() < max as usize, "a frame over the limit got through");
        }
    }

    #[test]
    fn frames_read_back_as_written(payloads in payloads()) {
        let (frames, error) = read_all(&encode_all(&payloads), DEFAULT_MAX_FRAME);
        prop_assert_eq!(frames, payloads);
        prop_assert_eq!(error, None);
    }

    #[test]
    fn a_stream_cut_anywhere_ends_cleanly_or_truncated(payloads in payloads(), cut in any::<prop::sample::Index>()) {
        let stream = encode_all(&payloads);
        let cut = cut.index(stream.len() + 1);
        let (frames, error) = read_all(&stream[..cut], DEFAULT_MAX_FRAME);
        let boundaries: Vec<usize> = payloads
            .iter()
            .scan(0, |end, p| { *end += p.len() + HEADER_LEN; Some(*end) })
            .collect();
        let whole = boundaries.iter().filter(|&&end| end <= cut).count();
        prop_assert_eq!(&frames[..], &payloads[..whole]);
        if cut == 0 || boundaries.contains(&cut) {
            prop_assert_eq!(error, None);
        } else {
            prop_assert!(matches!(error, Some(FrameError::Truncated { .. })), "{:?}", error);
        }
    }

    #[test]
    fn a_corrupted_stream_gives_frames_or_an_error(
        payloads in payloads(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut stream = encode_all(&payloads);
        prop_assume!(!stream.is_empty());
        for (at, byte) in flips {
            let at = at.index(stream.len());
            stream[at] = byte;
        }
        let (frames, _) = read_all(&stream, DEFAULT_MAX_FRAME);
        for frame in frames {
            // Whatever got through framing must decode or fail cleanly.
            let _ = codec::decode_packet(&frame);
        }
    }

    #[test]
    fn the_packet_decoder_survives_random_bytes(bytes in vec(any::<u8>(), 0..256)) {
        if let Ok((_, body)) = codec::decode_packet(&bytes) {
            prop_assert!(body.len() <= bytes.len());
        }
        let _ = codec::decode::<Vec<String>>(&bytes);
        let _ = codec::decode::<Fault>(&bytes);
    }

    #[test]
    fn packet_heads_read_back_as_written(
        xid in any::<u64>(),
        timeout_ms in any::<u64>(),
        actor in "[a-z_]{0,16}",
        message in "[a-z:_]{0,40}",
        body in vec(any::<u8>(), 0..32),
    ) {
        let head = Head::Call { xid, timeout_ms, route: Route { actor: &actor, message: &message } };
        let mut packet = codec::to_vec(&head).unwrap();
        packet.extend_from_slice(&body);
        let (back, rest) = codec::decode_packet(&packet).unwrap();
        prop_assert_eq!(back, head);
        prop_assert_eq!(rest, &body[..]);
    }
}

#[derive(Message, Serialize, Deserialize)]
#[message(reply = u64)]
struct Square(u64);

/// Recursive types of several shapes, for the depth limit.
#[derive(Debug, Serialize, Deserialize)]
struct Tree(Option<Box<Tree>>);

#[derive(Debug, Serialize, Deserialize)]
enum Expr {
    Leaf(u8),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Named { inner: Box<Expr> },
}

/// Random bytes biased towards the nesting tags of [`Tree`] and [`Expr`], with long runs of
/// one byte (a run of `0x01` is a deep `Some` chain or `Neg` chain).
fn nested_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec((0u8..6, 1usize..50_000), 0..8).prop_map(|runs| {
        runs.into_iter()
            .flat_map(|(byte, n)| std::iter::repeat_n(byte, n))
            .collect()
    })
}

proptest! {
    #![proptest_config(Config { cases: 200, ..Config::default() })]

    /// Whatever the bytes, decoding a recursive type ends with a value or an error: never
    /// a stack overflow (which would abort this test binary).
    #[test]
    fn the_decoder_survives_deeply_nested_input(bytes in nested_bytes()) {
        match codec::decode::<Tree>(&bytes) {
            Ok(_) | Err(CodecError::TooDeep { .. } | CodecError::Decode { .. } | CodecError::Trailing { .. }) => {}
            Err(other) => prop_assert!(false, "{other}"),
        }
        let _ = codec::decode::<Expr>(&bytes);
        let _ = codec::decode::<Vec<Vec<Option<Tree>>>>(&bytes);
    }

    /// Nesting within the limit round-trips.
    #[test]
    fn nesting_within_the_limit_decodes(depth in 0usize..(codec::MAX_DEPTH / 2 - 1)) {
        let mut tree = Tree(None);
        for _ in 0..depth {
            tree = Tree(Some(Box::new(tree)));
        }
        let bytes = codec::to_vec(&tree).unwrap();
        let back: Tree = codec::decode(&bytes).unwrap();
        let mut at = &back;
        let mut got = 0;
        while let Some(next) = &at.0 {
            got += 1;
            at = next;
        }
        prop_assert_eq!(got, depth);
    }
}

#[test]
fn random_bytes_at_a_live_demux_end_only_their_own_connection() {
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    demux.function("math", |Square(n): Square| n * n);
    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    let mux = Mux::new(near).unwrap();

    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&vec(any::<u8>(), 0..256), |bytes| {
            let (mut raw, end) = UnixStream::pair().unwrap();
            let served = demux.serve(Transport::unix(end).unwrap()).unwrap();
            // A peer may hang up before reading all of it: that is its right.
            let _ = raw.write_all(&bytes);
            raw.shutdown(Shutdown::Write).unwrap();
            prop_assert!(
                served.wait_timeout(WAIT).is_some(),
                "the connection outlived its input"
            );
            prop_assert_eq!(mux.call("math", Square(3), WAIT).unwrap(), 9);
            Ok(())
        })
        .unwrap();
    assert!(mux.anomalies().is_empty());
}
