//! Handles and senders: Recipient, AnyAddr, dynamic messages, the catch-all, who sent
//! what, and panics.

mod common;

use actor_core::prelude::*;
use common::{Echo, Probe, Record, Recorded, WAIT};

#[derive(Message)]
struct Unknown(&'static str);

/// Records the type names of dynamic messages no typed handler took.
#[derive(Default)]
struct Listener {
    others: Vec<String>,
    records: Vec<u64>,
}

#[derive(Message)]
#[message(reply = (Vec<String>, Vec<u64>))]
struct Heard;

#[actor]
impl Listener {
    #[handles(Record)]
    fn record(&mut self, Record(n): Record) {
        self.records.push(n);
    }

    #[handles(Heard)]
    fn heard(&self, _: Heard) -> (Vec<String>, Vec<u64>) {
        (self.others.clone(), self.records.clone())
    }

    #[handles(other)]
    fn other(&mut self, msg: DynMessage) {
        let name = match msg.downcast::<Unknown>() {
            Ok(Unknown(label)) => format!("Unknown({label})"),
            Err(msg) => msg.type_name().to_owned(),
        };
        self.others.push(name);
    }
}

#[test]
fn recipients_of_different_actor_types_share_a_list() {
    let probe = Probe::default().spawn();
    let listener = Listener::default().spawn();
    let sinks: Vec<Recipient<Record>> = vec![probe.recipient(), listener.recipient()];
    for (n, sink) in sinks.iter().enumerate() {
        sink.tell(Record(n as u64)).unwrap();
    }
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&probe, Recorded, WAIT).unwrap(), [0]);
    assert_eq!(bridge.call(&listener, Heard, WAIT).unwrap().1, [1]);
    assert_eq!(sinks[0].info(), probe.info());
}

#[test]
fn any_addr_routes_a_dynamic_message_to_its_typed_handler() {
    let listener = Listener::default().spawn();
    let any = listener.any();
    any.tell(Record(9)).unwrap();
    let (others, records) = Bridge::new().call(&listener, Heard, WAIT).unwrap();
    assert!(others.is_empty());
    assert_eq!(records, [9]);
}

#[test]
fn a_dynamic_message_no_handler_takes_goes_to_the_catch_all() {
    let listener = Listener::default().spawn();
    listener.any().tell(Unknown("x")).unwrap();
    listener.any().tell_dyn(DynMessage::new(3.5_f64)).unwrap();
    let (others, _) = Bridge::new().call(&listener, Heard, WAIT).unwrap();
    assert_eq!(others, ["Unknown(x)", "f64"]);
}

#[test]
fn a_dynamic_message_with_no_handler_and_no_catch_all_comes_back() {
    let probe = Probe::default().spawn();
    match probe.any().tell(Unknown("lost")) {
        Err(SendError::NotHandled {
            actor,
            msg: Unknown("lost"),
        }) => assert_eq!(actor, probe.info()),
        other => panic!("expected the message back, got {other:?}"),
    }
}

#[test]
fn any_addr_knows_the_actor_and_its_message_types() {
    let listener = Listener::default().spawn();
    let any = listener.any();
    assert_eq!(any.id(), listener.id());
    assert_eq!(any.info().name, "Listener");
    assert_eq!(any.handles(), ["Record", "Heard"]);
    assert_eq!(Listener::HANDLES, any.handles());
    assert_eq!(Probe::HANDLES, ["Record", "Recorded", "Hold", "Echo"]);
}

#[test]
fn a_handler_knows_the_actor_that_sent_its_message() {
    #[derive(Message)]
    #[message(reply = Vec<Option<ActorId>>)]
    struct Senders;

    #[derive(Default)]
    struct Witness {
        senders: Vec<Option<ActorId>>,
    }
    #[actor]
    impl Witness {
        #[handles(Record)]
        fn record(&mut self, _: Record, ctx: &mut Context<Self>) {
            self.senders.push(ctx.sender().actor().map(AnyAddr::id));
        }
        #[handles(Senders)]
        fn senders(&self, _: Senders) -> Vec<Option<ActorId>> {
            self.senders.clone()
        }
    }

    #[derive(Message)]
    struct Forward(Addr<Witness>);
    struct Forwarder;
    #[actor]
    impl Forwarder {
        #[handles(Forward)]
        fn forward(&mut self, Forward(witness): Forward) {
            witness.tell(Record(0)).unwrap();
        }
    }

    let witness = Witness::default().spawn();
    let forwarder = Forwarder.spawn();
    let bridge = Bridge::new();
    // The call returns once the forwarder has sent its Record.
    bridge
        .call(&forwarder, Forward(witness.clone()), WAIT)
        .unwrap();
    witness.tell(Record(0)).unwrap(); // from plain code: no sender
    let senders = bridge.call(&witness, Senders, WAIT).unwrap();
    assert_eq!(senders, [Some(forwarder.id()), None]);
}

