//! The ask exchange of `benches/waiting.rs`, shared with `examples/ask_count.rs` (which
//! includes this file by path) so the bench and the instruction count run the same code:
//! a client making round trips with a server, by `ctx.ask` or by a hand-written
//! tell-and-answer-with-sender.

use actor_core::prelude::*;
use std::time::Duration;

/// The request of the ask half: answered by the handler's return value.
#[derive(Message)]
#[message(reply = u64)]
struct Req(u64);

/// The request of the hand-written half: answered by a tell to the sender.
#[derive(Message)]
struct Request(u64);

#[derive(Message)]
struct Answer(#[allow(dead_code)] u64);

pub struct Server;

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

/// `n` round trips, by asks with this timeout.
#[derive(Message)]
pub struct GoAsk(pub u64, pub Duration);

/// `n` round trips, by tells answered with tells.
#[derive(Message)]
pub struct GoTell(pub u64);

/// Runs `left` round trips with the server, one at a time, and says when they are done.
pub struct Client {
    pub server: Addr<Server>,
    pub left: u64,
    pub timeout: Duration,
    pub done: crossbeam_channel::Sender<()>,
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
