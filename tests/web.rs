//! The HTTP service of `examples/web.rs`, served on a loopback port and driven with a real
//! HTTP client (hyper's, which axum already builds on): every route, a bad request, the
//! long poll that times out (504) and the one that is answered, and shutdown.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use actor_core::prelude::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

// The example's own `main` is not called here.
#[allow(dead_code)]
#[path = "../examples/web.rs"]
mod web;

use web::{Inventory, Timeouts};

const WAIT: Duration = Duration::from_secs(30);

/// The service on a port of its own, until `shut_down`.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(inventory: &Addr<Inventory>, timeouts: Timeouts) -> Server {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = web::router(inventory.clone(), timeouts);
        let serving = tokio::spawn(web::serve(listener, router, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop,
            serving,
        }
    }

    /// One request on a connection of its own: the status and the body.
    async fn request(&self, method: Method, path: &str) -> (StatusCode, String) {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        let connection = tokio::spawn(connection);
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string())
            .body(Body::empty())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(Body::new(response.into_body()), 64 * 1024)
            .await
            .unwrap();
        // Closes the connection: the server's graceful shutdown waits for every one.
        drop(sender);
        connection.await.unwrap().unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        self.request(Method::GET, path).await
    }

    async fn post(&self, path: &str) -> (StatusCode, String) {
        self.request(Method::POST, path).await
    }

    /// Stops accepting, waits for the server to end, and checks that the port is closed.
    async fn shut_down(self) {
        self.stop.send(()).unwrap();
        self.serving.await.unwrap().unwrap();
        assert!(
            TcpStream::connect(self.addr).await.is_err(),
            "still listening"
        );
    }
}

fn ok(body: &str) -> (StatusCode, String) {
    (StatusCode::OK, body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_counts_adds_and_times_out_the_slow_request() {
    let driver = Driver::new(1);
    let inventory = Inventory::default().spawn_on(&driver);
    let timeouts = Timeouts {
        call: WAIT,
        slow: Duration::from_millis(100),
    };
    let server = Server::start(&inventory, timeouts).await;

    assert_eq!(server.get("/count").await, ok("0"));
    assert_eq!(server.post("/add/5").await, ok("5"));
    assert_eq!(server.post("/add/7").await, ok("12"));
    assert_eq!(server.get("/count").await, ok("12"));

    // What axum refuses before any actor is asked.
    let (status, body) = server.post("/add/many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("many"), "{body}");
    assert_eq!(server.get("/add/1").await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(server.get("/nowhere").await.0, StatusCode::NOT_FOUND);

    // No add comes while the long poll waits: the handler's call times out.
    let (status, body) = server.get("/slow").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(body.starts_with("timed out: "), "{body}");
    assert!(body.contains("`NextChange` within 100ms"), "{body}");

    // The service goes on: 20 concurrent adds, each on its own connection, each answered
    // with a count of its own.
    let server = std::sync::Arc::new(server);
    let adds: Vec<_> = (0..20)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move { server.post("/add/1").await })
        })
        .collect();
    let mut counts = Vec::new();
    for add in adds {
        let (status, body) = add.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        counts.push(body.parse::<u64>().unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (13..=32).collect::<Vec<u64>>());
    assert_eq!(server.get("/count").await, ok("32"));

    let server = std::sync::Arc::into_inner(server).expect("every request has ended");
    server.shut_down().await;
    driver.shutdown(WAIT).unwrap();
}

#[tokio::test]
async fn a_long_poll_is_answered_by_the_next_add() {
    let driver = Driver::new(1);
    let inventory = Inventory::default().spawn_on(&driver);
    let timeouts = Timeouts {
        call: WAIT,
        slow: WAIT,
    };
    let server = std::sync::Arc::new(Server::start(&inventory, timeouts).await);
    let poll = {
        let server = server.clone();
        tokio::spawn(async move { server.get("/slow").await })
    };
    // Until the poll's request has reached the actor (its reply is held there); a
    // `Pending` from `exec` is a future too.
    loop {
        let held = inventory.exec(|inventory, _| inventory.waiting.len());
        if held.await.unwrap() == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(server.post("/add/3").await, ok("3"));
    assert_eq!(poll.await.unwrap(), ok("3"));

    let server = std::sync::Arc::into_inner(server).expect("every request has ended");
    server.shut_down().await;
    driver.shutdown(WAIT).unwrap();
}