/// The sender travels inside the mail, where a handler that takes a `Context` can see it
/// (`Mail::stamped`): each way of posting puts it there, on a thread and on a driver.
#[test]
fn every_way_of_posting_hands_the_sender_to_a_handler_that_looks() {
    #[derive(Message)]
    #[message(reply = Vec<(&'static str, Option<ActorId>)>)]
    struct Seen;

    #[derive(Default)]
    struct Witness {
        seen: Vec<(&'static str, Option<ActorId>)>,
    }
    #[actor]
    impl Witness {
        #[handles(Record)]
        fn record(&mut self, Record(n): Record, ctx: &mut Context<Self>) {
            let how = ["addr", "recipient", "any", "any dyn"][n as usize];
            self.seen.push((how, ctx.sender().actor().map(AnyAddr::id)));
        }
        #[handles(Seen)]
        fn seen(&self, _: Seen) -> Vec<(&'static str, Option<ActorId>)> {
            self.seen.clone()
        }
        #[handles(other)]
        fn other(&mut self, _: DynMessage, ctx: &mut Context<Self>) {
            self.seen
                .push(("catch-all", ctx.sender().actor().map(AnyAddr::id)));
        }
    }

    #[derive(Message)]
    #[message(reply = ())]
    struct SendAll(Addr<Witness>);
    struct Poster;
    #[actor]
    impl Poster {
        #[handles(SendAll)]
        fn send_all(&mut self, SendAll(witness): SendAll) {
            witness.tell(Record(0)).unwrap();
            witness.recipient::<Record>().tell(Record(1)).unwrap();
            witness.any().tell(Record(2)).unwrap();
            witness.any().tell_dyn(DynMessage::new(Record(3))).unwrap();
            witness.any().tell(Unknown("x")).unwrap();
            // Not waited for here (the witness's thread answers it in turn).
            drop(witness.exec(|witness, ctx| {
                let from = ctx.sender().actor().map(AnyAddr::id);
                witness.seen.push(("exec", from));
            }));
        }
    }

    /// What the witness saw, the poster's way first, then plain code's `tell`.
    fn expected(from: ActorId) -> Vec<(&'static str, Option<ActorId>)> {
        let from = Some(from);
        vec![
            ("addr", from),
            ("recipient", from),
            ("any", from),
            ("any dyn", from),
            ("catch-all", from),
            ("exec", from),
            ("addr", None),
        ]
    }

    let driver = Driver::new(1);
    for on_driver in [false, true] {
        let (witness, poster) = if on_driver {
            (
                Witness::default().spawn_on(&driver),
                Poster.spawn_on(&driver),
            )
        } else {
            (Witness::default().spawn(), Poster.spawn())
        };
        let bridge = Bridge::new();
        bridge
            .call(&poster, SendAll(witness.clone()), WAIT)
            .unwrap();
        // From plain code: no sender, whichever way.
        witness.tell(Record(0)).unwrap();
        assert_eq!(
            bridge.call(&witness, Seen, WAIT).unwrap(),
            expected(poster.id()),
            "on a driver: {on_driver}"
        );
    }
    driver.shutdown(WAIT).unwrap();

    // In a simulation, which also reads the sender's id as the mail is posted, to keep
    // each sender's order and to name it in the trace.
    let sim = actor_core::sim::Simulation::new(7);
    let witness = Witness::default().spawn_in(&sim);
    let poster = Poster.spawn_in(&sim);
    sim.call(&poster, SendAll(witness.clone()), WAIT).unwrap();
    // A simulation orders each sender's mail, not mail across senders: the poster's is
    // all handled before plain code's is posted.
    sim.run_until_idle().unwrap();
    witness.tell(Record(0)).unwrap();
    assert_eq!(
        sim.call(&witness, Seen, WAIT).unwrap(),
        expected(poster.id())
    );
    let senders: Vec<(&str, Option<&str>)> = sim
        .trace()
        .steps()
        .iter()
        .filter(|step| step.actor.name == "Witness" && step.message != "Seen")
        .map(|step| (step.message, step.sender.as_ref().map(|sender| sender.name)))
        .collect();
    let from = Some("Poster");
    assert_eq!(
        senders,
        [
            ("Record", from),
            ("Record", from),
            ("Record", from),
            ("Record", from),
            // A catch-all message is named by its full type name in a trace.
            (std::any::type_name::<Unknown>(), from),
            ("exec", from),
            ("Record", None),
        ]
    );
}

#[test]
fn a_handler_answers_its_sender_and_plain_code_has_none() {
    /// Answers its sender with `Record(1)`, and reports whether that worked.
    #[derive(Message)]
    struct Answer(crossbeam_channel::Sender<Result<(), u64>>);

    struct Answerer;
    #[actor]
    impl Answerer {
        #[handles(Answer)]
        fn answer(&mut self, Answer(report): Answer, ctx: &mut Context<Self>) {
            let outcome = ctx.sender().tell(Record(1)).map_err(|e| e.into_inner().0);
            report.send(outcome).unwrap();
        }
    }

    let answerer = Answerer.spawn();
    let (report, outcome) = crossbeam_channel::unbounded();

    // From plain code there is no one to answer: the message comes back.
    answerer.tell(Answer(report.clone())).unwrap();
    assert_eq!(outcome.recv_timeout(WAIT).unwrap(), Err(1));

    // From a bridge, the answer lands in the bridge's inbox.
    let bridge = Bridge::new();
    bridge.tell(&answerer, Answer(report)).unwrap();
    assert_eq!(outcome.recv_timeout(WAIT).unwrap(), Ok(()));
    let answer = bridge.receive(WAIT).unwrap();
    assert!(matches!(answer.downcast::<Record>(), Ok(Record(1))));
}

#[test]
fn ping_pong_through_senders_counts_every_round_trip() {
    #[derive(Message)]
    struct Serve(Recipient<Ball>);
    #[derive(Message)]
    struct Ball(u64);
    #[derive(Message)]
    #[message(reply = u64)]
    struct Hits;

    const LAST: u64 = 1_000;
    struct Player {
        hits: u64,
        rally_over: crossbeam_channel::Sender<()>,
    }
    #[actor]
    impl Player {
        #[handles(Serve)]
        fn serve(&mut self, Serve(other): Serve) {
            other.tell(Ball(0)).unwrap();
        }
        #[handles(Ball)]
        fn ball(&mut self, Ball(n): Ball, ctx: &mut Context<Self>) {
            self.hits += 1;
            if n < LAST {
                ctx.sender().tell(Ball(n + 1)).unwrap();
            } else {
                self.rally_over.send(()).unwrap();
            }
        }
        #[handles(Hits)]
        fn hits(&self, _: Hits) -> u64 {
            self.hits
        }
    }

    let (rally_over, over) = crossbeam_channel::bounded(1);
    let player = |rally_over| {
        Player {
            hits: 0,
            rally_over,
        }
        .spawn()
    };
    let a = player(rally_over.clone());
    let b = player(rally_over);
    a.tell(Serve(b.recipient())).unwrap();
    over.recv_timeout(WAIT).unwrap();
    let bridge = Bridge::new();
    // Balls 0..=LAST were each hit once: b hits the even ones, a the odd ones.
    assert_eq!(bridge.call(&b, Hits, WAIT).unwrap(), LAST / 2 + 1);
    assert_eq!(bridge.call(&a, Hits, WAIT).unwrap(), LAST / 2);
}

#[test]
fn a_panicking_handler_tells_its_caller_and_the_actor_goes_on() {
    #[derive(Message)]
    #[message(reply = u64)]
    struct Divide(u64, u64);

    #[derive(Default)]
    struct Calculator {
        answered: u64,
    }
    #[actor]
    impl Calculator {
        #[handles(Divide)]
        fn divide(&mut self, Divide(a, b): Divide) -> u64 {
            if b == 0 {
                panic!("division of {a} by zero");
            }
            self.answered += 1;
            a / b
        }
        #[handles(Echo)]
        fn echo(&mut self, _: Echo) -> u64 {
            self.answered
        }
    }

    let calculator = Calculator::default().spawn();
    let bridge = Bridge::new();
    assert_eq!(bridge.call(&calculator, Divide(6, 3), WAIT).unwrap(), 2);
    match bridge.call(&calculator, Divide(1, 0), WAIT) {
        Err(CallError::Panicked { actor, panic }) => {
            assert_eq!(actor, calculator.info());
            assert_eq!(panic, "division of 1 by zero");
        }
        other => panic!("expected a panic report, got {other:?}"),
    }
    // A panicking tell does not touch its sender; the actor resumes with its state.
    calculator.tell(Divide(1, 0)).unwrap();
    assert_eq!(bridge.call(&calculator, Divide(8, 2), WAIT).unwrap(), 4);
    assert_eq!(bridge.call(&calculator, Echo(0), WAIT).unwrap(), 2);
}

#[test]
fn errors_are_sentences_naming_the_actor_and_the_message() {
    let probe = Probe::default().spawn();
    let bridge = Bridge::new();
    bridge.call(&probe, Stop, WAIT).unwrap();
    let info = probe.info();
    let err = probe.tell(Record(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{info} has stopped, so the `Record` was not delivered")
    );
    let err: actor_core::Error = bridge.call(&probe, Echo(1), WAIT).unwrap_err().into();
    assert_eq!(
        err.to_string(),
        format!("{info} has stopped, so the `Echo` was not delivered")
    );
    assert!(info.to_string().starts_with("Probe#"));
}
