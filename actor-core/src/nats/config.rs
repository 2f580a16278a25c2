//! [`NodeConfig`]: which servers a node connects to, how it authenticates (token, user and
//! password, nkey seed or credentials file; TLS with its own CA and a client certificate),
//! and its subject prefix.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_nats::rustls::pki_types::pem::PemObject;
use async_nats::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use async_nats::rustls::{ClientConfig, RootCertStore};
use async_nats::ConnectOptions;

use super::error::NatsError;
use super::node::Node;
use crate::wire::{Limits, Workers};

/// The subject prefix of a node that was given none.
pub const DEFAULT_PREFIX: &str = "actors";

/// How many pings async-nats lets go unanswered before it drops a connection (its
/// `MAX_PENDING_PINGS`, fixed in the crate): the node spaces the client's pings so that
/// this count gives the bound [`NodeConfig::max_outstanding_pings`] asks for.
pub(crate) const CLIENT_MAX_PENDING_PINGS: usize = 2;

/// The longest the client waits between pings, whatever the settings.
const A_YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// How a [`Node`] connects: one or more server URLs, optional credentials and TLS, the
/// subject prefix that names its application's subjects, and how the node runs what it
/// serves. Build one, then [`connect`](NodeConfig::connect).
///
/// A prefix is naming, not isolation: anyone the server lets in on the same account can
/// subscribe to the node's subjects. Isolation is the server's work (accounts and
/// per-user permissions): see the README's "NATS trust model".
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
///
/// // Mutual TLS with a private CA, authenticated by a raw nkey seed. A CA file or a
/// // client certificate implies `require_tls(true)`: the node never talks in clear.
/// let seed = "SU...";  // a user's seed, checked when connecting
/// let config = NodeConfig::new(["nats://10.0.0.1:4222"])
///     .ca_file("/etc/nats/ca.pem")
///     .client_certificate("/etc/nats/warehouse.pem", "/etc/nats/warehouse-key.pem")
///     .nkey_seed(seed);
/// let shown = format!("{config:?}");
/// assert!(shown.contains("require_tls: true") && !shown.contains(seed));
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
    pub(crate) max_outstanding_pings: usize,
    pub(crate) max_outgoing: usize,
    pub(crate) tls: Tls,
}

#[derive(Clone)]
pub(crate) enum Auth {
    None,
    Token(String),
    UserPassword(String, String),
    NKeySeed(String),
    CredentialsFile(PathBuf),
}

/// The TLS settings of a node: its own root certificates, its client certificate, and
/// whether it refuses a connection without TLS.
#[derive(Clone, Default)]
pub(crate) struct Tls {
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) client_certificate: Option<(PathBuf, PathBuf)>,
    pub(crate) required: bool,
}

