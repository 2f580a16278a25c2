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
//! A sampler thread reads a [`Snapshot`](crate::observe::Snapshot) twice a second for the
//! rates and histories; nothing is added to the message path beyond the per-actor figures
//! every observing feature keeps (see [`crate::observe`]).
//!
//! ```
//! let console = actor_core::console::serve("127.0.0.1:0").unwrap();
//! println!("console at {}", console.url());
//! console.stop();
//! ```

mod history;
mod http;
mod render;

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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            token: None,
            max_connections: 8,
            read_timeout: Duration::from_secs(5),
            sample_every: Duration::from_millis(500),
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
    let sampler = {
        let (stopping, history, every) = (stopping.clone(), history.clone(), options.sample_every);
        thread::Builder::new()
            .name("actor-console-sampler".to_owned())
            .spawn(move || history::sample(&history, &stopping, every))?
    };
    let server = http::Server {
        token: options.token.clone(),
        max_connections: options.max_connections,
        timeout: options.read_timeout,
        history,
        stopping: stopping.clone(),
    };
    let acceptor = match thread::Builder::new()
        .name("actor-console".to_owned())
        .spawn(move || server.accept(listener))
    {
        Ok(acceptor) => acceptor,
        Err(e) => {
            // The sampler is already running: it ends at its next look.
            stopping.store(true, Ordering::SeqCst);
            return Err(e);
        }
    };
    Ok(Console {
        addr,
        token: options.token,
        stopping,
        threads: vec![acceptor, sampler],
    })
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
        if self.stopping.swap(true, Ordering::SeqCst) {
            return;
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
