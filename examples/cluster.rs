//! A worker pool of separate processes over NATS, one of which is killed midway.
//!
//! The example starts a `nats-server` of its own (or uses the one given by URL), launches
//! three worker processes (this program re-executed as `cluster worker N URL`), each
//! serving the name `pool` (one NATS queue group), and drives 10,000 calls from 16
//! threads. When call 5,000 is taken, worker 0 is killed with SIGKILL. Every call carries
//! a unique id and its reply echoes it with the serving process's id, so the report can
//! say who served what, and check that no call was answered twice or to the wrong caller.
//! The calls in flight at the killed worker fail with `RemoteError::Failed(WireError::Timeout)`
//! at their timeout (2 s here); every other call is served by the survivors.
//!
//! ```sh
//! cargo run --release --features nats --example cluster                      # own server
//! cargo run --release --features nats --example cluster -- nats://host:4222  # yours
//! ```
//!
//! Prints (pids, the spread, the errors and the rate vary):
//! ```text
//! NATS at nats://127.0.0.1:41235 (a nats-server of our own)
//! 3 workers serve `pool`: worker-0 (pid 1201), worker-1 (pid 1203), worker-2 (pid 1205)
//! 10000 calls from 16 threads, worker-0 killed (SIGKILL) when call 5000 was taken
//! served per worker: worker-0 1622 (killed), worker-1 4219, worker-2 4155
//! errors by kind: Failed(Timeout) 4
//! the errors came 2.00 s to 2.00 s after their call (2.00 s to 2.00 s after the kill); each call's timeout: 2s
//! answered twice: 0, to the wrong caller: 0, both answered and failed: 0
//! 9996 served + 4 errors = 10000 calls in 2.4 s: 4138 calls per second
//! before the kill: 5031 calls answered in 1.04 s: 4841 calls per second
//! ```
//!
//! The calls sent to worker 0 between its kill and the moment the server sees its
//! connection end fail the same way, so the errors number from none to one per
//! calling thread.
//!
//! `tests/cluster.rs` runs the same code (and checks the report), and reuses its pieces:
//! a worker that holds the calls it gets (`worker N URL hold`), three workers without a
//! kill.

/// The `nats-server` of the example (and of tests/cluster.rs, which takes it from here).
#[path = "../tests/nats/server.rs"]
pub mod server;

use actor_core::nats::{Node, NodeConfig};
use actor_core::prelude::*;
use actor_core::wire::{RemoteError, WireError, Workers};
use crossbeam_channel::{Receiver, Sender};
use serde::{Deserialize, Serialize};
use server::NatsServer;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The error type of the example's plumbing.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The subject prefix of the example's names.
pub const PREFIX: &str = "cluster";
/// The name every worker serves.
pub const POOL: &str = "pool";
/// How long starting, asking and stopping a worker may take; expiry means a bug.
pub const WAIT: Duration = Duration::from_secs(30);
/// A holding worker answers this many calls before it holds every further one.
const HOLD_AFTER: u64 = 20;
/// The threads in each worker's pool.
const WORKER_THREADS: usize = 4;

/// One unit of work, with an id unique in the run.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = Done)]
pub struct Job {
    /// The call's id.
    pub id: u64,
}

/// The reply: the call's id echoed, and who served it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    /// The id of the call answered.
    pub id: u64,
    /// The serving process's id.
    pub pid: u32,
}

/// Asked of one worker by its own name (`worker-N`): how many jobs it answered.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = u64)]
pub struct Served;

// ---------------------------------------------------------------------------------------
// The worker process

/// If this process was started as a worker (`worker N URL [hold]`), serves until its
/// stdin closes and returns its exit code.
pub fn worker_from_args() -> Option<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("worker") {
        return None;
    }
    let (Some(index), Some(url)) = (args.get(1).and_then(|i| i.parse().ok()), args.get(2)) else {
        eprintln!("usage: cluster worker INDEX URL [hold]");
        return Some(2);
    };
    let hold = args.get(3).map(String::as_str) == Some("hold");
    Some(match worker(index, url, hold) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("worker-{index}: {e}");
            1
        }
    })
}

