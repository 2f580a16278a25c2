//! The user's own `Result`, `Option`, `Request`, `Addr`, `Message`, `Send`... do not
//! disturb the generated message types and helpers.

#![allow(dead_code)]

use actor_core::actor;

struct Result;
struct Option;
struct Box;
struct Vec;
struct String;
trait Send {}
trait Sized {}
trait Actor {}
struct Context;
trait Message {}
trait Handler {}
struct Request;
struct Addr;
struct Some;
struct None;
struct Ok;
struct Err;
struct PhantomData;
struct __AssertSend;
struct __Fields;

struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[message]
    fn inc(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }

    #[message]
    fn peek(&self, _ctx: &mut actor_core::Context<Self>) -> u64 {
        self.n
    }
}

fn main() {
    use actor_core::Actor as _;
    let counter = Counter { n: 0 }.spawn();
    let bridge = actor_core::Bridge::new();
    let wait = std::time::Duration::from_secs(5);
    assert_eq!(counter.inc(2).call(&bridge, wait).unwrap(), 2);
    assert_eq!(counter.peek().call(&bridge, wait).unwrap(), 2);
}
