//! [`PubSub`]: topics keyed by message type (and optionally a key), the seed's `PsMgr`.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::handle::Recipient;
use crate::id::ActorId;
use crate::message::Message;
use crate::sync::lock;

type TopicKey = (TypeId, Option<String>);

/// Publish/subscribe between actors: every subscriber of a topic gets its own clone of
/// each message published to it.
///
/// A topic is a message type, optionally narrowed by a string key (the seed's `mid/cmd`).
/// Subscribers are [`Recipient`]s, so actors of different types can share a topic. A
/// subscriber that has stopped is dropped from its topics by the next publish and never
/// receives again. Publishing to a topic with no subscribers is not an error. A `PubSub`
/// is cheap to clone; clones share the topics.
///
/// A publish never waits: a subscriber whose bounded mailbox is full is skipped for that
/// message (the copy is dropped, the subscription kept), counted by
/// [`skipped`](PubSub::skipped) and by [`DeadLetters::refused`](crate::DeadLetters::refused),
/// so one slow subscriber cannot hold up the publisher or the other subscribers.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::PubSub;
/// use std::time::Duration;
///
/// #[derive(Message, Clone)]
/// struct Price(u32);
///
/// #[derive(Message)]
/// #[message(reply = Vec<u32>)]
/// struct Seen;
///
/// #[derive(Default)]
/// struct Trader(Vec<u32>);
/// #[actor]
/// impl Trader {
///     #[handles(Price)]
///     fn price(&mut self, Price(p): Price) { self.0.push(p) }
///     #[handles(Seen)]
///     fn seen(&self, _: Seen) -> Vec<u32> { self.0.clone() }
/// }
///
/// let pubsub = PubSub::new();
/// let traders: Vec<_> = (0..3).map(|_| Trader::default().spawn()).collect();
/// for trader in &traders {
///     pubsub.subscribe(&trader.recipient::<Price>());
/// }
/// assert_eq!(pubsub.publish(Price(101)), 3);
/// let bridge = Bridge::new();
/// for trader in &traders {
///     assert_eq!(bridge.call(trader, Seen, Duration::from_secs(5)).unwrap(), [101]);
/// }
/// ```
#[derive(Clone, Default)]
pub struct PubSub {
    topics: Arc<Mutex<HashMap<TopicKey, Box<dyn Any + Send>>>>,
    /// Copies not delivered because a subscriber's bounded mailbox was full.
    skipped: Arc<AtomicU64>,
}

/// A topic's subscribers, as a publish sends from them.
type Subscribers<M> = Arc<Vec<Recipient<M>>>;

impl PubSub {
    /// An empty set of topics.
    pub fn new() -> PubSub {
        PubSub::default()
    }

    /// Subscribes to every `M` published without a key. Subscribing twice is a no-op.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::PubSub;
    ///
    /// #[derive(Message, Clone)]
    /// struct Price(u32);
    ///
    /// struct Trader;
    /// #[actor]
    /// impl Trader {
    ///     #[handles(Price)]
    ///     fn price(&mut self, _: Price) {}
    /// }
    ///
    /// let pubsub = PubSub::new();
    /// let trader = Trader.spawn().recipient::<Price>();
    /// pubsub.subscribe(&trader);
    /// pubsub.subscribe(&trader); // no-op: one subscription
    /// assert_eq!(pubsub.subscriber_count::<Price>(), 1);
    /// assert_eq!(pubsub.publish(Price(100)), 1);
    /// ```
    pub fn subscribe<M: Message + Clone>(&self, subscriber: &Recipient<M>) {
        self.add((TypeId::of::<M>(), None), subscriber);
    }

    /// Subscribes to the `M`s published under `key`.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::PubSub;
    ///
    /// #[derive(Message, Clone)]
    /// struct Price(u32);
    ///
    /// struct Trader;
    /// #[actor]
    /// impl Trader {
    ///     #[handles(Price)]
    ///     fn price(&mut self, _: Price) {}
    /// }
    ///
    /// let pubsub = PubSub::new();
    /// pubsub.subscribe_to("EUR", &Trader.spawn().recipient::<Price>());
    /// assert_eq!(pubsub.publish_to("EUR", Price(100)), 1);
    /// assert_eq!(pubsub.publish_to("USD", Price(100)), 0); // another key
    /// assert_eq!(pubsub.publish(Price(100)), 0); // no key: another topic
    /// ```
    pub fn subscribe_to<M: Message + Clone>(&self, key: &str, subscriber: &Recipient<M>) {
        self.add((TypeId::of::<M>(), Some(key.to_owned())), subscriber);
    }

