//! A cache in front of a slow backend, on a one-thread driver, without blocking anyone.
//!
//! The `Cache` answers every `Lookup` with a deferred reply. On a hit it answers at once;
//! on a miss it `ctx.ask`s the `Backend` and answers from the ask's continuation. Misses
//! for a key already being fetched are coalesced: one ask, many deferred replies, all
//! answered by the same continuation. A backend that does not answer within the ask's
//! timeout is reported to every caller waiting on that key. Meanwhile the cache goes on
//! handling its other mail.
//!
//! Both actors share a `Driver::new(1)`: one thread for the two of them, where a blocking
//! `Bridge::call` from the cache to the backend is refused (it could never be answered),
//! which the example shows first.
//!
//! `cargo run --example proxy` prints what happens and checks its own results.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use crossbeam_channel::{unbounded, Sender as Chan};
use futures::executor::block_on;
use futures::future::join_all;

/// How long the backend's storage takes to read a key.
const READ_LATENCY: Duration = Duration::from_millis(30);
/// How long the cache waits for the backend.
const BACKEND_TIMEOUT: Duration = Duration::from_millis(100);
/// How long callers of the cache wait (long: the cache always answers them itself).
const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- the slow backend

/// Reads one key from the backend's storage: `None` if it has no such key.
#[derive(Message)]
#[message(reply = Option<String>)]
struct Fetch(String);

/// How many `Fetch`es the backend has received.
#[derive(Message)]
#[message(reply = usize)]
struct Fetches;

/// A store whose reads are slow: each `Fetch` is handed, with its deferred reply, to a
/// storage thread that answers it `READ_LATENCY` later. Keys under `cold/` live on cold
/// storage, which does not answer in any useful time: their replies are parked.
struct Backend {
    storage: Chan<(String, Reply<Option<String>>)>,
    cold: Vec<Reply<Option<String>>>,
    fetches: usize,
}

impl Backend {
    fn new(data: &[(&str, &str)]) -> Backend {
        let data: HashMap<String, String> = data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (storage, reads) = unbounded::<(String, Reply<Option<String>>)>();
        // The storage device: ends when the backend (its only sender) is gone.
        std::thread::spawn(move || {
            for (key, reply) in reads {
                std::thread::sleep(READ_LATENCY); // the simulated disk
                reply.send(data.get(&key).cloned());
            }
        });
        Backend {
            storage,
            cold: Vec::new(),
            fetches: 0,
        }
    }
}

#[actor]
impl Backend {
    #[handles(Fetch)]
    fn fetch(&mut self, Fetch(key): Fetch, ctx: &mut Context<Self>) -> Deferred<Option<String>> {
        self.fetches += 1;
        let (later, reply) = ctx.defer();
        if key.starts_with("cold/") {
            self.cold.push(reply);
        } else {
            self.storage
                .send((key, reply))
                .expect("the storage thread runs as long as the backend");
        }
        later
    }

    #[handles(Fetches)]
    fn fetches(&mut self, _: Fetches) -> usize {
        self.fetches
    }
}

// ---------------------------------------------------------------- the cache

/// A lookup through the cache: the value, or why there is none.
#[derive(Message)]
#[message(reply = Result<String, String>)]
struct Lookup(String);

/// The same lookup done wrongly: a blocking call to the backend from inside the cache.
#[derive(Message)]
#[message(reply = String)]
struct LookupBlocking(String);

#[derive(Message)]
#[message(reply = Stats)]
struct GetStats;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Stats {
    hits: usize,
    /// Asks sent to the backend.
    asks: usize,
    /// Misses that joined an ask already in flight instead of sending another.
    coalesced: usize,
    /// Callers told that the backend timed out.
    timed_out: usize,
}

type Answer = Result<String, String>;

struct Cache {
    backend: Addr<Backend>,
    values: HashMap<String, String>,
    /// The callers waiting on each key being fetched; a key is here while its ask is in
    /// flight.
    waiting: HashMap<String, Vec<Reply<Answer>>>,
    stats: Stats,
}

#[actor]
impl Cache {
    #[handles(Lookup)]
    fn lookup(&mut self, Lookup(key): Lookup, ctx: &mut Context<Self>) -> Deferred<Answer> {
        let (later, reply) = ctx.defer();
        if let Some(value) = self.values.get(&key) {
            self.stats.hits += 1;
            println!("  cache: {key} is a hit");
            reply.send(Ok(value.clone()));
            return later;
        }
        match self.waiting.entry(key.clone()) {
            Entry::Occupied(mut callers) => {
                self.stats.coalesced += 1;
                callers.get_mut().push(reply);
                println!(
                    "  cache: {key} is a miss, joins the ask in flight ({} callers wait)",
                    callers.get().len()
                );
            }
            Entry::Vacant(callers) => {
                self.stats.asks += 1;
                callers.insert(vec![reply]);
                println!("  cache: {key} is a miss, asks the backend");
                let fetch = Fetch(key.clone());
                ctx.ask(
                    &self.backend,
                    fetch,
                    BACKEND_TIMEOUT,
                    move |this, outcome, _| this.fetched(key, outcome),
                );
            }
        }
        later
    }

