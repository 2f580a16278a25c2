//! A `nats-server` of our own on a free loopback port, stopped when dropped (also when a
//! test fails). Shared by the NATS tests and `examples/nats.rs`.
//!
//! The binary is looked for in `$NATS_SERVER_BIN`, on `PATH`, in `/usr/sbin` and in
//! `/usr/local/bin`. A test that needs it and cannot find it fails, saying so: it never
//! passes by skipping.
#![allow(dead_code)] // each user takes a different part

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to start listening; expiry means it failed to start.
const STARTUP: Duration = Duration::from_secs(20);

/// A running `nats-server`, killed when dropped.
pub struct NatsServer {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    args: Vec<String>,
    child: Option<Child>,
}

impl NatsServer {
    /// A plain server.
    pub fn start() -> NatsServer {
        NatsServer::with(&[], "")
    }

    /// A server with extra command-line arguments (`--auth s3cret`) and configuration
    /// file lines (`max_payload: 4096`). Panics if it cannot start: a test that needs a
    /// server fails without one.
    pub fn with(args: &[&str], config: &str) -> NatsServer {
        NatsServer::try_with(args, config)
            .unwrap_or_else(|e| panic!("{e}; the NATS tests need it and never skip"))
    }

    /// A server run from the configuration file `config` alone (accounts, permissions,
    /// `tls { .. }`, operator JWTs): on a free loopback port, like every other.
    pub fn with_config(config: &str) -> NatsServer {
        NatsServer::with(&[], config)
    }

    /// A plain server, or why there is none.
    pub fn try_start() -> Result<NatsServer, String> {
        NatsServer::try_with(&[], "")
    }

    /// For the examples: the server the first argument or `$NATS_URL` names, or else a
    /// plain server of our own (stopped when the returned handle goes); says which on
    /// stdout. Returns the handle, if ours, and the URL to connect to.
    pub fn given_or_own() -> Result<(Option<NatsServer>, String), String> {
        let given = std::env::args()
            .nth(1)
            .or_else(|| std::env::var("NATS_URL").ok());
        Ok(match given {
            Some(url) => {
                println!("NATS at {url}");
                (None, url)
            }
            None => {
                let server = NatsServer::try_start()?;
                println!("NATS at {} (a nats-server of our own)", server.url());
                let url = server.url();
                (Some(server), url)
            }
        })
    }