/// Serves `pool` and `worker-{index}`, prints `ready`, and closes its node once stdin
/// is closed (by its parent, or by the parent's death). A holding worker answers its
/// first [`HOLD_AFTER`] jobs, then prints `held {id}` for each job it gets and never
/// answers it: it stands for a process stuck or about to die with calls in hand.
fn worker(index: usize, url: &str, hold: bool) -> Result<(), BoxError> {
    let node = NodeConfig::new([url])
        .prefix(PREFIX)
        .client_name(&format!("worker-{index}"))
        .workers(Workers::Pool(WORKER_THREADS))
        .connect()?;
    let answered = Arc::new(AtomicU64::new(0));
    let counting = answered.clone();
    let pid = std::process::id();
    node.function(POOL, move |Job { id }| {
        if hold && counting.load(Ordering::Relaxed) >= HOLD_AFTER {
            println!("held {id}");
            let _ = io::stdout().flush();
            loop {
                // Held until the process is killed.
                thread::park();
            }
        }
        counting.fetch_add(1, Ordering::Relaxed);
        Done { id, pid }
    })?;
    node.function(&format!("worker-{index}"), move |Served| {
        answered.load(Ordering::Relaxed)
    })?;
    println!("ready");
    io::stdout().flush()?;
    // Serve until the parent closes our stdin (or dies).
    io::copy(&mut io::stdin().lock(), &mut io::sink())?;
    node.close_within(Duration::from_secs(5));
    Ok(())
}

/// A worker process seen from its parent: killed and reaped when dropped, never left
/// running.
pub struct Worker {
    /// Its number: it also serves `worker-{index}`.
    pub index: usize,
    /// Its process id, which its replies carry.
    pub pid: u32,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    /// The lines it printed after `ready`.
    pub lines: Receiver<String>,
}

impl Worker {
    /// Starts worker `index` against `url` and waits (at most [`WAIT`]) until it serves.
    pub fn start(index: usize, url: &str, hold: bool) -> Result<Worker, BoxError> {
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["worker", &index.to_string(), url]);
        if hold {
            command.arg("hold");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // Bounded: past 1,024 unread lines the reader waits, and so does the worker as
        // it prints (a worker prints `ready`, then at most a few `held` lines).
        let (line, lines) = crossbeam_channel::bounded(1024);
        let mut worker = Worker {
            index,
            pid: child.id(),
            stdin: child.stdin.take(),
            child: Some(child),
            lines,
        };
        thread::spawn(move || {
            for text in BufReader::new(stdout).lines() {
                let Ok(text) = text else { break };
                if line.send(text).is_err() {
                    break;
                }
            }
        });
        match worker.lines.recv_timeout(WAIT) {
            Ok(text) if text == "ready" => Ok(worker),
            Ok(text) => Err(format!("worker-{index} said {text:?} instead of `ready`").into()),
            Err(_) => {
                worker.kill();
                Err(format!("worker-{index} was not ready within {WAIT:?}").into())
            }
        }
    }

    /// Kills it at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        self.stdin.take();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Closes its stdin, so that it closes its node and exits, and waits (at most
    /// [`WAIT`]) for a clean exit.
    pub fn stop(mut self) -> Result<(), BoxError> {
        self.stdin.take();
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("worker-{} exited with {status}", self.index).into())
                };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("worker-{} did not exit within {WAIT:?}", self.index).into());
            }
            // Polled: the exit is checked every few milliseconds, within the deadline.
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------------------
// The run

/// When to kill worker 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// Never: every worker is stopped cleanly at the end.
    Never,
    /// When a caller takes the call with this id.
    AtCall(u64),
    /// Worker 0 holds its calls after its first few; it is killed once it holds this
    /// many (its pool has 4 threads, so at most 4).
    WhenHolding(usize),
}

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Calls in all.
    pub calls: u64,
    /// Calling threads, sharing one node.
    pub callers: usize,
    /// Worker processes.
    pub workers: usize,
    /// Each call's timeout.
    pub timeout: Duration,
    /// When worker 0 is killed.
    pub kill: Kill,
}

impl Plan {
    /// The example's plan: 10,000 calls from 16 threads to 3 workers, worker 0 killed
    /// when call 5,000 is taken, 2 s per call.
    pub const EXAMPLE: Plan = Plan {
        calls: 10_000,
        callers: 16,
        workers: 3,
        timeout: Duration::from_secs(2),
        kill: Kill::AtCall(5_000),
    };
}

/// One failed call.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The call's id.
    pub id: u64,
    /// `Failed(Timeout)`, `NotSent(Disconnected)`, ...
    pub kind: String,
    /// From the call to its error.
    pub after_call: Duration,
    /// From the kill to the error (`None` without a kill, or if before it).
    pub after_kill: Option<Duration>,
}

