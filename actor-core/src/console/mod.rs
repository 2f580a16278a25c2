//! Feature `console`: a live view of the running actor system, in any browser.
//!
//! [`serve`] starts a small HTTP/1.1 server in the process (on a loopback address unless
//! told otherwise) that serves:
//!
//! - `/`: a page (HTML, CSS and JavaScript from the binary: no build step, no CDN) that
//!   updates every second: every actor (name, type, id, hosting, mailbox depth with a short
//!   history, messages per second, handler time p50/p99, restarts, panics), the
//!   supervision tree, each driver's thread utilisation, and every blocked wait as a
//!   wait-for graph, with the waits lately refused as cycles (deadlocks prevented) in red;
//! - `/api/snapshot`: the same data as JSON;
//! - `/metrics`: the figures in the Prometheus text format (version 0.0.4).
//!
//! The server is built not to be knocked over: at most [`Options::max_connections`]
//! connections are served at once (one more is told `503` and closed), a request head is
//! read within [`Options::read_timeout`] and up to 8 KiB (`408`, `431` else), only `GET`
//! and `HEAD` are served (`405`), and anything unparsable is a `400`. With
//! [`Options::token`] set, every request must carry it, as `?token=..` or
//! `Authorization: Bearer ..` (`401` else); the page passes its own on.
//!
//! With feature `nats` too, one console shows a whole cluster: each process's node
//! publishes its snapshot ([`Node::publish_snapshots`](crate::nats::Node::publish_snapshots),
//! a [`SnapshotPublisher`]), and a console given a [`Cluster`] ([`Options::cluster`])
//! gathers them, with every row under its node's name (a `node` field in the JSON, a
//! `node` label in `/metrics`). What arrives is bounded and checked as untrusted input:
//! see [`Cluster`] for the bounds and what happens past each. Each process's waits and
//! cycles show under its node; a wait across processes (a remote call) is not drawn as
//! an edge.
//!
//! A sampler thread reads a [`Snapshot`](crate::observe::Snapshot) twice a second for the
//! rates and histories; nothing is added to the message path beyond the per-actor figures
//! every observing feature keeps (see [`crate::observe`]).
//!
//! ```
//! let console = actor_core::console::serve("127.0.0.1:0").unwrap();
//! println!("console at {}", console.url());
//! console.stop();
//! ```

#[cfg(feature = "nats")]
mod cluster;
mod history;
mod http;
mod model;
mod render;

#[cfg(feature = "nats")]
pub use cluster::{Cluster, SnapshotPublisher, FORMAT, MAX_SNAPSHOT_BYTES};

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use history::History;

/// How the console serves.
#[derive(Debug, Clone)]
pub struct Options {
    /// A secret every request must carry (`?token=..` or `Authorization: Bearer ..`);
    /// `None`: anyone who reaches the address may look.
    pub token: Option<String>,
    /// Connections served at once; more are answered `503` and closed.
    pub max_connections: usize,
    /// How long a connection may take to send its request head, and a response to be
    /// written.
    pub read_timeout: Duration,
    /// How often the sampler reads the rates and histories.
    pub sample_every: Duration,
    /// Feature `nats`: also show every node that publishes its snapshots
    /// ([`Node::publish_snapshots`](crate::nats::Node::publish_snapshots)) under the
    /// cluster's prefix, gathered through this node; `None`: this process only.
    #[cfg(feature = "nats")]
    pub cluster: Option<Cluster>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            token: None,
            max_connections: 8,
            read_timeout: Duration::from_secs(5),
            sample_every: Duration::from_millis(500),
            #[cfg(feature = "nats")]
            cluster: None,
        }
    }
}

/// A running console: its address, and how to stop it (it stops when dropped, too).
#[derive(Debug)]
pub struct Console {
    addr: SocketAddr,
    token: Option<String>,
    stopping: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    #[cfg(feature = "nats")]
    gathering: Option<cluster::Gathering>,
}

