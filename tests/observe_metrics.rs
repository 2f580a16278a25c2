//! Feature `metrics`: the figures reach the `metrics` facade's recorder, here the facade's
//! own test recorder (`DebuggingRecorder`), labelled by actor type and name.

use actor_core::prelude::*;
use actor_core::{DynMessage, Intensity, Spawn};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::MetricKind;
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Message)]
struct Work(bool);

#[derive(Message)]
#[message(reply = ())]
struct Sync;

#[derive(Message)]
struct Hold(
    crossbeam_channel::Sender<()>,
    crossbeam_channel::Receiver<()>,
);

struct Meter;

#[actor]
impl Meter {
    #[handles(Work)]
    fn work(&mut self, Work(fail): Work) {
        assert!(!fail, "asked to fail");
    }

    #[handles(Sync)]
    fn sync(&mut self, _: Sync) {}

    #[handles(Hold)]
    fn hold(&mut self, Hold(entered, gate): Hold) {
        entered.send(()).unwrap();
        let _ = gate.recv();
    }
}

type Series = BTreeMap<(MetricKind, String, Vec<(String, String)>), DebugValue>;

fn read(snapshotter: &Snapshotter) -> Series {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (kind, key) = key.into_parts();
            let labels = key
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect();
            ((kind, key.name().to_owned(), labels), value)
        })
        .collect()
}

fn labels(type_name: &str, name: &str) -> Vec<(String, String)> {
    vec![
        ("type".to_owned(), type_name.to_owned()),
        ("name".to_owned(), name.to_owned()),
    ]
}

#[test]
fn handled_panics_restarts_dead_letters_depth_and_driver_figures_reach_the_recorder() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    let bridge = Bridge::new();

    // The name label is the name it is spawned with.
    let meter = Spawn::new(Meter)
        .restart_with(|| Meter, Intensity::new(10, Duration::from_secs(60)))
        .named("metered")
        .spawn()
        .unwrap();
    for _ in 0..20 {
        meter.tell(Work(false)).unwrap();
    }
    meter.tell(Work(true)).unwrap(); // panics: restarted from the factory
    bridge.call(&meter, Sync, WAIT).unwrap();
    // A dynamic message it does not handle: a dead letter for it.
    assert!(meter.any().tell_dyn(DynMessage::new("unhandled")).is_err());

    // A backed-up mailbox: three messages behind a held one.
    let (open, gate) = crossbeam_channel::bounded(0);
    let (entered, holding) = crossbeam_channel::bounded(1);
    meter.tell(Hold(entered, gate)).unwrap();
    holding.recv_timeout(WAIT).unwrap();
    for _ in 0..3 {
        meter.tell(Work(false)).unwrap();
    }
    let driver = Driver::new(1);
    let on_driver = Meter.spawn_on(&driver);
    bridge.call(&on_driver, Sync, WAIT).unwrap();
    actor_core::observe::publish_metrics();
    open.send(()).unwrap();
    bridge.call(&meter, Sync, WAIT).unwrap();

    let series = read(&snapshotter);
    let named = labels("Meter", "metered");
    let counter = |name: &str, labels: &Vec<(String, String)>| match series.get(&(
        MetricKind::Counter,
        name.to_owned(),
        labels.clone(),
    )) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{name} {labels:?}: {other:?} in {series:#?}"),
    };
    // 20 + the panicking one + Sync; the Hold, the three behind it and the last Sync may
    // still be counted or not when the snapshot is read: at least 22.
    assert!(counter("actor_messages_handled_total", &named) >= 22);
    assert_eq!(counter("actor_panics_total", &named), 1);
    assert_eq!(counter("actor_restarts_total", &named), 1);
    assert_eq!(counter("actor_dead_letters_total", &named), 1);
    match series.get(&(
        MetricKind::Histogram,
        "actor_handling_seconds".to_owned(),
        named.clone(),
    )) {
        // One message in `SAMPLE` is timed, the first included.
        Some(DebugValue::Histogram(times)) => {
            assert!(!times.is_empty());
            assert!(times.iter().all(|t| t.0 >= 0.0 && t.0 < 60.0), "{times:?}");
        }
        other => panic!("no handling histogram: {other:?}"),
    }
    match series.get(&(
        MetricKind::Gauge,
        "actor_mailbox_depth".to_owned(),
        named.clone(),
    )) {
        Some(DebugValue::Gauge(depth)) => assert_eq!(depth.0, 3.0),
        other => panic!("no mailbox depth: {other:?}"),
    }
    assert!(series.contains_key(&(
        MetricKind::Gauge,
        "actor_timers_pending".to_owned(),
        named.clone()
    )));
    // The unnamed actor on the driver shares the type's series with an empty name.
    assert!(counter("actor_messages_handled_total", &labels("Meter", "")) >= 1);
    let driver_id = driver.id().get().to_string();
    assert!(series.contains_key(&(
        MetricKind::Gauge,
        "actor_driver_queue_length".to_owned(),
        vec![("driver".to_owned(), driver_id.clone())]
    )));
    assert!(series.contains_key(&(
        MetricKind::Counter,
        "actor_driver_worker_busy_microseconds_total".to_owned(),
        vec![
            ("driver".to_owned(), driver_id),
            ("worker".to_owned(), "0".to_owned())
        ]
    )));
    driver.shutdown(WAIT).unwrap();
}

/// Once an actor has ended, its count is exact, on a thread and on a driver alike: a host
/// counts a run of turns in registers and publishes the count as it lets go of the actor
/// (before it blocks, goes idle, yields its batch or ends it), and neither the `Stop` nor
/// a run's end is counted as a message.
#[test]
fn an_ended_actor_s_count_is_exact_on_a_thread_and_on_a_driver() {
    let bridge = Bridge::new();
    let driver = Driver::new(1);
    for (name, on_driver) in [("exact-thread", false), ("exact-driver", true)] {
        let spawn = Spawn::new(Meter).named(name);
        let meter = match on_driver {
            true => spawn.spawn_on(&driver),
            false => spawn.spawn(),
        }
        .unwrap();
        // More than a driver's batch and more than one sample, in several runs.
        for _ in 0..3 {
            for _ in 0..100 {
                meter.tell(Work(false)).unwrap();
            }
            bridge.call(&meter, Sync, WAIT).unwrap();
        }
        bridge.call(&meter, Stop, WAIT).unwrap();
        let ended = actor_core::observe::snapshot()
            .ended
            .into_iter()
            .find(|ended| ended.name == name)
            .unwrap_or_else(|| panic!("{name} not among the ended"));
        assert_eq!(ended.handled, 303, "{name}: 300 Work and 3 Sync");
    }
    driver.shutdown(WAIT).unwrap();
}
