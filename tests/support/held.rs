//! `Slow`, an actor held in its first handler while its mailbox fills: the backed-up stage
//! the console tests show (`observe_console.rs`, `observe_cluster.rs`).

use actor_core::prelude::*;
use crossbeam_channel::{Receiver, Sender as Channel};

/// Holds `Slow`: it says it has entered on the first channel, then waits on the second
/// (until a message or the sender's drop).
#[derive(Message)]
pub struct Hold(pub Channel<()>, pub Receiver<()>);

/// A job that queues behind a `Hold`.
#[derive(Message)]
pub struct Job;

/// A call that waits behind a `Hold`.
#[derive(Message)]
#[message(reply = ())]
pub struct Ping;

/// Held in its first handler while its mailbox fills.
pub struct Slow;

#[actor]
impl Slow {
    #[handles(Hold)]
    fn hold(&mut self, Hold(entered, gate): Hold) {
        entered.send(()).unwrap();
        let _ = gate.recv();
    }

    #[handles(Job)]
    fn job(&mut self, _: Job) {}

    #[handles(Ping)]
    fn ping(&mut self, _: Ping) {}
}
