//! Features `console` and `nats`: one console for a whole cluster. Each node publishes
//! its process's snapshot ([`Node::publish_snapshots`]) on `{prefix}.console.{name}`; a
//! console given a [`Cluster`] subscribes to `{prefix}.console.*` and shows the latest
//! snapshot of every node beside its own process.
//!
//! A snapshot travels as one wire packet: the wire's version byte, a `Tell` head whose
//! route names the node and the snapshot format ([`FORMAT`]), and the console's picture
//! of the process encoded with the wire's codec (postcard, depth-limited). What arrives
//! is untrusted: its size is checked before it is queued, it is decoded on the
//! console's own thread (never the connection's), its subject must be its node's, and
//! every count and text in it must keep within the same bounds a published one is cut
//! to. Anything else is dropped and counted (the `cluster` object of `/api/snapshot`, the
//! `actor_console_*` counters of `/metrics`), and the console goes on serving.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};

use super::history::History;
use super::model::{Limits, Process};
use super::render::{ClusterStatus, Shown, View};
use crate::nats::packet;
use crate::nats::{NatsError, Node};
use crate::sync::lock;
use crate::wire::codec::{self, Head, Route};
use crate::wire::CodecError;

/// The format of a published snapshot, as its packet's route names it: a console reads
/// only snapshots of its own format.
pub const FORMAT: &str = "actor_core::console::Snapshot/1";

/// The largest snapshot a node publishes and a console takes by default, in bytes:
/// 256 KiB. A publisher cuts its snapshot to this or to the server's `max_payload`,
/// whichever is smaller.
pub const MAX_SNAPSHOT_BYTES: usize = 256 * 1024;

/// Snapshots received and not yet decoded, at most; past it they are dropped and counted.
const QUEUED: usize = 64;

/// How a console gathers the snapshots its cluster's nodes publish
/// ([`Node::publish_snapshots`]): the node it subscribes through and the bounds of what it
/// keeps. Set as [`Options::cluster`](super::Options::cluster).
///
/// | bound | default | past it |
/// |---|---|---|
/// | [`stale_after`](Cluster::stale_after) | 10 s | a node with no snapshot for this long is no longer shown (and counted as expired) |
/// | [`max_nodes`](Cluster::max_nodes) | 64 | nodes shown, this one included: a snapshot from a new node is dropped and counted |
/// | [`max_bytes`](Cluster::max_bytes) | [`MAX_SNAPSHOT_BYTES`] | a larger snapshot is dropped, before decoding, and counted |
///
/// and, fixed: 4,096 actors, 256 drivers, 1,024 waits, 64 refused waits, 1,024 ended
/// totals per snapshot, 64 actors per wait or cycle, 256 bytes per text, and 64
/// snapshots waiting to be decoded. A snapshot past any of them is dropped whole and
/// counted as malformed. So the console keeps at most `max_nodes` snapshots of at most
/// `max_bytes` each (about a megabyte each once decoded, at the fixed bounds).
///
/// ```no_run
/// use actor_core::console::{self, Cluster, Options};
/// use actor_core::nats::NodeConfig;
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let node = NodeConfig::new(["nats://127.0.0.1:4222"]).client_name("ops").connect()?;
/// let cluster = Cluster::new(&node).stale_after(Duration::from_secs(5));
/// let console = console::serve_with("127.0.0.1:0", Options { cluster: Some(cluster), ..Options::default() })?;
/// println!("every node's actors at {}", console.url());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Cluster {
    pub(super) node: Node,
    pub(super) stale_after: Duration,
    pub(super) max_nodes: usize,
    pub(super) max_bytes: usize,
}

impl Cluster {
    /// Gathers through `node`, with the default bounds. This process is shown under the
    /// node's [`name`](Node::name).
    pub fn new(node: &Node) -> Cluster {
        Cluster {
            node: node.clone(),
            stale_after: Duration::from_secs(10),
            max_nodes: 64,
            max_bytes: MAX_SNAPSHOT_BYTES,
        }
    }