/// Serves the console on `addr` (`"127.0.0.1:0"`: a free loopback port) with the default
/// [`Options`]: no token.
pub fn serve(addr: impl ToSocketAddrs) -> io::Result<Console> {
    serve_with(addr, Options::default())
}

/// Serves the console on `addr` with `options`.
///
/// ```
/// use actor_core::console::{self, Options};
///
/// let options = Options { token: Some("s3cret".to_owned()), ..Options::default() };
/// let console = console::serve_with("127.0.0.1:0", options).unwrap();
/// assert!(console.url().ends_with("/?token=s3cret"));
/// ```
pub fn serve_with(addr: impl ToSocketAddrs, options: Options) -> io::Result<Console> {
    if options.max_connections == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the console needs max_connections of at least 1",
        ));
    }
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let stopping = Arc::new(AtomicBool::new(false));
    let history = Arc::new(Mutex::new(History::default()));
    #[cfg(feature = "nats")]
    let gathering = match &options.cluster {
        Some(cluster) => Some(
            cluster::Gathering::start(cluster, history.clone(), stopping.clone()).map_err(|e| {
                stopping.store(true, Ordering::SeqCst);
                io::Error::other(e)
            })?,
        ),
        None => None,
    };
    let source = Arc::new(Source {
        #[cfg(feature = "nats")]
        local: options
            .cluster
            .as_ref()
            .map(|cluster| cluster.node.name().to_owned())
            .unwrap_or_default(),
        #[cfg(not(feature = "nats"))]
        local: String::new(),
        #[cfg(feature = "nats")]
        gathered: gathering.as_ref().map(|g| g.gathered.clone()),
    });
    let mut console = Console {
        addr,
        token: options.token.clone(),
        stopping: stopping.clone(),
        threads: Vec::new(),
        #[cfg(feature = "nats")]
        gathering,
    };
    // From here on, a failure stops what was started (the console is dropped).
    let sampler = {
        let (stopping, history, every) = (stopping.clone(), history.clone(), options.sample_every);
        let local = source.local.clone();
        thread::Builder::new()
            .name("actor-console-sampler".to_owned())
            .spawn(move || history::sample(&history, &local, &stopping, every))?
    };
    console.threads.push(sampler);
    let server = http::Server {
        token: options.token.clone(),
        max_connections: options.max_connections,
        timeout: options.read_timeout,
        history,
        source,
        stopping: stopping.clone(),
    };
    let acceptor = thread::Builder::new()
        .name("actor-console".to_owned())
        .spawn(move || server.accept(listener))?;
    console.threads.insert(0, acceptor);
    Ok(console)
}

/// Where the processes a console shows come from: this one, and (feature `nats`) the
/// nodes it gathers.
pub(crate) struct Source {
    /// This process's node name, or `""` without a cluster.
    local: String,
    #[cfg(feature = "nats")]
    gathered: Option<Arc<cluster::Gathered>>,
}

impl Source {
    /// Every process to show now.
    fn view(&self, history: &Mutex<History>) -> render::View {
        #[cfg(feature = "nats")]
        if let Some(gathered) = &self.gathered {
            return gathered.view(history);
        }
        let _ = history;
        render::View {
            shown: vec![render::Shown {
                node: self.local.clone(),
                process: Arc::new(model::Process::local()),
                age_ms: None,
            }],
            cluster: None,
        }
    }
}

impl Console {
    /// The address it listens on (the port chosen, for `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address, with the token if there is one.
    pub fn url(&self) -> String {
        match &self.token {
            Some(token) => format!("http://{}/?token={}", self.addr, http::encode(token)),
            None => format!("http://{}/", self.addr),
        }
    }

    /// Stops serving: the listener closes and the acceptor and the sampler end before
    /// this returns; a connection already being served finishes on its own thread, within
    /// its timeout.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        if self.stopping.swap(true, Ordering::SeqCst) && self.threads.is_empty() {
            return;
        }
        #[cfg(feature = "nats")]
        if let Some(gathering) = self.gathering.take() {
            self.threads.push(gathering.stop());
        }
        // Wakes the acceptor, blocked in `accept`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.shut();
    }
}
