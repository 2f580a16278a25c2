//! Stable wire identity: `#[message(name = "...")]` names a message on the wire, so two
//! builds that define it apart (other crate paths, other Rust names) still talk; without
//! it a message goes by its full Rust type name, as before. One served name never takes
//! two message types of one wire name.
#![cfg(feature = "wire")]

use actor_core::prelude::*;
use actor_core::wire::codec::wire_name;
use actor_core::wire::{DeMux, Fault, Mux, RemoteError, Transport, WireError, Workers};
use std::time::Duration;

/// Long enough never to expire on a healthy run; expiry means a bug, not a slow machine.
const WAIT: Duration = Duration::from_secs(30);

/// The serving program's build: its message types, its actor.
mod server_build {
    use actor_core::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub enum Wrapping {
        Plain,
        Gift { note: String },
    }

    #[derive(Message, Serialize, Deserialize)]
    #[message(name = "shop.Order", reply = Receipt)]
    pub struct Order {
        pub item: String,
        pub count: u32,
        pub wrapping: Option<Wrapping>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    pub struct Receipt {
        pub total: u64,
        pub lines: Vec<String>,
    }

    /// Named like the client's unnamed message, on another path.
    #[derive(Message, Serialize, Deserialize)]
    #[message(reply = u64)]
    pub struct Price(pub u32);

    pub struct Shop;

    #[actor(remote)]
    impl Shop {
        #[handles(Order)]
        fn order(&mut self, order: Order) -> Receipt {
            let mut lines = vec![format!("{} x {}", order.count, order.item)];
            if let Some(Wrapping::Gift { note }) = order.wrapping {
                lines.push(format!("gift: {note}"));
            }
            Receipt {
                total: u64::from(order.count) * 3,
                lines,
            }
        }

        #[handles(Price)]
        fn price(&mut self, Price(count): Price) -> u64 {
            u64::from(count) * 3
        }
    }
}

/// The calling program's build: the same layouts under other names, fields renamed.
mod client_build {
    use actor_core::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub enum Packing {
        Bare,
        Present { card: String },
    }

    #[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
    #[message(reply = Bill, name = "shop.Order")]
    pub struct Purchase {
        pub what: String,
        pub how_many: u32,
        pub packing: Option<Packing>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    pub struct Bill {
        pub sum: u64,
        pub text: Vec<String>,
    }

    /// The server's `Price` layout, without a wire name: it goes by this path.
    #[derive(Message, Serialize, Deserialize, Debug, PartialEq)]
    #[message(reply = u64)]
    pub struct Price(pub u32);
}

/// A DeMux serving the server build's `Shop` as "shop", and a Mux connected to it.
fn shop() -> (DeMux, Mux) {
    let demux = DeMux::new(Workers::Pool(2)).unwrap();
    let _exposed = demux
        .expose_actor("shop", &server_build::Shop.spawn())
        .check()
        .unwrap();
    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    (demux, Mux::new(near).unwrap())
}

#[test]
fn a_named_message_goes_by_its_name_and_an_unnamed_one_by_its_type_name() {
    assert_eq!(wire_name::<server_build::Order>(), "shop.Order");
    assert_eq!(wire_name::<client_build::Purchase>(), "shop.Order");
    assert_eq!(
        wire_name::<server_build::Price>(),
        "wire_names::server_build::Price"
    );
    assert_eq!(
        wire_name::<client_build::Price>(),
        "wire_names::client_build::Price"
    );
    assert_eq!(wire_name::<Stop>(), std::any::type_name::<Stop>());
}

#[test]
fn two_builds_with_one_wire_name_talk() {
    let (demux, mux) = shop();
    let bill = mux
        .call(
            "shop",
            client_build::Purchase {
                what: "tea".into(),
                how_many: 4,
                packing: Some(client_build::Packing::Present {
                    card: "for you".into(),
                }),
            },
            WAIT,
        )
        .unwrap();
    assert_eq!(
        bill,
        client_build::Bill {
            sum: 12,
            text: vec!["4 x tea".into(), "gift: for you".into()],
        }
    );
    // A tell under the name reaches the actor too: a call after it is answered in order.
    mux.tell(
        "shop",
        client_build::Purchase {
            what: "cup".into(),
            how_many: 1,
            packing: None,
        },
    )
    .unwrap();
    let bill = mux
        .call(
            "shop",
            client_build::Purchase {
                what: "pot".into(),
                how_many: 2,
                packing: Some(client_build::Packing::Bare),
            },
            WAIT,
        )
        .unwrap();
    assert_eq!(bill.sum, 6);
    assert!(demux.anomalies().is_empty(), "{:?}", demux.anomalies());
    assert!(mux.anomalies().is_empty(), "{:?}", mux.anomalies());
}

#[test]
fn without_a_wire_name_the_same_layout_on_another_path_is_refused() {
    let (_demux, mux) = shop();
    match mux.call("shop", client_build::Price(5), WAIT) {
        Err(RemoteError::Failed(WireError::Remote(Fault::NotHandled { actor, message }))) => {
            assert_eq!(actor, "shop");
            assert_eq!(message, "wire_names::client_build::Price");
        }
        other => panic!("expected the far side to refuse the unknown message, got {other:?}"),
    }
    // The connection goes on.
    let bill = mux
        .call(
            "shop",
            client_build::Purchase {
                what: "tea".into(),
                how_many: 1,
                packing: None,
            },
            WAIT,
        )
        .unwrap();
    assert_eq!(bill.sum, 3);
}

// ---------------------------------------------------------------------------------------
// One served name, one type per wire name

mod clash {
    use actor_core::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Message, Serialize, Deserialize)]
    #[message(name = "shop.Order", reply = String)]
    pub struct Order(pub u32);

