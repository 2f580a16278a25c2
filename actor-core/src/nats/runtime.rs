//! The private runtime: one thread running a single-threaded tokio runtime that drives
//! the async-nats client. The rest of the node talks to it through one ordered queue of
//! [`Op`]s and hears back on crossbeam channels, so no caller ever runs async code and
//! the user's threads need no runtime of their own.
//!
//! Publishes leave in the order they were queued (tells keep their order, a call's
//! request never overtakes a tell queued before it); each subscription is forwarded by a
//! task of its own. Dropping the runtime (when the thread ends) ends every task and
//! closes the socket.

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{
    Client, ConnectErrorKind, ConnectOptions, Message as NatsMessage, ServerAddr, Subject,
};
use bytes::Bytes;
use futures::future::{select, Either};
use futures::StreamExt;
use std::pin::pin;
use tokio::sync::mpsc;
use tokio::sync::{oneshot, Notify};

use super::config::{Auth, NodeConfig};
use super::error::NatsError;
use super::link::Calls;
use crate::wire::WireError;

/// What a subscription's task does with each message.
pub(crate) type Forward = Box<dyn FnMut(NatsMessage) + Send>;

/// How many commands the client itself queues for its connection (async-nats'
/// `client_capacity`), behind the node's own outgoing queue.
pub(crate) const CLIENT_CAPACITY: usize = 256;

/// How many messages one subscription holds for its task (async-nats'
/// `subscription_capacity`, 65,536 by default).
pub(crate) const SUBSCRIPTION_CAPACITY: usize = 8192;

/// The longest a closing node waits for its last publishes to reach the socket.
const LINGER: Duration = Duration::from_secs(5);

/// Work for the runtime thread, done in the order queued.
pub(crate) enum Op {
    /// Publishes `payload` to `subject`. If it fails, call `xid` (if any) fails with it;
    /// otherwise the failure is reported as an anomaly.
    Publish {
        subject: Subject,
        reply: Option<Subject>,
        payload: Bytes,
        xid: Option<u64>,
    },
    /// Subscribes (in a queue group, if given) and hands every message to `forward`.
    Subscribe {
        subject: String,
        queue: Option<String>,
        forward: Forward,
        done: crossbeam_channel::Sender<Result<Subscription, String>>,
    },
    /// Unsubscribes, in order with the publishes: a round trip queued after it returns
    /// once the server has dropped the subscription.
    Unsubscribe { subscription: Subscription },
    /// Flushes what was published (if connected, for at most [`LINGER`]) and ends the
    /// runtime.
    Close { done: crossbeam_channel::Sender<()> },
}

/// A subscription's switch: dropping it unsubscribes (soon); [`Op::Unsubscribe`] does it
/// in order with the publishes.
pub(crate) struct Subscription {
    stop: oneshot::Sender<oneshot::Sender<()>>,
}

/// A connected client and the thread that drives it.
pub(crate) struct Started {
    pub(crate) client: Client,
    /// The node's reply subjects are `{inbox}.{xid}`.
    pub(crate) inbox: String,
    pub(crate) ops: mpsc::Sender<Op>,
    /// Ends the runtime at once, whatever is queued: for a close that cannot queue its
    /// `Op::Close` (the queue is full behind a stalled connection).
    pub(crate) abort: Arc<Notify>,
    pub(crate) thread: JoinHandle<()>,
}