impl Tls {
    /// Whether the node refuses to talk to a server without TLS: asked for, or implied by
    /// a CA file or a client certificate (a node given either never falls back to
    /// plaintext).
    pub(crate) fn required(&self) -> bool {
        self.required || self.ca_file.is_some() || self.client_certificate.is_some()
    }
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
            max_outstanding_pings: CLIENT_MAX_PENDING_PINGS,
            max_outgoing: 4096,
            tls: Tls::default(),
        }
    }

    /// The first token(s) of every subject the node uses: nodes with different prefixes
    /// use different names and topics, so they do not answer each other's calls by
    /// mistake. This is naming, not isolation: a client on the same account may still
    /// subscribe to `{prefix}.>`. Keep applications apart with NATS accounts or
    /// per-user permissions (README, "NATS trust model"). Dot-separated tokens of
    /// printable ASCII, without wildcards.
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

    /// Authenticates with a user's raw nkey seed (`SU...`): the server knows the public
    /// key (`authorization { users: [{ nkey: U... }] }`) and the node signs its
    /// challenge. The seed is checked when connecting (a malformed one, or another kind
    /// of key's, is a [`NatsError::Trust`]) and never shown in `Debug` output or errors.
    pub fn nkey_seed(mut self, seed: &str) -> Self {
        self.auth = Auth::NKeySeed(seed.to_owned());
        self
    }

    /// Trusts the root certificates in the PEM file `path`, instead of the system's
    /// store, to verify the servers' certificates (a private CA). Implies
    /// [`require_tls`](NodeConfig::require_tls). The file is read and checked when
    /// connecting: a missing file or one without a usable certificate is a
    /// [`NatsError::Trust`].
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_file = Some(path.into());
        self
    }

    /// Presents the certificate chain in the PEM file `certificate`, with the private key
    /// in the PEM file `key`, to servers that verify their clients (mutual TLS,
    /// `tls { verify: true }`); the two may be one file holding both. Implies
    /// [`require_tls`](NodeConfig::require_tls). Both files are read and checked when
    /// connecting (a key that does not match the certificate included): a bad one is a
    /// [`NatsError::Trust`].
    pub fn client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.tls.client_certificate = Some((certificate.into(), key.into()));
        self
    }

    /// Refuses to talk to a server without TLS, whatever its URL's scheme: a plain
    /// server fails [`connect`](NodeConfig::connect) with [`NatsError::Connect`] instead
    /// of carrying the node's messages in clear. Default: off, unless a
    /// [`ca_file`](NodeConfig::ca_file) or a
    /// [`client_certificate`](NodeConfig::client_certificate) is given (a `tls://` URL,
    /// or a server that asks for TLS, uses it either way).
    pub fn require_tls(mut self, required: bool) -> Self {
        self.tls.required = required;
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

    /// How often the node pings the server, with
    /// [`max_outstanding_pings`](Self::max_outstanding_pings) the bound within which a
    /// partition that sends no TCP reset is noticed: `(max_outstanding_pings + 1) ×
    /// ping_interval`. From then on calls and tells fail at once, giving their message
    /// back, until the client has reconnected. Default: 2 s (with two outstanding pings,
    /// noticed within 6 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// How many pings may go unanswered before the connection is taken for dead and
    /// dropped (the client then reconnects). With
    /// [`ping_interval`](Self::ping_interval) `i` and this `n`, a silent partition is
    /// noticed within `(n + 1) × i`, as NATS clients count it; `0` drops a connection
    /// whose ping is not answered by the next one. Default: 2.
    ///
    /// async-nats fixes its own count at two, so the node reaches yours by spacing the
    /// client's pings: they go every `(n + 1) × i / 3` (never under a millisecond), and
    /// three ticks without an answer drop the connection, which is the same bound. What
    /// differs is only how many pings a slow but live connection may have in flight: a
    /// round trip longer than about `2 (n + 1) × i / 3` is also taken for a partition.
    ///
    /// ```
    /// use actor_core::nats::NodeConfig;
    /// use std::time::Duration;
    ///
    /// // A partition noticed within 1.5 s, whatever the traffic.
    /// let config = NodeConfig::new(["nats://127.0.0.1:4222"])
    ///     .ping_interval(Duration::from_millis(500))
    ///     .max_outstanding_pings(2);
    /// assert_eq!(config.partition_noticed_within(), Duration::from_millis(1500));
    /// ```
    pub fn max_outstanding_pings(mut self, max: usize) -> Self {
        self.max_outstanding_pings = max;
        self
    }

    /// The bound within which this node notices a partition that sends no TCP reset:
    /// `(max_outstanding_pings + 1) × ping_interval`, counted from the last thing heard
    /// from the server (to within a few nanoseconds of rounding; at least 3 ms, and at
    /// most three years, which is never).
    pub fn partition_noticed_within(&self) -> Duration {
        self.client_ping_interval()
            .saturating_mul(u32::try_from(CLIENT_MAX_PENDING_PINGS + 1).unwrap_or(u32::MAX))
    }

    /// The interval the client pings at, so that its fixed count of
    /// [`CLIENT_MAX_PENDING_PINGS`] outstanding pings gives the bound asked for: it drops
    /// the connection at the `CLIENT_MAX_PENDING_PINGS + 1`-th tick without an answer.
    /// At least a millisecond (no busy loop) and at most a year (a timer's deadline must
    /// not overflow: that is "never" for any connection).
    pub(crate) fn client_ping_interval(&self) -> Duration {
        let asked = self.ping_interval.saturating_mul(
            u32::try_from(self.max_outstanding_pings)
                .unwrap_or(u32::MAX)
                .saturating_add(1),
        );
        let ticks = u32::try_from(CLIENT_MAX_PENDING_PINGS + 1).unwrap_or(u32::MAX);
        (asked / ticks).clamp(Duration::from_millis(1), A_YEAR)
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

    /// Checks the nkey seed and the TLS files before connecting, so that a bad one is a
    /// clear [`NatsError::Trust`] rather than a failed handshake (or, for a seed, an
    /// anonymous connection: the client only logs a seed it cannot read).
    pub(crate) fn check_trust(&self) -> Result<(), NatsError> {
        if let Auth::NKeySeed(seed) = &self.auth {
            check_seed(seed)?;
        }
        let roots = match &self.tls.ca_file {
            Some(path) => Some(read_roots(path)?),
            None => None,
        };
        if let Some((certificate, key)) = &self.tls.client_certificate {
            check_client_certificate(certificate, key, roots.unwrap_or_else(RootCertStore::empty))?;
        }
        Ok(())
    }

    /// `options` with the node's TLS settings.
    pub(crate) fn with_tls(&self, mut options: ConnectOptions) -> ConnectOptions {
        if let Some(path) = &self.tls.ca_file {
            options = options.add_root_certificates(path.clone());
        }
        if let Some((certificate, key)) = &self.tls.client_certificate {
            options = options.add_client_certificate(certificate.clone(), key.clone());
        }
        options.require_tls(self.tls.required())
    }
}

/// A user's nkey seed, or why it is not one. The seed itself never appears in the error.
fn check_seed(seed: &str) -> Result<(), NatsError> {
    let invalid = |reason: String| NatsError::Trust {
        what: "nkey seed".to_owned(),
        reason,
    };
    let pair = nkeys::KeyPair::from_seed(seed.trim())
        .map_err(|e| invalid(format!("it is not an nkey seed ({e})")))?;
    if !pair.public_key().starts_with('U') {
        return Err(invalid(format!(
            "it is a seed of type {:?}, where a user's (`SU...`) is needed",
            pair.key_pair_type()
        )));
    }
    Ok(())
}

/// The root certificates in the PEM file at `path`, or why they cannot be used.
fn read_roots(path: &Path) -> Result<RootCertStore, NatsError> {
    let what = || format!("CA file `{}`", path.display());
    let certificates = read_certificates(path).map_err(|reason| NatsError::Trust {
        what: what(),
        reason,
    })?;
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|e| NatsError::Trust {
            what: what(),
            reason: format!("a certificate in it cannot be a root: {e}"),
        })?;
    }
    Ok(roots)
}

