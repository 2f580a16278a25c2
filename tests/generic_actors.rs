//! Generic actors: one `#[actor] impl<T> Cache<T>` block, instantiated for several types,
//! on a thread or a driver, with generic messages, a `where` clause, the catch-all and
//! the hooks, exactly like a concrete actor.

mod common;

use actor_core::prelude::*;
use common::WAIT;
use crossbeam_channel::{unbounded, Sender as Channel};
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

/// Stores `value` under `key`.
#[derive(Message)]
struct Put<T> {
    key: &'static str,
    value: T,
}

/// The value under a key, if any.
#[derive(Message)]
#[message(reply = Option<T>)]
struct Get<T> {
    key: &'static str,
    of: PhantomData<T>,
}

fn get<T>(key: &'static str) -> Get<T> {
    Get {
        key,
        of: PhantomData,
    }
}

/// Told to every watcher when a value changes.
#[derive(Message)]
struct Changed<T>(&'static str, T);

/// From now on, tell `Changed` to this recipient.
#[derive(Message)]
struct Watch<T: Send + 'static>(Recipient<Changed<T>>);

/// Values by key, watched, reporting its life on `events`.
struct Cache<T: Send + 'static> {
    entries: HashMap<&'static str, T>,
    watchers: Vec<Recipient<Changed<T>>>,
    events: Channel<String>,
}

fn cache<T: Send + 'static>(events: &Channel<String>) -> Cache<T> {
    Cache {
        entries: HashMap::new(),
        watchers: Vec::new(),
        events: events.clone(),
    }
}

#[actor]
impl<T: Clone + Send + 'static> Cache<T> {
    #[on_start]
    fn started(&mut self, ctx: &mut Context<Self>) {
        let started = format!("start {}", ctx.info().name);
        self.events.send(started).unwrap();
    }

    #[handles(Put<T>)]
    fn on_put(&mut self, Put { key, value }: Put<T>) {
        for watcher in &self.watchers {
            watcher.tell(Changed(key, value.clone())).unwrap();
        }
        self.entries.insert(key, value);
    }

    #[handles(Get<T>)]
    fn on_get(&mut self, Get { key, .. }: Get<T>) -> Option<T> {
        self.entries.get(key).cloned()
    }

    #[handles(Watch<T>)]
    fn on_watch(&mut self, Watch(watcher): Watch<T>, _ctx: &mut Context<Self>) {
        self.watchers.push(watcher);
    }

    #[handles(other)]
    fn on_other(&mut self, msg: DynMessage) {
        self.events
            .send(format!("other {}", msg.type_name()))
            .unwrap();
    }

    #[on_stop]
    fn stopped(&mut self) {
        self.events.send("stop".to_owned()).unwrap();
    }
}

/// Everything a collector has been told, in order.
#[derive(Message)]
#[message(reply = Vec<(&'static str, T)>)]
struct Collected<T>(PhantomData<T>);

/// Collects `Changed<T>`.
struct Collector<T> {
    seen: Vec<(&'static str, T)>,
}

#[actor]
impl<T> Collector<T>
where
    T: Clone + Send + 'static,
{
    #[handles(Changed<T>)]
    fn on_changed(&mut self, Changed(key, value): Changed<T>) {
        self.seen.push((key, value));
    }

    #[handles(Collected<T>)]
    fn on_collected(&mut self, _: Collected<T>) -> Vec<(&'static str, T)> {
        self.seen.clone()
    }
}

#[test]
fn a_generic_actor_on_a_thread_stores_and_answers() {
    let (events, _events) = unbounded();
    let cache = cache::<u32>(&events).spawn();
    cache
        .tell(Put {
            key: "seven",
            value: 7,
        })
        .unwrap();
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&cache, get("seven"), WAIT).unwrap(), Some(7));
    assert_eq!(bridge.call(&cache, get("eight"), WAIT).unwrap(), None);
}

#[test]
fn a_generic_actor_on_a_driver_handles_its_mail_in_order() {
    let driver = Driver::new(2);
    let (events, _events) = unbounded();
    let cache = cache::<String>(&events).spawn_on(&driver);
    for n in 0..1_000 {
        cache
            .tell(Put {
                key: "last",
                value: n.to_string(),
            })
            .unwrap();
    }
    let last = Bridge::new().call(&cache, get("last"), WAIT).unwrap();
    assert_eq!(last.as_deref(), Some("999"));
}

