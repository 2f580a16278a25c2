//! [`Node`]: a process's place on the NATS system. It serves actors and functions by
//! name, reaches the ones served anywhere else, and carries its share of the cluster's
//! publish/subscribe.
//!
//! Serving: each served name is one subscription, in a queue group named after it, so
//! the server hands each request to exactly one of the nodes serving that name. Each
//! request takes the wire's shared request path where it arrives (`serve.rs`): a tell to
//! an actor is posted to its mailbox there and then, without waiting (so tells keep
//! their order); a call, or a tell to a function, goes to the bounded pool, whose worker
//! runs it and publishes the reply (or the fault that took its place) to the call's reply
//! subject.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_nats::Message as NatsMessage;

use super::config::NodeConfig;
use super::error::NatsError;
use super::link::{Core, NatsLink};
use super::pubsub::NatsPubSub;
use super::runtime::{Forward, Subscription};
use super::serve::Serving;
use super::subject::token;
use crate::actor::Actor;
use crate::handle::Addr;
use crate::pubsub::PubSub;
use crate::sync::lock;
use crate::wire::codec::RemoteMessage;
use crate::wire::{CodecError, Exposed, Load, RemoteActor, RemoteAddr, RemoteError, WireError};

/// A process's connection to a NATS system, from which it serves actors by name and
/// reaches actors served by any other node, on this machine or another.
///
/// - **Serving**: [`serve`](Node::serve) (or [`serve_with`](Node::serve_with),
///   [`function`](Node::function)) exposes a local actor under a name. Any number of
///   nodes may serve the same name: together they form a worker pool (a NATS queue
///   group), and each request goes to exactly one of them.
/// - **Calling**: [`remote`](Node::remote) gives a typed [`RemoteAddr`] whose `call` and
///   `tell` look like a local [`Addr`]'s; see [`NatsLink`] for how each failure shows.
/// - **Publish/subscribe**: [`pubsub`](Node::pubsub) extends [`PubSub`] to every node.
///
/// The API is blocking, like the rest of the framework: the async NATS client runs on
/// one private thread of the node's own. Cheap to clone; clones share the connection.
/// Dropping every handle to the node stops its serving; the connection closes (after
/// sending what was published) once its links and remote handles are gone too.
/// [`close`](Node::close) does both at once.
///
/// ```no_run
/// use actor_core::prelude::*;
/// use actor_core::nats::Node;
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// struct Product(i64);
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = Vec<i64>)]
/// struct GetInventory;
///
/// #[derive(Default)]
/// struct Warehouse { inventory: Vec<i64> }
///
/// #[actor(remote)] // also lists the handlers, for `serve`
/// impl Warehouse {
///     #[handles(GetInventory)]
///     fn on_get(&mut self, _: GetInventory) -> Vec<i64> { self.inventory.clone() }
///     #[handles(Product)]
///     fn on_product(&mut self, p: Product) { self.inventory.push(p.0) }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // On one machine:
/// let node = Node::connect("nats://10.0.0.1:4222")?;
/// node.serve("warehouse", &Warehouse::default().spawn())?;
///
/// // On any other:
/// let node = Node::connect("nats://10.0.0.1:4222")?;
/// let warehouse = node.remote::<Warehouse>("warehouse");
/// warehouse.tell(Product(2))?;
/// warehouse.tell(Product(4))?;
/// assert_eq!(warehouse.call(GetInventory, Duration::from_secs(5))?, [2, 4]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    /// Its name: [`NodeConfig::client_name`], or `node-{pid}-{n}`.
    name: String,
    link: NatsLink,
    /// What is served, the pool that runs it, the topic dispatcher.
    serving: Arc<Serving>,
    /// Subject -> its subscription. Dropping one unsubscribes and ends its forwarding
    /// task; when the last is gone, so are the topic dispatcher and the workers.
    subscriptions: Mutex<HashMap<String, Subscription>>,
    /// The local end of the cluster's publish/subscribe.
    local: PubSub,
}

/// A message for the topic dispatcher thread.
pub(crate) enum Incoming {
    /// On a topic's subject.
    Topic { topic: Arc<Topic>, msg: NatsMessage },
}

