//! The registry (actors by unique name) and publish/subscribe (topics by message type).

mod common;

use actor_core::prelude::*;
use common::{Echo, Probe, Record, Recorded, WAIT};

#[derive(Message, Clone)]
struct News(&'static str);

#[derive(Message)]
#[message(reply = Vec<&'static str>)]
struct Read;

#[derive(Default)]
struct Reader(Vec<&'static str>);

#[actor]
impl Reader {
    #[handles(News)]
    fn news(&mut self, News(text): News) {
        self.0.push(text);
    }

    #[handles(Read)]
    fn read(&self, _: Read) -> Vec<&'static str> {
        self.0.clone()
    }
}

#[test]
fn a_registered_actor_is_found_by_name_and_type() {
    let probe = Probe::default().spawn();
    Registry::register("names-found", &probe).unwrap();
    let found: Addr<Probe> = Registry::lookup("names-found").unwrap();
    assert_eq!(Bridge::new().call(&found, Echo(4), WAIT).unwrap(), 4);
    assert_eq!(
        Registry::lookup_any("names-found").unwrap().id(),
        probe.id()
    );
    // The wrong type finds nothing.
    assert!(Registry::lookup::<Reader>("names-found").is_none());
    assert!(Registry::lookup_any("names-nobody").is_none());
}

#[test]
fn a_duplicate_name_is_an_error_naming_the_holder() {
    let first = Probe::default().spawn();
    Registry::register("names-taken", &first).unwrap();
    let err = Registry::register("names-taken", &Probe::default().spawn()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the name `names-taken` is taken by {}", first.info())
    );
}

#[test]
fn a_stopped_actors_name_disappears_and_can_be_reused() {
    let probe = Probe::default().spawn();
    Registry::register("names-reused", &probe).unwrap();
    Bridge::new().call(&probe, Stop, WAIT).unwrap();
    assert!(Registry::lookup_any("names-reused").is_none());
    assert!(Registry::list()
        .iter()
        .all(|named| named.name != "names-reused"));
    let second = Probe::default().spawn();
    Registry::register("names-reused", &second).unwrap();
    assert_eq!(Registry::lookup::<Probe>("names-reused").unwrap(), second);
}

#[test]
fn a_stopped_actor_cannot_be_registered() {
    let probe = Probe::default().spawn();
    Bridge::new().call(&probe, Stop, WAIT).unwrap();
    assert!(Registry::register("names-dead", &probe).is_err());
    assert!(Registry::lookup_any("names-dead").is_none());
}

#[test]
fn the_registry_lists_live_actors_with_names_types_and_mailbox_depth() {
    let driver = Driver::new(1);
    let probe = Probe::default().spawn_on(&driver);
    let blocker = Probe::default().spawn_on(&driver);
    let bridge = Bridge::new();
    bridge.call(&probe, Echo(0), WAIT).unwrap(); // started and idle
                                                 // The blocker is queued ahead of the probe's next turn, and holds the driver's only
                                                 // thread: the probe's two records stay in its mailbox.
    let gate = common::hold(&blocker);
    probe.tell(Record(1)).unwrap();
    probe.tell(Record(2)).unwrap();
    Registry::register("names-listed", &probe).unwrap();
    let listed = Registry::list()
        .into_iter()
        .find(|named| named.name == "names-listed")
        .unwrap();
    assert_eq!(listed.actor, probe.info());
    assert_eq!(listed.actor.name, "Probe");
    assert_eq!(listed.mailbox_len, 2);
    drop(gate);
    assert_eq!(bridge.call(&probe, Recorded, WAIT).unwrap(), [1, 2]);
}

#[test]
fn unregistering_lets_the_actor_stop_when_its_last_handle_goes() {
    let (probe, report) = common::reporting_probe();
    Registry::register("names-released", &probe).unwrap();
    probe.tell(Record(8)).unwrap();
    drop(probe);
    // The registry's handle keeps it alive...
    assert!(Registry::lookup_any("names-released").is_some());
    // ...until the name is let go.
    drop(Registry::unregister("names-released"));
    assert_eq!(report.recv_timeout(WAIT).unwrap(), [8]);
}

#[test]
fn a_publish_reaches_every_subscriber_with_its_own_copy() {
    let pubsub = PubSub::new();
    let readers: Vec<_> = (0..5).map(|_| Reader::default().spawn()).collect();
    for reader in &readers {
        pubsub.subscribe(&reader.recipient::<News>());
    }
    assert_eq!(pubsub.subscriber_count::<News>(), 5);
    assert_eq!(pubsub.publish(News("one")), 5);
    assert_eq!(pubsub.publish(News("two")), 5);
    let bridge = Bridge::new();
    for reader in &readers {
        assert_eq!(bridge.call(reader, Read, WAIT).unwrap(), ["one", "two"]);
    }
}

#[test]
fn keyed_topics_reach_only_their_subscribers() {
    let pubsub = PubSub::new();
    let sports = Reader::default().spawn();
    let weather = Reader::default().spawn();
    let everything = Reader::default().spawn();
    pubsub.subscribe_to("sports", &sports.recipient::<News>());
    pubsub.subscribe_to("weather", &weather.recipient::<News>());
    pubsub.subscribe(&everything.recipient::<News>());
    assert_eq!(pubsub.publish_to("sports", News("goal")), 1);
    assert_eq!(pubsub.publish_to("weather", News("rain")), 1);
    assert_eq!(pubsub.publish(News("headline")), 1);
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&sports, Read, WAIT).unwrap(), ["goal"]);
    assert_eq!(bridge.call(&weather, Read, WAIT).unwrap(), ["rain"]);
    assert_eq!(bridge.call(&everything, Read, WAIT).unwrap(), ["headline"]);
}

#[test]
fn publishing_to_no_one_is_not_an_error() {
    assert_eq!(PubSub::new().publish(News("void")), 0);
    assert_eq!(PubSub::new().publish_to("nowhere", News("void")), 0);
}

#[test]
fn an_unsubscribed_actor_receives_no_more() {
    let pubsub = PubSub::new();
    let reader = Reader::default().spawn();
    let recipient = reader.recipient::<News>();
    pubsub.subscribe(&recipient);
    pubsub.subscribe(&recipient); // twice is once
    assert_eq!(pubsub.publish(News("before")), 1);
    assert!(pubsub.unsubscribe(&recipient));
    assert!(!pubsub.unsubscribe(&recipient));
    assert_eq!(pubsub.publish(News("after")), 0);
    assert_eq!(Bridge::new().call(&reader, Read, WAIT).unwrap(), ["before"]);
}

#[test]
fn a_stopped_subscriber_is_dropped_from_its_topics() {
    let pubsub = PubSub::new();
    let stays = Reader::default().spawn();
    let leaves = Reader::default().spawn();
    pubsub.subscribe(&stays.recipient::<News>());
    pubsub.subscribe(&leaves.recipient::<News>());
    Bridge::new().call(&leaves, Stop, WAIT).unwrap();
    assert_eq!(pubsub.subscriber_count::<News>(), 1);
    assert_eq!(pubsub.publish(News("after")), 1);
    assert_eq!(pubsub.publish(News("again")), 1);
    assert_eq!(
        Bridge::new().call(&stays, Read, WAIT).unwrap(),
        ["after", "again"]
    );
}
