//! Actors on several machines over NATS: a served actor called and told from another
//! node, a worker pool spread over three nodes (a NATS queue group), a publish that
//! reaches subscribers on every node, and what failure looks like.
//!
//! Each node below is a NATS connection of its own, exactly as it would be in a process
//! on a machine of its own; they share this process only to keep the example short.
//!
//! ```sh
//! cargo run --example nats --features nats                      # starts a nats-server
//! cargo run --example nats --features nats -- nats://host:4222  # uses yours
//! NATS_URL=nats://host:4222 cargo run --example nats --features nats
//! ```
//!
//! Prints (the port and the spread over the workers vary; the warehouse's panic report
//! goes to stderr):
//! ```text
//! NATS at nats://127.0.0.1:40117 (a nats-server of our own)
//! the store serves `warehouse` on example.actor.warehouse
//! the shop told 3 products and called: inventory [2, 4, 6]
//! 30 squares from the queue group, each computed once: 11 by worker-0, 9 by worker-1, 10 by worker-2
//! Price(101) reached: trader on worker-0, trader on worker-1
//! a name no one serves: no one serves `nobody`: the server has no subscriber on `example.actor.nobody`
//! too large to send: a packet of 1048613 bytes is over the server's limit of 1048576 bytes (its max_payload), so it was not sent (1048576 bytes given back)
//! a handler that panicked: `warehouse` panicked while handling `nats::Burn`: the warehouse burned down
//! after close: the connection to NATS server nats://127.0.0.1:40117 is closed: the node was closed
//! Bye.
//! ```

#[path = "../tests/nats/server.rs"]
mod server;

use actor_core::nats::{Node, NodeConfig};
use actor_core::prelude::*;
use serde::{Deserialize, Serialize};
use server::NatsServer;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Message, Serialize, Deserialize)]
struct Product(i64);

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Vec<i64>)]
struct GetInventory;

#[derive(Message, Serialize, Deserialize)]
#[message(reply = ())]
struct Burn;

#[derive(Default)]
struct Warehouse {
    inventory: Vec<i64>,
}

// `remote`: the handlers are also listed for serving over the wire.
#[actor(remote)]
impl Warehouse {
    #[handles(GetInventory)]
    fn on_get(&mut self, _: GetInventory) -> Vec<i64> {
        self.inventory.clone()
    }

    #[handles(Product)]
    fn on_product(&mut self, p: Product) {
        self.inventory.push(p.0)
    }

    #[handles(Burn)]
    fn on_burn(&mut self, _: Burn) {
        panic!("the warehouse burned down")
    }
}

#[derive(Message, Serialize, Deserialize)]
#[message(reply = Squared)]
struct Square(u64);

#[derive(Serialize, Deserialize)]
struct Squared {
    square: u64,
    by: usize,
}

#[derive(Message, Serialize, Deserialize)]
#[message(reply = usize)]
struct Weigh(Vec<u8>);

#[derive(Message, Clone, Serialize, Deserialize, Debug)]
struct Price(u32);

struct Trader {
    node: String,
    seen: crossbeam_channel::Sender<String>,
}

#[actor]
impl Trader {
    #[handles(Price)]
    fn on_price(&mut self, price: Price) {
        self.seen.send(format!("{price:?} on {}", self.node)).ok();
    }
}

fn main() -> Result<(), BoxError> {
    // A server given by URL, or one of our own, stopped when `_server` goes.
    let (_server, url) = NatsServer::given_or_own()?;
    let config = NodeConfig::new([url]).prefix("example");
    let connect = |name: &str| config.clone().client_name(name).connect();

    // Serve an actor on one node; call and tell it from another.
    let store = connect("store")?;
    store.serve("warehouse", &Warehouse::default().spawn())?;
    println!(
        "the store serves `warehouse` on {}",
        store.subject_of("warehouse")
    );
    let shop = connect("shop")?;
    let warehouse = shop.remote::<Warehouse>("warehouse");
    for n in [2, 4, 6] {
        warehouse.tell(Product(n))?;
    }
    println!(
        "the shop told 3 products and called: inventory {:?}",
        warehouse.call(GetInventory, WAIT)?
    );

    // A worker pool: three nodes serve the same name, each request goes to one of them.
    let workers = (0..3)
        .map(|i| {
            let worker = connect(&format!("worker-{i}"))?;
            worker.function("squarer", move |Square(n): Square| Squared {
                square: n * n,
                by: i,
            })?;
            Ok(worker)
        })
        .collect::<Result<Vec<Node>, BoxError>>()?;
    let mut by_worker = [0; 3];
    for n in 0..30 {
        let squared = shop.call("squarer", Square(n), WAIT)?;
        assert_eq!(squared.square, n * n);
        by_worker[squared.by] += 1;
    }
    println!(
        "30 squares from the queue group, each computed once: {} by worker-0, {} by worker-1, {} by worker-2",
        by_worker[0], by_worker[1], by_worker[2]
    );

    // Publish/subscribe across nodes: traders on two workers, a price from the shop.
    let (seen, reports) = crossbeam_channel::unbounded();
    for (i, worker) in workers.iter().take(2).enumerate() {
        let trader = Trader {
            node: format!("worker-{i}"),
            seen: seen.clone(),
        }
        .spawn();
        worker.pubsub().subscribe(&trader.recipient::<Price>())?;
    }
    shop.pubsub().publish(Price(101))?;
    let mut reached: Vec<String> = (0..2)
        .map(|_| reports.recv_timeout(WAIT))
        .collect::<Result<_, _>>()?;
    reached.sort();
    let reached: Vec<String> = reached
        .iter()
        .map(|r| r.replace("Price(101) on ", "trader on "))
        .collect();
    println!("Price(101) reached: {}", reached.join(", "));

    // Failure is explicit, and fast.
    if let Err(e) = shop.call("nobody", Square(1), WAIT) {
        println!("a name no one serves: {e}");
    }
    let blob = vec![0; shop.max_payload()];
    if let Err(e) = shop.call("scales", Weigh(blob), WAIT) {
        let given_back = e.to_string();
        let len = e.into_message().map_or(0, |Weigh(blob)| blob.len());
        println!("too large to send: {given_back} ({len} bytes given back)");
    }
    if let Err(e) = warehouse.call(Burn, WAIT) {
        println!("a handler that panicked: {e}");
    }
    shop.close();
    if let Err(e) = warehouse.call(GetInventory, WAIT) {
        println!("after close: {e}");
    }
    println!("Bye.");
    Ok(())
}
