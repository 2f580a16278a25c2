//! The `ask` group of `actor-core/benches/waiting.rs` as a plain program, for counting
//! instructions with callgrind (wall time on a shared machine is noise):
//!
//! `valgrind --tool=callgrind target/release/examples/ask_count ask 20000` (or `ask-max`,
//! `tell`, `none`): `n` sequential round trips between a client and a server on one
//! `Driver::new(2)`, by `ctx.ask` (30 s timeout, or `Duration::MAX`: no timer), or by the
//! hand-written tell-and-answer-with-sender; `none` does the start-up only, the floor to
//! subtract. Per round trip = (count(n) - count(none)) / n.

use std::time::Duration;

use actor_core::prelude::*;

const WAIT: Duration = Duration::from_secs(30);

#[path = "../actor-core/benches/waiting/ask.rs"]
mod exchange;
use exchange::{Client, GoAsk, GoTell, Server};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ask".into());
    let n: u64 = args.next().map_or(20_000, |n| n.parse().expect("a count"));
    let driver = Driver::new(2);
    let server = Server.spawn_on(&driver);
    let (done, finished) = crossbeam_channel::unbounded();
    let client = Client {
        server,
        left: 0,
        timeout: WAIT,
        done,
    }
    .spawn_on(&driver);
    match mode.as_str() {
        "ask" => client.tell(GoAsk(n, WAIT)).unwrap(),
        "ask-max" => client.tell(GoAsk(n, Duration::MAX)).unwrap(),
        "tell" => client.tell(GoTell(n)).unwrap(),
        "none" => client.tell(GoTell(1)).unwrap(),
        other => panic!("unknown mode {other}: ask, ask-max, tell or none"),
    }
    finished.recv_timeout(Duration::from_secs(600)).unwrap();
    driver.shutdown(WAIT).unwrap();
}