    #[derive(Message, Serialize, Deserialize)]
    #[message(name = "shop.Order", reply = String)]
    pub struct Refund(pub u32);

    pub struct Till;

    #[actor]
    impl Till {
        #[handles(Order)]
        fn order(&mut self, _: Order) -> String {
            "ordered".into()
        }

        #[handles(Refund)]
        fn refund(&mut self, _: Refund) -> String {
            "refunded".into()
        }
    }
}

#[test]
fn a_second_type_of_one_wire_name_is_refused_and_the_first_stays() {
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    let till = clash::Till.spawn();

    let refused = demux
        .expose("till", &till)
        .try_handle::<clash::Order>()
        .unwrap()
        .try_handle::<clash::Refund>()
        .map(|_| ())
        .unwrap_err();
    let expected = WireError::WireNameTaken {
        actor: "till".into(),
        message: "shop.Order".into(),
        first: std::any::type_name::<clash::Order>().into(),
        second: std::any::type_name::<clash::Refund>().into(),
    };
    assert_eq!(refused, expected);
    assert!(
        refused
            .to_string()
            .contains("another `#[message(name = ..)]`"),
        "{refused}"
    );

    // The chaining form keeps the refusal for `check`, and records it.
    let checked = demux
        .expose("till", &till)
        .handle::<clash::Refund>()
        .handle::<clash::Order>()
        .check()
        .map(|_| ())
        .unwrap_err();
    assert_eq!(checked, expected);
    assert_eq!(demux.anomalies(), vec![expected]);

    // Registering the same type again is still a replacement, not a clash.
    demux
        .expose("till", &till)
        .try_handle::<clash::Order>()
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(
        demux.exposed(),
        vec![("till".to_owned(), vec!["shop.Order"])]
    );

    // The first type still serves the name.
    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    let mux = Mux::new(near).unwrap();
    assert_eq!(mux.call("till", clash::Refund(1), WAIT).unwrap(), "ordered");
}

#[test]
fn a_function_of_a_taken_wire_name_is_refused() {
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    demux
        .try_function("till", |_: clash::Order| "ordered".to_owned())
        .unwrap();
    let refused = demux
        .try_function("till", |_: clash::Refund| "refunded".to_owned())
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(&refused, WireError::WireNameTaken { actor, message, .. }
            if actor == "till" && message == "shop.Order"),
        "{refused:?}"
    );
    // The recording form, and an actor under the same name: refused as well.
    demux.function("till", |_: clash::Refund| "refunded".to_owned());
    let exposed = demux
        .expose("till", &clash::Till.spawn())
        .handle::<clash::Refund>()
        .check();
    assert!(exposed.is_err());
    assert_eq!(demux.anomalies().len(), 2);
    // Under another name, the same type is no clash.
    demux
        .try_function("other till", |_: clash::Refund| "refunded".to_owned())
        .unwrap();

    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    let mux = Mux::new(near).unwrap();
    assert_eq!(mux.call("till", clash::Refund(1), WAIT).unwrap(), "ordered");
    assert_eq!(
        mux.call("other till", clash::Order(1), WAIT).unwrap(),
        "refunded"
    );
}

