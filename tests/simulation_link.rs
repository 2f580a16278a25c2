//! The simulated link (`actor_core::sim::SimLink`): a remote protocol over the wire's
//! `Link`, tested in the deterministic simulation with latency, loss and partitions in
//! virtual time, replayed from a seed.
#![cfg(feature = "wire")]

use actor_core::prelude::*;
use actor_core::sim::{SimConfig, SimLink, Simulation};
use actor_core::wire::{Fault, Link, RemoteError, WireError};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(1);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Deposit(u64);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
struct Credit(u64);

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = u64)]
struct Balance;

#[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
#[message(reply = ())]
struct Boom;

#[derive(Default)]
struct Account(u64);

#[actor]
impl Account {
    #[handles(Deposit)]
    fn deposit(&mut self, Deposit(n): Deposit) -> u64 {
        self.0 += n;
        self.0
    }

    #[handles(Credit)]
    fn credit(&mut self, Credit(n): Credit) {
        self.0 += n;
    }

    #[handles(Balance)]
    fn balance(&self, _: Balance) -> u64 {
        self.0
    }

    #[handles(Boom)]
    fn boom(&mut self, _: Boom) {
        panic!("boom");
    }
}

fn served(sim: &Simulation, link: &SimLink) -> Addr<Account> {
    let account = Account::default().spawn_in(sim);
    link.serve::<Deposit, _>("bank", &account);
    link.serve::<Credit, _>("bank", &account);
    link.serve::<Balance, _>("bank", &account);
    link.serve::<Boom, _>("bank", &account);
    account
}

#[test]
fn a_call_crosses_twice_in_virtual_time_and_its_reply_is_decoded() {
    let sim = Simulation::new(1);
    let link = SimLink::new(&sim).latency(Duration::from_millis(30), Duration::from_millis(30));
    let _account = served(&sim, &link);
    assert_eq!(link.call("bank", Deposit(5), WAIT).unwrap(), 5);
    assert_eq!(sim.elapsed(), Duration::from_millis(60), "there and back");
    let remote = link.remote::<Account>("bank");
    assert_eq!(remote.call(Deposit(2), WAIT).unwrap(), 7);
    assert_eq!(link.crossings(), (4, 0));
}

#[test]
fn a_partition_times_calls_out_in_virtual_time_loses_tells_and_heals() {
    let sim = Simulation::new(2);
    let link = SimLink::new(&sim).latency(Duration::from_millis(10), Duration::from_millis(10));
    let _account = served(&sim, &link);
    link.partition();
    let err = link.call("bank", Deposit(1), WAIT).unwrap_err();
    assert!(
        matches!(err.error(), WireError::Timeout { timeout, .. } if *timeout == WAIT),
        "{err}"
    );
    assert_eq!(sim.elapsed(), WAIT, "the caller waited its whole timeout");
    link.tell("bank", Credit(100)).unwrap(); // lost, as on NATS
    link.heal();
    sim.advance(WAIT).unwrap();
    assert_eq!(link.call("bank", Balance, WAIT).unwrap(), 0);
    let (_, lost) = link.crossings();
    assert_eq!(lost, 2);
}

#[test]
fn what_the_far_side_cannot_do_comes_back_as_its_fault() {
    let sim = Simulation::new(3);
    let link = SimLink::new(&sim);
    let account = served(&sim, &link);
    let err = link.call("nobody", Balance, WAIT).unwrap_err();
    assert!(
        matches!(err.fault(), Some(Fault::NoSuchActor { actor }) if actor == "nobody"),
        "{err}"
    );
    let err = link.call("bank", Boom, WAIT).unwrap_err();
    assert!(
        matches!(err.fault(), Some(Fault::Panicked { panic, .. }) if panic == "boom"),
        "{err}"
    );
    // A tell that arrives for no one is kept as a fault.
    link.tell("nobody", Credit(1)).unwrap();
    sim.run_until_idle().unwrap();
    assert!(matches!(&link.faults()[..], [Fault::NoSuchActor { .. }]));
    // The actor stopped: its calls fail at once on the far side.
    sim.call(&account, Stop, WAIT).unwrap();
    let err = link.call("bank", Balance, WAIT).unwrap_err();
    assert!(matches!(err.fault(), Some(Fault::Failed { .. })), "{err}");
}

/// Tells a remote account its credits from inside a simulated actor, over a lossy link.
struct Payer {
    bank: SimLink,
    credits: u64,
}

#[derive(Message)]
struct Pay;

#[actor]
impl Payer {
    #[handles(Pay)]
    fn pay(&mut self, _: Pay) {
        for _ in 0..self.credits {
            self.bank.tell("bank", Credit(1)).unwrap();
        }
    }
}

/// Runs the lossy scenario for `seed`: the balance that arrived and the link's trace.
fn lossy(seed: u64) -> (u64, String) {
    let sim = SimConfig::new(seed).build();
    let link = SimLink::new(&sim)
        .latency(Duration::from_millis(1), Duration::from_millis(50))
        .loss(0.2);
    let _account = served(&sim, &link);
    let payer = Payer {
        bank: link.clone(),
        credits: 100,
    }
    .spawn_in(&sim);
    payer.tell(Pay).unwrap();
    // Every tell is on its way within 50 ms of virtual time.
    sim.advance(Duration::from_secs(1)).unwrap();
    // Queried directly, not over the lossy link.
    let balance = sim.call(&_account, Balance, WAIT).unwrap();
    (balance, sim.trace().to_string())
}

#[test]
fn losses_and_latencies_are_drawn_from_the_seed_and_replay() {
    let (balance, trace) = lossy(11);
    assert!(
        (50..100).contains(&balance),
        "about 80 of 100 arrive: {balance}"
    );
    assert_eq!(lossy(11), (balance, trace.clone()), "one seed, one run");
    let others: Vec<_> = (12..20).map(lossy).collect();
    assert!(
        others.iter().any(|(b, t)| *b != balance || *t != trace),
        "other seeds lose and order other messages"
    );
}

#[test]
fn a_blocking_call_from_inside_a_simulated_handler_is_refused_with_nothing_sent() {
    struct Caller(SimLink);
    #[derive(Message)]
    #[message(reply = bool)]
    struct Try;
    #[actor]
    impl Caller {
        #[handles(Try)]
        fn try_call(&mut self, _: Try) -> bool {
            matches!(
                self.0.call("bank", Balance, WAIT),
                Err(RemoteError::NotSent { msg: Balance, .. })
            )
        }
    }
    let sim = Simulation::new(4);
    let link = SimLink::new(&sim);
    let _account = served(&sim, &link);
    let caller = Caller(link.clone()).spawn_in(&sim);
    assert!(sim.call(&caller, Try, WAIT).unwrap());
    assert_eq!(link.crossings(), (0, 0));
}