    #[handles(LookupBlocking)]
    fn lookup_blocking(&mut self, LookupBlocking(key): LookupBlocking) -> String {
        match Bridge::new().call(&self.backend, Fetch(key), WAIT) {
            Ok(value) => format!("answered: {value:?}"),
            Err(refused) => format!("refused: {refused}"),
        }
    }

    #[handles(GetStats)]
    fn stats(&mut self, _: GetStats) -> Stats {
        self.stats
    }
}

impl Cache {
    /// The continuation of the ask for `key`: answers every caller waiting on it.
    fn fetched(&mut self, key: String, outcome: Result<Option<String>, CallError<Fetch>>) {
        let callers = self.waiting.remove(&key).unwrap_or_default();
        // Only values are cached: after an error, the next lookup asks again.
        let answer = match outcome {
            Ok(Some(value)) => {
                self.values.insert(key.clone(), value.clone());
                Ok(value)
            }
            Ok(None) => Err(format!("no such key: {key}")),
            Err(error) if error.is_timeout() => {
                self.stats.timed_out += callers.len();
                Err(format!("backend timed out: {error}"))
            }
            Err(error) => Err(format!("backend failed: {error}")),
        };
        let callers_word = if callers.len() == 1 {
            "caller"
        } else {
            "callers"
        };
        println!(
            "  cache: the backend's answer for {key} ({answer:?}) goes to {} {callers_word}",
            callers.len()
        );
        for reply in callers {
            reply.send(answer.clone());
        }
    }
}

// ---------------------------------------------------------------- the run

/// Looks every key up at once through `call_async` from this one thread, and waits for
/// all the answers.
fn lookup_all(bridge: &Bridge, cache: &Addr<Cache>, keys: &[&str]) -> Vec<Answer> {
    let calls: Vec<_> = keys
        .iter()
        .map(|key| bridge.call_async(cache, Lookup(key.to_string()), WAIT))
        .collect();
    block_on(join_all(calls))
        .into_iter()
        .map(|answer| answer.expect("the cache answers every lookup"))
        .collect()
}

fn main() {
    let started = Instant::now();
    let driver = Driver::new(1);
    let backend = Backend::new(&[("user/1", "Ada"), ("user/2", "Grace"), ("user/3", "Edsger")])
        .spawn_on(&driver);
    let cache = Cache {
        backend: backend.clone(),
        values: HashMap::new(),
        waiting: HashMap::new(),
        stats: Stats::default(),
    }
    .spawn_on(&driver);
    let bridge = Bridge::new();

    println!("A blocking call from the cache to the backend, on a one-thread driver:");
    let blocking = bridge
        .call(&cache, LookupBlocking("user/1".into()), WAIT)
        .unwrap();
    println!("  {blocking}");
    assert!(blocking.starts_with("refused:") && blocking.contains("would deadlock"));

    println!("Five callers look up user/1 at once:");
    let answers = lookup_all(&bridge, &cache, &["user/1"; 5]);
    assert_eq!(answers, vec![Ok("Ada".to_string()); 5]);

    println!("Again, now that it is cached:");
    assert_eq!(lookup_all(&bridge, &cache, &["user/1"]), [Ok("Ada".into())]);

    println!("Three callers wait on cold storage, which never answers in time:");
    let cold: Vec<_> = (0..3)
        .map(|_| bridge.call_async(&cache, Lookup("cold/archive".into()), WAIT))
        .collect();
    // While the cold ask is in flight the cache still answers other callers.
    let hit = bridge.call(&cache, Lookup("user/1".into()), WAIT).unwrap();
    assert_eq!(hit, Ok("Ada".into()));
    let cold = block_on(join_all(cold));
    println!("  each of the {} cold callers got its answer", cold.len());
    for answer in cold {
        let error = answer.unwrap().expect_err("cold storage does not answer");
        assert!(error.starts_with("backend timed out") && error.contains("within 100ms"));
    }

    println!("Two different keys and one the backend does not have, at once:");
    let answers = lookup_all(&bridge, &cache, &["user/2", "user/3", "user/2", "user/9"]);
    assert_eq!(
        answers,
        [
            Ok("Grace".into()),
            Ok("Edsger".into()),
            Ok("Grace".into()),
            Err("no such key: user/9".into())
        ]
    );

    let stats = bridge.call(&cache, GetStats, WAIT).unwrap();
    let fetches = bridge.call(&backend, Fetches, WAIT).unwrap();
    println!("{stats:?}; the backend saw {fetches} fetches");
    assert_eq!(
        stats,
        Stats {
            hits: 2,
            asks: 5,
            coalesced: 4 + 2 + 1,
            timed_out: 3,
        }
    );
    // One fetch per ask: the refused blocking call never reached the backend.
    assert_eq!(fetches, stats.asks);

    driver.shutdown(WAIT).expect("the driver stops");
    println!("done in {:?}", started.elapsed());
}