// ---------------------------------------------------------------------------------------
// The short form

mod counter_build {
    use actor_core::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Default)]
    pub struct Counter {
        n: u64,
    }

    #[actor(remote)]
    impl Counter {
        /// Adds `by`.
        #[message(wire_name = "counter.Add", derive(Serialize, Deserialize))]
        pub fn add(&mut self, by: u64) -> u64 {
            self.n += by;
            self.n
        }
    }
}

mod counter_client {
    use actor_core::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Message, Serialize, Deserialize, Debug)]
    #[message(name = "counter.Add", reply = u64)]
    pub struct Increment {
        pub amount: u64,
    }
}

#[test]
fn a_generated_message_takes_its_wire_name_from_wire_name() {
    assert_eq!(wire_name::<counter_build::Add>(), "counter.Add");
    let demux = DeMux::new(Workers::Pool(1)).unwrap();
    let _exposed = demux
        .expose_actor("counter", &counter_build::Counter::default().spawn())
        .check()
        .unwrap();
    let (near, far) = Transport::pair().unwrap();
    let _served = demux.serve(far).unwrap();
    let mux = Mux::new(near).unwrap();
    let call = |amount| {
        mux.call("counter", counter_client::Increment { amount }, WAIT)
            .unwrap()
    };
    assert_eq!(call(2), 2);
    assert_eq!(call(5), 7);
}

// ---------------------------------------------------------------------------------------
// Over NATS: the node matches requests by the same names, and refuses the same clashes

#[cfg(feature = "nats")]
#[path = "nats/server.rs"]
mod server;

#[cfg(feature = "nats")]
mod over_nats {
    use super::{clash, client_build, server::NatsServer, server_build, WAIT};
    use actor_core::nats::{NatsError, Node};
    use actor_core::prelude::*;
    use actor_core::wire::WireError;

    #[test]
    fn two_builds_talk_over_nats_and_a_clash_is_refused_before_subscribing() {
        let server = NatsServer::start();
        let serving = Node::connect(&server.url()).unwrap();
        let calling = Node::connect(&server.url()).unwrap();
        serving.serve("shop", &server_build::Shop.spawn()).unwrap();
        let bill = calling
            .call(
                "shop",
                client_build::Purchase {
                    what: "tea".into(),
                    how_many: 2,
                    packing: None,
                },
                WAIT,
            )
            .unwrap();
        assert_eq!(bill.sum, 6);
        assert_eq!(bill.text, vec!["2 x tea".to_owned()]);

        // Two types of one wire name under one served name: refused, nothing subscribed.
        let refused = serving
            .serve_with("till", &clash::Till.spawn(), |exposed| {
                exposed.handle::<clash::Order>().handle::<clash::Refund>()
            })
            .unwrap_err();
        assert!(
            matches!(&refused, NatsError::Refused(WireError::WireNameTaken { actor, message, .. })
                if actor == "till" && message == "shop.Order"),
            "{refused:?}"
        );
        let unserved = calling.call("till", clash::Order(1), WAIT).unwrap_err();
        assert!(unserved.error().is_no_responders(), "{unserved}");

        // A function under a served name, of a wire name another type has there: refused.
        let refused = serving
            .function("shop", |_: client_build::Purchase| client_build::Bill {
                sum: 0,
                text: Vec::new(),
            })
            .unwrap_err();
        assert!(
            matches!(refused, NatsError::Refused(WireError::WireNameTaken { .. })),
            "{refused:?}"
        );
        // And the first still serves it.
        let bill = calling
            .call(
                "shop",
                client_build::Purchase {
                    what: "cup".into(),
                    how_many: 1,
                    packing: None,
                },
                WAIT,
            )
            .unwrap();
        assert_eq!(bill.sum, 3);
    }
}