/// What one worker did.
#[derive(Debug, Clone)]
pub struct WorkerReport {
    /// Its number.
    pub index: usize,
    /// Its process id.
    pub pid: u32,
    /// Whether it was killed.
    pub killed: bool,
    /// Replies that came back from it.
    pub answered: u64,
    /// What it says it answered (asked at the end; `None` if killed).
    pub own_count: Option<u64>,
    /// Replies from it that came after the kill.
    pub after_kill: u64,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The plan run.
    pub plan: Plan,
    /// Per worker, in order.
    pub workers: Vec<WorkerReport>,
    /// The failed calls.
    pub failures: Vec<Failure>,
    /// Ids answered more than once.
    pub answered_twice: u64,
    /// Replies whose id is not the id of the call they answered.
    pub wrong_caller: u64,
    /// Ids both answered and failed.
    pub answered_and_failed: u64,
    /// Replies from a process that is not one of the workers.
    pub unknown_pid: u64,
    /// The ids of the calls held by a holding worker 0 (it printed them).
    pub held: BTreeSet<u64>,
    /// From the first call to the last answer or error.
    pub elapsed: Duration,
    /// Calls answered before the kill, and the time from the first call to the kill.
    pub before_kill: Option<(u64, Duration)>,
}

impl Report {
    /// Calls answered.
    pub fn served(&self) -> u64 {
        self.workers.iter().map(|w| w.answered).sum::<u64>() + self.unknown_pid
    }

    /// The failed calls by kind.
    pub fn errors_by_kind(&self) -> BTreeMap<&str, u64> {
        let mut kinds = BTreeMap::new();
        for failure in &self.failures {
            *kinds.entry(failure.kind.as_str()).or_insert(0) += 1;
        }
        kinds
    }

    /// Calls (answered or failed) per second of the run.
    pub fn calls_per_second(&self) -> f64 {
        self.plan.calls as f64 / self.elapsed.as_secs_f64()
    }

    /// Prints the report.
    pub fn print(&self) {
        let killed = match self.plan.kill {
            Kill::Never => "no worker killed".to_owned(),
            Kill::AtCall(id) => format!("worker-0 killed (SIGKILL) when call {id} was taken"),
            Kill::WhenHolding(n) => {
                format!("worker-0 killed (SIGKILL) once it held {n} calls unanswered")
            }
        };
        println!(
            "{} calls from {} threads, {killed}",
            self.plan.calls, self.plan.callers
        );
        let served: Vec<String> = self
            .workers
            .iter()
            .map(|w| {
                let killed = if w.killed { " (killed)" } else { "" };
                format!("worker-{} {}{killed}", w.index, w.answered)
            })
            .collect();
        println!("served per worker: {}", served.join(", "));
        let kinds: Vec<String> = self
            .errors_by_kind()
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        println!(
            "errors by kind: {}",
            if kinds.is_empty() {
                "none".to_owned()
            } else {
                kinds.join(", ")
            }
        );
        if !self.failures.is_empty() {
            let span = |times: &mut dyn Iterator<Item = Duration>| {
                let times: Vec<f64> = times.map(|t| t.as_secs_f64()).collect();
                let min = times.iter().copied().fold(f64::INFINITY, f64::min);
                let max = times.iter().copied().fold(0.0, f64::max);
                format!("{min:.2} s to {max:.2} s")
            };
            let after_call = span(&mut self.failures.iter().map(|f| f.after_call));
            let mut after_kill = self.failures.iter().filter_map(|f| f.after_kill).peekable();
            let after_kill = if after_kill.peek().is_some() {
                format!(" ({} after the kill)", span(&mut after_kill))
            } else {
                String::new()
            };
            println!(
                "the errors came {after_call} after their call{after_kill}; each call's timeout: {:?}",
                self.plan.timeout
            );
        }
        println!(
            "answered twice: {}, to the wrong caller: {}, both answered and failed: {}",
            self.answered_twice, self.wrong_caller, self.answered_and_failed
        );
        println!(
            "{} served + {} errors = {} calls in {:.1} s: {:.0} calls per second",
            self.served(),
            self.failures.len(),
            self.served() + self.failures.len() as u64,
            self.elapsed.as_secs_f64(),
            self.calls_per_second()
        );
        if let Some((answered, took)) = self.before_kill {
            println!(
                "before the kill: {answered} calls answered in {:.2} s: {:.0} calls per second",
                took.as_secs_f64(),
                answered as f64 / took.as_secs_f64()
            );
        }
    }