    /// Ends a subscription made with [`subscribe`](PubSub::subscribe); says whether there
    /// was one.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::PubSub;
    ///
    /// #[derive(Message, Clone)]
    /// struct Price(u32);
    ///
    /// struct Trader;
    /// #[actor]
    /// impl Trader {
    ///     #[handles(Price)]
    ///     fn price(&mut self, _: Price) {}
    /// }
    ///
    /// let pubsub = PubSub::new();
    /// let trader = Trader.spawn().recipient::<Price>();
    /// pubsub.subscribe(&trader);
    /// assert!(pubsub.unsubscribe(&trader));
    /// assert!(!pubsub.unsubscribe(&trader)); // there is none left
    /// assert_eq!(pubsub.publish(Price(100)), 0);
    /// ```
    pub fn unsubscribe<M: Message + Clone>(&self, subscriber: &Recipient<M>) -> bool {
        self.remove((TypeId::of::<M>(), None), subscriber)
    }

    /// Ends a subscription made with [`subscribe_to`](PubSub::subscribe_to).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::PubSub;
    ///
    /// #[derive(Message, Clone)]
    /// struct Price(u32);
    ///
    /// struct Trader;
    /// #[actor]
    /// impl Trader {
    ///     #[handles(Price)]
    ///     fn price(&mut self, _: Price) {}
    /// }
    ///
    /// let pubsub = PubSub::new();
    /// let trader = Trader.spawn().recipient::<Price>();
    /// pubsub.subscribe_to("EUR", &trader);
    /// assert!(!pubsub.unsubscribe_from("USD", &trader)); // not subscribed under that key
    /// assert!(pubsub.unsubscribe_from("EUR", &trader));
    /// assert_eq!(pubsub.publish_to("EUR", Price(100)), 0);
    /// ```
    pub fn unsubscribe_from<M: Message + Clone>(
        &self,
        key: &str,
        subscriber: &Recipient<M>,
    ) -> bool {
        self.remove((TypeId::of::<M>(), Some(key.to_owned())), subscriber)
    }

    /// Sends a clone of `msg` to every live subscriber of `M` without waiting; returns how
    /// many got it (a subscriber whose bounded mailbox is full is skipped and counted).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::PubSub;
    /// use std::time::Duration;
    ///
    /// #[derive(Message, Clone)]
    /// struct Price(u32);
    ///
    /// #[derive(Message)]
    /// #[message(reply = Vec<u32>)]
    /// struct Seen;
    ///
    /// #[derive(Default)]
    /// struct Trader(Vec<u32>);
    /// #[actor]
    /// impl Trader {
    ///     #[handles(Price)]
    ///     fn price(&mut self, Price(p): Price) { self.0.push(p) }
    ///     #[handles(Seen)]
    ///     fn seen(&self, _: Seen) -> Vec<u32> { self.0.clone() }
    /// }
    ///
    /// let pubsub = PubSub::new();
    /// assert_eq!(pubsub.publish(Price(1)), 0); // no subscribers: not an error
    /// let (alice, bob) = (Trader::default().spawn(), Trader::default().spawn());
    /// pubsub.subscribe(&alice.recipient::<Price>());
    /// pubsub.subscribe(&bob.recipient::<Price>());
    /// assert_eq!(pubsub.publish(Price(2)), 2);
    ///
    /// let bridge = Bridge::new();
    /// let wait = Duration::from_secs(5);
    /// bridge.stop(&[bob.any()], wait);
    /// assert_eq!(pubsub.publish(Price(3)), 1); // bob has stopped: dropped from the topic
    /// assert_eq!(bridge.call(&alice, Seen, wait).unwrap(), [2, 3]);
    /// ```
    pub fn publish<M: Message + Clone>(&self, msg: M) -> usize {
        self.send((TypeId::of::<M>(), None), msg)
    }

    /// Sends a clone of `msg` to every live subscriber of `M` under `key`.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::PubSub;
    ///
    /// #[derive(Message, Clone)]
    /// struct Price(u32);
    ///
    /// struct Trader;
    /// #[actor]
    /// impl Trader {
    ///     #[handles(Price)]
    ///     fn price(&mut self, _: Price) {}
    /// }
    ///
    /// let pubsub = PubSub::new();
    /// let (euro, dollar) = (Trader.spawn(), Trader.spawn());
    /// pubsub.subscribe_to("EUR", &euro.recipient::<Price>());
    /// pubsub.subscribe_to("USD", &dollar.recipient::<Price>());
    /// assert_eq!(pubsub.publish_to("EUR", Price(100)), 1); // only the EUR subscriber
    /// assert_eq!(pubsub.publish_to("JPY", Price(100)), 0);
    /// ```
    pub fn publish_to<M: Message + Clone>(&self, key: &str, msg: M) -> usize {
        self.send((TypeId::of::<M>(), Some(key.to_owned())), msg)
    }

