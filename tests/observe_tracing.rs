//! Feature `tracing`: one root span per handled message, linked (follows-from) to the span
//! of whoever sent it. A small `Subscriber` of the test's own records every span, its
//! fields, its parent and its links; ids are never reused, so a link always names the span
//! it was made to.

use actor_core::prelude::*;
use actor_core::Spawn;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const WAIT: Duration = Duration::from_secs(10);

/// One span as the subscriber saw it.
#[derive(Debug, Clone, Default)]
struct Seen {
    name: &'static str,
    metadata: Option<&'static Metadata<'static>>,
    fields: BTreeMap<String, String>,
    /// Made with `parent: None`.
    root: bool,
    parent: Option<u64>,
    follows: Vec<u64>,
}

#[derive(Default)]
struct Spans {
    next: u64,
    seen: BTreeMap<u64, Seen>,
}

struct Collect(Arc<Mutex<Spans>>);

thread_local! {
    /// The spans entered on this thread, innermost last.
    static STACK: RefCell<Vec<(u64, &'static Metadata<'static>)>> = const { RefCell::new(Vec::new()) };
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut spans = self.0.lock().unwrap();
        spans.next += 1;
        let id = spans.next;
        let mut seen = Seen {
            name: attrs.metadata().name(),
            metadata: Some(attrs.metadata()),
            root: attrs.is_root(),
            parent: attrs.parent().map(Id::into_u64),
            ..Seen::default()
        };
        if attrs.is_contextual() {
            seen.parent = STACK.with_borrow(|stack| stack.last().map(|(id, _)| *id));
        }
        attrs.record(&mut Fields(&mut seen.fields));
        spans.seen.insert(id, seen);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        if let Some(seen) = spans.seen.get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        let mut spans = self.0.lock().unwrap();
        if let Some(seen) = spans.seen.get_mut(&span.into_u64()) {
            seen.follows.push(follows.into_u64());
        }
    }

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, span: &Id) {
        let metadata = self.0.lock().unwrap().seen[&span.into_u64()]
            .metadata
            .unwrap();
        STACK.with_borrow_mut(|stack| stack.push((span.into_u64(), metadata)));
    }

    fn exit(&self, span: &Id) {
        STACK.with_borrow_mut(|stack| {
            if let Some(at) = stack.iter().rposition(|(id, _)| *id == span.into_u64()) {
                stack.remove(at);
            }
        });
    }

    fn current_span(&self) -> tracing_core::span::Current {
        STACK.with_borrow(|stack| match stack.last() {
            Some((id, metadata)) => tracing_core::span::Current::new(Id::from_u64(*id), metadata),
            None => tracing_core::span::Current::none(),
        })
    }
}

/// The process's one subscriber (actors run on threads of their own: it must be global).
fn spans() -> &'static Arc<Mutex<Spans>> {
    static SPANS: OnceLock<Arc<Mutex<Spans>>> = OnceLock::new();
    SPANS.get_or_init(|| {
        let spans = Arc::new(Mutex::new(Spans::default()));
        tracing::subscriber::set_global_default(Collect(spans.clone())).unwrap();
        spans
    })
}

#[derive(Message)]
struct Start(u32);

#[derive(Message)]
struct Pass(u32);

#[derive(Message)]
#[message(reply = ())]
struct Flush;

#[derive(Message)]
struct Boom;

struct Front {
    next: Addr<Middle>,
}

#[actor]
impl Front {
    #[handles(Start)]
    fn start(&mut self, Start(n): Start) {
        self.next.tell(Pass(n)).unwrap();
    }

    #[handles(Flush)]
    fn flush(&mut self, _: Flush) {}
}

struct Middle {
    next: Addr<Back>,
}

#[actor]
impl Middle {
    #[handles(Pass)]
    fn pass(&mut self, Pass(n): Pass) {
        self.next.tell(Pass(n + 1)).unwrap();
    }

    #[handles(Flush)]
    fn flush(&mut self, _: Flush) {}
}

struct Back {
    done: crossbeam_channel::Sender<u32>,
}

#[actor]
impl Back {
    #[handles(Pass)]
    fn pass(&mut self, Pass(n): Pass) {
        self.done.send(n).unwrap();
    }

    #[handles(Flush)]
    fn flush(&mut self, _: Flush) {}
}

/// The handle spans of actors of type `type_name`.
fn handle_spans(type_name: &str) -> Vec<(u64, Seen)> {
    spans()
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|(_, seen)| {
            seen.name == "handle"
                && seen.fields.get("actor.type").map(String::as_str) == Some(type_name)
        })
        .map(|(id, seen)| (*id, seen.clone()))
        .collect()
}