/// Starts the runtime thread and connects; returns once connected, or with the reason it
/// could not.
pub(crate) fn start(config: &NodeConfig, calls: Arc<Calls>) -> Result<Started, NatsError> {
    let servers = config.servers_text();
    if config.servers.is_empty() {
        return Err(NatsError::Invalid {
            what: "server list",
            value: String::new(),
            reason: "it names no server".to_owned(),
        });
    }
    let addrs = config
        .servers
        .iter()
        .map(|url| {
            url.parse::<ServerAddr>().map_err(|e| NatsError::Invalid {
                what: "NATS server URL",
                value: url.clone(),
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    config.check_trust()?;
    let (ready, started) = crossbeam_channel::bounded(1);
    let (ops, queue) = mpsc::channel(config.max_outgoing.max(1));
    // Each server gets `connect_timeout`; the margin covers the reply subscription.
    let patience = config
        .connect_timeout
        .saturating_mul(u32::try_from(config.servers.len()).unwrap_or(u32::MAX))
        .saturating_add(config.connect_timeout);
    let config = config.clone();
    let connecting = servers.clone();
    let abort = Arc::new(Notify::new());
    let aborted = abort.clone();
    let thread = thread::Builder::new()
        .name("nats-runtime".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready.send(Err(NatsError::Thread {
                        what: "runtime",
                        reason: e.to_string(),
                    }));
                    return;
                }
            };
            runtime.block_on(async move {
                match connect(&config, addrs, &connecting, calls.clone()).await {
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                    Ok((client, inbox)) => {
                        // A caller that stopped waiting no longer wants the client.
                        if ready.send(Ok((client.clone(), inbox))).is_ok() {
                            run(client, queue, calls, &aborted).await;
                        }
                    }
                }
            });
        })
        .map_err(|e| NatsError::Thread {
            what: "runtime thread",
            reason: e.to_string(),
        })?;
    match started.recv_timeout(patience) {
        Ok(Ok((client, inbox))) => Ok(Started {
            client,
            inbox,
            ops,
            abort,
            thread,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(NatsError::Connect {
            servers,
            reason: format!("no server answered within {patience:?}"),
        }),
    }
}

/// The pause before reconnect attempt `attempts` (1 is the first): none, then 10 ms
/// doubling up to `max`.
fn reconnect_delay(attempts: usize, max: Duration) -> Duration {
    if attempts <= 1 {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(attempts - 2).unwrap_or(u32::MAX).min(20);
    Duration::from_millis(10 << doublings).min(max)
}

async fn connect(
    config: &NodeConfig,
    addrs: Vec<ServerAddr>,
    servers: &str,
    calls: Arc<Calls>,
) -> Result<(Client, String), NatsError> {
    let options =
        match &config.auth {
            Auth::None => ConnectOptions::new(),
            Auth::Token(token) => ConnectOptions::with_token(token.clone()),
            Auth::UserPassword(user, password) => {
                ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            Auth::NKeySeed(seed) => ConnectOptions::with_nkey(seed.trim().to_owned()),
            Auth::CredentialsFile(path) => ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| NatsError::Invalid {
                    what: "credentials file",
                    value: path.display().to_string(),
                    reason: e.to_string(),
                })?,
        };
    let options = config.with_tls(options);
    let options = match &config.client_name {
        Some(name) => options.name(name),
        None => options,
    };
    let max_delay = config.max_reconnect_delay;
    let replying = calls.clone();
    let client = options
        // A silent partition (no TCP reset) is noticed within `max_outstanding_pings + 1`
        // of the node's ping intervals: the client drops a connection at its third tick
        // without an answer, so its ticks are spaced to make that the same bound.
        .ping_interval(config.client_ping_interval())
        // The client's own queue of commands, behind the node's outgoing queue: small,
        // so what a stalled connection can hold is bounded by the node's settings.
        .client_capacity(CLIENT_CAPACITY)
        // Messages a subscription holds before its task takes them (the task never
        // waits, so only a burst fills it); past it the client drops them and reports a
        // slow consumer, recorded as an anomaly.
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .connection_timeout(config.connect_timeout)
        .custom_inbox_prefix(&config.inbox_prefix)
        .max_reconnects(None)
        .reconnect_delay_callback(move |attempts| reconnect_delay(attempts, max_delay))
        .event_callback(move |event| {
            let calls = calls.clone();
            async move { calls.on_event(event) }
        })
        .connect(addrs)
        .await
        .map_err(|e| NatsError::Connect {
            servers: servers.to_owned(),
            reason: match e.kind() {
                ConnectErrorKind::AuthorizationViolation => e.to_string(),
                // A plain server's answer to a TLS handshake reads as a corrupt message.
                _ if config.tls.required() => format!(
                    "{e} (this node requires TLS: does the server offer it, with a \
                     certificate the node trusts?)"
                ),
                _ => e.to_string(),
            },
        })?;
    let inbox = client.new_inbox();
    // Subscribed before any request is published, on the same connection: the server
    // knows where replies go before the first request reaches it.
    let replies_subject = format!("{inbox}.*");
    let mut replies = client
        .subscribe(replies_subject.clone())
        .await
        .map_err(|e| NatsError::Subscribe {
            subject: replies_subject,
            reason: e.to_string(),
        })?;
    tokio::spawn(async move {
        while let Some(msg) = replies.next().await {
            replying.deliver(msg);
        }
    });
    Ok((client, inbox))
}

/// Runs `work` unless `abort` is told first (then `None`).
async fn unless<T>(abort: &Notify, work: impl std::future::Future<Output = T>) -> Option<T> {
    match select(pin!(work), pin!(abort.notified())).await {
        Either::Left((done, _)) => Some(done),
        Either::Right(_) => None,
    }
}

/// The runtime's main task: does each queued [`Op`] in turn, until closed or aborted.
async fn run(client: Client, mut queue: mpsc::Receiver<Op>, calls: Arc<Calls>, abort: &Notify) {
    while let Some(Some(op)) = unless(abort, queue.recv()).await {
        match op {
            Op::Publish {
                subject,
                reply,
                payload,
                xid,
            } => {
                // Waits while the client's own queue is full (a stalled connection).
                let sending = async {
                    match reply {
                        Some(reply) => {
                            client
                                .publish_with_reply(subject.clone(), reply, payload)
                                .await
                        }
                        None => client.publish(subject.clone(), payload).await,
                    }
                };
                let Some(sent) = unless(abort, sending).await else {
                    return;
                };
                if let Err(e) = sent {
                    let error = WireError::io(format!("publishing to `{subject}`"), e);
                    match xid {
                        Some(xid) => calls.fail(xid, error),
                        None => calls.report(error),
                    }
                }
            }
            Op::Subscribe {
                subject,
                queue,
                forward,
                done,
            } => {
                let subscribed = match queue {
                    Some(queue) => client.queue_subscribe(subject, queue).await,
                    None => client.subscribe(subject).await,
                };
                let outcome = subscribed
                    .map(|subscriber| {
                        let (stop, stopping) = oneshot::channel();
                        tokio::spawn(forward_all(subscriber, forward, stopping));
                        Subscription { stop }
                    })
                    .map_err(|e| e.to_string());
                let _ = done.send(outcome);
            }
            Op::Unsubscribe { subscription } => {
                let (done, unsubscribed) = oneshot::channel();
                if subscription.stop.send(done).is_ok() {
                    let _ = unsubscribed.await;
                }
            }
            Op::Close { done } => {
                if client.connection_state() == State::Connected {
                    let _ = tokio::time::timeout(LINGER, client.flush()).await;
                }
                let _ = done.send(());
                return;
            }
        }
    }
}

/// A subscription's task: forwards every message until told to stop (or its switch is
/// dropped), then unsubscribes.
async fn forward_all(
    mut subscriber: async_nats::Subscriber,
    mut forward: Forward,
    mut stopping: oneshot::Receiver<oneshot::Sender<()>>,
) {
    loop {
        let next = match select(subscriber.next(), &mut stopping).await {
            Either::Left((msg, _)) => Ok(msg),
            Either::Right((stop, _)) => Err(stop.ok()),
        };
        match next {
            Ok(Some(msg)) => forward(msg),
            Ok(None) => return,
            Err(done) => {
                let _ = subscriber.unsubscribe().await;
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnecting_starts_at_once_then_backs_off_to_the_cap() {
        let max = Duration::from_millis(300);
        let delays: Vec<_> = (1..=8)
            .map(|a| reconnect_delay(a, max).as_millis())
            .collect();
        assert_eq!(delays, [0, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(reconnect_delay(usize::MAX, max), max);
    }
}