    /// A node is forgotten once its latest snapshot is this old (give it a few of its
    /// publishing periods).
    pub fn stale_after(mut self, stale_after: Duration) -> Cluster {
        self.stale_after = stale_after;
        self
    }

    /// How many nodes are shown at most, this one included (at least 1).
    pub fn max_nodes(mut self, max_nodes: usize) -> Cluster {
        self.max_nodes = max_nodes;
        self
    }

    /// The largest snapshot taken, in bytes.
    pub fn max_bytes(mut self, max_bytes: usize) -> Cluster {
        self.max_bytes = max_bytes;
        self
    }
}

/// The latest snapshot of one node.
struct Entry {
    process: Arc<Process>,
    at: Instant,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    malformed: AtomicU64,
    oversized: AtomicU64,
    dropped: AtomicU64,
    refused_nodes: AtomicU64,
    expired: AtomicU64,
}

/// What a console has gathered: the latest snapshot per node, within its bounds.
pub(super) struct Gathered {
    local: String,
    stale_after: Duration,
    max_nodes: usize,
    nodes: Mutex<HashMap<String, Entry>>,
    counters: Counters,
}

impl Gathered {
    /// Forgets the nodes whose latest snapshot is older than `stale_after`.
    fn expire(&self, nodes: &mut HashMap<String, Entry>, now: Instant, history: &Mutex<History>) {
        let stale: Vec<String> = nodes
            .iter()
            .filter(|(_, entry)| now.saturating_duration_since(entry.at) >= self.stale_after)
            .map(|(name, _)| name.clone())
            .collect();
        if stale.is_empty() {
            return;
        }
        let mut history = lock(history);
        for name in stale {
            nodes.remove(&name);
            history.forget(&name);
            self.counters.expired.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Takes in `process`, the snapshot of the node `name`, received now.
    fn take(&self, name: String, process: Process, history: &Mutex<History>) {
        if name == self.local {
            // This process itself, shown live already.
            return;
        }
        let now = Instant::now();
        let mut nodes = lock(&self.nodes);
        self.expire(&mut nodes, now, history);
        // This process takes one of the places.
        if !nodes.contains_key(&name) && nodes.len() + 1 >= self.max_nodes {
            self.counters.refused_nodes.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        lock(history).update(&name, &process, now);
        nodes.insert(
            name,
            Entry {
                process: Arc::new(process),
                at: now,
            },
        );
    }

    /// This process (read now) first, then every node gathered, by name.
    pub(super) fn view(&self, history: &Mutex<History>) -> View {
        let now = Instant::now();
        let mut nodes = lock(&self.nodes);
        self.expire(&mut nodes, now, history);
        let mut shown = vec![Shown {
            node: self.local.clone(),
            process: Arc::new(Process::local()),
            age_ms: None,
        }];
        let mut others: Vec<Shown> = nodes
            .iter()
            .map(|(name, entry)| Shown {
                node: name.clone(),
                process: entry.process.clone(),
                age_ms: Some(now.saturating_duration_since(entry.at).as_millis() as u64),
            })
            .collect();
        drop(nodes);
        others.sort_by(|a, b| a.node.cmp(&b.node));
        shown.extend(others);
        View {
            shown,
            cluster: Some(self.status()),
        }
    }

    fn status(&self) -> ClusterStatus {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ClusterStatus {
            received: count(&self.counters.received),
            malformed: count(&self.counters.malformed),
            oversized: count(&self.counters.oversized),
            dropped: count(&self.counters.dropped),
            refused_nodes: count(&self.counters.refused_nodes),
            expired: count(&self.counters.expired),
            stale_after_ms: self.stale_after.as_millis() as u64,
            max_nodes: self.max_nodes as u64,
        }
    }
}

/// A console's gathering: the subscription, and the thread that decodes what arrives.
pub(super) struct Gathering {
    pub(super) gathered: Arc<Gathered>,
    node: Node,
    subject: String,
    pub(super) thread: JoinHandle<()>,
}

impl std::fmt::Debug for Gathering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gathering")
            .field("subject", &self.subject)
            .field("status", &self.gathered.status())
            .finish()
    }
}

impl Gathering {
    /// Subscribes through `cluster`'s node and starts the decoding thread, which ends
    /// when `stopping` is set.
    pub(super) fn start(
        cluster: &Cluster,
        history: Arc<Mutex<History>>,
        stopping: Arc<AtomicBool>,
    ) -> Result<Gathering, NatsError> {
        if cluster.max_nodes == 0 {
            return Err(NatsError::Invalid {
                what: "console node bound",
                value: "0".to_owned(),
                reason: "a console shows at least its own process".to_owned(),
            });
        }
        let node = cluster.node.clone();
        let gathered = Arc::new(Gathered {
            local: node.name().to_owned(),
            stale_after: cluster.stale_after,
            max_nodes: cluster.max_nodes,
            nodes: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        });
        let (queue, arrived) = bounded::<(String, Bytes)>(QUEUED);
        let thread = {
            let gathered = gathered.clone();
            let node = node.clone();
            thread::Builder::new()
                .name("actor-console-gather".to_owned())
                .spawn(move || gather(&node, &gathered, &arrived, &history, &stopping))
                .map_err(|e| NatsError::Thread {
                    what: "console gatherer",
                    reason: e.to_string(),
                })?
        };
        let subject = node.core().subjects.consoles();
        let counted = gathered.clone();
        let max_bytes = cluster.max_bytes;
        // On the connection's thread: nothing here waits or decodes.
        let forward = Box::new(move |msg: async_nats::Message| {
            if msg.payload.len() > max_bytes {
                counted.counters.oversized.fetch_add(1, Ordering::Relaxed);
                return;
            }
            match queue.try_send((msg.subject.to_string(), msg.payload)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    counted.counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {}
            }
        });
        // The thread ends by itself once `stopping` is set, or now if this fails: the
        // forwarder (which holds the queue's sender) is dropped with the error.
        node.subscribe_own(subject.clone(), forward)?;
        Ok(Gathering {
            gathered,
            node,
            subject,
            thread,
        })
    }

