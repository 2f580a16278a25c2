//! An HTTP service whose request handlers reach an actor with `bridge.call_async(..).await`.
//!
//! An `Inventory` actor on a one-thread driver holds a count. The axum handlers never block
//! a tokio worker: each awaits a `CallFuture`, which any executor polls.
//!
//! - `GET /count`: the count.
//! - `POST /add/{n}`: adds `n`, answers the new count.
//! - `GET /slow`: a long poll. The actor defers its reply and answers it only at the next
//!   `add`, with the new count; if none comes within the call's timeout the handler answers
//!   `504 Gateway Timeout`, with a body naming the timeout.
//!
//! ```sh
//! cargo run --example web            # binds 127.0.0.1:0 and prints the address
//! cargo run --example web -- 8080    # or a port of your choice
//! curl -s localhost:8080/count; curl -s -XPOST localhost:8080/add/5; curl -si localhost:8080/slow
//! ```
//!
//! `tests/web.rs` includes this file to serve `router(..)` on a loopback port and drive it
//! with an HTTP client.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use actor_core::prelude::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

// ---------------------------------------------------------------- the actor

/// The count.
#[derive(Message)]
#[message(reply = u64)]
pub struct Count;

/// Adds to the count; the reply is the new count.
#[derive(Message)]
#[message(reply = u64)]
pub struct Add(pub u64);

/// The count after the next `Add`: a deferred reply.
#[derive(Message)]
#[message(reply = u64)]
pub struct NextChange;

#[derive(Default)]
pub struct Inventory {
    count: u64,
    /// The long polls waiting for the next `Add`. A poll whose caller gave up (timed out)
    /// is answered too, and its reply dropped where it is made.
    pub waiting: Vec<Reply<u64>>,
}

#[actor]
impl Inventory {
    #[handles(Count)]
    fn count(&mut self, _: Count) -> u64 {
        self.count
    }

    #[handles(Add)]
    fn add(&mut self, Add(n): Add) -> u64 {
        self.count += n;
        for reply in self.waiting.drain(..) {
            reply.send(self.count);
        }
        self.count
    }

    #[handles(NextChange)]
    fn next_change(&mut self, _: NextChange, ctx: &mut Context<Self>) -> Deferred<u64> {
        let (later, reply) = ctx.defer();
        self.waiting.push(reply);
        later
    }
}

// ---------------------------------------------------------------- the service

/// How long the service's handlers wait for the actor.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// `GET /count` and `POST /add/{n}`.
    pub call: Duration,
    /// `GET /slow`, the long poll.
    pub slow: Duration,
}

#[derive(Clone)]
struct Service {
    inventory: Addr<Inventory>,
    bridge: Bridge,
    timeouts: Timeouts,
}

type Response = (StatusCode, String);

/// A reply as `200 OK`, a timeout as `504`, any other failure as `503`.
fn respond<M: Message>(outcome: Result<u64, CallError<M>>) -> Response {
    match outcome {
        Ok(count) => (StatusCode::OK, count.to_string()),
        Err(error) if error.is_timeout() => {
            (StatusCode::GATEWAY_TIMEOUT, format!("timed out: {error}\n"))
        }
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, format!("{error}\n")),
    }
}

async fn count(State(service): State<Service>) -> Response {
    let call = service
        .bridge
        .call_async(&service.inventory, Count, service.timeouts.call);
    respond(call.await)
}

async fn add(State(service): State<Service>, Path(n): Path<u64>) -> Response {
    let call = service
        .bridge
        .call_async(&service.inventory, Add(n), service.timeouts.call);
    respond(call.await)
}

async fn slow(State(service): State<Service>) -> Response {
    let call = service
        .bridge
        .call_async(&service.inventory, NextChange, service.timeouts.slow);
    respond(call.await)
}

/// The service's routes, reaching `inventory` within `timeouts`.
pub fn router(inventory: Addr<Inventory>, timeouts: Timeouts) -> Router {
    Router::new()
        .route("/count", get(count))
        .route("/add/{n}", post(add))
        .route("/slow", get(slow))
        .with_state(Service {
            inventory,
            bridge: Bridge::new(),
            timeouts,
        })
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the open
/// connections to close.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(port) => port.parse()?,
        None => 0,
    };
    let driver = Driver::new(1);
    let inventory = Inventory::default().spawn_on(&driver);
    let timeouts = Timeouts {
        call: Duration::from_secs(1),
        slow: Duration::from_secs(2),
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    println!("listening on http://{}", listener.local_addr()?);
    println!("  GET /count, POST /add/{{n}}, GET /slow (waits up to 2 s for the next add)");
    // Until the process is stopped.
    serve(
        listener,
        router(inventory, timeouts),
        std::future::pending(),
    )
    .await?;
    Ok(())
}
