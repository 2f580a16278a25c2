//! [`Node`]: a process's place on the NATS system. It serves actors and functions by
//! name, reaches the ones served anywhere else, and carries its share of the cluster's
//! publish/subscribe.
//!
//! Serving: each served name is one subscription, in a queue group named after it, so
//! the server hands each request to exactly one of the nodes serving that name. Every
//! incoming message is forwarded by the runtime thread to the node's dispatcher thread,
//! which decodes its head and does what the wire's DeMux reader does: a tell to an actor
//! is posted to its mailbox there and then (so tells keep their order); a call, or a
//! tell to a function, goes to a worker, which runs it through the DeMux's registry and
//! publishes the reply (or the fault that took its place) to the call's reply subject.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use async_nats::{Client, Message as NatsMessage, Subject};
use crossbeam_channel::Sender;
use tokio::sync::mpsc::UnboundedSender;

use super::config::NodeConfig;
use super::error::NatsError;
use super::link::{Calls, Core, NatsLink};
use super::packet;
use super::pubsub::NatsPubSub;
use super::runtime::{Forward, Op, Subscription};
use super::subject::token;
use crate::actor::Actor;
use crate::handle::Addr;
use crate::pubsub::PubSub;
use crate::sync::lock;
use crate::wire::codec::{Head, RemoteMessage, Route};
use crate::wire::{
    CodecError, DeMux, Endpoint, Exposed, Fault, RemoteActor, RemoteAddr, RemoteError, WireError,
    Workers,
};

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
    link: NatsLink,
    /// What is served, by name and message type; a DeMux with no threads of its own.
    registry: DeMux,
    /// To the dispatcher thread.
    dispatch: Sender<Incoming>,
    /// Subject -> its subscription. Dropping one unsubscribes and ends its forwarding
    /// task; when the last is gone, so are the dispatcher thread and the workers.
    subscriptions: Mutex<HashMap<String, Subscription>>,
    /// The local end of the cluster's publish/subscribe.
    local: PubSub,
}

