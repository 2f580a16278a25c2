//! [`NodeConfig`]: which servers a node connects to, how it authenticates, and its subject
//! prefix.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::error::NatsError;
use super::node::Node;
use crate::wire::{Limits, Workers};

/// The subject prefix of a node that was given none.
pub const DEFAULT_PREFIX: &str = "actors";

/// How a [`Node`] connects: one or more server URLs, optional credentials, the subject
/// prefix that isolates applications sharing a server, and how the node runs what it
/// serves. Build one, then [`connect`](NodeConfig::connect).
///
/// ```
/// use actor_core::nats::NodeConfig;
/// use actor_core::wire::Workers;
/// use std::time::Duration;
///
/// let config = NodeConfig::new(["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"])
///     .prefix("shop.prod")
///     .token("s3cret")
///     .client_name("warehouse-1")
///     .workers(Workers::Pool(8))
///     .connect_timeout(Duration::from_secs(2));
/// assert_eq!(config.servers(), ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]);
/// // Debug output never shows a secret.
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct NodeConfig {
    pub(crate) servers: Vec<String>,
    pub(crate) prefix: String,
    pub(crate) auth: Auth,
    pub(crate) client_name: Option<String>,
    pub(crate) workers: Workers,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_reconnect_delay: Duration,
    pub(crate) inbox_prefix: String,
    pub(crate) limits: Limits,
    pub(crate) ping_interval: Duration,
    pub(crate) max_outgoing: usize,
}

#[derive(Clone)]
pub(crate) enum Auth {
    None,
    Token(String),
    UserPassword(String, String),
    CredentialsFile(PathBuf),
}

impl NodeConfig {
    /// A node of the NATS system reached through any of `servers` (`nats://host:port`, or
    /// `host:port`), with the [`DEFAULT_PREFIX`], no credentials, and a pool of four
    /// workers for the calls it serves.
    pub fn new<I, S>(servers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        NodeConfig {
            servers: servers.into_iter().map(Into::into).collect(),
            prefix: DEFAULT_PREFIX.to_owned(),
            auth: Auth::None,
            client_name: None,
            workers: Workers::Pool(4),
            connect_timeout: Duration::from_secs(5),
            max_reconnect_delay: Duration::from_secs(2),
            inbox_prefix: "_INBOX".to_owned(),
            limits: Limits::default(),
            ping_interval: Duration::from_secs(2),
            max_outgoing: 4096,
        }
    }

    /// The first token(s) of every subject the node uses: nodes with different prefixes
    /// never see each other's names or topics on a shared server. Dot-separated tokens
    /// of printable ASCII, without wildcards.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    /// Authenticates with a token (`nats-server --auth`).
    pub fn token(mut self, token: &str) -> Self {
        self.auth = Auth::Token(token.to_owned());
        self
    }

    /// Authenticates with a user name and password.
    pub fn user_password(mut self, user: &str, password: &str) -> Self {
        self.auth = Auth::UserPassword(user.to_owned(), password.to_owned());
        self
    }

    /// Authenticates with a `.creds` file (a user JWT and its nkey seed), read when
    /// connecting.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.auth = Auth::CredentialsFile(path.into());
        self
    }

    /// The connection's name, as the server's monitoring shows it.
    pub fn client_name(mut self, name: &str) -> Self {
        self.client_name = Some(name.to_owned());
        self
    }

    /// How the node runs the calls it serves: a pool of threads (the default is four) or
    /// a thread per request. Tells to actors are posted in arrival order either way.
    pub fn workers(mut self, workers: Workers) -> Self {
        self.workers = workers;
        self
    }

    /// How long to try each server when connecting, and the longest the node waits for
    /// the client to take a subscription or for the server to confirm one. Default: 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest pause between two attempts to reconnect to a server that went away:
    /// the first attempt is immediate, then the pause doubles from 10 ms up to this.
    /// Default: 2 s.
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.max_reconnect_delay = delay;
        self
    }

    /// The prefix of the node's reply subjects (`{inbox}.{unique id}.{call}`), for
    /// accounts whose permissions allow another one. Default: `_INBOX`.
    pub fn inbox_prefix(mut self, prefix: &str) -> Self {
        self.inbox_prefix = prefix.to_owned();
        self
    }

    /// What the node lets the requests it serves take: of its [`Limits`], these apply
    /// here: [`max_queued`](Limits::max_queued) (requests waiting for a worker of the
    /// pool; also tells waiting for room in one served actor's full mailbox, and topic
    /// messages waiting for delivery), [`max_threads`](Limits::max_threads) (request
    /// threads under [`Workers::PerRequest`]) and
    /// [`max_call_timeout`](Limits::max_call_timeout). Past them a call is answered at
    /// once with [`Fault::Unavailable`](crate::wire::Fault::Unavailable); a tell is
    /// dropped and recorded as an anomaly (its sender asked for no answer, so there is
    /// no one to give it back to). Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How often the client pings the server. A connection with more than two pings
    /// unanswered is dropped (async-nats fixes that count), so a partition that sends no
    /// TCP reset is noticed within three intervals; from then on calls and tells fail at
    /// once, giving their message back, until the client has reconnected. Default: 2 s
    /// (noticed within 6 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// How many messages (requests, tells, replies, publishes) may wait for the
    /// connection in the node's outgoing queue. Past it, a call or tell fails at once
    /// with [`WireError::Limit`](crate::wire::WireError::Limit), giving its message back,
    /// and a reply is dropped (its caller times out). Default: 4,096.
    pub fn max_outgoing(mut self, max: usize) -> Self {
        self.max_outgoing = max;
        self
    }

    /// The server URLs.
    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    /// Connects: see [`Node::connect_with`].
    pub fn connect(self) -> Result<Node, NatsError> {
        Node::connect_with(self)
    }

    /// The server list as one string, for messages.
    pub(crate) fn servers_text(&self) -> String {
        self.servers.join(", ")
    }
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::UserPassword(..) => "user and password",
            Auth::CredentialsFile(_) => "credentials file",
        };
        f.debug_struct("NodeConfig")
            .field("servers", &self.servers)
            .field("prefix", &self.prefix)
            .field("auth", &auth)
            .field("client_name", &self.client_name)
            .field("workers", &self.workers)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_reconnect_delay", &self.max_reconnect_delay)
            .field("inbox_prefix", &self.inbox_prefix)
            .field("limits", &self.limits)
            .field("ping_interval", &self.ping_interval)
            .field("max_outgoing", &self.max_outgoing)
            .finish()
    }
}