    /// Whether the totals add up: every call answered once or failed, none both, none
    /// answered to another caller, each survivor's own count that of its replies, and
    /// (with a kill) the killed worker served fewer than each survivor.
    pub fn check(&self) -> Result<(), String> {
        let mut wrong = Vec::new();
        if self.served() + self.failures.len() as u64 != self.plan.calls {
            wrong.push(format!(
                "{} served + {} errors is not {} calls",
                self.served(),
                self.failures.len(),
                self.plan.calls
            ));
        }
        for (what, n) in [
            ("answered twice", self.answered_twice),
            ("answered to the wrong caller", self.wrong_caller),
            ("both answered and failed", self.answered_and_failed),
            ("answered by an unknown process", self.unknown_pid),
        ] {
            if n > 0 {
                wrong.push(format!("{n} calls {what}"));
            }
        }
        for w in self.workers.iter().filter(|w| !w.killed) {
            if w.own_count != Some(w.answered) {
                wrong.push(format!(
                    "worker-{} says it answered {:?}, its replies say {}",
                    w.index, w.own_count, w.answered
                ));
            }
        }
        if let Some(killed) = self.workers.iter().find(|w| w.killed) {
            for w in self.workers.iter().filter(|w| !w.killed) {
                if killed.answered >= w.answered {
                    wrong.push(format!(
                        "the killed worker-{} served {}, no fewer than worker-{}'s {}",
                        killed.index, killed.answered, w.index, w.answered
                    ));
                }
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong.join("; "))
        }
    }
}

/// The kind of a failed call: which `RemoteError` and which `WireError` in it.
pub fn kind<M>(error: &RemoteError<M>) -> String {
    let outer = match error {
        RemoteError::NotSent { .. } => "NotSent",
        RemoteError::Failed(_) => "Failed",
    };
    let inner = match error.error() {
        WireError::Timeout { .. } => "Timeout",
        WireError::NoResponders { .. } => "NoResponders",
        WireError::Disconnected { .. } => "Disconnected",
        WireError::Limit { .. } => "Limit",
        WireError::Remote(_) => "Remote",
        _ => "other",
    };
    format!("{outer}({inner})")
}

/// One call's outcome, as its caller saw it.
struct Outcome {
    id: u64,
    sent: Instant,
    ended: Instant,
    result: Result<Done, String>,
}

/// Runs `plan` against the NATS server at `url`: starts the workers, drives the calls,
/// kills worker 0 as planned, asks the survivors their counts, stops them, and tallies.
pub fn run(plan: Plan, url: &str) -> Result<Report, BoxError> {
    let mut workers = (0..plan.workers)
        .map(|i| Worker::start(i, url, i == 0 && matches!(plan.kill, Kill::WhenHolding(_))))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = workers
        .iter()
        .map(|w| format!("worker-{} (pid {})", w.index, w.pid))
        .collect();
    println!(
        "{} workers serve `{POOL}`: {}",
        workers.len(),
        names.join(", ")
    );
    let node = NodeConfig::new([url])
        .prefix(PREFIX)
        .client_name("cluster-driver")
        .connect()?;
    let (midway, reached) = crossbeam_channel::bounded(1);
    let started = Instant::now();
    let mut held = BTreeSet::new();
    let (outcomes, killed_at) = thread::scope(|scope| -> Result<_, BoxError> {
        let driving = scope.spawn(|| drive(&node, plan, midway));
        let killed_at = match plan.kill {
            Kill::Never => None,
            Kill::AtCall(_) => {
                reached
                    .recv_timeout(WAIT)
                    .map_err(|_| "the midway call was not reached")?;
                workers[0].kill();
                Some(Instant::now())
            }
            Kill::WhenHolding(n) => {
                for _ in 0..n {
                    let line = workers[0]
                        .lines
                        .recv_timeout(WAIT)
                        .map_err(|_| format!("worker-0 did not hold {n} calls within {WAIT:?}"))?;
                    match line.strip_prefix("held ").and_then(|id| id.parse().ok()) {
                        Some(id) => held.insert(id),
                        None => return Err(format!("worker-0 said {line:?}").into()),
                    };
                }
                workers[0].kill();
                Some(Instant::now())
            }
        };
        let outcomes = driving.join().map_err(|_| "a caller panicked")?;
        Ok((outcomes, killed_at))
    })?;
    let elapsed = started.elapsed();
    // Also the `held` lines printed after the ones waited for.
    held.extend(
        workers[0]
            .lines
            .try_iter()
            .filter_map(|line| line.strip_prefix("held ")?.parse::<u64>().ok()),
    );
    let mut report = tally(plan, &workers, outcomes, started, killed_at, elapsed);
    report.held = held;
    for (w, worker) in report.workers.iter_mut().zip(&workers) {
        if !w.killed {
            w.own_count = Some(node.call(&format!("worker-{}", worker.index), Served, WAIT)?);
        }
    }
    node.close();
    for worker in workers.drain(..) {
        worker.stop()?;
    }
    Ok(report)
}