    /// Unsubscribes; the thread ends at its next look at `stopping`.
    pub(super) fn stop(self) -> JoinHandle<()> {
        self.node.unsubscribe_own(&self.subject);
        self.thread
    }
}

/// The decoding thread: each snapshot that arrived, checked and taken in.
fn gather(
    node: &Node,
    gathered: &Gathered,
    arrived: &Receiver<(String, Bytes)>,
    history: &Mutex<History>,
    stopping: &AtomicBool,
) {
    while !stopping.load(Ordering::SeqCst) {
        match arrived.recv_timeout(Duration::from_millis(50)) {
            Ok((subject, payload)) => match open(node, &subject, &payload) {
                Ok((name, process)) => gathered.take(name, process, history),
                Err(why) => {
                    gathered.counters.malformed.fetch_add(1, Ordering::Relaxed);
                    log::debug!("console: a snapshot on `{subject}` was dropped: {why}");
                }
            },
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Reads a published snapshot: its node's name and its picture, or why not.
fn open(node: &Node, subject: &str, payload: &[u8]) -> Result<(String, Process), String> {
    let (head, start) = packet::open(payload).map_err(|e| e.to_string())?;
    let Head::Tell { route } = head else {
        return Err(format!("a {} packet, not a snapshot", head.kind()));
    };
    if route.message != FORMAT {
        return Err(format!(
            "the format `{}`, not `{FORMAT}`",
            route.message.chars().take(Limits::TEXT).collect::<String>()
        ));
    }
    let name = route.actor;
    if name.is_empty() || name.len() > Limits::TEXT {
        return Err(format!(
            "a node name of {} bytes (1 to {})",
            name.len(),
            Limits::TEXT
        ));
    }
    if node.core().subjects.console(name) != subject {
        return Err(format!(
            "node `{name}`'s snapshot on another node's subject"
        ));
    }
    let process: Process = codec::decode(&payload[start..]).map_err(|e| e.to_string())?;
    process.check()?;
    Ok((name.to_owned(), process))
}

/// The packet of `process`, the snapshot of the node `name`, in at most `max` bytes:
/// whole if it fits; else with as many actors as fit, the deepest mailboxes first, the
/// others counted in `left_out`; else (not even its drivers and waits fit) with its
/// actors, waits, refused waits and ended totals all left out.
pub(crate) fn packet(name: &str, process: Process, max: usize) -> Result<Vec<u8>, CodecError> {
    let route = Route {
        actor: name,
        message: FORMAT,
    };
    let head = Head::Tell { route };
    let build = |process: &Process| codec::to_vec(process).and_then(|b| packet::build(&head, &b));
    let whole = build(&process)?;
    if whole.len() <= max {
        return Ok(whole);
    }
    let mut rest = process;
    let mut actors = std::mem::take(&mut rest.actors);
    actors.sort_by_key(|actor| (Reverse(actor.mailbox), actor.id));
    let left_before = rest.left_out;
    let with = |n: usize| -> Result<Vec<u8>, CodecError> {
        let mut cut = rest.clone();
        cut.actors = actors[..n].to_vec();
        cut.actors.sort_by_key(|actor| actor.id);
        cut.left_out = left_before + (actors.len() - n) as u64;
        build(&cut)
    };
    let smallest = with(0)?;
    if smallest.len() > max {
        let bare = Process {
            dead_letters: rest.dead_letters,
            drivers: rest.drivers.clone(),
            left_out: left_before + actors.len() as u64,
            ..Process::default()
        };
        let bare_packet = build(&bare)?;
        if bare_packet.len() <= max {
            return Ok(bare_packet);
        }
        return build(&Process {
            dead_letters: rest.dead_letters,
            left_out: bare.left_out,
            ..Process::default()
        });
    }
    // The most actors that fit: `fits` fits, `fails` does not.
    let (mut fits, mut fails, mut best) = (0, actors.len(), smallest);
    while fails - fits > 1 {
        let mid = fits + (fails - fits) / 2;
        let packet = with(mid)?;
        if packet.len() <= max {
            fits = mid;
            best = packet;
        } else {
            fails = mid;
        }
    }
    Ok(best)
}

#[derive(Default)]
struct Published {
    published: AtomicU64,
    failed: AtomicU64,
}

/// A node publishing its process's snapshots, from
/// [`Node::publish_snapshots`]: it publishes until [`stop`](SnapshotPublisher::stop)
/// is called or it is dropped (both wait for its thread to end, at most one publish).
///
/// Each period its thread reads the process's snapshot (the same read as `/api/snapshot`),
/// cuts it to [`MAX_SNAPSHOT_BYTES`] or the server's `max_payload`, whichever is smaller
/// (the actors with the deepest mailboxes are kept and the rest counted as left out,
/// which the console shows; if not even the drivers and waits fit, only the counts are
/// sent), and publishes it without waiting: a publish the connection cannot take now is
/// skipped and counted in [`failed`](SnapshotPublisher::failed).
#[derive(Debug)]
pub struct SnapshotPublisher {
    subject: String,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Published>,
}

impl std::fmt::Debug for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Published")
            .field("published", &self.published.load(Ordering::Relaxed))
            .field("failed", &self.failed.load(Ordering::Relaxed))
            .finish()
    }
}

impl SnapshotPublisher {
    pub(crate) fn start(node: &Node, period: Duration) -> Result<SnapshotPublisher, NatsError> {
        if period.is_zero() {
            return Err(NatsError::Invalid {
                what: "snapshot period",
                value: format!("{period:?}"),
                reason: "it must be longer than zero".to_owned(),
            });
        }
        let name = node.name().to_owned();
        let subject = node.core().subjects.console(&name);
        let link = node.link();
        let counts = Arc::new(Published::default());
        let (stop, stopped) = bounded::<()>(0);
        let thread = {
            let (subject, counts) = (subject.clone(), counts.clone());
            thread::Builder::new()
                .name("actor-console-publish".to_owned())
                .spawn(move || loop {
                    let max = link.max_payload().min(MAX_SNAPSHOT_BYTES);
                    let sent = packet(&name, Process::local(), max)
                        .map_err(Into::into)
                        .and_then(|packet| link.core().publish(subject.clone(), packet));
                    match sent {
                        Ok(()) => counts.published.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            log::debug!("console: a snapshot was not published: {e}");
                            counts.failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                    match stopped.recv_timeout(period) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                })
                .map_err(|e| NatsError::Thread {
                    what: "snapshot publisher",
                    reason: e.to_string(),
                })?
        };
        Ok(SnapshotPublisher {
            subject,
            stop: Some(stop),
            thread: Some(thread),
            counts,
        })
    }

    /// The subject it publishes on: `{prefix}.console.{node name}`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Snapshots published so far.
    pub fn published(&self) -> u64 {
        self.counts.published.load(Ordering::Relaxed)
    }

    /// Snapshots not published: the connection could not take them then.
    pub fn failed(&self) -> u64 {
        self.counts.failed.load(Ordering::Relaxed)
    }

    /// Stops publishing; returns once its thread has ended.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SnapshotPublisher {
    fn drop(&mut self) {
        self.shut();
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::Actor;
    use super::*;

    fn actor(id: u64, mailbox: u64) -> Actor {
        Actor {
            id,
            type_name: "app::Worker".to_owned(),
            name: format!("worker-{id}"),
            driver: None,
            parent: None,
            mailbox,
            timers: 0,
            handled: id * 10,
            panics: 0,
            restarts: 0,
            dead_letters: 0,
            handling_first: 9,
            handling_ns: vec![3, 0, 1],
            handling_sum_ns: 7,
        }
    }

    fn body(packet: &[u8]) -> Process {
        let (head, start) = packet::open(packet).unwrap();
        assert!(
            matches!(head, Head::Tell { route } if route.actor == "n1" && route.message == FORMAT)
        );
        codec::decode(&packet[start..]).unwrap()
    }

    #[test]
    fn a_snapshot_that_fits_goes_whole() {
        let process = Process {
            actors: (1..=5).map(|id| actor(id, id)).collect(),
            dead_letters: 3,
            ..Process::default()
        };
        let sent = packet("n1", process.clone(), MAX_SNAPSHOT_BYTES).unwrap();
        assert_eq!(body(&sent), process);
    }

    #[test]
    fn a_snapshot_over_the_bound_keeps_the_deepest_mailboxes_and_counts_the_rest() {
        // Mailbox depths 0..200, ids in another order.
        let process = Process {
            actors: (0..200).map(|i| actor(1000 - i, (i * 7) % 200)).collect(),
            ..Process::default()
        };
        let max = 2_000;
        let sent = packet("n1", process, max).unwrap();
        assert!(sent.len() <= max, "{} bytes", sent.len());
        let cut = body(&sent);
        assert!(!cut.actors.is_empty() && cut.actors.len() < 200);
        assert_eq!(cut.left_out as usize + cut.actors.len(), 200);
        let shallowest_kept = cut.actors.iter().map(|a| a.mailbox).min().unwrap();
        assert_eq!(shallowest_kept as usize, 200 - cut.actors.len());
        assert!(cut.actors.windows(2).all(|w| w[0].id < w[1].id), "by id");
        // One more actor would not have fitted.
        assert!(cut.check().is_ok());
    }

    #[test]
    fn a_thousand_busy_named_actors_fit_whole_in_the_default_bound() {
        let process = Process {
            actors: (0..1000)
                .map(|i| Actor {
                    type_name: "my_app::workers::ServiceWorker".to_owned(),
                    name: format!("service-worker-{i}"),
                    driver: Some((3, 2)),
                    parent: Some(7),
                    mailbox: 1_000,
                    handled: 1 << 40,
                    // Ten busy buckets, 1 µs to 1 ms, each past a billion.
                    handling_first: 10,
                    handling_ns: vec![1 << 30; 10],
                    handling_sum_ns: 1 << 50,
                    ..actor(100_000 + i, 0)
                })
                .collect(),
            ..Process::default()
        };
        let sent = packet("n1", process.clone(), MAX_SNAPSHOT_BYTES).unwrap();
        println!("1,000 actors: {} bytes", sent.len());
        assert!(body(&sent) == process, "cut: {} bytes", sent.len());
    }

    fn gathered(max_nodes: usize, stale_after: Duration) -> Gathered {
        Gathered {
            local: "here".to_owned(),
            stale_after,
            max_nodes,
            nodes: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    fn shown(gathered: &Gathered, history: &Mutex<History>) -> Vec<String> {
        let view = gathered.view(history);
        view.shown.into_iter().map(|shown| shown.node).collect()
    }

    #[test]
    fn past_the_node_bound_a_new_node_is_refused_and_a_known_one_still_taken() {
        let history = Mutex::new(History::default());
        let gathered = gathered(3, Duration::from_secs(600));
        for name in ["b", "a", "c", "a"] {
            gathered.take(name.to_owned(), Process::default(), &history);
        }
        // This process first, then by name; `c` came when `here`, `a` and `b` were shown.
        assert_eq!(shown(&gathered, &history), ["here", "a", "b"]);
        let status = gathered.status();
        assert_eq!((status.received, status.refused_nodes), (3, 1));
        // Its own snapshot, come back through the server, is not shown twice.
        gathered.take("here".to_owned(), Process::default(), &history);
        assert_eq!(shown(&gathered, &history), ["here", "a", "b"]);
    }

    #[test]
    fn a_node_is_forgotten_once_its_latest_snapshot_is_stale() {
        let history = Mutex::new(History::default());
        let gathered = gathered(8, Duration::ZERO);
        gathered.take("a".to_owned(), Process::default(), &history);
        assert!(lock(&history).node("a").is_some());
        assert_eq!(shown(&gathered, &history), ["here"]);
        assert_eq!(gathered.status().expired, 1);
        assert!(lock(&history).node("a").is_none(), "its history goes too");
    }

    #[test]
    fn a_histogram_travels_without_its_empty_ends() {
        let mut snapshot = crate::observe::snapshot();
        snapshot.actors.clear();
        let process = Process::of(&snapshot);
        assert!(process.actors.is_empty());
        let a = actor(1, 0);
        let buckets = a.buckets();
        assert_eq!((buckets[9], buckets[10], buckets[11]), (3, 0, 1));
        assert_eq!(buckets.iter().sum::<u64>(), 4);
        assert_eq!(a.quantile_ns(0.5), Some(1 << 10));
        let bad = Actor {
            handling_first: crate::observe::BUCKETS as u8,
            ..actor(2, 0)
        };
        let process = Process {
            actors: vec![bad],
            ..Process::default()
        };
        assert!(process.check().unwrap_err().contains("histogram"));
    }

    #[test]
    fn when_not_even_the_rest_fits_only_the_counts_go() {
        let process = Process {
            actors: (0..10).map(|i| actor(i, i)).collect(),
            refused: vec![
                super::super::model::Refused {
                    cycle: "x".repeat(200),
                    route: vec![],
                    ago_ms: 1,
                };
                10
            ],
            dead_letters: 9,
            ..Process::default()
        };
        let sent = packet("n1", process, 100).unwrap();
        assert!(sent.len() <= 100, "{} bytes", sent.len());
        let cut = body(&sent);
        assert!(cut.actors.is_empty() && cut.refused.is_empty());
        assert_eq!((cut.left_out, cut.dead_letters), (10, 9));
    }
}
