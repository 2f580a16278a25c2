//! The seed `000` message processors: several named processors share one driver thread,
//! are found by name, receive what is published to the topics they subscribe to, and are
//! closed (which removes their names).

use actor_core::prelude::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

/// The seed's `Msg`: a message id and command select the topic.
#[derive(Message, Clone, Debug)]
struct Msg {
    mid: u32,
    cmd: u32,
    data: String,
}

impl Msg {
    fn topic(&self) -> String {
        format!("{}/{}", self.mid, self.cmd)
    }
}

/// What a processor has handled so far.
#[derive(Message)]
#[message(reply = Vec<String>)]
struct Handled;

struct Mproc {
    handled: Vec<String>,
}

#[actor]
impl Mproc {
    #[handles(Msg)]
    fn on_msg(&mut self, msg: Msg) {
        self.handled.push(format!("{} ({})", msg.data, msg.topic()));
    }

    #[handles(Handled)]
    fn on_handled(&self, _: Handled) -> Vec<String> {
        self.handled.clone()
    }
}

fn main() -> Result<(), actor_core::Error> {
    // One thread serves every processor, as the seed's shared MprocDriver.
    let driver = Driver::new(1);
    for name in ["alpha", "beta", "gamma"] {
        let mproc = Mproc {
            handled: Vec::new(),
        }
        .spawn_on(&driver);
        Registry::register(name, &mproc)?;
    }
    println!("live: {:?}", names());

    // Publish/subscribe on the seed's mid/cmd pairs.
    let pubsub = PubSub::new();
    let subscribe = |name: &str, topic: &str| {
        let mproc = Registry::lookup::<Mproc>(name).expect("registered above");
        pubsub.subscribe_to(topic, &mproc.recipient::<Msg>());
    };
    subscribe("alpha", "1/0");
    subscribe("gamma", "1/0");
    subscribe("beta", "2/7");
    let status = Msg {
        mid: 1,
        cmd: 0,
        data: "status".into(),
    };
    let reached = pubsub.publish_to(&status.topic(), status);
    println!("published 1/0 to {reached} subscribers");

    // A message sent straight to a processor found by name.
    let beta = Registry::lookup::<Mproc>("beta").expect("registered above");
    beta.tell(Msg {
        mid: 2,
        cmd: 7,
        data: "direct".into(),
    })?;

    let bridge = Bridge::new();
    for name in ["alpha", "beta", "gamma"] {
        let mproc = Registry::lookup::<Mproc>(name).expect("registered above");
        println!("{name} handled {:?}", bridge.call(&mproc, Handled, WAIT)?);
    }

    // Closing a processor removes its name; publishing to its topic reaches no one.
    println!("close beta: {:?}", bridge.call(&beta, Stop, WAIT)?);
    println!("beta found: {}", Registry::lookup_any("beta").is_some());
    println!("live: {:?}", names());
    let reached = pubsub.publish_to(
        "2/7",
        Msg {
            mid: 2,
            cmd: 7,
            data: "late".into(),
        },
    );
    println!("published 2/7 to {reached} subscribers");

    // Closing the driver closes the rest, in the order they were made.
    println!("driver shutdown: {:?}", driver.shutdown(WAIT)?);
    println!("live: {:?}", names());
    Ok(())
}

fn names() -> Vec<String> {
    Registry::list()
        .into_iter()
        .map(|named| named.name)
        .collect()
}
