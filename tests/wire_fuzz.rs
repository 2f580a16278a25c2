//! Fuzzing the wire's decoders with proptest, as part of the normal test suite: random
//! bytes, streams cut anywhere and corrupted streams must give frames or clear errors,
//! never a panic, a hang or an allocation the input did not pay for; random bytes sent to
//! a live DeMux end only their own connection; and recursive message types (a tree, an
//! expression enum, nested vectors of options) fed random values, random bytes and
//! nesting far past `MAX_DEPTH`, by a live DeMux, give replies or faults on a connection
//! that goes on serving.
#![cfg(feature = "wire")]

#[path = "support/tree.rs"]
mod tree;

use actor_core::prelude::*;
use actor_core::wire::codec::{self, wire_name, Head, Route};
use actor_core::wire::frame::{Frame, FrameReader, DEFAULT_MAX_FRAME, HEADER_LEN};
use actor_core::wire::{CodecError, DeMux, Fault, FrameError, Mux, Transport, Workers};
use proptest::collection::vec;
use proptest::prelude::*;
// Both preludes bring a `Strategy` (actor_core's supervision strategy): this one is meant.
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestRunner};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::io::Write;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::Duration;
use tree::Tree;

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

// Recursive types of several shapes, for the depth limit: `Tree` (tests/support/tree.rs),
// and these.

#[derive(Debug, Clone, Serialize, Deserialize)]
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

// ---------------------------------------------------------------------------------------
// Nested message types, decoded by a live DeMux

impl Expr {
    /// How many nodes: recursion is fine, a decoded value is at most `MAX_DEPTH` deep.
    fn nodes(&self) -> u64 {
        1 + match self {
            Expr::Leaf(_) => 0,
            Expr::Neg(inner) | Expr::Named { inner } => inner.nodes(),
            Expr::Add(a, b) => a.nodes() + b.nodes(),
            Expr::List(all) => all.iter().map(Expr::nodes).sum(),
        }
    }
}

/// A tree as a message: one more level than a bare `Tree`.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize, name = "fuzz.Plant")]
struct Plant(Tree);

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(reply = u64, name = "fuzz.Eval")]
struct Eval(Expr);

/// Vectors of vectors of optional trees.
#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Forest(Vec<Vec<Option<Tree>>>);

struct Garden;

#[actor]
impl Garden {
    #[handles(Plant)]
    fn plant(&mut self, Plant(tree): Plant) -> usize {
        tree.depth()
    }

    #[handles(Eval)]
    fn eval(&mut self, Eval(expr): Eval) -> u64 {
        expr.nodes()
    }

    #[handles(Forest)]
    fn forest(&mut self, Forest(rows): Forest) -> usize {
        rows.iter().flatten().flatten().map(Tree::depth).sum()
    }
}

/// A DeMux serving `Garden` as "garden" (calls decoded on a worker, tells on the
/// connection's reader thread) and `Eval` as the function "math" (decoded on a worker).
fn garden() -> DeMux {
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    let _exposed = demux
        .expose("garden", &Garden.spawn())
        .try_handle::<Plant>()
        .and_then(|exposed| exposed.try_handle::<Eval>())
        .and_then(|exposed| exposed.try_handle::<Forest>())
        .unwrap();
    demux
        .try_function("math", |Eval(expr): Eval| expr.nodes())
        .unwrap();
    demux
}

fn packet_frame(head: &Head<'_>, body: &[u8]) -> Vec<u8> {
    let mut frame = Frame::new();
    frame.extend_from_slice(&codec::to_vec(head).unwrap());
    frame.extend_from_slice(body);
    frame.finish(DEFAULT_MAX_FRAME).unwrap()
}

/// One raw connection to a DeMux, written and read frame by frame.
struct Raw {
    stream: UnixStream,
    reader: FrameReader<UnixStream>,
    xid: u64,
}

