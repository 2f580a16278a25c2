//! `examples/simulate`: the simulation finds the bank's interleaving bug that a plain test
//! misses, replays it from its seed, and passes the fixed version (fewer seeds than the
//! example, for a debug build).

#[path = "../examples/simulate/bank.rs"]
mod bank;

use actor_core::prelude::*;
use actor_core::sim::Simulation;

#[test]
fn the_simulation_finds_the_racy_tellers_overdraft_and_replays_it() {
    let failure = Simulation::explore(0..2_000, |sim| bank::scenario(sim, false)).unwrap_err();
    assert!(failure.to_string().contains("balances"), "{failure}");
    assert!(failure
        .trace
        .to_string()
        .contains("Account[0] <- Debit from Teller["));
    let replay = Simulation::new(failure.seed);
    assert!(bank::scenario(&replay, false).is_err());
    assert_eq!(replay.trace(), failure.trace);
}

#[test]
fn the_safe_teller_passes_every_seed() {
    assert_eq!(
        Simulation::explore(0..1_000, |sim| bank::scenario(sim, true)).unwrap(),
        1_000
    );
}

#[test]
fn the_plain_test_of_the_racy_teller_passes_on_a_one_thread_driver() {
    let driver = Driver::new(1);
    for _ in 0..20 {
        bank::plain(&driver).unwrap();
    }
}
