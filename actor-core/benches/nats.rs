//! NATS (`Node::call`) beside raw `async-nats` request/reply doing the same work on the
//! same server, in the same run.
//!
//! One `nats-server` of the bench's own (loopback, free port). Framework half: a node
//! serves an `EchoServer` actor as `echo` (and the same echo as a plain function,
//! `echo-fn`: no hop to an actor's thread, for context); a second node, as another
//! process would, calls it with `Node::call("echo", Echo(64 bytes), ..)` from plain
//! threads. Each node has its own connection and its private runtime thread.
//!
//! Raw half (the yardstick), on one tokio multi-thread runtime (2 workers here, one per
//! core, `Runtime::new()` as a sync user writes it): a responder connection subscribed to
//! `raw.echo` that publishes each request's payload to its reply subject, and a requester
//! connection on which `client.request("raw.echo", 64 bytes)` is awaited. `raw` drives the
//! requests from plain threads with `runtime.block_on(..)`, as a blocking user of
//! async-nats would, which is what `Node::call` offers; `raw-in-tokio` measures the same
//! requests from inside the runtime (sequential awaits in one task for one caller, N tasks
//! for N callers), the best case for async-nats, for context.
//!
//! Groups: `nats-latency` (one caller, one round trip at a time: time per round trip) and
//! `nats-throughput` for 1, 8 and 64 concurrent callers, all of them sharing one node (or
//! one raw requester connection): 512 round trips per iteration, shared out; criterion
//! reports round trips per second. Target (issue "Prove the networked layer"): within 1.2x
//! of raw for latency and throughput.
//!
//! `cargo bench -p actor-core --features nats --bench nats -- --warm-up-time 1 --measurement-time 3`

#[path = "net/mod.rs"]
mod net;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actor_core::nats::Node;
use actor_core::prelude::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use net::raw_nats::{self, call as raw_call, request as raw_request};
use net::{payload, Callers, Echo, EchoServer, NatsServer, BATCH, PAYLOAD, WAIT};
use tokio::runtime::Runtime;

/// Everything both halves need, started once.
struct Setup {
    _server: NatsServer,
    _serving: Node,
    _actor: Addr<EchoServer>,
    caller: Node,
    runtime: Arc<Runtime>,
    requester: async_nats::Client,
    _responder: async_nats::Client,
}

impl Setup {
    fn start() -> Setup {
        let server = NatsServer::start();
        let url = server.url();
        let serving = Node::connect(&url).expect("the serving node connects");
        let actor = EchoServer.spawn();
        serving.serve("echo", &actor).expect("serving echo");
        serving
            .function("echo-fn", |Echo(bytes): Echo| bytes)
            .expect("serving echo-fn");
        let caller = Node::connect(&url).expect("the calling node connects");

        let runtime = Arc::new(Runtime::new().expect("a tokio runtime"));
        let (requester, responder) = raw_nats::start(&runtime, &url);
        let setup = Setup {
            _server: server,
            _serving: serving,
            _actor: actor,
            caller,
            runtime,
            requester,
            _responder: responder,
        };
        // Both halves answer before anything is measured.
        node_call(&setup.caller, "echo", &payload());
        node_call(&setup.caller, "echo-fn", &payload());
        raw_call(&setup.runtime, &setup.requester, &payload());
        setup
    }
}

/// One framework round trip to `name`, its reply checked.
fn node_call(node: &Node, name: &str, request: &[u8]) {
    let reply = node
        .call(name, Echo(request.to_vec()), WAIT)
        .unwrap_or_else(|e| panic!("a NATS call failed: {e}"));
    assert_eq!(reply.len(), PAYLOAD);
}

/// `iters` batches of [`BATCH`] raw requests made by `tasks` concurrent tasks of the
/// runtime.
fn raw_in_tokio(setup: &Setup, tasks: usize, iters: u64) -> Duration {
    let per_task = BATCH / tasks as u64;
    let started = Instant::now();
    setup.runtime.block_on(async {
        for _ in 0..iters {
            let all: Vec<_> = (0..tasks)
                .map(|_| {
                    let client = setup.requester.clone();
                    tokio::spawn(async move {
                        let request = payload();
                        for _ in 0..per_task {
                            raw_request(&client, &request).await;
                        }
                    })
                })
                .collect();
            for task in all {
                task.await.expect("a raw task panicked");
            }
        }
    });
    started.elapsed()
}

fn latency(c: &mut Criterion, setup: &Setup) {
    eprintln!("nats-latency: load {}", net::loadavg());
    let request = payload();
    let mut group = c.benchmark_group("nats-latency");
    group.sample_size(20).throughput(Throughput::Elements(1));
    group.bench_function("node/actor", |b| {
        b.iter(|| node_call(&setup.caller, "echo", &request))
    });
    group.bench_function("node/function", |b| {
        b.iter(|| node_call(&setup.caller, "echo-fn", &request))
    });
    group.bench_function("raw", |b| {
        b.iter(|| raw_call(&setup.runtime, &setup.requester, &request))
    });
    group.bench_function("raw-in-tokio", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            setup.runtime.block_on(async {
                for _ in 0..iters {
                    raw_request(&setup.requester, &request).await;
                }
            });
            started.elapsed()
        })
    });
    group.finish();
}

fn throughput(c: &mut Criterion, setup: &Setup) {
    for callers in [1usize, 8, 64] {
        eprintln!("nats-throughput-{callers}: load {}", net::loadavg());
        let mut group = c.benchmark_group("nats-throughput");
        group
            .sample_size(20)
            .throughput(Throughput::Elements(BATCH));
        for (label, name) in [("node/actor", "echo"), ("node/function", "echo-fn")] {
            let all = Callers::new(callers, |_| {
                let (node, request) = (setup.caller.clone(), payload());
                move || node_call(&node, name, &request)
            });
            group.bench_function(BenchmarkId::new(label, callers), |b| {
                b.iter_custom(|iters| all.batches(iters))
            });
        }
        let all = Callers::new(callers, |_| {
            let (runtime, client, request) =
                (setup.runtime.clone(), setup.requester.clone(), payload());
            move || raw_call(&runtime, &client, &request)
        });
        group.bench_function(BenchmarkId::new("raw", callers), |b| {
            b.iter_custom(|iters| all.batches(iters))
        });
        group.bench_function(BenchmarkId::new("raw-in-tokio", callers), |b| {
            b.iter_custom(|iters| raw_in_tokio(setup, callers, iters))
        });
        group.finish();
    }
}

fn benches(c: &mut Criterion) {
    let setup = Setup::start();
    latency(c, &setup);
    throughput(c, &setup);
}

criterion_group!(nats, benches);
criterion_main!(nats);
