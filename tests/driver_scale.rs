//! 100,000 actors on a two-thread driver: spawned, messaged and stopped with nothing lost
//! and no thread left behind; their memory per idle actor is measured and bounded. Alone
//! in its binary, so the thread count and the RSS are this test's own.
//!
//! The memory figure is the growth of the resident set over the spawn of 100,000 idle
//! actors on a fresh driver, divided by 100,000: what the runtime allocates for each (its
//! one block, glibc's chunk rounding, its slot in the driver's roster) plus the `Addr` the
//! test keeps and the actor's own state (`Probe`, 40 bytes), which is subtracted. Taken
//! over 100,000 actors, a page (4 KiB) is 0.04 bytes each and the figure is the same run
//! after run; it moves only when what an actor allocates does. Without the observing
//! features it is 257 bytes (BENCHMARKS.md, "Session 6", has the breakdown); the bound,
//! 272, fails at any new allocation per actor (a glibc chunk is at least 32 bytes) or at
//! one 16-byte step of the block. The observing features (`tracing`, `metrics`,
//! `console`: CI's `--all-features`) add each actor's figures and live-table entry, about
//! 660 bytes more: bounded by 1,100 then.

mod common;

use actor_core::prelude::*;
use common::{rss_kib, threads, Echo, Probe, WAIT};

/// The runtime's bytes per idle actor (the actor's own state not counted) allowed here.
const BOUND: u64 = if cfg!(any(
    feature = "tracing",
    feature = "metrics",
    feature = "console"
)) {
    1_100
} else {
    272
};

#[test]
fn a_hundred_thousand_actors_on_two_threads_lose_nothing() {
    const ACTORS: u64 = 100_000;
    let before = threads();
    let driver = Driver::new(2);
    assert_eq!(threads(), before + 2);
    let rss_before = rss_kib();
    let actors: Vec<Addr<Probe>> = (0..ACTORS)
        .map(|_| Probe::default().spawn_on(&driver))
        .collect();
    assert_eq!(driver.actor_count(), ACTORS as usize);
    // Runtime overhead per idle actor: its one block (shared state, cell, mailbox, life),
    // its roster slot, and the handle in `actors`; the probe's own state (an empty Vec and
    // an Option) is taken off.
    let per_actor = (rss_kib() - rss_before) * 1024 / ACTORS;
    let runtime = per_actor.saturating_sub(std::mem::size_of::<Probe>() as u64);
    println!(
        "{ACTORS} idle actors on a 2-thread driver: {per_actor} bytes each, \
         {runtime} of them the runtime's (bound {BOUND})"
    );
    assert!(
        runtime <= BOUND,
        "{runtime} bytes of runtime per idle actor, more than {BOUND}"
    );

    let bridge = Bridge::new();
    let mut answered = vec![false; ACTORS as usize];
    for (index, reply) in bridge.multi_call(actors.iter().zip(0..).map(|(a, n)| (a, Echo(n))), WAIT)
    {
        assert_eq!(reply.unwrap(), index as u64);
        assert!(
            !std::mem::replace(&mut answered[index], true),
            "answered twice"
        );
    }
    assert!(answered.iter().all(|&a| a));

    let stopped = driver.shutdown(WAIT).unwrap();
    assert_eq!(stopped.len(), ACTORS as usize);
    assert!(stopped.iter().all(Option::is_some));
    assert_eq!(driver.actor_count(), 0);
    assert_eq!(threads(), before);
}
