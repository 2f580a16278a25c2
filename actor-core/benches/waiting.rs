//! Waiting without blocking, each beside the same exchange written by hand, in the same run:
//!
//! - `ask`: `ctx.ask` round trips between two actors on a `Driver::new(2)`, one in flight
//!   at a time, against the hand-written exchange: A tells B a request, B answers with
//!   `ctx.sender().tell(Answer)`, A counts and tells the next. Target: ask <= 1.3x.
//! - `call_async-current-thread` and `call_async-multi-thread`: sequential
//!   `bridge.call_async(..).await` round trips from a task of a tokio runtime to an actor on
//!   its own thread, against a hand-written actor on its own thread reached through a tokio
//!   `mpsc` channel with a `oneshot` for each reply. Target: call_async <= 1.2x. For
//!   context, not the target: the same with `tokio::time::timeout` around each reply (the
//!   timeout `call_async` always has), `call_async` to an actor on a one-thread driver, and
//!   both `ctx.ask` and `call_async` with a timeout too long to schedule (`Duration::MAX`:
//!   no timer registered), which shows what the per-request timer costs.
//!
//! `cargo bench -p actor-core --bench waiting -- --warm-up-time 1 --measurement-time 3`

use std::future::Future;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- ask

#[path = "waiting/ask.rs"]
mod exchange;
use exchange::{Client, GoAsk, GoTell, Server};

fn ask(c: &mut Criterion) {
    const ROUND_TRIPS: u64 = 10_000;
    let driver = Driver::new(2);
    let server = Server.spawn_on(&driver);
    let (done, finished) = crossbeam_channel::bounded(1);
    let client = Client {
        server: server.clone(),
        left: 0,
        timeout: WAIT,
        done,
    }
    .spawn_on(&driver);
    let mut group = c.benchmark_group("ask");
    group
        .sample_size(20)
        .throughput(Throughput::Elements(ROUND_TRIPS));
    // Each sample: `rounds` rallies of ROUND_TRIPS exchanges, each started by one tell and
    // ended by the client's report.
    let rally = |rounds: u64, start: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..rounds {
            start();
            finished.recv_timeout(WAIT).unwrap();
        }
        started.elapsed()
    };
    group.bench_function("ctx.ask", |b| {
        b.iter_custom(|rounds| rally(rounds, &|| client.tell(GoAsk(ROUND_TRIPS, WAIT)).unwrap()))
    });
    // For context: `Duration::MAX` is a timeout too long to schedule, so no timer is
    // registered (and none cancelled) per ask: the difference is what the timeout costs.
    group.bench_function("ctx.ask-no-timer", |b| {
        b.iter_custom(|rounds| {
            rally(rounds, &|| {
                client.tell(GoAsk(ROUND_TRIPS, Duration::MAX)).unwrap()
            })
        })
    });
    group.bench_function("tell-and-answer", |b| {
        b.iter_custom(|rounds| rally(rounds, &|| client.tell(GoTell(ROUND_TRIPS)).unwrap()))
    });
    group.finish();
    driver.shutdown(WAIT).unwrap();
}

// ---------------------------------------------------------------- call_async

#[derive(Message)]
#[message(reply = u64)]
struct Double(u64);

struct Doubler;

#[actor]
impl Doubler {
    #[handles(Double)]
    fn double(&mut self, Double(n): Double) -> u64 {
        2 * n
    }
}

type Job = (u64, oneshot::Sender<u64>);

/// The hand-written actor: a thread of its own draining a tokio channel of requests, each
/// with a `oneshot` for its reply. Ends when every sender is gone.
fn hand_written_doubler() -> mpsc::UnboundedSender<Job> {
    let (requests, mut inbox) = mpsc::unbounded_channel::<Job>();
    std::thread::spawn(move || {
        while let Some((n, reply)) = inbox.blocking_recv() {
            let _ = reply.send(2 * n);
        }
    });
    requests
}

/// Times `rounds` sequential round trips made by `round_trip`, on a task of `runtime`
/// (a worker thread for a multi-thread runtime; block_on's own thread would not be one).
fn on_runtime<F, Fut>(runtime: &Runtime, rounds: u64, round_trip: F) -> Duration
where
    F: Fn(u64) -> Fut + Send + 'static,
    Fut: Future<Output = u64> + Send,
{
    runtime.block_on(async move {
        let task = tokio::spawn(async move {
            let started = Instant::now();
            for n in 0..rounds {
                assert_eq!(round_trip(n).await, 2 * n);
            }
            started.elapsed()
        });
        task.await.unwrap()
    })
}

fn call_async_on(c: &mut Criterion, name: &str, runtime: &Runtime) {
    let driver = Driver::new(1);
    let on_thread = Doubler.spawn();
    let on_driver = Doubler.spawn_on(&driver);
    let requests = hand_written_doubler();
    let mut group = c.benchmark_group(name);
    group.sample_size(20).throughput(Throughput::Elements(1));
    group.bench_function("call_async/thread", |b| {
        b.iter_custom(|rounds| {
            let (bridge, doubler) = (Bridge::new(), on_thread.clone());
            on_runtime(runtime, rounds, move |n| {
                let call = bridge.call_async(&doubler, Double(n), WAIT);
                async move { call.await.unwrap() }
            })
        })
    });
    // For context: no timer registered (a timeout too long to schedule).
    group.bench_function("call_async-no-timer/thread", |b| {
        b.iter_custom(|rounds| {
            let (bridge, doubler) = (Bridge::new(), on_thread.clone());
            on_runtime(runtime, rounds, move |n| {
                let call = bridge.call_async(&doubler, Double(n), Duration::MAX);
                async move { call.await.unwrap() }
            })
        })
    });
    group.bench_function("mpsc+oneshot/thread", |b| {
        b.iter_custom(|rounds| {
            let requests = requests.clone();
            on_runtime(runtime, rounds, move |n| {
                let (reply, answer) = oneshot::channel();
                requests.send((n, reply)).unwrap();
                async move { answer.await.unwrap() }
            })
        })
    });
    group.bench_function("mpsc+oneshot+timeout/thread", |b| {
        b.iter_custom(|rounds| {
            let requests = requests.clone();
            on_runtime(runtime, rounds, move |n| {
                let (reply, answer) = oneshot::channel();
                requests.send((n, reply)).unwrap();
                async move { tokio::time::timeout(WAIT, answer).await.unwrap().unwrap() }
            })
        })
    });
    group.bench_function("call_async/driver-1", |b| {
        b.iter_custom(|rounds| {
            let (bridge, doubler) = (Bridge::new(), on_driver.clone());
            on_runtime(runtime, rounds, move |n| {
                let call = bridge.call_async(&doubler, Double(n), WAIT);
                async move { call.await.unwrap() }
            })
        })
    });
    group.finish();
    Bridge::new().stop(&[on_thread.any()], WAIT);
    driver.shutdown(WAIT).unwrap();
}

fn call_async(c: &mut Criterion) {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    call_async_on(c, "call_async-current-thread", &current);
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    call_async_on(c, "call_async-multi-thread", &multi);
}

criterion_group!(benches, ask, call_async);
criterion_main!(benches);
