//! The `ask` group of `actor-core/benches/waiting.rs` as a plain program, for counting
//! instructions with callgrind (wall time on a shared machine is noise):
//!
//! `valgrind --tool=callgrind target/release/examples/ask_count ask 20000` (or `ask-max`,
//! `tell`, `none`): `n` sequential round trips between a client and a server on one
//! `Driver::new(2)`, by `ctx.ask` (30 s timeout, or `Duration::MAX`: no timer), or by the
//! hand-written tell-and-answer-with-sender; `none` does the start-up only, the floor to
//! subtract. Per round trip = (count(n) - count(none)) / n.

use std::sync::mpsc;
use std::time::Duration;

use actor_core::prelude::*;

const WAIT: Duration = Duration::from_secs(30);

#[derive(Message)]
#[message(reply = u64)]
struct Req(u64);

#[derive(Message)]
struct Request(u64);

#[derive(Message)]
struct Answer(#[allow(dead_code)] u64);

struct Server;

#[actor]
impl Server {
    #[handles(Req)]
    fn req(&mut self, Req(n): Req) -> u64 {
        n + 1
    }

    #[handles(Request)]
    fn request(&mut self, Request(n): Request, ctx: &mut Context<Self>) {
        ctx.sender().tell(Answer(n + 1)).unwrap();
    }
}

#[derive(Message)]
struct GoAsk(u64, Duration);

#[derive(Message)]
struct GoTell(u64);

struct Client {
    server: Addr<Server>,
    left: u64,
    timeout: Duration,
    done: mpsc::Sender<()>,
}

impl Client {
    fn ask_next(&mut self, ctx: &mut Context<Self>) {
        ctx.ask(
            &self.server,
            Req(self.left),
            self.timeout,
            |this, reply, ctx| {
                reply.unwrap();
                this.left -= 1;
                if this.left == 0 {
                    this.done.send(()).unwrap();
                } else {
                    this.ask_next(ctx);
                }
            },
        );
    }
}

#[actor]
impl Client {
    #[handles(GoAsk)]
    fn go_ask(&mut self, GoAsk(n, timeout): GoAsk, ctx: &mut Context<Self>) {
        self.left = n;
        self.timeout = timeout;
        self.ask_next(ctx);
    }

    #[handles(GoTell)]
    fn go_tell(&mut self, GoTell(n): GoTell) {
        self.left = n;
        self.server.tell(Request(self.left)).unwrap();
    }

    #[handles(Answer)]
    fn answer(&mut self, _: Answer) {
        self.left -= 1;
        if self.left == 0 {
            self.done.send(()).unwrap();
        } else {
            self.server.tell(Request(self.left)).unwrap();
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ask".into());
    let n: u64 = args.next().map_or(20_000, |n| n.parse().expect("a count"));
    let driver = Driver::new(2);
    let server = Server.spawn_on(&driver);
    let (done, finished) = mpsc::channel();
    let client = Client {
        server,
        left: 0,
        timeout: WAIT,
        done,
    }
    .spawn_on(&driver);
    match mode.as_str() {
        "ask" => client.tell(GoAsk(n, WAIT)).unwrap(),
        "ask-max" => client.tell(GoAsk(n, Duration::MAX)).unwrap(),
        "tell" => client.tell(GoTell(n)).unwrap(),
        "none" => client.tell(GoTell(1)).unwrap(),
        other => panic!("unknown mode {other}: ask, ask-max, tell or none"),
    }
    finished.recv_timeout(Duration::from_secs(600)).unwrap();
    driver.shutdown(WAIT).unwrap();
}
