//! What observing costs per message: `N` tells to one actor on a one-thread driver, then a
//! call that waits for them all. Run it under callgrind with each feature set and compare
//! instruction counts (wall clock on a shared machine is too noisy for a few nanoseconds):
//!
//! ```text
//! cargo build --release -p actor-core --example observe_cost [--features metrics|console|tracing]
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/observe_cost
//! ```
//!
//! With `console` the console is serving (idle: no requests, its sampler reading twice a
//! second); with `metrics` no recorder is installed (the facade's no-op handles); with
//! `tracing` no subscriber is set.

use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)]
struct Add(u64);

#[derive(Message)]
#[message(reply = u64)]
struct Total;

struct Sum(u64);

#[actor]
impl Sum {
    #[handles(Add)]
    fn add(&mut self, Add(n): Add) {
        self.0 = self.0.wrapping_add(n);
    }

    #[handles(Total)]
    fn total(&self, _: Total) -> u64 {
        self.0
    }
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map_or(200_000, |arg| arg.parse().expect("a count"));
    #[cfg(feature = "console")]
    let console = actor_core::console::serve("127.0.0.1:0").expect("a loopback port");
    let driver = Driver::new(1);
    let sum = Sum(0).spawn_on(&driver);
    for i in 0..n {
        sum.tell(Add(i)).unwrap();
    }
    let total = Bridge::new()
        .call(&sum, Total, Duration::from_secs(600))
        .unwrap();
    assert_eq!(total, (0..n).fold(0u64, |a, b| a.wrapping_add(b)));
    driver.shutdown(Duration::from_secs(10)).unwrap();
    #[cfg(feature = "console")]
    console.stop();
    println!("{n} messages");
}
