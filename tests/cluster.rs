//! Worker processes serving one pool over NATS, killed mid-run: `examples/cluster.rs`
//! run and its report checked, a serving process killed with calls in hand (which
//! errors its callers get, and when), three processes sharing 3,000 calls, and what a
//! call and a tell meet once the last worker is gone.
//!
//! It has no libtest harness (see `Cargo.toml`): the workers are this binary re-executed
//! (`cluster worker N URL`), and own their stdout. `main` runs the tests and prints the
//! same summary line as libtest; it honours a name filter, `--exact` and `--list`.

#[path = "../examples/cluster.rs"]
mod cluster;

#[path = "support/harness.rs"]
mod harness;

use actor_core::nats::NodeConfig;
use cluster::server::NatsServer;
use cluster::{Job, Kill, Plan, Report, Worker, POOL, PREFIX, WAIT};
use std::time::{Duration, Instant};

fn checked(report: &Report) {
    report.print();
    if let Err(wrong) = report.check() {
        panic!("the totals do not add up: {wrong}");
    }
}

fn the_cluster_example_runs_and_its_totals_add_up() {
    let server = NatsServer::start();
    let report = cluster::run(Plan::EXAMPLE, &server.url()).unwrap();
    checked(&report);
    assert_eq!(
        report.served() + report.failures.len() as u64,
        10_000,
        "served + errors"
    );
    assert_eq!(report.answered_twice, 0);
    assert_eq!(report.wrong_caller, 0);
    let killed = &report.workers[0];
    assert!(killed.killed);
    assert!(killed.answered > 0, "worker-0 served before its kill");
    for survivor in &report.workers[1..] {
        assert!(
            killed.answered < survivor.answered,
            "the killed worker served {}, worker-{} {}",
            killed.answered,
            survivor.index,
            survivor.answered
        );
        assert_eq!(survivor.own_count, Some(survivor.answered));
    }
}

fn killing_a_serving_process_fails_its_calls_in_flight_and_the_others_are_served() {
    let timeout = Duration::from_secs(2);
    let plan = Plan {
        calls: 2_000,
        callers: 16,
        workers: 3,
        timeout,
        kill: Kill::WhenHolding(4),
    };
    let server = NatsServer::start();
    let report = cluster::run(plan, &server.url()).unwrap();
    checked(&report);
    // The calls worker-0 held (it said which) are among those that failed; at most one
    // per caller can have been in flight.
    let failed: Vec<u64> = report.failures.iter().map(|f| f.id).collect();
    assert!(report.held.len() >= 4, "held: {:?}", report.held);
    assert!(
        report.held.iter().all(|id| failed.contains(id)),
        "held {:?}, failed {failed:?}",
        report.held
    );
    assert!(failed.len() <= plan.callers, "{failed:?}");
    // Each of them at its timeout, no earlier, as a plain timeout: NATS does not tell a
    // requester that the subscriber its request went to has died.
    for failure in &report.failures {
        assert_eq!(failure.kind, "Failed(Timeout)", "{failure:?}");
        assert!(failure.after_call >= timeout, "{failure:?}");
        assert!(failure.after_call < timeout + WAIT, "{failure:?}");
    }
    let after_kill: Vec<f64> = report
        .failures
        .iter()
        .filter_map(|f| f.after_kill)
        .map(|d| d.as_secs_f64())
        .collect();
    println!(
        "{} calls in flight at the killed worker failed with Failed(Timeout); after the kill: {after_kill:.3?} s",
        failed.len()
    );
    // The survivors went on serving, after the kill too.
    for survivor in &report.workers[1..] {
        assert!(survivor.after_kill > 0, "{survivor:?}");
    }
}

fn three_serving_processes_share_3000_calls_each_answered_once() {
    let plan = Plan {
        calls: 3_000,
        callers: 16,
        workers: 3,
        timeout: WAIT,
        kill: Kill::Never,
    };
    let server = NatsServer::start();
    let report = cluster::run(plan, &server.url()).unwrap();
    checked(&report);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.served(), 3_000);
    for worker in &report.workers {
        assert!(worker.answered > 0, "{worker:?}");
        assert_eq!(worker.own_count, Some(worker.answered), "{worker:?}");
    }
}

fn once_the_last_worker_is_killed_a_call_gets_no_responders_at_once_and_a_tell_is_lost() {
    let server = NatsServer::start();
    let mut worker = Worker::start(0, &server.url(), false).unwrap();
    let node = NodeConfig::new([server.url()])
        .prefix(PREFIX)
        .connect()
        .unwrap();
    assert_eq!(
        node.call(POOL, Job { id: 1 }, WAIT).unwrap().pid,
        worker.pid
    );
    worker.kill();
    // The server drops the dead worker's subscription once it sees its connection end:
    // polled, a call every few hundred milliseconds until no one serves the name.
    let deadline = Instant::now() + WAIT;
    let (error, took) = loop {
        let sent = Instant::now();
        let error = node
            .call(POOL, Job { id: 2 }, Duration::from_millis(300))
            .unwrap_err();
        if error.is_no_responders() || Instant::now() > deadline {
            break (error, sent.elapsed());
        }
        assert!(error.is_timeout(), "{error}");
    };
    assert!(error.is_no_responders(), "{error}");
    println!(
        "no worker left: {} after {took:?}: {error}",
        cluster::kind(&error)
    );
    // A tell has no reply to miss: it goes out, and no one gets it (at most once).
    assert!(node.tell(POOL, Job { id: 3 }).is_ok());
    node.close();
}

const TESTS: &[harness::Test] = &[
    (
        "the_cluster_example_runs_and_its_totals_add_up",
        the_cluster_example_runs_and_its_totals_add_up,
    ),
    (
        "killing_a_serving_process_fails_its_calls_in_flight_and_the_others_are_served",
        killing_a_serving_process_fails_its_calls_in_flight_and_the_others_are_served,
    ),
    (
        "three_serving_processes_share_3000_calls_each_answered_once",
        three_serving_processes_share_3000_calls_each_answered_once,
    ),
    (
        "once_the_last_worker_is_killed_a_call_gets_no_responders_at_once_and_a_tell_is_lost",
        once_the_last_worker_is_killed_a_call_gets_no_responders_at_once_and_a_tell_is_lost,
    ),
];

fn main() {
    if let Some(code) = cluster::worker_from_args() {
        std::process::exit(code);
    }
    harness::run(TESTS);
}
