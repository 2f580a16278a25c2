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

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "tell".into());
    let n: u64 = args.next().map_or(200_000, |n| n.parse().expect("a count"));
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
        "raw" => {
            let (tx, rx) = crossbeam_channel::unbounded();
            let worker = std::thread::spawn(move || {
                let mut total = 0;
                for msg in rx {
                    match msg {
                        Raw::Add(k) => total += k,
                        Raw::Total(reply) => reply.send(total).unwrap(),
                    }
                }
            });
            for _ in 0..n {
                tx.send(Raw::Add(1)).unwrap();
            }
            let (reply, answer) = crossbeam_channel::bounded(1);
            tx.send(Raw::Total(reply)).unwrap();
            assert_eq!(answer.recv().unwrap(), n);
            drop(tx);
            worker.join().unwrap();
        }
        "raw48" => {
            let (tx, rx) = crossbeam_channel::unbounded();
            let worker = std::thread::spawn(move || {
                let mut total = 0;
                for msg in rx {
                    match msg {
                        Raw48::Add(k, pad) => total += k + pad[3],
                        Raw48::Total(reply) => reply.send(total).unwrap(),
                    }
                }
            });
            for _ in 0..n {
                tx.send(Raw48::Add(1, [0; 4])).unwrap();
            }
            let (reply, answer) = crossbeam_channel::bounded(1);
            tx.send(Raw48::Total(reply)).unwrap();
            assert_eq!(answer.recv().unwrap(), n);
            drop(tx);
            worker.join().unwrap();
        }
        other => panic!("unknown mode {other}: tell, raw or none"),
    }
    println!(
        "{mode}: {:.1} ns per message",
        start.elapsed().as_nanos() as f64 / n.max(1) as f64
    );
}