impl Raw {
    fn connect(demux: &DeMux) -> Self {
        let (stream, end) = UnixStream::pair().unwrap();
        let _served = demux.serve(Transport::unix(end).unwrap()).unwrap();
        let reader = FrameReader::new(stream.try_clone().unwrap(), DEFAULT_MAX_FRAME);
        Raw {
            stream,
            reader,
            xid: 0,
        }
    }

    /// Calls `message` of `actor` with `body` and waits for its answer: the reply's body,
    /// or the fault.
    fn call(&mut self, actor: &str, message: &str, body: &[u8]) -> Result<Vec<u8>, Fault> {
        self.xid += 1;
        let route = Route { actor, message };
        let head = Head::Call {
            xid: self.xid,
            timeout_ms: WAIT.as_millis() as u64,
            route,
        };
        self.stream.write_all(&packet_frame(&head, body)).unwrap();
        let packet = self
            .reader
            .read_frame()
            .expect("an answer")
            .expect("an answer, not the end of the connection");
        match codec::decode_packet(&packet).unwrap() {
            (Head::Reply { xid }, body) if xid == self.xid => Ok(body.to_vec()),
            (Head::Fault { xid, fault }, _) if xid == self.xid => Err(fault),
            (head, _) => panic!("expected the answer to call {}, got {head:?}", self.xid),
        }
    }

    fn tell(&mut self, actor: &str, message: &str, body: &[u8]) {
        let route = Route { actor, message };
        self.stream
            .write_all(&packet_frame(&Head::Tell { route }, body))
            .unwrap();
    }
}

/// Every (actor, message) pair `garden()` serves with a nested message type.
fn nested_routes() -> [(&'static str, &'static str); 4] {
    [
        ("garden", wire_name::<Plant>()),
        ("garden", wire_name::<Eval>()),
        ("garden", wire_name::<Forest>()),
        ("math", wire_name::<Eval>()),
    ]
}

/// An answer to a body of random or adversarial bytes: a reply (the bytes happened to
/// decode) or a bad request, nothing else.
fn reply_or_bad_request(answer: Result<Vec<u8>, Fault>) -> Result<(), TestCaseError> {
    match answer {
        Ok(_) | Err(Fault::BadRequest { .. }) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!("{other}"))),
    }
}

/// Random values of the expression type, up to 8 levels of nodes.
fn exprs() -> impl Strategy<Value = Expr> {
    any::<u8>()
        .prop_map(Expr::Leaf)
        .prop_recursive(8, 64, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Expr::Add(Box::new(a), Box::new(b))),
                vec(inner.clone(), 0..4).prop_map(Expr::List),
                inner.prop_map(|e| Expr::Named { inner: Box::new(e) }),
            ]
        })
}

/// Random and adversarial bodies (long runs of nesting tags, hundreds of thousands deep)
/// for every nested message type, as calls and tells, all on one connection: each call is
/// answered with a reply or a bad request, and afterwards the same connection still
/// serves well-formed calls, as does a new one.
#[test]
fn a_live_demux_survives_nested_types_fed_random_and_deep_bytes() {
    let demux = garden();
    // `run` takes a `Fn`: the connection is borrowed anew by each case.
    let raw = RefCell::new(Raw::connect(&demux));
    let bodies = prop_oneof![nested_bytes(), vec(any::<u8>(), 0..512)];
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&bodies, |body| {
            let mut raw = raw.borrow_mut();
            for (actor, message) in nested_routes() {
                reply_or_bad_request(raw.call(actor, message, &body))?;
                raw.tell(actor, message, &body);
            }
            Ok(())
        })
        .unwrap();

    // The connection that took all of it still answers, in order after its tells.
    let mut raw = raw.into_inner();
    let expr = Expr::Add(
        Box::new(Expr::Leaf(1)),
        Box::new(Expr::Neg(Box::new(Expr::Leaf(2)))),
    );
    let body = codec::to_vec(&Eval(expr)).unwrap();
    for (actor, message) in [
        ("garden", wire_name::<Eval>()),
        ("math", wire_name::<Eval>()),
    ] {
        let reply = raw.call(actor, message, &body).unwrap();
        assert_eq!(codec::decode::<u64>(&reply).unwrap(), 4);
    }
    // So does a Mux on a new connection.
    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    let mux = Mux::new(near).unwrap();
    assert_eq!(
        mux.call("garden", Plant(Tree(Some(Box::new(Tree(None))))), WAIT)
            .unwrap(),
        1
    );
}

