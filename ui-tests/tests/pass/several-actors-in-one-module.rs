//! Several actors in one module, sharing message types, with no name clash between the
//! generated items.

use actor_core::prelude::*;
use std::time::Duration;

#[derive(Message)]
#[message(reply = &'static str)]
struct Who;

struct Alpha;
struct Beta;

#[actor]
impl Alpha {
    #[handles(Who)]
    fn who(&mut self, _: Who) -> &'static str {
        "alpha"
    }
}

#[actor]
impl Beta {
    #[handles(Who)]
    fn who(&mut self, _: Who) -> &'static str {
        "beta"
    }
}

fn main() {
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(5);
    let recipients: Vec<Recipient<Who>> = vec![Alpha.spawn().recipient(), Beta.spawn().recipient()];
    let names: Vec<_> = recipients
        .iter()
        .map(|r| bridge.call(r, Who, timeout).unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
}
