//! A small pipeline to watch in the console: a source ticking 50 items a second into a
//! parser, a slow enrichment stage (about 12 items a second, so its mailbox backs up, and
//! it panics now and then) and a sink, the last three under a supervisor on a two-thread
//! driver; and a pair of actors whose calls would deadlock, refused every few seconds
//! (drawn in red). The console listens on a loopback port, printed at start.
//!
//! ```text
//! cargo run --example observe --features console          # until Ctrl-C
//! cargo run --example observe --features console -- 30    # for 30 seconds
//! ```
//!
//! With `--nats URL` (or `NATS_URL` set; features `console,nats`) the process also
//! publishes its snapshot on that NATS server and its console gathers every other
//! process's: run two copies and either console shows both, each row under its node.
//!
//! ```text
//! cargo run --example observe --features console,nats -- --nats nats://127.0.0.1:4222
//! ```

use actor_core::prelude::*;
use actor_core::{Intensity, OnPanic, Spawn, Strategy, Supervisor};
use std::time::Duration;

#[derive(Message)]
struct Tick;

#[derive(Message)]
struct Raw(u64);

#[derive(Message)]
struct Parsed(u64);

#[derive(Message)]
struct Enriched(u64);

/// Ticks items into the parser.
struct Source {
    next: u64,
}

#[actor]
impl Source {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        ctx.tell_every(Duration::from_millis(20), || Tick);
    }

    #[handles(Tick)]
    fn tick(&mut self, _: Tick) {
        self.next += 1;
        if let Some(parse) = Registry::lookup::<Parse>("parse") {
            let _ = parse.try_tell(Raw(self.next));
        }
    }
}

struct Parse;

#[actor]
impl Parse {
    #[handles(Raw)]
    fn raw(&mut self, Raw(n): Raw) {
        if let Some(enrich) = Registry::lookup::<Enrich>("enrich") {
            // A full mailbox hands the item back: dropped here, counted as back-pressure.
            let _ = enrich.try_tell(Parsed(n));
        }
    }
}

/// The slow stage: about 80 ms an item, and a panic every 97th.
struct Enrich;

#[actor]
impl Enrich {
    #[handles(Parsed)]
    fn parsed(&mut self, Parsed(n): Parsed) {
        // Stands for real work (a slow disk, a remote call): what the console is to show.
        std::thread::sleep(Duration::from_millis(80));
        assert!(n % 97 != 0, "item {n} is malformed");
        if let Some(sink) = Registry::lookup::<Sink>("sink") {
            let _ = sink.tell(Enriched(n));
        }
    }
}

struct Sink {
    last: u64,
}

#[actor]
impl Sink {
    #[handles(Enriched)]
    fn enriched(&mut self, Enriched(n): Enriched) {
        self.last = self.last.max(n);
    }
}

#[derive(Message)]
#[message(reply = ())]
struct Audit;

#[derive(Message)]
#[message(reply = ())]
struct Check;

/// Calls the checker, which calls back: the runtime refuses the call back at once.
struct Auditor {
    checker: Addr<Checker>,
}

#[actor]
impl Auditor {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        ctx.tell_every(Duration::from_secs(5), || Audit);
    }

    #[handles(Audit)]
    fn audit(&mut self, _: Audit) {
        let _ = Bridge::new().call(&self.checker, Check, Duration::from_secs(1));
    }
}

struct Checker;

#[actor]
impl Checker {
    #[handles(Check)]
    fn check(&mut self, _: Check) {
        if let Some(auditor) = Registry::lookup::<Auditor>("auditor") {
            if let Err(refused) = Bridge::new().call(&auditor, Audit, Duration::from_secs(1)) {
                log::debug!("{refused}");
            }
        }
    }
}

/// The console, gathering the cluster at `nats` if given; and the publisher of this
/// process's snapshots there.
#[cfg(feature = "nats")]
fn console(
    nats: Option<String>,
) -> (
    actor_core::console::Console,
    Option<actor_core::console::SnapshotPublisher>,
) {
    use actor_core::console::{Cluster, Options};
    use actor_core::nats::NodeConfig;
    let Some(url) = nats else {
        return (
            actor_core::console::serve("127.0.0.1:0").expect("a loopback port"),
            None,
        );
    };
    let node = NodeConfig::new([url.as_str()])
        .client_name(&format!("observe-{}", std::process::id()))
        .connect()
        .unwrap_or_else(|e| panic!("{e}"));
    let publisher = node
        .publish_snapshots(Duration::from_secs(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        cluster: Some(Cluster::new(&node)),
        ..Options::default()
    };
    let console = actor_core::console::serve_with("127.0.0.1:0", options).expect("a loopback port");
    println!("node {} publishes on {}", node.name(), publisher.subject());
    (console, Some(publisher))
}

#[cfg(not(feature = "nats"))]
fn console(nats: Option<String>) -> (actor_core::console::Console, Option<()>) {
    if let Some(url) = nats {
        panic!("gathering the cluster at {url} needs the `nats` feature: --features console,nats");
    }
    (
        actor_core::console::serve("127.0.0.1:0").expect("a loopback port"),
        None,
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut seconds, mut nats) = (None, std::env::var("NATS_URL").ok());
    while let Some(arg) = args.next() {
        if arg == "--nats" {
            nats = Some(args.next().expect("--nats takes the server's URL"));
        } else {
            seconds = Some(arg.parse::<u64>().unwrap_or_else(|_| {
                panic!("the argument is a number of seconds or `--nats URL`, not `{arg}`")
            }));
        }
    }
    // The enrichment stage's panics are part of the show: one line each, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("panicked (the supervisor restarts it): {info}")
    }));
    // Publishes (with `--nats`) until the end of `main`.
    let (console, _publisher) = console(nats);
    println!("console: {}", console.url());

    let driver = Driver::new(2);
    let on = driver.clone();
    let pipeline = Supervisor::new(
        Strategy::OneForOne,
        Intensity::new(100, Duration::from_secs(60)),
    )
    .child("parse", {
        let on = on.clone();
        move || {
            Spawn::new(Parse)
                .named("parse")
                .spawn_on(&on)
                .expect("the name is free")
        }
    })
    .child("enrich", {
        let on = on.clone();
        move || {
            Spawn::new(Enrich)
                .on_panic(OnPanic::Stop)
                .bounded(200)
                .named("enrich")
                .spawn_on(&on)
                .expect("the name is free")
        }
    })
    .child("sink", move || {
        Spawn::new(Sink { last: 0 })
            .named("sink")
            .spawn_on(&on)
            .expect("the name is free")
    })
    .spawn();
    Registry::register("pipeline", &pipeline).expect("the name is free");
    let source = Spawn::new(Source { next: 0 })
        .named("source")
        .spawn()
        .expect("the name is free");
    let checker = Spawn::new(Checker)
        .named("checker")
        .spawn()
        .expect("the name is free");
    let auditor = Spawn::new(Auditor {
        checker: checker.clone(),
    })
    .named("auditor")
    .spawn()
    .expect("the name is free");

    match seconds {
        None => loop {
            std::thread::park(); // until Ctrl-C
        },
        Some(seconds) => std::thread::sleep(Duration::from_secs(seconds)),
    }
    let bridge = Bridge::new();
    let wait = Duration::from_secs(5);
    bridge.stop(
        &[source.any(), auditor.any(), checker.any(), pipeline.any()],
        wait,
    );
    let _ = driver.shutdown(wait);
    console.stop();
}
