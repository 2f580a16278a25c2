//! Criterion benchmarks of the actor timers beside `crossbeam_channel::after` and
//! `crossbeam_channel::tick` doing the same work, in the same run.
//!
//! Run with
//! `cargo bench -p actor-core --bench timers -- --warm-up-time 1 --measurement-time 3`.
//!
//! - `timers_once`: N one-shot timers with a zero delay, each delivering a message that the
//!   receiver counts; one iteration ends when all N were counted. `ctx_tell_after`: the
//!   actor schedules them itself (on a thread; `_driver`: on a 2-thread driver);
//!   `addr_tell_after`: plain code schedules them; `crossbeam_after`: a bare thread makes N
//!   `after(0)` channels and receives from each. Throughput counts timers.
//! - `timers_every_*`: one periodic timer ticking K times, counted by the receiver, then
//!   cancelled. At 10 µs the cost per tick dominates; at 1 ms, the lateness beyond the
//!   period. Throughput counts ticks.

use std::thread;
use std::time::Duration;

use actor_core::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use crossbeam_channel::{bounded, unbounded, Receiver, Sender as Channel};

/// One-shot timers per iteration.
const N: u64 = 10_000;

#[derive(Message)]
struct Hit;

/// Schedule `n` zero-delay timers from inside the actor.
#[derive(Message)]
struct Arm(u64);

/// Expect `n` hits, then report on the channel.
#[derive(Message)]
struct Expect(u64, Channel<()>);

#[derive(Default)]
struct Counter {
    seen: u64,
    want: u64,
    done: Option<Channel<()>>,
}

#[actor]
impl Counter {
    #[handles(Arm)]
    fn arm(&mut self, Arm(n): Arm, ctx: &mut Context<Self>) {
        for _ in 0..n {
            ctx.tell_after(Duration::ZERO, Hit);
        }
    }

    #[handles(Expect)]
    fn expect(&mut self, Expect(n, done): Expect) {
        self.seen = 0;
        self.want = n;
        self.done = Some(done);
    }

    #[handles(Hit)]
    fn hit(&mut self, _: Hit) {
        self.seen += 1;
        if self.seen == self.want {
            if let Some(done) = self.done.take() {
                done.send(()).unwrap();
            }
        }
    }
}

#[derive(Message)]
struct Tick;

/// Tick `k` times every `period`, then cancel and report.
#[derive(Message)]
struct Run(u64, Duration, Channel<()>);

#[derive(Default)]
struct Ticker {
    left: u64,
    timer: Option<Timer>,
    done: Option<Channel<()>>,
}

#[actor]
impl Ticker {
    #[handles(Run)]
    fn run(&mut self, Run(k, period, done): Run, ctx: &mut Context<Self>) {
        self.left = k;
        self.done = Some(done);
        self.timer = Some(ctx.tell_every(period, || Tick));
    }

    #[handles(Tick)]
    fn tick(&mut self, _: Tick) {
        if self.left == 0 {
            return; // a tick posted before the cancel
        }
        self.left -= 1;
        if self.left == 0 {
            if let Some(timer) = self.timer.take() {
                timer.cancel();
            }
            if let Some(done) = self.done.take() {
                done.send(()).unwrap();
            }
        }
    }
}

/// A bare thread that, for each request, makes `n` `after(0)` timers and receives them.
fn crossbeam_after_thread() -> Channel<(u64, Channel<()>)> {
    let (tx, rx) = unbounded::<(u64, Channel<()>)>();
    thread::spawn(move || {
        for (n, done) in rx {
            let timers: Vec<Receiver<_>> = (0..n)
                .map(|_| crossbeam_channel::after(Duration::ZERO))
                .collect();
            let mut seen = 0;
            for timer in &timers {
                timer.recv().unwrap();
                seen += 1;
            }
            assert_eq!(seen, n);
            done.send(()).unwrap();
        }
    });
    tx
}

/// A bare thread that, for each request, receives `k` ticks of a `tick(period)`.
fn crossbeam_tick_thread() -> Channel<(u64, Duration, Channel<()>)> {
    let (tx, rx) = unbounded::<(u64, Duration, Channel<()>)>();
    thread::spawn(move || {
        for (k, period, done) in rx {
            let ticker = crossbeam_channel::tick(period);
            for _ in 0..k {
                ticker.recv().unwrap();
            }
            drop(ticker);
            done.send(()).unwrap();
        }
    });
    tx
}

fn once(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_once");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .throughput(Throughput::Elements(N));

    let counter = Counter::default().spawn();
    group.bench_function("ctx_tell_after", |b| {
        b.iter(|| {
            let (done, finished) = bounded(1);
            counter.tell(Expect(N, done)).unwrap();
            counter.tell(Arm(N)).unwrap();
            finished.recv().unwrap();
        })
    });
    group.bench_function("addr_tell_after", |b| {
        b.iter(|| {
            let (done, finished) = bounded(1);
            counter.tell(Expect(N, done)).unwrap();
            for _ in 0..N {
                counter.tell_after(Duration::ZERO, Hit);
            }
            finished.recv().unwrap();
        })
    });

    let driver = Driver::new(2);
    let on_driver = Counter::default().spawn_on(&driver);
    group.bench_function("ctx_tell_after_driver", |b| {
        b.iter(|| {
            let (done, finished) = bounded(1);
            on_driver.tell(Expect(N, done)).unwrap();
            on_driver.tell(Arm(N)).unwrap();
            finished.recv().unwrap();
        })
    });

    let raw = crossbeam_after_thread();
    group.bench_function("crossbeam_after", |b| {
        b.iter(|| {
            let (done, finished) = bounded(1);
            raw.send((N, done)).unwrap();
            finished.recv().unwrap();
        })
    });
    group.finish();
}

fn every(c: &mut Criterion) {
    let ticker = Ticker::default().spawn();
    let raw = crossbeam_tick_thread();
    for (name, period, k) in [
        ("timers_every_10us", Duration::from_micros(10), 1000),
        ("timers_every_1ms", Duration::from_millis(1), 50),
    ] {
        let mut group = c.benchmark_group(name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .throughput(Throughput::Elements(k));
        group.bench_function("ctx_tell_every", |b| {
            b.iter(|| {
                let (done, finished) = bounded(1);
                ticker.tell(Run(k, period, done)).unwrap();
                finished.recv().unwrap();
            })
        });
        group.bench_function("crossbeam_tick", |b| {
            b.iter(|| {
                let (done, finished) = bounded(1);
                raw.send((k, period, done)).unwrap();
                finished.recv().unwrap();
            })
        });
        group.finish();
    }
}

criterion_group!(benches, once, every);
criterion_main!(benches);