/// Every certificate in the PEM file at `path`; at least one.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    std::fs::metadata(path).map_err(|e| format!("it cannot be read: {e}"))?;
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|all| all.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("it is not a PEM file of certificates: {e}"))?;
    if certificates.is_empty() {
        return Err("it holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".to_owned());
    }
    Ok(certificates)
}

/// Whether the client certificate chain and its key can be presented: both readable, and
/// the key the certificate's.
fn check_client_certificate(
    certificate: &Path,
    key: &Path,
    roots: RootCertStore,
) -> Result<(), NatsError> {
    let chain = read_certificates(certificate).map_err(|reason| NatsError::Trust {
        what: format!("client certificate `{}`", certificate.display()),
        reason,
    })?;
    let key_error = |reason: String| NatsError::Trust {
        what: format!("client key `{}`", key.display()),
        reason,
    };
    std::fs::metadata(key).map_err(|e| key_error(format!("it cannot be read: {e}")))?;
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| key_error(format!("it holds no PEM private key: {e}")))?;
    let provider = Arc::new(async_nats::rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| key_error(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, private)
        .map_err(|e| {
            key_error(format!(
                "it cannot sign for the certificate `{}`: {e}",
                certificate.display()
            ))
        })?;
    Ok(())
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::UserPassword(..) => "user and password",
            Auth::NKeySeed(_) => "nkey seed",
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
            .field("max_outstanding_pings", &self.max_outstanding_pings)
            .field("max_outgoing", &self.max_outgoing)
            .field("ca_file", &self.tls.ca_file)
            .field("client_certificate", &self.tls.client_certificate)
            .field("require_tls", &self.tls.required())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pings(interval_ms: u64, max: usize) -> NodeConfig {
        NodeConfig::new(["nats://127.0.0.1:4222"])
            .ping_interval(Duration::from_millis(interval_ms))
            .max_outstanding_pings(max)
    }

    #[test]
    fn the_default_is_the_clients_own_count_at_the_nodes_interval() {
        let config = NodeConfig::new(["nats://127.0.0.1:4222"]);
        assert_eq!(config.max_outstanding_pings, CLIENT_MAX_PENDING_PINGS);
        assert_eq!(config.client_ping_interval(), config.ping_interval);
        assert_eq!(config.partition_noticed_within(), Duration::from_secs(6));
    }

    #[test]
    fn the_clients_three_unanswered_ticks_span_the_bound_asked_for() {
        for (interval_ms, max) in [(100, 0), (100, 1), (500, 2), (200, 5), (1000, 59)] {
            let config = pings(interval_ms, max);
            let bound = Duration::from_millis(interval_ms * (max as u64 + 1));
            let ticks = CLIENT_MAX_PENDING_PINGS as u32 + 1;
            let client = config.client_ping_interval();
            // The client notices at its third tick without an answer: what the node
            // states, within the bound and less than one of its ticks early (integer
            // division of nanoseconds).
            assert_eq!(config.partition_noticed_within(), client * ticks);
            assert!(
                client * ticks <= bound,
                "{interval_ms} ms, {max}: {client:?}"
            );
            assert!(
                bound - client * ticks < Duration::from_nanos(3),
                "{client:?}"
            );
        }
    }

    #[test]
    fn extreme_settings_neither_overflow_nor_ping_in_a_busy_loop() {
        let huge = NodeConfig::new(["nats://127.0.0.1:4222"])
            .ping_interval(Duration::MAX)
            .max_outstanding_pings(usize::MAX);
        assert_eq!(huge.client_ping_interval(), A_YEAR);
        assert_eq!(huge.partition_noticed_within(), A_YEAR * 3);
        // Below the clamp the stated bound is the real one, not what was asked.
        for tiny in [pings(0, 0), pings(1, 0)] {
            assert_eq!(tiny.client_ping_interval(), Duration::from_millis(1));
            assert_eq!(tiny.partition_noticed_within(), Duration::from_millis(3));
        }
    }
}