/// The live DeMux draws the line where the codec does: the deepest tree that decodes is
/// answered, one level more is a bad request naming the limit, and one 100,000 levels
/// deeper too; for calls to an actor and to a function alike.
#[test]
fn a_live_demux_refuses_nesting_one_past_the_limit() {
    /// A `Plant` of `depth` nested `Some`s, written by hand.
    fn plant(depth: usize) -> Vec<u8> {
        let mut body = vec![0x01; depth];
        body.push(0x00);
        body
    }
    /// An `Eval` of `depth` nested `Neg`s over a leaf, written by hand.
    fn negations(depth: usize) -> Vec<u8> {
        let mut body = vec![0x01; depth]; // `Neg` is variant 1
        body.extend([0x00, 7]); // `Leaf(7)`
        body
    }
    let deepest = |encode: fn(usize) -> Vec<u8>, decodes: &dyn Fn(&[u8]) -> bool| {
        (0..codec::MAX_DEPTH)
            .take_while(|&depth| decodes(&encode(depth)))
            .last()
            .expect("a shallow value decodes")
    };
    let deepest_plant = deepest(plant, &|b| codec::decode::<Plant>(b).is_ok());
    let deepest_eval = deepest(negations, &|b| codec::decode::<Eval>(b).is_ok());
    assert!(deepest_plant >= codec::MAX_DEPTH / 2 - 2, "{deepest_plant}");
    assert!(deepest_eval >= codec::MAX_DEPTH / 2 - 2, "{deepest_eval}");
    assert!(matches!(
        codec::decode::<Plant>(&plant(deepest_plant + 1)),
        Err(CodecError::TooDeep { .. })
    ));

    let demux = garden();
    let mut raw = Raw::connect(&demux);
    let too_deep = |answer: Result<Vec<u8>, Fault>| match answer {
        Err(Fault::BadRequest { reason, .. }) => reason.contains("nested deeper than the limit"),
        _ => false,
    };
    let plant_name = wire_name::<Plant>();
    let reply = raw
        .call("garden", plant_name, &plant(deepest_plant))
        .unwrap();
    assert_eq!(codec::decode::<usize>(&reply).unwrap(), deepest_plant);
    assert!(too_deep(raw.call(
        "garden",
        plant_name,
        &plant(deepest_plant + 1)
    )));
    assert!(too_deep(raw.call("garden", plant_name, &plant(100_000))));

    let eval_name = wire_name::<Eval>();
    for actor in ["garden", "math"] {
        let reply = raw
            .call(actor, eval_name, &negations(deepest_eval))
            .unwrap();
        assert_eq!(
            codec::decode::<u64>(&reply).unwrap(),
            deepest_eval as u64 + 1
        );
        assert!(too_deep(raw.call(
            actor,
            eval_name,
            &negations(deepest_eval + 1)
        )));
        assert!(too_deep(raw.call(actor, eval_name, &negations(100_000))));
    }
}

/// Random well-formed nested values cross a live Mux/DeMux pair intact, to an actor and
/// to a function.
#[test]
fn random_nested_values_cross_the_wire() {
    let demux = garden();
    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    let mux = Mux::new(near).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&vec(exprs(), 1..4), |exprs| {
            for expr in exprs {
                let nodes = expr.nodes();
                prop_assert_eq!(mux.call("garden", Eval(expr.clone()), WAIT).unwrap(), nodes);
                prop_assert_eq!(mux.call("math", Eval(expr), WAIT).unwrap(), nodes);
            }
            Ok(())
        })
        .unwrap();
    assert!(demux.anomalies().is_empty(), "{:?}", demux.anomalies());
}
