//! Feature `console`: the HTTP endpoints of a running system (a deadlock candidate and a
//! backed-up mailbox in it), `/metrics` parsed as Prometheus text, the server's answers to
//! bad requests, and the page as headless Chromium renders it.

#[path = "support/prometheus.rs"]
mod prometheus;

#[path = "support/chromium.rs"]
mod chromium;

#[path = "support/held.rs"]
mod held;

#[path = "support/http.rs"]
mod http;

use actor_core::console::{self, Console, Options};
use actor_core::prelude::*;
use actor_core::Spawn;
use chromium::chromium;
use crossbeam_channel::{bounded, Receiver, Sender as Channel};
use held::{Hold, Job, Slow};
use prometheus::parse_prometheus;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "s3cret/+";

#[derive(Message)]
#[message(reply = ())]
struct Ask;

#[derive(Message)]
struct CallBack(Channel<String>, Receiver<()>);

/// Waits for `Right` (a blocking call) while `Right` tries to call it back.
struct Left {
    right: Addr<Right>,
}

#[actor]
impl Left {
    #[handles(Ask)]
    fn ask(&mut self, _: Ask) {
        let _ = Bridge::new().call(&self.right, Ask, Duration::from_secs(600));
    }
}

struct Right {
    left: Option<Addr<Left>>,
    refused: Option<(Channel<String>, Receiver<()>)>,
}

#[actor]
impl Right {
    #[handles(SetLeft)]
    fn set_left(&mut self, SetLeft(left): SetLeft) {
        self.left = Some(left);
    }

    #[handles(CallBack)]
    fn setup(&mut self, CallBack(refused, gate): CallBack) {
        self.refused = Some((refused, gate));
    }

    #[handles(Ask)]
    fn ask(&mut self, _: Ask) {
        let left = self.left.clone().expect("left set");
        // Left waits for us: this call would never end, and is refused at once.
        let error = Bridge::new()
            .call(&left, Ask, Duration::from_secs(600))
            .expect_err("a call back into a waiting caller is refused");
        let (refused, gate) = self.refused.take().expect("set up");
        refused.send(error.to_string()).unwrap();
        // Keep Left's wait alive while the console looks.
        let _ = gate.recv();
    }
}

#[derive(Message)]
struct SetLeft(Addr<Left>);

/// The running system, made once for the whole test binary.
struct System {
    console: Console,
    _gates: Vec<Channel<()>>,
}

fn system() -> &'static System {
    static SYSTEM: OnceLock<System> = OnceLock::new();
    SYSTEM.get_or_init(|| {
        let slow = Spawn::new(Slow).named("console-slow").spawn().unwrap();
        let (slow_gate, slow_wait) = bounded(0);
        let (entered, holding) = bounded(1);
        slow.tell(Hold(entered, slow_wait)).unwrap();
        holding.recv_timeout(WAIT).unwrap();
        for _ in 0..7 {
            slow.tell(Job).unwrap();
        }

        let driver = Box::leak(Box::new(Driver::new(2)));
        let right = Spawn::new(Right {
            left: None,
            refused: None,
        })
        .named("console-right")
        .spawn()
        .unwrap();
        let left = Spawn::new(Left {
            right: right.clone(),
        })
        .named("console-left")
        .spawn_on(driver)
        .unwrap();
        right.tell(SetLeft(left.clone())).unwrap();
        let (refused, refusal) = bounded(1);
        let (right_gate, right_wait) = bounded(0);
        right.tell(CallBack(refused, right_wait)).unwrap();
        left.tell(Ask).unwrap();
        let refusal = refusal.recv_timeout(WAIT).unwrap();
        assert!(
            refusal.contains("console-right") || refusal.contains("Right"),
            "{refusal}"
        );

        let console = console::serve_with(
            "127.0.0.1:0",
            Options {
                token: Some(TOKEN.to_owned()),
                max_connections: 4,
                read_timeout: Duration::from_secs(3),
                sample_every: Duration::from_millis(100),
                ..Options::default()
            },
        )
        .unwrap();
        System {
            console,
            _gates: vec![slow_gate, right_gate],
        }
    })
}

/// One request, raw; the response's status and body.
fn request(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    http::request(addr, raw, WAIT)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let raw =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    request(addr, raw.as_bytes())
}

/// Polls `/api/snapshot` until `ready` holds (bounded).
fn snapshot_when(addr: SocketAddr, ready: impl Fn(&str) -> bool) -> String {
    let until = Instant::now() + WAIT;
    loop {
        let (status, body) = get(addr, "/api/snapshot");
        assert_eq!(status, 200, "{body}");
        if ready(&body) {
            return body;
        }
        assert!(
            Instant::now() < until,
            "the snapshot never got there: {body}"
        );
        std::thread::sleep(Duration::from_millis(50)); // between polls, not a sync
    }
}

#[test]
fn the_snapshot_shows_the_backed_up_mailbox_the_wait_and_the_refused_cycle() {
    let addr = system().console.addr();
    let body = snapshot_when(addr, |body| body.contains("\"depths\":[7,7"));
    assert!(body.starts_with("{\"actors\":["), "{body}");
    assert!(body.contains("\"label\":\"console-slow\""), "{body}");
    assert!(body.contains("\"mailbox\":7"), "{body}");
    // Left (on a driver) waits for Right; Right's call back was refused.
    assert!(
        body.contains("\"waiter\":{\"id\":")
            && body.contains("\"label\":\"console-left\"},\"kind\":\"call\",\"driver\":"),
        "{body}"
    );
    assert!(body.contains("\"refused\":[{\"cycle\":"), "{body}");
    assert!(body.contains("\"hosting\":\"driver "), "{body}");
}