/// A topic this node subscribes to: the message type's wire name, and how to decode a
/// body and publish it to the local subscribers.
pub(crate) struct Topic {
    pub(crate) message: &'static str,
    pub(crate) deliver: Box<Deliver>,
}

/// Decodes a topic's body and publishes it to the local subscribers.
pub(crate) type Deliver = dyn Fn(&[u8]) -> Result<(), CodecError> + Send + Sync;

impl Node {
    /// Connects to the NATS server at `url` (`nats://host:port`) with the default
    /// [`NodeConfig`].
    pub fn connect(url: &str) -> Result<Node, NatsError> {
        Node::connect_with(NodeConfig::new([url]))
    }

    /// Connects as `config` says: tries its servers until one answers (each for at most
    /// its connect timeout) and fails at once with the reason if none does. Once
    /// connected, a lost server is reconnected to (or another of the list) for as long as
    /// the node lives.
    pub fn connect_with(config: NodeConfig) -> Result<Node, NatsError> {
        let core = Arc::new(Core::connect(&config)?);
        let serving = Serving::start(
            config.workers,
            config.limits,
            core.ops(),
            core.client().clone(),
            core.calls().clone(),
        )
        .map_err(|e| NatsError::Thread {
            what: "workers",
            reason: e.to_string(),
        })?;
        static CONNECTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = match &config.client_name {
            Some(name) => name.clone(),
            None => format!(
                "node-{}-{}",
                std::process::id(),
                CONNECTED.fetch_add(1, Ordering::Relaxed) + 1
            ),
        };
        Ok(Node {
            inner: Arc::new(Inner {
                name,
                link: NatsLink::new(core),
                serving: Arc::new(serving),
                subscriptions: Mutex::new(HashMap::new()),
                local: PubSub::new(),
            }),
        })
    }

    /// Serves `addr` as `name`, with every handler its [`RemoteActor`] impl lists (which
    /// `#[actor(remote)]` writes).
    ///
    /// If the node is connected, this returns once the server has the subscription: a
    /// call made after it, from any process, reaches the actor. If it is reconnecting,
    /// serving starts when it is back. Serving a name again (or another actor under it)
    /// adds its handlers; the subscription stays the one it was.
    pub fn serve<A: RemoteActor>(&self, name: &str, addr: &Addr<A>) -> Result<(), NatsError> {
        self.serve_with(name, addr, A::expose_handlers)
    }