/// A message for the dispatcher thread.
pub(crate) enum Incoming {
    /// On the subject of the actor served as `name`.
    Request { name: Arc<str>, msg: NatsMessage },
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
        let thread_failed = |what: &'static str| {
            move |e: std::io::Error| NatsError::Thread {
                what,
                reason: e.to_string(),
            }
        };
        // A thread-per-request DeMux starts no thread: here it is only a registry.
        let registry = DeMux::new(Workers::PerRequest).map_err(|e| NatsError::Thread {
            what: "registry",
            reason: e.to_string(),
        })?;
        let work = Work::start(config.workers).map_err(thread_failed("workers"))?;
        let dispatcher = Dispatcher {
            registry: registry.clone(),
            replier: Replier {
                ops: core.ops(),
                client: core.client().clone(),
                calls: core.calls().clone(),
            },
            work,
        };
        let (dispatch, incoming) = crossbeam_channel::unbounded();
        thread::Builder::new()
            .name("nats-dispatch".to_owned())
            .spawn(move || incoming.iter().for_each(|item| dispatcher.handle(item)))
            .map_err(thread_failed("dispatcher thread"))?;
        Ok(Node {
            inner: Arc::new(Inner {
                link: NatsLink::new(core),
                registry,
                dispatch,
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
    /// the name half served. A handler refused (another message type of its wire name
    /// under `name`: [`NatsError::Refused`]) fails the call, and nothing is subscribed.
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
        let _registered = handlers(self.inner.registry.expose(name, addr)).check()?;
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
        self.inner.registry.try_function(name, f)?;
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
        self.inner.registry.withdraw(name)
    }

    /// What this node serves: each name with the wire names of the messages it takes,
    /// sorted.
    pub fn served(&self) -> Vec<(String, Vec<&'static str>)> {
        self.inner.registry.exposed()
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

    /// The largest payload the server takes, in bytes (its `max_payload`).
    pub fn max_payload(&self) -> usize {
        self.inner.link.max_payload()
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

    /// Stops serving, releases every waiting caller at once, sends what was published
    /// (waiting a few seconds at most) and closes the connection. Later calls on this
    /// node (and its links and remote handles) fail at once. Idempotent.
    pub fn close(&self) {
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
        let name: Arc<str> = name.into();
        let queue = token(&name);
        self.subscribe(subject, Some(queue), move |msg| Incoming::Request {
            name: name.clone(),
            msg,
        })
    }

    /// Subscribes to `subject` once (a second time is a no-op), forwarding its messages
    /// to the dispatcher as `wrap` makes them; then, if connected, waits until the server
    /// has the subscription.
    pub(crate) fn subscribe(
        &self,
        subject: String,
        queue: Option<String>,
        wrap: impl Fn(NatsMessage) -> Incoming + Send + 'static,
    ) -> Result<(), NatsError> {
        {
            let mut subscriptions = self.subscriptions();
            if let Entry::Vacant(entry) = subscriptions.entry(subject) {
                let dispatch = self.inner.dispatch.clone();
                let forward: Forward = Box::new(move |msg| {
                    let _ = dispatch.send(wrap(msg));
                });
                let subscription = self.core().subscribe(entry.key(), queue, forward)?;
                entry.insert(subscription);
            }
        }
        if self.is_connected() {
            self.core().round_trip(self.core().confirm_timeout)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("servers", &self.core().servers)
            .field("prefix", &self.prefix())
            .field("connected", &self.is_connected())
            .field("served", &self.served())
            .finish()
    }
}

/// A job for a worker.
type Task = Box<dyn FnOnce() + Send>;

/// How the node runs calls: the `Workers` it was configured with.
enum Work {
    /// The pool's queue; the workers end when it goes with the dispatcher.
    Pool(Sender<Task>),
    PerRequest,
}

impl Work {
    fn start(workers: Workers) -> std::io::Result<Work> {
        match workers {
            Workers::Pool(threads) => {
                let (jobs, queue) = crossbeam_channel::unbounded::<Task>();
                for i in 0..threads.max(1) {
                    let queue = queue.clone();
                    thread::Builder::new()
                        .name(format!("nats-worker-{i}"))
                        .spawn(move || queue.iter().for_each(|job| job()))?;
                }
                Ok(Work::Pool(jobs))
            }
            Workers::PerRequest => Ok(Work::PerRequest),
        }
    }

    /// Runs `job` on a worker; the reason if it cannot.
    fn run(&self, job: Task) -> Result<(), String> {
        match self {
            // The workers outlive the queue's sender, so this cannot fail in practice.
            Work::Pool(jobs) => jobs
                .send(job)
                .map_err(|_| "the node's workers have stopped".to_owned()),
            Work::PerRequest => thread::Builder::new()
                .name("nats-request".to_owned())
                .spawn(job)
                .map(drop)
                .map_err(|e| format!("could not start a thread for the request: {e}")),
        }
    }
}

/// The dispatcher thread's state.
struct Dispatcher {
    registry: DeMux,
    replier: Replier,
    work: Work,
}

impl Dispatcher {
    fn handle(&self, item: Incoming) {
        match item {
            Incoming::Request { name, msg } => self.request(&name, msg),
            Incoming::Topic { topic, msg } => self.topic(&topic, msg),
        }
    }

    fn request(&self, name: &Arc<str>, msg: NatsMessage) {
        enum Action {
            Call {
                xid: u64,
                timeout: Duration,
                endpoint: Endpoint,
                message: String,
            },
            Tell(Endpoint),
            Refuse {
                xid: u64,
                fault: Fault,
            },
            Report(WireError),
        }
        let NatsMessage { payload, reply, .. } = msg;
        let (action, start) = match packet::open(&payload) {
            Ok((head, start)) => {
                let action = match head {
                    Head::Call {
                        xid,
                        timeout_ms,
                        route,
                    } => {
                        // The subject says which name; the head, which message.
                        let route = Route {
                            actor: name,
                            message: route.message,
                        };
                        match self.registry.lookup(route) {
                            Ok(endpoint) => Action::Call {
                                xid,
                                timeout: Duration::from_millis(timeout_ms),
                                endpoint,
                                message: route.message.to_owned(),
                            },
                            Err(fault) => Action::Refuse { xid, fault },
                        }
                    }
                    Head::Tell { route } => {
                        let route = Route {
                            actor: name,
                            message: route.message,
                        };
                        match self.registry.lookup(route) {
                            Ok(endpoint) => Action::Tell(endpoint),
                            Err(fault) => Action::Report(fault.into()),
                        }
                    }
                    Head::Reply { .. } | Head::Fault { .. } => {
                        Action::Report(WireError::Unexpected {
                            what: head.kind(),
                            side: "NATS node",
                        })
                    }
                };
                (action, start)
            }
            Err(e) => {
                self.replier.calls.report(e.clone());
                if reply.is_none() {
                    return;
                }
                // A caller waiting on it hears at once rather than at its deadline.
                let fault = Fault::BadRequest {
                    actor: name.to_string(),
                    message: "(unreadable)".to_owned(),
                    reason: e.to_string(),
                };
                (Action::Refuse { xid: 0, fault }, 0)
            }
        };
        match action {
            Action::Call {
                xid,
                timeout,
                endpoint,
                message,
            } => {
                let Some(reply) = reply else {
                    return self.replier.calls.report(WireError::Unexpected {
                        what: "call with no reply subject",
                        side: "NATS node",
                    });
                };
                let replier = self.replier.clone();
                let (fallback, failed_reply) = (self.replier.clone(), reply.clone());
                let name = name.clone();
                let job = Box::new(move || {
                    let route = Route {
                        actor: &name,
                        message: &message,
                    };
                    replier.answer(reply, xid, &endpoint, route, &payload[start..], timeout)
                });
                if let Err(reason) = self.work.run(job) {
                    fallback.fault(failed_reply, xid, Fault::Unavailable { reason });
                }
            }
            Action::Tell(endpoint) if endpoint.tells_inline() => {
                if let Err(fault) = endpoint.deliver(&payload[start..]) {
                    self.replier.calls.report(fault.into());
                }
            }
            Action::Tell(endpoint) => {
                let calls = self.replier.calls.clone();
                let job = Box::new(move || {
                    if let Err(fault) = endpoint.deliver(&payload[start..]) {
                        calls.report(fault.into());
                    }
                });
                if let Err(reason) = self.work.run(job) {
                    self.replier
                        .calls
                        .report(Fault::Unavailable { reason }.into());
                }
            }
            Action::Refuse { xid, fault } => match reply {
                Some(reply) => self.replier.fault(reply, xid, fault),
                None => self.replier.calls.report(fault.into()),
            },
            Action::Report(error) => self.replier.calls.report(error),
        }
    }

    fn topic(&self, topic: &Topic, msg: NatsMessage) {
        let outcome = match packet::open(&msg.payload) {
            Ok((Head::Tell { route }, start)) if route.message == topic.message => {
                (topic.deliver)(&msg.payload[start..]).map_err(WireError::from)
            }
            Ok((Head::Tell { .. }, _)) => Err(WireError::Unexpected {
                what: "message of another type than its topic's",
                side: "NATS topic subscription",
            }),
            Ok((head, _)) => Err(WireError::Unexpected {
                what: head.kind(),
                side: "NATS topic subscription",
            }),
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            self.replier.calls.report(e);
        }
    }
}

/// Sends replies, from the workers and the dispatcher.
#[derive(Clone)]
struct Replier {
    ops: UnboundedSender<Op>,
    client: Client,
    calls: Arc<Calls>,
}

impl Replier {
    /// Runs call `xid` to `route` and publishes its reply, or the fault that takes its
    /// place.
    fn answer(
        &self,
        reply: Subject,
        xid: u64,
        endpoint: &Endpoint,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) {
        let failed = |reason: String| Fault::Failed {
            actor: route.actor.to_owned(),
            message: route.message.to_owned(),
            reason,
        };
        let mut out = match packet::start(&Head::Reply { xid }) {
            Ok(out) => out,
            Err(e) => return self.fault(reply, xid, failed(e.to_string())),
        };
        match endpoint.answer(body, timeout, &mut out) {
            Ok(()) => {
                let max = self.client.max_payload();
                if out.len() <= max {
                    self.send(reply, out);
                } else {
                    let reason = format!(
                        "its reply of {} bytes is over the NATS server's max_payload of {max} bytes",
                        out.len()
                    );
                    self.fault(reply, xid, failed(reason));
                }
            }
            Err(fault) => self.fault(reply, xid, fault),
        }
    }

    /// Answers call `xid` with `fault`. A fault is small; should one not fit the
    /// server's limit, its caller times out instead.
    fn fault(&self, reply: Subject, xid: u64, fault: Fault) {
        match packet::start(&Head::Fault { xid, fault }) {
            Ok(packet) if packet.len() <= self.client.max_payload() => self.send(reply, packet),
            Ok(packet) => self.calls.report(WireError::PayloadTooLarge {
                len: packet.len() as u64,
                max: self.client.max_payload() as u64,
            }),
            Err(e) => self.calls.report(e.into()),
        }
    }

    fn send(&self, reply: Subject, packet: Vec<u8>) {
        // Fails only once the node is closed: the caller has been released already.
        let _ = self.ops.send(Op::Publish {
            subject: reply,
            reply: None,
            payload: packet.into(),
            xid: None,
        });
    }
}
