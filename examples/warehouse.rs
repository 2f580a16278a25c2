//! The seed recipe's demo: a Worker doubles numbers and delivers each product to one of
//! two Warehouses; plain code reads their inventories through a Bridge, then stops all
//! three actors.
//!
//! Prints:
//! ```text
//! [2, 4, 6]
//! [-4, -8, -12]
//! [Some(Stopped), Some(Stopped), Some(Stopped)]
//! ```

use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)] // reply type defaults to ()
struct Product(i64);

#[derive(Message)]
#[message(reply = Vec<i64>)] // typed reply
struct GetInventory;

/// Answered once everything sent to the worker before it has been handled.
#[derive(Message)]
struct Flush;

#[derive(Message)]
struct Task {
    input: i64,
    destination: Recipient<Product>,
}

struct Worker {
    skill: fn(i64) -> i64,
}

#[actor]
impl Worker {
    #[handles(Task)]
    fn on_task(&mut self, task: Task, _ctx: &mut Context<Self>) {
        task.destination
            .tell(Product((self.skill)(task.input)))
            .ok();
    }

    #[handles(Flush)]
    fn on_flush(&mut self, _: Flush) {}
}

#[derive(Default)]
struct Warehouse {
    inventory: Vec<i64>,
}

#[actor]
impl Warehouse {
    #[handles(GetInventory)]
    fn on_get(&mut self, _: GetInventory) -> Vec<i64> {
        self.inventory.clone()
    }

    #[handles(Product)]
    fn on_product(&mut self, p: Product) {
        self.inventory.push(p.0)
    }
}

fn main() -> Result<(), actor_core::Error> {
    let worker = Worker { skill: |x| x * 2 }.spawn(); // own thread
    let positives = Warehouse::default().spawn();
    let negatives = Warehouse::default().spawn();
    let bridge = Bridge::new();
    for v in [1, 2, 3, -2, -4, -6] {
        let dest = if v >= 0 { &positives } else { &negatives };
        worker.tell(Task {
            input: v,
            destination: dest.recipient(),
        })?;
    }
    // The worker forwards every product before it handles Stop, but a warehouse may be
    // asked for its inventory before the worker has got that far: drain the worker first.
    bridge.call(&worker, Flush, Duration::from_secs(1))?;
    println!(
        "{:?}",
        bridge.call(&positives, GetInventory, Duration::from_secs(1))?
    ); // [2, 4, 6]
    println!(
        "{:?}",
        bridge.call(&negatives, GetInventory, Duration::from_secs(1))?
    ); // [-4, -8, -12]
    println!(
        "{:?}",
        bridge.stop(
            &[worker.any(), positives.any(), negatives.any()],
            Duration::from_secs(1)
        )
    ); // [Some(Stopped), Some(Stopped), Some(Stopped)]
    Ok(())
}
