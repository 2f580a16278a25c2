//! A recursive message for the decoders' depth limit, shared by the wire and NATS attack
//! tests and the fuzz run: `n` nested `Some`s are `n` bytes of `0x01` and a `0x00`.

use actor_core::prelude::*;
use serde::{Deserialize, Serialize};

/// A chain of `Some`s; as a request, answered with its depth.
#[derive(Debug, Message, Serialize, Deserialize)]
#[message(reply = usize)]
pub struct Tree(pub Option<Box<Tree>>);

impl Tree {
    /// How many `Some`s, counted without recursion (a deep tree would overflow the stack).
    pub fn depth(&self) -> usize {
        let mut depth = 0;
        let mut at = self;
        while let Some(next) = &at.0 {
            depth += 1;
            at = next;
        }
        depth
    }
}