#[test]
fn two_instantiations_are_two_actors_alive_at_once() {
    let driver = Driver::new(2);
    let (events, _events) = unbounded();
    let numbers = cache::<u32>(&events).spawn();
    let words = cache::<String>(&events).spawn_on(&driver);
    numbers.tell(Put { key: "k", value: 1 }).unwrap();
    words
        .recipient::<Put<String>>()
        .tell(Put {
            key: "k",
            value: "one".to_owned(),
        })
        .unwrap();
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&numbers, get("k"), WAIT).unwrap(), Some(1));
    assert_eq!(
        bridge.call(&words, get("k"), WAIT).unwrap().as_deref(),
        Some("one")
    );
    assert_eq!(<Cache<u32> as Actor>::NAME, "Cache");
    assert_eq!(
        <Cache<String> as Actor>::HANDLES,
        ["Put<T>", "Get<T>", "Watch<T>"]
    );
    assert_eq!(
        bridge.stop(&[numbers.any(), words.any()], WAIT),
        [Some(Stopped), Some(Stopped)]
    );
}

#[test]
fn a_generic_actor_runs_its_hooks_and_its_catch_all_takes_other_instantiations() {
    let (events, seen) = unbounded();
    let numbers = cache::<u32>(&events).spawn();
    // Dynamic mail: `Put<u32>` is a typed message of `Cache<u32>`, `Put<u64>` is not.
    numbers
        .any()
        .tell_dyn(DynMessage::new(Put::<u32> { key: "a", value: 1 }))
        .unwrap();
    numbers
        .any()
        .tell_dyn(DynMessage::new(Put::<u64> { key: "b", value: 2 }))
        .unwrap();
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&numbers, get("a"), WAIT).unwrap(), Some(1));
    assert_eq!(bridge.call(&numbers, get("b"), WAIT).unwrap(), None);
    assert_eq!(bridge.call(&numbers, Stop, WAIT).unwrap(), Stopped);
    let seen: Vec<String> = seen.try_iter().collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0], "start Cache");
    assert!(
        seen[1].starts_with("other ") && seen[1].ends_with("Put<u64>"),
        "{seen:?}"
    );
    assert_eq!(seen[2], "stop");
}

#[test]
fn generic_actors_talk_through_recipients_of_generic_messages() {
    let driver = Driver::new(1);
    let (events, _events) = unbounded();
    let words = cache::<String>(&events).spawn_on(&driver);
    let collector = Collector::<String> { seen: Vec::new() }.spawn_on(&driver);
    words.tell(Watch(collector.recipient())).unwrap();
    for (key, value) in [("a", "x"), ("b", "y"), ("a", "z")] {
        words
            .tell(Put {
                key,
                value: value.to_owned(),
            })
            .unwrap();
    }
    let bridge = Bridge::new();
    // Handled after the puts, so their `Changed` are queued at the collector already.
    assert_eq!(
        bridge.call(&words, get("a"), WAIT).unwrap().as_deref(),
        Some("z")
    );
    let collected = bridge
        .call(&collector, Collected(PhantomData), WAIT)
        .unwrap();
    let expected = [("a", "x"), ("b", "y"), ("a", "z")].map(|(k, v)| (k, v.to_owned()));
    assert_eq!(collected, expected);
}

/// A map with both the key and the value generic, bounded in a `where` clause.
struct Store<K, V> {
    map: HashMap<K, V>,
}

#[derive(Message)]
#[message(reply = Option<V>)]
struct Insert<K, V>(K, V);

#[derive(Message)]
#[message(reply = usize)]
struct Len;

#[actor]
impl<K, V> Store<K, V>
where
    K: Eq + Hash + Send + 'static,
    V: Send + 'static,
    Self: Send,
{
    #[handles(Insert<K, V>)]
    fn on_insert(&mut self, Insert(key, value): Insert<K, V>) -> Option<V> {
        self.map.insert(key, value)
    }

    #[handles(Len)]
    fn on_len(&self, _: Len) -> usize {
        self.map.len()
    }
}

#[test]
fn a_where_clause_bounds_a_generic_actor_with_two_parameters() {
    let store = Store::<(u8, u8), Vec<char>> {
        map: HashMap::new(),
    }
    .spawn();
    let bridge = Bridge::new();
    let first = bridge.call(&store, Insert((1, 2), vec!['a']), WAIT);
    assert_eq!(first.unwrap(), None);
    let second = bridge.call(&store, Insert((1, 2), vec!['b']), WAIT);
    assert_eq!(second.unwrap(), Some(vec!['a']));
    bridge.call(&store, Insert((3, 4), vec![]), WAIT).unwrap();
    assert_eq!(bridge.call(&store, Len, WAIT).unwrap(), 2);
}