    /// Serves `addr` as `name`, with the handlers `handlers` registers: chain
    /// [`handle::<M>()`](Exposed::handle) for each message type remote callers may send.
    /// Every handler is registered before the subscription is made, so no request finds
    /// the name half served.
    ///
    /// ```no_run
    /// # use actor_core::prelude::*;
    /// # use actor_core::nats::Node;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Message, Serialize, Deserialize)]
    /// # #[message(reply = u64)]
    /// # struct Count;
    /// # #[derive(Default)]
    /// # struct Counter(u64);
    /// # #[actor]
    /// # impl Counter {
    /// #     #[handles(Count)]
    /// #     fn count(&mut self, _: Count) -> u64 { self.0 += 1; self.0 }
    /// # }
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::connect("nats://127.0.0.1:4222")?;
    /// node.serve_with("counter", &Counter::default().spawn(), |exposed| exposed.handle::<Count>())?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn serve_with<A, F>(&self, name: &str, addr: &Addr<A>, handlers: F) -> Result<(), NatsError>
    where
        A: Actor,
        F: for<'d> FnOnce(Exposed<'d, A>) -> Exposed<'d, A>,
    {
        // Two message types of one wire name: refused before anything is subscribed.
        let _registered = handlers(Exposed::new(&self.inner.serving.table, name, addr)).check()?;
        self.listen(name)
    }

    /// Serves `M` as `name` with a plain function, run on the node's workers: calls to
    /// it run in parallel, as many as there are workers. Several functions (and an actor)
    /// may share a name if they take different messages.
    pub fn function<M, F>(&self, name: &str, f: F) -> Result<(), NatsError>
    where
        M: RemoteMessage,
        F: Fn(M) -> M::Reply + Send + Sync + 'static,
    {
        self.inner.serving.table.function(name, f)?;
        self.listen(name)
    }

    /// Stops serving `name` here (other nodes serving it go on); whether it was served.
    /// If the node is connected, this returns once the server has dropped the
    /// subscription: a call made after it no longer reaches this node.
    pub fn withdraw(&self, name: &str) -> bool {
        let subject = self.core().subjects.actor(name);
        let subscription = self.subscriptions().remove(&subject);
        if let Some(subscription) = subscription {
            self.core().unsubscribe(subscription);
            if self.is_connected() {
                // Not confirmed in time: the server still drops it, a little later.
                let _ = self.core().round_trip(self.core().confirm_timeout);
            }
        }
        // Only now: a request that came meanwhile was still served.
        self.inner.serving.table.withdraw(name)
    }

    /// What this node serves: each name with the wire names of the messages it takes,
    /// sorted.
    pub fn served(&self) -> Vec<(String, Vec<&'static str>)> {
        self.inner.serving.table.exposed()
    }

    /// A typed handle to the actor served as `name` by any node of the system (this one
    /// included).
    pub fn remote<A: Actor>(&self, name: &str) -> RemoteAddr<A, NatsLink> {
        self.inner.link.remote(name)
    }

    /// Sends `msg` to the actor served as `name` and waits up to `timeout` for its typed
    /// reply; see [`NatsLink::call`].
    pub fn call<M: RemoteMessage>(
        &self,
        name: &str,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, RemoteError<M>> {
        self.inner.link.call(name, msg, timeout)
    }

    /// Sends `msg` to the actor served as `name` without waiting.
    pub fn tell<M: RemoteMessage>(&self, name: &str, msg: M) -> Result<(), RemoteError<M>> {
        self.inner.link.tell(name, msg)
    }

    /// The node's calling side, to build [`RemoteAddr`]s on.
    pub fn link(&self) -> NatsLink {
        self.inner.link.clone()
    }

    /// The cluster-wide publish/subscribe of this node.
    pub fn pubsub(&self) -> NatsPubSub {
        NatsPubSub::new(self.clone())
    }

    /// Waits up to `timeout` until the server has handled everything this node sent
    /// before (the subscriptions of names served and topics subscribed included), waiting
    /// for the client to reconnect if it must: after it, the node is connected and serves
    /// again. A message to the node's own inbox and back.
    pub fn flush(&self, timeout: Duration) -> Result<(), NatsError> {
        self.core().round_trip(timeout)
    }

    /// Whether the client is connected to a server now (rather than reconnecting, or
    /// closed).
    pub fn is_connected(&self) -> bool {
        self.core().is_connected()
    }

    /// The server this node is connected to now, as `host:port` from its last INFO (a
    /// reconnect to another server of the list changes it); `None` while the client is
    /// reconnecting or closed. For logs and tests that need to know which server to kill.
    pub fn connected_server(&self) -> Option<String> {
        if !self.is_connected() {
            return None;
        }
        let info = self.core().client().server_info();
        Some(format!("{}:{}", info.host, info.port))
    }

    /// The largest payload the server takes, in bytes (its `max_payload`).
    pub fn max_payload(&self) -> usize {
        self.inner.link.max_payload()
    }

    /// The node's name: its [`NodeConfig::client_name`] if it was given one, else
    /// `node-{process id}-{n}` (`n` counting the nodes this process connected). A console
    /// gathering a cluster shows each process under its node's name, so give each node a
    /// name of its own.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Publishes this process's [`Snapshot`](crate::observe::Snapshot) every `period`
    /// (the first at once) on `{prefix}.console.{name}`, for a console that gathers the
    /// cluster ([`console::Cluster`](crate::console::Cluster)); until the returned
    /// publisher is stopped or dropped. Features `nats` and `console`.
    ///
    /// A thread of its own reads and publishes: no actor waits for it, and a publish
    /// the connection cannot take now (reconnecting, its outgoing queue full) is skipped
    /// and counted ([`SnapshotPublisher::failed`](crate::console::SnapshotPublisher::failed)),
    /// the next one follows at its time. A snapshot over
    /// [`MAX_SNAPSHOT_BYTES`](crate::console::MAX_SNAPSHOT_BYTES) (or the server's
    /// `max_payload`, if smaller) is cut to fit: the actors with the deepest mailboxes
    /// are kept, the others are counted as left out; see
    /// [`SnapshotPublisher`](crate::console::SnapshotPublisher). A zero `period` is refused.
    ///
    /// ```no_run
    /// use actor_core::nats::NodeConfig;
    /// use std::time::Duration;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = NodeConfig::new(["nats://127.0.0.1:4222"]).client_name("web-1").connect()?;
    /// let publisher = node.publish_snapshots(Duration::from_secs(1))?;
    /// assert_eq!(publisher.subject(), "actors.console.web-1");
    /// // ... the process runs; a console elsewhere shows its actors under `web-1`.
    /// publisher.stop();
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "console")]
    pub fn publish_snapshots(
        &self,
        period: Duration,
    ) -> Result<crate::console::SnapshotPublisher, NatsError> {
        crate::console::SnapshotPublisher::start(self, period)
    }

    /// The subject prefix of this node.
    pub fn prefix(&self) -> &str {
        self.core().subjects.prefix()
    }

    /// The subject that requests to the actor served as `name` go to:
    /// `{prefix}.actor.{name}`, with the name escaped as one token.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = actor_core::nats::NodeConfig::new(["nats://127.0.0.1:4222"]).prefix("shop").connect()?;
    /// assert_eq!(node.subject_of("cart"), "shop.actor.cart");
    /// assert_eq!(node.subject_of("cart.eu"), "shop.actor.cart~2Eeu");
    /// # Ok(())
    /// # }
    /// ```
    pub fn subject_of(&self, name: &str) -> String {
        self.core().subjects.actor(name)
    }

    /// The most recent bad input the node survived (packets that did not decode,
    /// messages for names it does not serve, tells it could not deliver, replies for
    /// calls it never made), oldest first, at most 64.
    pub fn anomalies(&self) -> Vec<WireError> {
        self.core().calls().anomalies.recent()
    }

    /// How many anomalies there have been in all.
    pub fn anomaly_count(&self) -> u64 {
        self.core().calls().anomalies.count()
    }

    /// What the node's serving side is carrying now (requests queued for its workers,
    /// running), and what it has refused so far; the connection counts are always 0.
    pub fn load(&self) -> Load {
        let counters = &self.inner.serving.counters;
        let mut load = Load::default();
        load.queued = counters.queued.load(Ordering::Acquire);
        load.running = counters.running.load(Ordering::Acquire);
        load.refused_requests = counters.refused_requests.load(Ordering::Relaxed);
        load
    }

    /// Stops serving, releases every waiting caller at once, sends what was published
    /// (waiting a few seconds at most) and closes the connection. Later calls on this
    /// node (and its links and remote handles) fail at once. Idempotent. Calls served
    /// here that are still running lose their replies; [`close_within`](Node::close_within)
    /// lets them finish first.
    pub fn close(&self) {
        self.close_within(Duration::ZERO);
    }

    /// [`close`](Node::close), but the calls this node is serving (queued or running on
    /// its workers) get up to `drain` to finish and send their replies first: serving
    /// stops at once (the server sends no new request here), then the node waits for its
    /// workers to be idle or `drain` to pass, then closes. Idempotent.
    pub fn close_within(&self, drain: Duration) {
        let subscriptions = std::mem::take(&mut *self.subscriptions());
        if !subscriptions.is_empty() {
            for (_, subscription) in subscriptions {
                self.core().unsubscribe(subscription);
            }
            // Once the server has dropped them, no request goes to a node that is gone
            // (the server would notice the closed connection only a little later).
            if self.is_connected() {
                let _ = self.core().round_trip(self.core().confirm_timeout);
            }
        }
        if !drain.is_zero() {
            let deadline = Instant::now().checked_add(drain);
            let idle = deadline.is_none_or(|deadline| self.inner.serving.wait_idle(deadline));
            if idle && self.is_connected() {
                // The replies the workers queued have reached the server.
                let _ = self.core().round_trip(self.core().confirm_timeout);
            }
        }
        self.core().close("the node was closed");
    }

    pub(crate) fn core(&self) -> &Core {
        self.inner.link.core()
    }

    pub(crate) fn local(&self) -> &PubSub {
        &self.inner.local
    }

    fn subscriptions(&self) -> MutexGuard<'_, HashMap<String, Subscription>> {
        lock(&self.inner.subscriptions)
    }

    /// Subscribes to the subject of the actor served as `name`, in its queue group.
    fn listen(&self, name: &str) -> Result<(), NatsError> {
        let subject = self.core().subjects.actor(name);
        let served: Arc<str> = name.into();
        let queue = token(&served);
        let serving = self.inner.serving.clone();
        let forward: Forward = Box::new(move |msg| serving.request(&served, msg));
        let listened = self.subscribe_with(subject, Some(queue), forward, false);
        if let Err(NatsError::Forbidden { .. }) = &listened {
            // Nothing can reach the name here: not served at all.
            self.inner.serving.table.withdraw(name);
        }
        listened
    }

    /// Subscribes to a topic's `subject` once (a second time is a no-op), handing its
    /// messages to the topic dispatcher as `wrap` makes them; then, if connected, waits
    /// until the server has the subscription.
    pub(crate) fn subscribe(
        &self,
        subject: String,
        queue: Option<String>,
        wrap: impl Fn(NatsMessage) -> Incoming + Send + 'static,
    ) -> Result<(), NatsError> {
        let serving = self.inner.serving.clone();
        let forward: Forward = Box::new(move |msg| serving.topic(wrap(msg)));
        self.subscribe_with(subject, queue, forward, false)
    }

    /// Subscribes to `subject`, handing its messages to `forward` on the runtime thread
    /// (which must not wait); refused if the node is already subscribed to it. Then, if
    /// connected, waits until the server has the subscription.
    #[cfg(feature = "console")]
    pub(crate) fn subscribe_own(&self, subject: String, forward: Forward) -> Result<(), NatsError> {
        self.subscribe_with(subject, None, forward, true)
    }

    /// Ends the subscription to `subject` made with `subscribe_own`.
    #[cfg(feature = "console")]
    pub(crate) fn unsubscribe_own(&self, subject: &str) {
        let subscription = self.subscriptions().remove(subject);
        if let Some(subscription) = subscription {
            self.core().unsubscribe(subscription);
        }
    }

    /// Subscribes to `subject` once (a second time is a no-op), handing its messages to
    /// `forward` on the runtime thread; then, if connected, waits until the server has
    /// the subscription.
    fn subscribe_with(
        &self,
        subject: String,
        queue: Option<String>,
        forward: Forward,
        exclusive: bool,
    ) -> Result<(), NatsError> {
        let new = {
            let mut subscriptions = self.subscriptions();
            match subscriptions.entry(subject.clone()) {
                Entry::Vacant(entry) => {
                    let subscription = self.core().subscribe(entry.key(), queue, forward)?;
                    entry.insert(subscription);
                    true
                }
                Entry::Occupied(entry) if exclusive => {
                    return Err(NatsError::Subscribe {
                        subject: entry.key().clone(),
                        reason:
                            "the node is already subscribed to it (another console gathers there)"
                                .to_owned(),
                    });
                }
                Entry::Occupied(_) => false,
            }
        };
        if self.is_connected() {
            self.core().round_trip(self.core().confirm_timeout)?;
            // A subscription the server refused (the user's permissions do not allow
            // it) would otherwise look served and never receive anything.
            // Only the caller that made the subscription looks: a second caller for the
            // same subject (already subscribed) must not take the first one's answer.
            let refusal = new
                .then(|| self.core().calls().take_refusal(&subject))
                .flatten();
            if let Some(refusal) = refusal {
                {
                    let subscription = self.subscriptions().remove(&subject);
                    if let Some(subscription) = subscription {
                        self.core().unsubscribe(subscription);
                    }
                }
                return Err(NatsError::Forbidden {
                    subject,
                    reason: refusal,
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.name())
            .field("servers", &self.core().servers)
            .field("prefix", &self.prefix())
            .field("connected", &self.is_connected())
            .field("served", &self.served())
            .finish()
    }
}
