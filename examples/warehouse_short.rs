//! `warehouse.rs` in the short form: the messages are generated from the handlers'
//! signatures (`#[message]`) and sent through the typed helpers `#[actor]` puts on
//! `Addr<A>` (`WorkerAddr`, `WarehouseAddr`), so no message struct is written or named.
//!
//! Prints the same three lines:
//! ```text
//! [2, 4, 6]
//! [-4, -8, -12]
//! [Some(Stopped), Some(Stopped), Some(Stopped)]
//! ```

use actor_core::prelude::*;
use std::time::Duration;

struct Worker {
    skill: fn(i64) -> i64,
}

#[actor]
impl Worker {
    /// Applies the skill to `input` and delivers the product to `destination`.
    #[message]
    fn task(&mut self, input: i64, destination: Addr<Warehouse>) {
        destination.product((self.skill)(input)).tell().ok();
    }

    /// Answered once everything sent to the worker before it has been handled.
    #[message]
    fn flush(&mut self) {}
}

#[derive(Default)]
struct Warehouse {
    inventory: Vec<i64>,
}

#[actor]
impl Warehouse {
    #[message]
    fn get_inventory(&mut self) -> Vec<i64> {
        self.inventory.clone()
    }

    #[message]
    fn product(&mut self, n: i64) {
        self.inventory.push(n)
    }
}

fn main() -> Result<(), actor_core::Error> {
    let worker = Worker { skill: |x| x * 2 }.spawn(); // own thread
    let positives = Warehouse::default().spawn();
    let negatives = Warehouse::default().spawn();
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(1);
    for v in [1, 2, 3, -2, -4, -6] {
        let dest = if v >= 0 { &positives } else { &negatives };
        worker.task(v, dest.clone()).tell()?;
    }
    // As in warehouse.rs: drain the worker before reading the inventories.
    worker.flush().call(&bridge, timeout)?;
    println!("{:?}", positives.get_inventory().call(&bridge, timeout)?); // [2, 4, 6]
    println!("{:?}", negatives.get_inventory().call(&bridge, timeout)?); // [-4, -8, -12]
    println!(
        "{:?}",
        bridge.stop(&[worker.any(), positives.any(), negatives.any()], timeout)
    ); // [Some(Stopped), Some(Stopped), Some(Stopped)]
    Ok(())
}