#[test]
fn a_three_actor_exchange_is_a_chain_of_root_spans_linked_to_their_senders() {
    spans();
    let (done, finished) = crossbeam_channel::unbounded();
    let back = Back { done }.spawn();
    Registry::register("tracing-back", &back).unwrap();
    let middle = Middle { next: back.clone() }.spawn();
    let front = Front {
        next: middle.clone(),
    }
    .spawn();

    // The request's own span, entered where the first message is sent.
    let request = tracing::info_span!("request");
    let request_id = request.id().unwrap().into_u64();
    request.in_scope(|| front.tell(Start(41)).unwrap());
    assert_eq!(finished.recv_timeout(WAIT).unwrap(), 42);
    // Each actor handles one message at a time: once it answers a `Flush`, the span of
    // the message before has ended, its outcome recorded (Front's may still be open when
    // Back has answered: it records its outcome after its `tell` to Middle).
    let bridge = Bridge::new();
    bridge.call(&front, Flush, WAIT).unwrap();
    bridge.call(&middle, Flush, WAIT).unwrap();
    bridge.call(&back, Flush, WAIT).unwrap();

    let of = |type_name: &str, message: &str| -> Vec<_> {
        handle_spans(type_name)
            .into_iter()
            .filter(|(_, seen)| seen.fields["message"] == message)
            .collect()
    };
    let front_spans = of("Front", "Start");
    let middle_spans = of("Middle", "Pass");
    let back_spans = of("Back", "Pass");
    assert_eq!(front_spans.len(), 1, "{front_spans:?}");
    assert_eq!(middle_spans.len(), 1, "{middle_spans:?}");
    assert_eq!(back_spans.len(), 1, "{back_spans:?}");
    let (front_id, front_span) = &front_spans[0];
    let (middle_id, middle_span) = &middle_spans[0];
    let (_, back_span) = &back_spans[0];

    // Every message's span is a root: no parent, whatever the sender was in.
    for span in [front_span, middle_span, back_span] {
        assert!(span.root, "{span:?}");
        assert_eq!(span.parent, None, "{span:?}");
        assert_eq!(span.fields["outcome"], "handled", "{span:?}");
    }
    // ... linked to the sender's span: request -> Front -> Middle -> Back.
    assert_eq!(front_span.follows, [request_id]);
    assert_eq!(middle_span.follows, [*front_id]);
    assert_eq!(back_span.follows, [*middle_id]);

    // The fields name the actor and the message.
    assert_eq!(front_span.fields["message"], "Start");
    assert_eq!(
        front_span.fields["actor.id"],
        front.info().id.get().to_string()
    );
    assert_eq!(front_span.fields["actor.name"], "");
    assert_eq!(back_span.fields["actor.name"], "tracing-back");
    assert_eq!(
        back_span.fields["actor.id"],
        back.info().id.get().to_string()
    );
    drop(request);
}

struct Fragile;

#[actor]
impl Fragile {
    #[handles(Boom)]
    fn boom(&mut self, _: Boom) {
        panic!("boom");
    }

    #[handles(Flush)]
    fn flush(&mut self, _: Flush) {}
}

#[test]
fn a_panicking_handler_s_span_says_panicked() {
    spans();
    let fragile = Spawn::new(Fragile).on_panic(OnPanic::Resume).spawn();
    fragile.tell(Boom).unwrap();
    Bridge::new().call(&fragile, Flush, WAIT).unwrap();
    // The call returns as the reply is sent, before the span of `Flush` ends: only the
    // spans before it are complete.
    let outcomes: Vec<String> = handle_spans("Fragile")
        .into_iter()
        .map(|(_, seen)| {
            let outcome = seen.fields.get("outcome").map_or("(open)", String::as_str);
            format!("{}:{outcome}", seen.fields["message"])
        })
        .collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(outcomes[0], "Boom:panicked");
    assert!(outcomes[1].starts_with("Flush:"), "{outcomes:?}");
}

#[derive(Message)]
struct Hold(crossbeam_channel::Receiver<()>);

struct Stuck;

#[actor]
impl Stuck {
    #[handles(Hold)]
    fn hold(&mut self, Hold(gate): Hold) {
        let _ = gate.recv();
    }

    #[handles(Flush)]
    fn flush(&mut self, _: Flush) {}
}

#[test]
fn mail_dropped_because_its_actor_stopped_has_a_refused_span() {
    spans();
    let stuck = Stuck.spawn();
    let watcher = Bridge::new();
    watcher.watch(&stuck.any());
    let (open, gate) = crossbeam_channel::bounded(0);
    stuck.tell(Hold(gate)).unwrap();
    stuck.tell(Stop).unwrap();
    let sent = tracing::info_span!("late sender");
    let sent_id = sent.id().unwrap().into_u64();
    sent.in_scope(|| stuck.tell(Flush).unwrap()); // queued behind the stop
    open.send(()).unwrap();
    // The notice comes after the queued mail was dropped.
    let notice: actor_core::Terminated = watcher.receive(WAIT).unwrap().downcast().unwrap();
    assert_eq!(notice.actor, stuck.info());
    let spans = handle_spans("Stuck");
    let outcomes: Vec<&str> = spans
        .iter()
        .map(|(_, seen)| seen.fields["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, ["handled", "refused"], "{spans:?}");
    assert_eq!(spans[1].1.follows, [sent_id]);
}

#[test]
fn plain_code_without_a_span_sends_mail_with_no_link() {
    spans();
    struct Lone;
    #[actor]
    impl Lone {
        #[handles(Flush)]
        fn flush(&mut self, _: Flush) {}
    }
    let lone = Lone.spawn();
    Bridge::new().call(&lone, Flush, WAIT).unwrap();
    let lone_spans = handle_spans("Lone");
    assert_eq!(lone_spans.len(), 1);
    assert!(lone_spans[0].1.follows.is_empty(), "{lone_spans:?}");
}
