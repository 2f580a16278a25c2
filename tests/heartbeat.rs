//! `examples/heartbeat.rs` runs as a test too: it checks its own report (a silent worker
//! marked silent, a stopped one gone, and every worker ended once the program drops its
//! strong handles, the monitor holding only weak ones).

#[path = "../examples/heartbeat.rs"]
mod heartbeat;

#[test]
fn the_heartbeat_example_runs_and_checks_its_report() {
    heartbeat::main();
}
