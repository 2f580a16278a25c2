//! 100,000 actors on a two-thread driver: spawned, messaged and stopped with nothing lost
//! and no thread left behind; their memory per idle actor is printed. Alone in its binary,
//! so the thread count and the RSS are this test's own.

mod common;

use actor_core::prelude::*;
use common::{rss_kib, threads, Echo, Probe, WAIT};

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
    // Runtime overhead per idle actor (the probe's own state is an empty Vec and an
    // Option): mailbox, shared state, cell, live-list entry, and the handle in `actors`.
    let per_actor = (rss_kib() - rss_before) * 1024 / ACTORS;
    println!("{ACTORS} idle actors on a 2-thread driver: {per_actor} bytes each");
    assert!(per_actor < 4096, "{per_actor} bytes per idle actor");

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
