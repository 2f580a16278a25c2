//! [`NatsPubSub`]: the framework's [`PubSub`] extended to every node of a NATS system.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::NatsError;
use super::node::{Incoming, Node, Topic};
use super::packet;
use crate::handle::Recipient;
use crate::message::Message;
use crate::pubsub::PubSub;
use crate::wire::codec::{self, Head, Route};
use crate::wire::{RemoteError, WireError};

/// A message that can be published across nodes: a [`Message`] that is `Clone` (each
/// subscriber gets its own copy, as with [`PubSub`]) and derives serde's `Serialize` and
/// `Deserialize`. Implemented for every such type.
pub trait TopicMessage: Message + Clone + Serialize + DeserializeOwned {}

impl<M: Message + Clone + Serialize + DeserializeOwned> TopicMessage for M {}

/// Publish/subscribe across every node of a NATS system: a typed publish on one node
/// reaches the subscribed actors on every node, this one included, each getting one copy.
///
/// It is [`PubSub`] on NATS subjects: a topic is a message type, optionally narrowed by a
/// key, as there; its subject is `{prefix}.topic.{message type}` or
/// `{prefix}.topic.{message type}.{key}`. Subscribing puts the actor in the node's local
/// [`PubSub`] and (the first time for the topic) subscribes the node to its subject; a
/// message published anywhere comes through the server to each subscribed node, which
/// hands a copy to each of its local subscribers, in the order published by any one
/// node.
///
/// A publish fails at once, giving the message back, while the client is reconnecting
/// or if the message is over the server's `max_payload`; publishing to a topic that no
/// one subscribes to is not an error.
///
/// ```no_run
/// use actor_core::prelude::*;
/// use actor_core::nats::Node;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Message, Clone, Serialize, Deserialize)]
/// struct Price(u32);
///
/// struct Trader;
/// #[actor]
/// impl Trader {
///     #[handles(Price)]
///     fn price(&mut self, Price(p): Price) { println!("price: {p}") }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // In every process that trades:
/// let node = Node::connect("nats://10.0.0.1:4222")?;
/// node.pubsub().subscribe(&Trader.spawn().recipient::<Price>())?;
///
/// // In the one that quotes:
/// let node = Node::connect("nats://10.0.0.1:4222")?;
/// node.pubsub().publish(Price(101))?;
/// node.pubsub().publish_to("eu", Price(99))?; // only for subscribe_to("eu", ..)
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct NatsPubSub {
    node: Node,
}

impl NatsPubSub {
    pub(crate) fn new(node: Node) -> Self {
        NatsPubSub { node }
    }

    /// Subscribes to every `M` published without a key, by any node. If the node is
    /// connected, this returns once the server has the node's subscription: a publish
    /// made after it, anywhere, reaches the subscriber. Subscribing twice is a no-op.
    pub fn subscribe<M: TopicMessage>(&self, subscriber: &Recipient<M>) -> Result<(), NatsError> {
        self.node.local().subscribe(subscriber);
        self.listen::<M>(None).inspect_err(|_| {
            self.node.local().unsubscribe(subscriber);
        })
    }

    /// Subscribes to the `M`s published under `key`, by any node.
    pub fn subscribe_to<M: TopicMessage>(
        &self,
        key: &str,
        subscriber: &Recipient<M>,
    ) -> Result<(), NatsError> {
        self.node.local().subscribe_to(key, subscriber);
        self.listen::<M>(Some(key)).inspect_err(|_| {
            self.node.local().unsubscribe_from(key, subscriber);
        })
    }

    /// Ends a subscription made with [`subscribe`](NatsPubSub::subscribe); says whether
    /// there was one. The node stays subscribed to the topic's subject (a message for a
    /// topic without local subscribers is dropped on arrival).
    pub fn unsubscribe<M: TopicMessage>(&self, subscriber: &Recipient<M>) -> bool {
        self.node.local().unsubscribe(subscriber)
    }

    /// Ends a subscription made with [`subscribe_to`](NatsPubSub::subscribe_to).
    pub fn unsubscribe_from<M: TopicMessage>(&self, key: &str, subscriber: &Recipient<M>) -> bool {
        self.node.local().unsubscribe_from(key, subscriber)
    }

    /// Publishes `msg` to the subscribers of `M`, on every node. If it was not sent, the
    /// message comes back in the error.
    pub fn publish<M: TopicMessage>(&self, msg: M) -> Result<(), RemoteError<M>> {
        self.send(None, msg)
    }

    /// Publishes `msg` to the subscribers of `M` under `key`, on every node.
    pub fn publish_to<M: TopicMessage>(&self, key: &str, msg: M) -> Result<(), RemoteError<M>> {
        self.send(Some(key), msg)
    }

    /// The node's local [`PubSub`], which hands each arriving message to the local
    /// subscribers; a publish there stays in this process.
    pub fn local(&self) -> &PubSub {
        self.node.local()
    }

    /// The subject of `M`'s topic (under `key`, if given).
    pub fn subject_of<M: TopicMessage>(&self, key: Option<&str>) -> String {
        self.node
            .core()
            .subjects
            .topic(codec::wire_name::<M>(), key)
    }

    fn listen<M: TopicMessage>(&self, key: Option<&str>) -> Result<(), NatsError> {
        let local = self.node.local().clone();
        let owned_key = key.map(str::to_owned);
        let topic = Arc::new(Topic {
            message: codec::wire_name::<M>(),
            deliver: Box::new(move |body| {
                let msg: M = codec::decode(body)?;
                match &owned_key {
                    None => local.publish(msg),
                    Some(key) => local.publish_to(key, msg),
                };
                Ok(())
            }),
        });
        self.node
            .subscribe(self.subject_of::<M>(key), None, move |msg| {
                Incoming::Topic {
                    topic: topic.clone(),
                    msg,
                }
            })
    }

    fn send<M: TopicMessage>(&self, key: Option<&str>, msg: M) -> Result<(), RemoteError<M>> {
        // The head names the message type (checked on arrival) and carries the key.
        let route = Route {
            actor: key.unwrap_or(""),
            message: codec::wire_name::<M>(),
        };
        let sent = codec::to_vec(&msg)
            .and_then(|body| packet::build(&Head::Tell { route }, &body))
            .map_err(WireError::from)
            .and_then(|packet| self.node.core().publish(self.subject_of::<M>(key), packet));
        match sent {
            Ok(()) => Ok(()),
            Err(error) => Err(RemoteError::NotSent { error, msg }),
        }
    }
}

impl fmt::Debug for NatsPubSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsPubSub")
            .field("prefix", &self.node.prefix())
            .field("local", self.node.local())
            .finish()
    }
}
