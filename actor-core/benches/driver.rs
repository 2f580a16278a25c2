//! Shared drivers beside dedicated threads: spawning, same-driver ping-pong, and a publish
//! to 1,000 subscribers. Idle memory per actor is measured by `tests/driver_scale.rs`.
//!
//! `cargo bench -p actor-core --bench driver`

use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion};

const WAIT: Duration = Duration::from_secs(30);

#[derive(Message)]
#[message(reply = u64)]
struct Get;

struct Idle(u64);

#[actor]
impl Idle {
    #[handles(Get)]
    fn get(&self, _: Get) -> u64 {
        self.0
    }
}

#[derive(Message)]
struct Partner(Recipient<Ball>);

#[derive(Message)]
struct Ball(u64);

/// Bounces a ball to its partner until `last`, then reports on `done`.
struct Player {
    last: u64,
    partner: Option<Recipient<Ball>>,
    done: crossbeam_channel::Sender<()>,
}

#[actor]
impl Player {
    #[handles(Partner)]
    fn partner(&mut self, Partner(partner): Partner) {
        self.partner = Some(partner);
    }

    #[handles(Ball)]
    fn ball(&mut self, Ball(n): Ball) {
        match &self.partner {
            Some(partner) if n < self.last => partner.tell(Ball(n + 1)).unwrap(),
            _ => self.done.send(()).unwrap(),
        }
    }
}

#[derive(Message, Clone)]
struct News(u64);

#[derive(Default)]
struct Reader(u64);

#[actor]
impl Reader {
    #[handles(News)]
    fn news(&mut self, News(n): News) {
        self.0 += n;
    }

    #[handles(Get)]
    fn get(&self, _: Get) -> u64 {
        self.0
    }
}

/// How each benchmark hosts its actors.
#[derive(Clone, Copy)]
enum Host<'d> {
    Thread,
    Driver(&'d Driver),
}

impl Host<'_> {
    fn spawn<A: Actor>(self, actor: A) -> Addr<A> {
        match self {
            Host::Thread => actor.spawn(),
            Host::Driver(driver) => actor.spawn_on(driver),
        }
    }
}

fn spawn(c: &mut Criterion) {
    let driver = Driver::new(2);
    let bridge = Bridge::new();
    let mut group = c.benchmark_group("spawn");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (name, host) in [("driver", Host::Driver(&driver)), ("thread", Host::Thread)] {
        // Spawn 1,000, one call to the last, stop all: per actor.
        group.bench_function(name, |b| {
            b.iter_custom(|rounds| {
                let mut total = Duration::ZERO;
                for _ in 0..rounds {
                    let started = Instant::now();
                    let actors: Vec<_> = (0..1_000).map(|n| host.spawn(Idle(n))).collect();
                    bridge.call(&actors[999], Get, WAIT).unwrap();
                    let any: Vec<AnyAddr> = actors.iter().map(Addr::any).collect();
                    bridge.stop(&any, WAIT);
                    total += started.elapsed() / 1_000;
                }
                total
            })
        });
    }
    group.finish();
}

fn pingpong(c: &mut Criterion) {
    const ROUND_TRIPS: u64 = 10_000;
    let mut group = c.benchmark_group("pingpong");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    let one = Driver::new(1);
    let two = Driver::new(2);
    for (name, host) in [
        ("driver-1-thread", Host::Driver(&one)),
        ("driver-2-threads", Host::Driver(&two)),
        ("threads", Host::Thread),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|rounds| {
                let (done, finished) = crossbeam_channel::bounded(1);
                let player = |done| Player {
                    last: ROUND_TRIPS * 2,
                    partner: None,
                    done,
                };
                let (a, b) = (host.spawn(player(done.clone())), host.spawn(player(done)));
                a.tell(Partner(b.recipient())).unwrap();
                b.tell(Partner(a.recipient())).unwrap();
                let mut total = Duration::ZERO;
                for _ in 0..rounds {
                    let started = Instant::now();
                    a.tell(Ball(0)).unwrap();
                    finished.recv().unwrap();
                    total += started.elapsed() / ROUND_TRIPS as u32;
                }
                Bridge::new().stop(&[a.any(), b.any()], WAIT);
                total
            })
        });
    }
    group.finish();
}

fn publish(c: &mut Criterion) {
    let driver = Driver::new(2);
    let bridge = Bridge::new();
    let mut group = c.benchmark_group("publish-1000");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (name, host) in [("driver", Host::Driver(&driver)), ("thread", Host::Thread)] {
        let readers: Vec<_> = (0..1_000).map(|_| host.spawn(Reader::default())).collect();
        let pubsub = PubSub::new();
        for reader in &readers {
            pubsub.subscribe(&reader.recipient::<News>());
        }
        // One publish reaching all 1,000, then a call to each so every copy is handled.
        group.bench_function(name, |b| {
            b.iter(|| {
                assert_eq!(pubsub.publish(News(1)), 1_000);
                bridge
                    .multi_call(readers.iter().map(|r| (r, Get)), WAIT)
                    .count()
            })
        });
        bridge.stop(&readers.iter().map(Addr::any).collect::<Vec<_>>(), WAIT);
    }
    group.finish();
}

criterion_group!(benches, spawn, pingpong, publish);
criterion_main!(benches);