    fn try_with(args: &[&str], config: &str) -> Result<NatsServer, String> {
        let binary = find_binary().ok_or(
            "nats-server was not found ($NATS_SERVER_BIN, PATH, /usr/sbin, /usr/local/bin): \
             install it (`apt-get install nats-server`)",
        )?;
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "actor-nats-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::Relaxed)
        ));
        let conf = dir.join("server.conf");
        fs::create_dir_all(&dir)
            .and_then(|()| fs::write(&conf, config))
            .map_err(|e| format!("writing the nats-server configuration: {e}"))?;
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(["-c".to_owned(), conf.display().to_string()]);
        let mut server = NatsServer {
            binary,
            dir,
            port: 0,
            args,
            child: None,
        };
        // A free port can be taken by someone else before the server binds it: retry.
        let mut failure = String::new();
        for _ in 0..5 {
            server.port = free_port();
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(e) => failure = e,
            }
        }
        Err(format!(
            "nats-server did not start on a free port after 5 tries ({failure}); its log:\n{}",
            server.log()
        ))
    }

    /// `nats://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, with the same settings.
    pub fn restart(&mut self) {
        self.kill();
        if let Err(e) = self.launch() {
            panic!(
                "nats-server did not restart on port {}: {e}; its log:\n{}",
                self.port,
                self.log()
            );
        }
    }

    /// Starts the server and waits until it greets a client with its INFO line.
    fn launch(&mut self) -> Result<(), String> {
        let log = fs::File::create(self.dir.join("server.log")).map_err(|e| e.to_string())?;
        let mut child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("could not run {}: {e}", self.binary.display()))?;
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("nats-server exited at start: {status}"));
            }
            if greets(self.port) {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("nats-server did not listen within {STARTUP:?}"));
            }
            // Readiness is polled: a connection attempt every few milliseconds.
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// What the server has written to its log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Whether a NATS server listens on `port` and sends its INFO line.
fn greets(port: u16) -> bool {
    let Ok(stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO ")
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// A loopback URL that no server listens on (refused at once).
pub fn dead_url() -> String {
    format!("nats://127.0.0.1:{}", free_port())
}

fn find_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NATS_SERVER_BIN") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/bin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How long a cluster's routes may take to join; expiry means they failed to.
const ROUTES: Duration = Duration::from_secs(30);

/// `nats-server`s on loopback joined by routes into one cluster, each with an HTTP
/// monitoring port; every one is killed when dropped (also when a test fails).
pub struct NatsCluster {
    /// The servers, in the order started; [`NatsServer::kill`] and
    /// [`NatsServer::restart`] work on each as on a lone server.
    pub servers: Vec<NatsServer>,
    monitors: Vec<u16>,
}

impl NatsCluster {
    /// `size` servers, each with `--routes` to every other's cluster port and one
    /// `--cluster_name`; returns once every server has a route to every other (polled on
    /// `/routez`, for at most [`ROUTES`]). Panics if they do not start or join: a test
    /// that needs a cluster fails without one.
    pub fn start(size: usize) -> NatsCluster {
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "actor-test-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed)
        );
        let routes: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let monitors: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let servers = (0..size)
            .map(|i| {
                let others: Vec<String> = (0..size)
                    .filter(|&j| j != i)
                    .map(|j| format!("nats://127.0.0.1:{}", routes[j]))
                    .collect();
                let args = [
                    "--cluster_name".to_owned(),
                    name.clone(),
                    "--cluster".to_owned(),
                    format!("nats://127.0.0.1:{}", routes[i]),
                    "--routes".to_owned(),
                    others.join(","),
                    "-m".to_owned(),
                    monitors[i].to_string(),
                ];
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                NatsServer::with(&args, "")
            })
            .collect();
        let cluster = NatsCluster { servers, monitors };
        cluster.wait_for_routes();
        cluster
    }

    /// Every server's client URL, the full list a node connects with.
    pub fn urls(&self) -> Vec<String> {
        self.servers.iter().map(NatsServer::url).collect()
    }

    /// The index of the server whose client port is `port`.
    pub fn index_of(&self, port: u16) -> Option<usize> {
        self.servers.iter().position(|s| s.port() == port)
    }

    /// How many other servers server `i` has a route to now (distinct `remote_id`s on
    /// its `/routez`); `None` if its monitoring port does not answer.
    pub fn routes_of(&self, i: usize) -> Option<usize> {
        let body = http_get(self.monitors[i], "/routez")?;
        let mut ids: Vec<&str> = body
            .split("\"remote_id\":")
            .skip(1)
            .filter_map(|rest| rest.split('"').nth(1))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Some(ids.len())
    }

    /// Waits (for at most [`ROUTES`]) until every running server has a route to every
    /// other running one; panics with each server's route count and log if not.
    pub fn wait_for_routes(&self) {
        let running: Vec<usize> = (0..self.servers.len())
            .filter(|&i| self.servers[i].child.is_some())
            .collect();
        let want = running.len().saturating_sub(1);
        let deadline = Instant::now() + ROUTES;
        loop {
            let counts: Vec<Option<usize>> = running.iter().map(|&i| self.routes_of(i)).collect();
            if counts.iter().all(|&c| c == Some(want)) {
                return;
            }
            if Instant::now() > deadline {
                let logs: Vec<String> = running.iter().map(|&i| self.servers[i].log()).collect();
                panic!(
                    "the cluster's routes did not join within {ROUTES:?}: routes per server \
                     {counts:?}, want {want} each; logs:\n{}",
                    logs.join("\n----\n")
                );
            }
            // Readiness is polled: a request to each monitoring port every few ms.
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The body of `GET path` on a loopback HTTP port, or `None` if it does not answer.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then(|| body.to_owned())
}
