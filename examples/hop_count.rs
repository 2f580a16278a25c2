//! The dedicated-thread hop as a plain program, for counting instructions with callgrind
//! (wall time on a shared machine is noise):
//!
//! `valgrind --tool=callgrind target/release/examples/hop_count tell 200000` (or `raw`,
//! `raw48`, `none`): `n` one-way messages from a plain thread to an actor on a thread of
//! its own (`tell`), or to a bare thread draining a crossbeam channel (`raw`, with 24-byte
//! messages; `raw48`, padded to the 48 bytes of the framework's envelope), then one request
//! for the total; `none` does the start-up and the request only, the floor to subtract.
//! Per message = (count(n) - count(none)) / n. It also prints the wall time per message.

use std::time::Duration;

use actor_core::prelude::*;

#[derive(Message)]
struct Add(u64);

#[derive(Message)]
#[message(reply = u64)]
struct Total;

#[derive(Default)]
struct Counter(u64);

#[actor]
impl Counter {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.0 += n;
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> u64 {
        self.0
    }
}

enum Raw {
    Add(u64),
    Total(crossbeam_channel::Sender<u64>),
}

/// A raw message padded to the envelope's size.
enum Raw48 {
    Add(u64, [u64; 4]),
    Total(crossbeam_channel::Sender<u64>),
}

/// `n` messages made by `add` to a bare thread draining a crossbeam channel with `take`,
/// then the request for their total made by `total`: the yardstick, for either message.
fn raw<M: Send + 'static>(
    n: u64,
    add: impl Fn(u64) -> M,
    total: impl FnOnce(crossbeam_channel::Sender<u64>) -> M,
    take: impl Fn(M, &mut u64) + Send + 'static,
) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let worker = std::thread::spawn(move || {
        let mut sum = 0;
        for msg in rx {
            take(msg, &mut sum);
        }
    });
    for _ in 0..n {
        tx.send(add(1)).unwrap();
    }
    let (reply, answer) = crossbeam_channel::bounded(1);
    tx.send(total(reply)).unwrap();
    assert_eq!(answer.recv().unwrap(), n);
    drop(tx);
    worker.join().unwrap();
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "tell".into());
    let n: u64 = match args.next().map_or(Ok(200_000), |n| n.parse()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("hop_count: the count must be a whole number: {e}");
            std::process::exit(2);
        }
    };
    let wait = Duration::from_secs(600);
    let start = std::time::Instant::now();
    match mode.as_str() {
        "tell" | "none" => {
            let n = if mode == "none" { 0 } else { n };
            let counter = Counter::default().spawn();
            for _ in 0..n {
                counter.tell(Add(1)).unwrap();
            }
            assert_eq!(Bridge::new().call(&counter, Total, wait).unwrap(), n);
        }
        "raw" => raw(n, Raw::Add, Raw::Total, |msg, sum| match msg {
            Raw::Add(k) => *sum += k,
            Raw::Total(reply) => reply.send(*sum).unwrap(),
        }),
        "raw48" => raw(
            n,
            |k| Raw48::Add(k, [0; 4]),
            Raw48::Total,
            |msg, sum| match msg {
                Raw48::Add(k, pad) => *sum += k + pad[3],
                Raw48::Total(reply) => reply.send(*sum).unwrap(),
            },
        ),
        other => {
            eprintln!("hop_count: unknown mode {other}: tell, raw, raw48 or none");
            std::process::exit(2);
        }
    }
    println!(
        "{mode}: {:.1} ns per message",
        start.elapsed().as_nanos() as f64 / n.max(1) as f64
    );
}