/// `plan.callers` threads make `plan.calls` calls through `node`, taking ids in turn;
/// the one that takes the id to kill at says so on `midway`.
fn drive(node: &Node, plan: Plan, midway: Sender<()>) -> Vec<Outcome> {
    let next = AtomicU64::new(0);
    let kill_at = match plan.kill {
        Kill::AtCall(id) => Some(id),
        _ => None,
    };
    thread::scope(|scope| {
        let callers: Vec<_> = (0..plan.callers)
            .map(|_| {
                let (next, midway) = (&next, midway.clone());
                scope.spawn(move || {
                    let mut outcomes = Vec::new();
                    loop {
                        let id = next.fetch_add(1, Ordering::Relaxed);
                        if id >= plan.calls {
                            return outcomes;
                        }
                        if Some(id) == kill_at {
                            let _ = midway.send(());
                        }
                        let sent = Instant::now();
                        let result = node
                            .call(POOL, Job { id }, plan.timeout)
                            .map_err(|e| kind(&e));
                        outcomes.push(Outcome {
                            id,
                            sent,
                            ended: Instant::now(),
                            result,
                        });
                    }
                })
            })
            .collect();
        callers
            .into_iter()
            .flat_map(|caller| caller.join().expect("a caller panicked"))
            .collect()
    })
}

fn tally(
    plan: Plan,
    workers: &[Worker],
    outcomes: Vec<Outcome>,
    started: Instant,
    killed_at: Option<Instant>,
    elapsed: Duration,
) -> Report {
    let mut report = Report {
        plan,
        workers: workers
            .iter()
            .map(|w| WorkerReport {
                index: w.index,
                pid: w.pid,
                killed: w.child.is_none(),
                answered: 0,
                own_count: None,
                after_kill: 0,
            })
            .collect(),
        failures: Vec::new(),
        answered_twice: 0,
        wrong_caller: 0,
        answered_and_failed: 0,
        unknown_pid: 0,
        held: BTreeSet::new(),
        elapsed,
        before_kill: killed_at.map(|kill| (0, kill - started)),
    };
    let mut answered = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for outcome in outcomes {
        match outcome.result {
            Ok(done) => {
                if done.id != outcome.id {
                    report.wrong_caller += 1;
                }
                if !answered.insert(outcome.id) {
                    report.answered_twice += 1;
                }
                match report.workers.iter_mut().find(|w| w.pid == done.pid) {
                    Some(w) => {
                        w.answered += 1;
                        if killed_at.is_some_and(|kill| outcome.ended > kill) {
                            w.after_kill += 1;
                        }
                    }
                    None => report.unknown_pid += 1,
                }
                if let (Some(kill), Some((before, _))) = (killed_at, &mut report.before_kill) {
                    if outcome.ended <= kill {
                        *before += 1;
                    }
                }
            }
            Err(kind) => {
                failed.insert(outcome.id);
                report.failures.push(Failure {
                    id: outcome.id,
                    kind,
                    after_call: outcome.ended - outcome.sent,
                    after_kill: killed_at
                        .and_then(|kill| outcome.ended.checked_duration_since(kill)),
                });
            }
        }
    }
    report.answered_and_failed = answered.intersection(&failed).count() as u64;
    report
}

/// Runs the example's plan and prints its report; an error if the totals do not add up.
#[allow(dead_code)] // tests/cluster.rs has a `main` of its own
fn main() -> Result<(), BoxError> {
    if let Some(code) = worker_from_args() {
        std::process::exit(code);
    }
    let (_server, url) = NatsServer::given_or_own()?;
    let report = run(Plan::EXAMPLE, &url)?;
    report.print();
    report.check()?;
    Ok(())
}
