//! NATS round trips as a plain program, counting what wall time on a shared machine hides:
//! each kind of thread's CPU time and context switches per round trip. The counted twin of
//! `benches/nats.rs`, as `examples/wire_count.rs` is of `benches/wire.rs`.
//!
//! `cargo run --release -p actor-core --example nats_count --features nats -- MODE N [CALLERS]`
//! starts a `nats-server` of its own (from `$NATS_SERVER_BIN`, `PATH`, `/usr/sbin` or
//! `/usr/local/bin`) on a free loopback port, and MODE is one of:
//! - `node`: `N` calls `Node::call("echo", Echo(64 bytes))` from plain threads on one
//!   node to an echo actor (on a thread of its own) served by a second node;
//! - `function`: the same to the echo served as a plain function (no hop to an actor);
//! - `raw`: the bench's yardstick, `runtime.block_on(client.request(..))` from plain
//!   threads on one `async-nats` connection, answered by a responder task on a second
//!   connection, both on one tokio runtime of two workers.
//!
//! `CALLERS` (1 unless given) threads share the `N` round trips. The server's own CPU is
//! not counted (it is another process): both halves send it the same messages. Linux only.

#[path = "../benches/net/mod.rs"]
mod net;

#[path = "../benches/net/count.rs"]
mod count;

use actor_core::nats::Node;
use actor_core::prelude::*;
use net::{payload, raw_nats, Echo, EchoServer, NatsServer, PAYLOAD, WAIT};
use tokio::runtime::Runtime;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "node".into());
    let (n, callers) = count::numbers(&mut args, "nats_count", 5_000);
    let server = NatsServer::start();
    let url = server.url();
    let (threads, elapsed) = match mode.as_str() {
        "node" | "function" => {
            let serving = Node::connect(&url).expect("the serving node connects");
            let actor = EchoServer.spawn();
            serving.serve("echo", &actor).expect("serving echo");
            serving
                .function("echo-fn", |Echo(bytes): Echo| bytes)
                .expect("serving echo-fn");
            let caller = Node::connect(&url).expect("the calling node connects");
            let name = match mode.as_str() {
                "node" => "echo",
                _ => "echo-fn",
            };
            count::measure(callers, n, |_| {
                let (caller, request) = (&caller, payload());
                move || {
                    let reply = caller
                        .call(name, Echo(request.clone()), WAIT)
                        .unwrap_or_else(|e| panic!("a NATS call failed: {e}"));
                    assert_eq!(reply.len(), PAYLOAD);
                }
            })
        }
        "raw" => {
            let runtime = Runtime::new().expect("a tokio runtime");
            let (requester, _responder) = raw_nats::start(&runtime, &url);
            count::measure(callers, n, |_| {
                let (runtime, requester, request) = (&runtime, &requester, payload());
                move || raw_nats::call(runtime, requester, &request)
            })
        }
        other => {
            eprintln!("nats_count: unknown mode {other}: node, function or raw");
            std::process::exit(2);
        }
    };
    count::report(&format!("{mode} over NATS"), callers, n, &threads, elapsed);
}
