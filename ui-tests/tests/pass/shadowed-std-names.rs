//! The user's own `Result`, `Option`, `Box`, `Send`, `Actor`, `Context`, `Message`,
//! `Handler`, `Some`, `Ok`... do not disturb the generated code.

#![allow(dead_code, unused_macros)]

use actor_core::{actor, handles, on_start, on_stop};

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
struct Some;
struct None;
struct Ok;
struct Err;
struct DynMessage;
struct ReplyTo;
struct Mail;
fn drop() {}
fn panic() {}
fn unreachable() {}
macro_rules! panic {
    ($($t:tt)*) => {
        compile_error!("the user's panic! was called")
    };
}
macro_rules! unreachable {
    ($($t:tt)*) => {
        compile_error!("the user's unreachable! was called")
    };
}

#[derive(actor_core::Message)]
#[message(reply = u64)]
struct Ping(u64);

#[derive(actor_core::Message)]
enum Command {
    Go,
    Halt,
}

struct Pinger;

#[actor]
impl Pinger {
    #[on_start]
    fn started(&mut self, _ctx: &mut actor_core::Context<Self>) {}

    #[handles(Ping)]
    fn on_ping(&mut self, Ping(n): Ping, _ctx: &mut actor_core::Context<Self>) -> u64 {
        n + 1
    }

    #[handles(Command)]
    fn on_command(&mut self, command: Command) {
        match command {
            Command::Go | Command::Halt => {}
        }
    }

    #[handles(other)]
    fn on_other(&mut self, _msg: actor_core::DynMessage) {}

    #[on_stop]
    fn stopped(&mut self) {}
}

fn main() {
    use actor_core::Actor as _;
    let pinger = Pinger.spawn();
    let bridge = actor_core::Bridge::new();
    let reply = bridge.call(&pinger, Ping(1), std::time::Duration::from_secs(5));
    assert_eq!(reply.unwrap(), 2);
}