    /// How many copies were skipped, since this `PubSub` (or a clone) was made, because a
    /// subscriber's bounded mailbox was full.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// How many live actors subscribe to `M` without a key.
    pub fn subscriber_count<M: Message + Clone>(&self) -> usize {
        self.snapshot::<M>(&(TypeId::of::<M>(), None))
            .map_or(0, |subscribers| {
                subscribers.iter().filter(|s| s.is_alive()).count()
            })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<TopicKey, Box<dyn Any + Send>>> {
        lock(&self.topics)
    }

    fn snapshot<M: Message>(&self, key: &TopicKey) -> Option<Subscribers<M>> {
        self.lock()
            .get(key)
            .and_then(|topic| topic.downcast_ref::<Topic<M>>())
            .map(|topic| topic.subscribers.clone())
    }

    /// Changes a topic in place with `change`, which returns the handles it took out (to be
    /// dropped outside the lock: a drop may post to its actor); drops the topic if empty.
    fn update<M: Message, R>(
        &self,
        key: TopicKey,
        change: impl FnOnce(&mut Topic<M>) -> (R, Vec<Recipient<M>>),
    ) -> R {
        let mut topics = self.lock();
        let topic = topics
            .entry(key.clone())
            .or_insert_with(|| Box::new(Topic::<M>::default()));
        let (result, removed, emptied) = match topic.downcast_mut::<Topic<M>>() {
            Some(topic) => {
                let (result, removed) = change(topic);
                (result, removed, topic.ids.is_empty())
            }
            // A key is made of `M`'s own type id: its topic is a `Topic<M>`.
            None => unreachable!("a topic keyed by a type id holds that type's subscribers"),
        };
        let emptied = if emptied { topics.remove(&key) } else { None };
        drop(topics);
        drop((removed, emptied));
        result
    }

    fn add<M: Message>(&self, key: TopicKey, subscriber: &Recipient<M>) {
        let id = subscriber.info().id;
        self.update::<M, ()>(key, |topic| {
            if topic.ids.insert(id) {
                // In place unless a publish is sending from the old list: then a copy.
                Arc::make_mut(&mut topic.subscribers).push(subscriber.clone());
            }
            ((), Vec::new())
        });
    }

    fn remove<M: Message>(&self, key: TopicKey, subscriber: &Recipient<M>) -> bool {
        let id = subscriber.info().id;
        self.update::<M, bool>(key, |topic| {
            if !topic.ids.remove(&id) {
                return (false, Vec::new());
            }
            (true, topic.take_out(|s| s.info().id == id))
        })
    }

    fn send<M: Message + Clone>(&self, key: TopicKey, msg: M) -> usize {
        let Some(subscribers) = self.snapshot::<M>(&key) else {
            return 0;
        };
        let mut delivered = 0;
        let mut dead = HashSet::new();
        let mut msg = Some(msg);
        for (i, subscriber) in subscribers.iter().enumerate() {
            // The last subscriber gets the original: one clone fewer.
            let copy = if i + 1 == subscribers.len() {
                msg.take()
            } else {
                msg.clone()
            };
            let Some(copy) = copy else { break };
            // Never waits: one full subscriber must not hold up the publisher and the rest.
            match subscriber.try_tell(copy) {
                Ok(()) => delivered += 1,
                // Only a stopped subscriber leaves its topics; a full mailbox is not death.
                Err(crate::SendError::Stopped { .. }) => {
                    dead.insert(subscriber.info().id);
                }
                Err(crate::SendError::Full { .. }) => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {}
            }
        }
        drop(subscribers);
        if !dead.is_empty() {
            self.update::<M, ()>(key, |topic| {
                topic.ids.retain(|id| !dead.contains(id));
                ((), topic.take_out(|s| dead.contains(&s.info().id)))
            });
        }
        delivered
    }
}

/// One topic: its subscribers, and their ids, so that a subscription is checked for a
/// duplicate in constant time (subscribing n actors costs O(n), not O(n^2)).
struct Topic<M: Message> {
    /// Shared with the publishes sending from it; changed in place when none is (else
    /// copied first), so a publish sends from a snapshot without holding the lock.
    subscribers: Subscribers<M>,
    ids: HashSet<ActorId>,
}

impl<M: Message> Default for Topic<M> {
    fn default() -> Self {
        Topic {
            subscribers: Arc::default(),
            ids: HashSet::new(),
        }
    }
}

impl<M: Message> Topic<M> {
    /// Takes out the subscribers that `leaves` picks, in one pass.
    fn take_out(&mut self, leaves: impl Fn(&Recipient<M>) -> bool) -> Vec<Recipient<M>> {
        let list = Arc::make_mut(&mut self.subscribers);
        let (gone, kept) = std::mem::take(list).into_iter().partition(leaves);
        *list = kept;
        gone
    }
}

impl fmt::Debug for PubSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PubSub")
            .field("topics", &self.lock().len())
            .finish()
    }
}
