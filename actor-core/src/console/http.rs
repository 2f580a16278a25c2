//! The console's HTTP/1.1 server: one acceptor thread, one thread per connection up to a
//! bound, one request per connection (`Connection: close`), every read and write under a
//! timeout, the request head bounded in size.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::history::History;
use super::{render, Source};

/// The longest request head read (request line and headers).
pub(super) const MAX_HEAD: usize = 8 * 1024;

pub(super) struct Server {
    pub(super) token: Option<String>,
    pub(super) max_connections: usize,
    pub(super) timeout: Duration,
    pub(super) history: Arc<Mutex<History>>,
    pub(super) source: Arc<Source>,
    pub(super) stopping: Arc<AtomicBool>,
}

/// One response.
pub(super) struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    pub(super) fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            content_type,
            body: body.into(),
        }
    }

    fn error(status: u16, why: &str) -> Self {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            format!("{status} {}: {why}\n", reason(status)),
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

impl Server {
    pub(super) fn accept(self, listener: TcpListener) {
        let server = Arc::new(self);
        let active = Arc::new(AtomicUsize::new(0));
        for stream in listener.incoming() {
            if server.stopping.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else {
                // Out of descriptors, say: the next accept may do better.
                continue;
            };
            let _ = stream.set_read_timeout(Some(server.timeout));
            let _ = stream.set_write_timeout(Some(server.timeout));
            if active.fetch_add(1, Ordering::SeqCst) >= server.max_connections {
                active.fetch_sub(1, Ordering::SeqCst);
                // Answered from here, without reading: a write of a few bytes to a fresh
                // socket does not block.
                let _ = write(
                    stream,
                    &Response::error(503, "too many connections to the console; try again"),
                    false,
                );
                continue;
            }
            let (server, done) = (server.clone(), active.clone());
            let spawned = thread::Builder::new()
                .name("actor-console-conn".to_owned())
                .spawn(move || {
                    server.serve(stream);
                    done.fetch_sub(1, Ordering::SeqCst);
                });
            if spawned.is_err() {
                // The connection went with the closure (closed); its place is free again.
                active.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    fn serve(&self, mut stream: TcpStream) {
        let deadline = Instant::now() + self.timeout;
        let (response, head_only) = match read_head(&mut stream, deadline) {
            Ok(head) => match Request::parse(&head) {
                Ok(request) => (self.route(&request), request.method == "HEAD"),
                Err(why) => (Response::error(400, why), false),
            },
            Err(Failure::TooLarge) => (
                Response::error(431, "the request head is longer than 8 KiB"),
                false,
            ),
            Err(Failure::TimedOut) => (
                Response::error(408, "the request head did not come in time"),
                false,
            ),
            Err(Failure::Closed) => return,
        };
        let _ = write(stream, &response, head_only);
    }

    fn route(&self, request: &Request<'_>) -> Response {
        if request.method != "GET" && request.method != "HEAD" {
            return Response::error(405, "the console serves GET and HEAD only");
        }
        if let Some(token) = &self.token {
            let given = request
                .query("token")
                .or_else(|| request.bearer.map(str::to_owned));
            if !given.is_some_and(|given| same(given.as_bytes(), token.as_bytes())) {
                return Response::error(
                    401,
                    "this console needs its token: add ?token=.. or an Authorization: Bearer header",
                );
            }
        }
        let view = || self.source.view(&self.history);
        match request.path {
            "/" | "/index.html" => {
                let view = view();
                Response::new(
                    200,
                    "text/html; charset=utf-8",
                    render::page(&view, &crate::sync::lock(&self.history)),
                )
            }
            "/api/snapshot" => {
                let view = view();
                Response::new(
                    200,
                    "application/json",
                    render::json(&view, &crate::sync::lock(&self.history)),
                )
            }
            "/metrics" => Response::new(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                render::prometheus(&view()),
            ),
            _ => Response::error(404, "the console serves /, /api/snapshot and /metrics"),
        }
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

enum Failure {
    TooLarge,
    TimedOut,
    Closed,
}

/// Reads up to the blank line that ends the head, within `MAX_HEAD` bytes and the
/// deadline (a peer sending one byte at a time still has only until then).
fn read_head(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, Failure> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut);
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) => {
                return Err(if head.is_empty() {
                    Failure::Closed
                } else {
                    // A head cut short is answered like a bad one.
                    Failure::TimedOut
                });
            }
            Ok(n) => {
                let scan_from = head.len().saturating_sub(3);
                head.extend_from_slice(&buf[..n]);
                if let Some(end) = find(&head[scan_from..], b"\r\n\r\n") {
                    head.truncate(scan_from + end);
                    return Ok(head);
                }
                if head.len() > MAX_HEAD {
                    return Err(Failure::TooLarge);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Failure::TimedOut)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Failure::Closed),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn write(mut stream: TcpStream, response: &Response, head_only: bool) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&response.body)?;
    }
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// A parsed request head.
pub(super) struct Request<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    bearer: Option<&'a str>,
}

impl<'a> Request<'a> {
    fn parse(head: &'a [u8]) -> Result<Request<'a>, &'static str> {
        let head = std::str::from_utf8(head).map_err(|_| "the request head is not UTF-8")?;
        let mut lines = head.split("\r\n");
        let line = lines.next().ok_or("no request line")?;
        let mut parts = line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the request line is not `METHOD /path HTTP/1.1`");
        };
        if !version.starts_with("HTTP/1.") {
            return Err("only HTTP/1.x is served");
        }
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("the method is not a word in capitals");
        }
        if !target.starts_with('/') {
            return Err("the target is not a path");
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut bearer = None;
        for header in lines {
            let (name, value) = header.split_once(':').ok_or("a header line has no colon")?;
            if name.eq_ignore_ascii_case("authorization") {
                bearer = value.trim().strip_prefix("Bearer ").map(str::trim);
            }
        }
        Ok(Request {
            method,
            path,
            query,
            bearer,
        })
    }

    /// A query parameter's value, percent-decoded.
    fn query(&self, key: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| decode(v))
    }
}

/// Percent-encodes a token for a URL (everything but unreserved characters).
pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes a query value (`+` stays itself); a bad escape is kept as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, Request};

    #[test]
    fn a_token_survives_encoding() {
        let token = "a b/c%d&e=f";
        assert_eq!(decode(&encode(token)), token);
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn request_heads_parse_or_say_why_not() {
        let request = Request::parse(
            b"GET /metrics?token=x%20y HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t",
        )
        .unwrap();
        assert_eq!(request.path, "/metrics");
        assert_eq!(request.query("token").as_deref(), Some("x y"));
        assert_eq!(request.bearer, Some("t"));
        assert!(Request::parse(b"GET /").is_err());
        assert!(Request::parse(b"get / HTTP/1.1").is_err());
        assert!(Request::parse(b"GET / HTTP/2").is_err());
        assert!(Request::parse(b"GET / HTTP/1.1\r\nno colon").is_err());
        assert!(Request::parse(b"GET http://x/ HTTP/1.1").is_err());
        assert!(Request::parse(&[0xff, 0xfe]).is_err());
    }
}
