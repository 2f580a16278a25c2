//! Resource use, measured alone in its binary (threads and RSS are process-wide, so no
//! other test may run beside it): spawning and stopping 10,000 actors gives back their
//! threads and memory; a bounded mailbox keeps memory flat under a fast producer.

mod common;

use actor_core::prelude::*;
use actor_core::Spawn;
use common::{rss_kib, threads, Echo, Probe, WAIT};
use std::time::Instant;

/// Waits (up to `WAIT`) for the thread count to come down to `expected`: a stopped actor's
/// thread ends just after it answers `Stopped`, and nothing joins it.
fn settle(expected: u64) {
    let deadline = Instant::now() + WAIT;
    while threads() > expected && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

#[test]
fn threads_and_memory_come_back_and_stay_flat() {
    spawning_and_stopping_ten_thousand_actors_returns_threads_and_memory();
    memory_stays_flat_when_a_fast_producer_meets_a_slow_bounded_actor();
}

fn spawning_and_stopping_ten_thousand_actors_returns_threads_and_memory() {
    let threads_initial = threads();
    // Warm up allocator pools so the baseline is not the first-use cost.
    let warm: Vec<_> = (0..100).map(|_| Probe::default().spawn()).collect();
    Bridge::new().stop(&warm.iter().map(Addr::any).collect::<Vec<_>>(), WAIT);
    drop(warm);
    settle(threads_initial);
    let (threads_before, rss_before) = (threads(), rss_kib());
    let bridge = Bridge::new();
    for batch in 0..100 {
        let actors: Vec<_> = (0..100).map(|_| Probe::default().spawn()).collect();
        for (n, actor) in actors.iter().enumerate() {
            assert_eq!(bridge.call(actor, Echo(n as u64), WAIT).unwrap(), n as u64);
        }
        let any: Vec<AnyAddr> = actors.iter().map(Addr::any).collect();
        assert!(
            bridge.stop(&any, WAIT).iter().all(Option::is_some),
            "batch {batch}"
        );
    }
    settle(threads_before);
    let (threads_after, rss_after) = (threads(), rss_kib());
    assert_eq!(threads_after, threads_before, "threads leaked");
    let grown = rss_after.saturating_sub(rss_before);
    assert!(grown < 16 * 1024, "RSS grew by {grown} KiB");
    println!("10,000 actors spawned, called and stopped: threads {threads_before} -> {threads_after}, RSS {rss_before} -> {rss_after} KiB");
}

fn memory_stays_flat_when_a_fast_producer_meets_a_slow_bounded_actor() {
    #[derive(Message)]
    struct Blob([u8; 1024]);
    #[derive(Message)]
    #[message(reply = u64)]
    struct Count;
    #[derive(Default)]
    struct Slow(u64);
    #[actor]
    impl Slow {
        #[handles(Blob)]
        fn blob(&mut self, Blob(bytes): Blob) {
            // Slow: some work per message.
            self.0 += bytes.iter().map(|&b| b as u64).sum::<u64>() + 1;
        }
        #[handles(Count)]
        fn count(&self, _: Count) -> u64 {
            self.0
        }
    }

    let slow = Spawn::new(Slow::default()).bounded(64).spawn();
    let rss_before = rss_kib();
    let mut peak = rss_before;
    for n in 0..200_000 {
        slow.tell(Blob([0; 1024])).unwrap();
        if n % 10_000 == 0 {
            peak = peak.max(rss_kib());
        }
    }
    assert_eq!(Bridge::new().call(&slow, Count, WAIT).unwrap(), 200_000);
    let grown = peak.saturating_sub(rss_before);
    // Unbounded, 200,000 queued 1 KiB messages could take 200 MiB; bounded, a few KiB.
    assert!(grown < 8 * 1024, "RSS grew by {grown} KiB");
    println!("200,000 1 KiB messages into a 64-slot mailbox: peak RSS growth {grown} KiB");
}
