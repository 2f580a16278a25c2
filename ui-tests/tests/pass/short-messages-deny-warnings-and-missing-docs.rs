//! Generated message types and helpers raise no warning, even where every warning is an
//! error and every public item needs docs, whether the method is public or not and
//! whether or not anyone uses them.

#![deny(warnings, missing_docs)]

use actor_core::prelude::*;
use std::time::Duration;

/// A public actor.
#[derive(Default)]
pub struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    /// Adds `by`; replies with the new count.
    #[message(derive(Debug, Clone))]
    pub fn inc(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }

    /// Documented, with undocumented parameters: the generated fields get docs.
    #[message]
    pub fn fields(&mut self, a: u8, b: String) {
        let _ = (a, b);
    }

    #[message]
    fn undocumented(&mut self, a: u8, b: String) {
        let _ = (a, b);
    }

    #[message]
    fn private(&self) -> u64 {
        self.n
    }

    /// Never sent by anyone.
    #[message]
    pub fn unused(&mut self, _ctx: &mut Context<Self>) {}
}

/// A private actor whose helpers are never used.
struct Quiet;

#[actor]
impl Quiet {
    #[message]
    fn hush(&mut self) {}
}

fn main() {
    let counter = Counter::default().spawn();
    let bridge = Bridge::new();
    assert_eq!(counter.inc(3).call(&bridge, Duration::from_secs(5)).unwrap(), 3);
    assert_eq!(counter.private().call(&bridge, Duration::from_secs(5)).unwrap(), 3);
    counter.undocumented(1, String::new()).tell().unwrap();
    counter.fields(2, String::new()).tell().unwrap();
    let _ = Quiet.spawn();
}