#[test]
fn metrics_is_prometheus_text_with_the_figures() {
    let addr = system().console.addr();
    snapshot_when(addr, |body| body.contains("\"refused\":[{"));
    let (status, text) = get(addr, "/metrics");
    assert_eq!(status, 200);
    let samples = parse_prometheus(&text);
    assert_eq!(
        samples["actor_mailbox_depth{type=\"Slow\",name=\"console-slow\"}"],
        7.0
    );
    assert_eq!(
        samples["actor_live{type=\"Slow\",name=\"console-slow\"}"],
        1.0
    );
    // Slow has handled its Hold (and only begun it): one, timed (the first is sampled).
    assert_eq!(
        samples["actor_messages_handled_total{type=\"Slow\",name=\"console-slow\"}"],
        1.0
    );
    assert!(samples
        .keys()
        .any(|key| key.starts_with("actor_driver_worker_busy_seconds_total{driver=")));
    let inf =
        samples["actor_handling_seconds_bucket{type=\"Right\",name=\"console-right\",le=\"+Inf\"}"];
    assert!(inf >= 1.0, "{inf}");
}

#[test]
fn bad_requests_get_clear_answers() {
    let addr = system().console.addr();
    let (status, body) = request(addr, b"GET /api/snapshot HTTP/1.1\r\n\r\n");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("token"), "{body}");
    let (status, _) = request(addr, b"GET /metrics?token=wrong HTTP/1.1\r\n\r\n");
    assert_eq!(status, 401);
    // The token in the query, percent-encoded.
    let (status, _) = request(addr, b"GET /metrics?token=s3cret%2F%2B HTTP/1.1\r\n\r\n");
    assert_eq!(status, 200);
    let (status, _) = get(addr, "/nowhere");
    assert_eq!(status, 404);
    let raw = format!("POST /api/snapshot HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    assert_eq!(request(addr, raw.as_bytes()).0, 405);
    assert_eq!(request(addr, b"\x16\x03\x01 hello\r\n\r\n").0, 400);
    assert_eq!(request(addr, b"GET / HTTP/2.0\r\n\r\n").0, 400);
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(64 * 1024));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let _ = stream.write_all(huge.as_bytes()); // the server may close before it is all sent
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 431 "), "{response:.80}");
    // A head cut short by the peer.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET / HTT").unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 408 "), "{response:.80}");
}

#[test]
fn idle_connections_cannot_take_the_console_down() {
    // A console of its own: the connection bound is what this test fills.
    let console = console::serve_with(
        "127.0.0.1:0",
        Options {
            max_connections: 2,
            read_timeout: Duration::from_millis(300),
            ..Options::default()
        },
    )
    .unwrap();
    let addr = console.addr();
    let idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // Both places are taken (or about to be): a third connection is turned away or, once
    // the idle ones time out, served. Either way it gets an answer, never a hang.
    let (status, _) = request(addr, b"GET /metrics HTTP/1.1\r\n\r\n");
    assert!(status == 503 || status == 200, "{status}");
    // The idle ones are closed by their read timeout, with a 408.
    for mut stream in idle {
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 408 "), "{response:.80}");
    }
    let until = Instant::now() + WAIT;
    loop {
        let (status, body) = request(addr, b"GET /metrics HTTP/1.1\r\n\r\n");
        if status == 200 {
            assert!(body.contains("# TYPE actor_live gauge"));
            break;
        }
        assert!(Instant::now() < until, "never served again: {status}");
        std::thread::sleep(Duration::from_millis(20)); // between polls, not a sync
    }
    console.stop();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() || {
            // The port may be taken by someone else by now; a connection that is not ours
            // would not answer as the console.
            request(addr, b"GET /metrics HTTP/1.1\r\n\r\n").0 != 200
        }
    );
}

#[test]
fn chromium_renders_the_actors_the_depth_and_the_cycle() {
    let system = system();
    let addr = system.console.addr();
    snapshot_when(addr, |body| {
        body.contains("\"depths\":[7,7") && body.contains("\"refused\":[{")
    });
    let url = system.console.url();
    let dom = chromium(&["--dump-dom"], &url);
    for name in ["console-slow", "console-left", "console-right"] {
        assert!(
            dom.contains(&format!("<td class=\"name\">{name}</td>")),
            "{name} not in {dom}"
        );
    }
    // The backed-up mailbox, with its depth.
    let slow_row = dom
        .split("<tr ")
        .find(|row| row.contains(">console-slow<"))
        .expect("a row for console-slow");
    assert!(slow_row.contains("data-depth=\"7\""), "{slow_row}");
    assert!(slow_row.contains("class=\"actor backed\""), "{slow_row}");
    // The wait, and the refused cycle drawn in red.
    assert!(
        dom.contains("console-left waits (call) for console-right"),
        "{dom}"
    );
    assert!(dom.contains("<li class=\"cycle\">refused "), "{dom}");
    assert!(dom.contains("class=\"edge cycle\""), "{dom}");
    // A driver with its workers.
    assert!(dom.contains("class=\"driver\""), "{dom}");

    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("observe-console.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,760",
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    println!("screenshot: {}", shot.display());
}
