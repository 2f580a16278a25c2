//! A raw NATS client speaking the text protocol line by line: what a foreign, broken or
//! hostile peer sends, and a hand-played server for late and duplicate replies. Shared by
//! the NATS tests (`#[path = "nats/raw.rs"] mod raw;`); not every test uses every part.
#![allow(dead_code)]

use super::server::NatsServer;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Long enough never to expire on a healthy run: a read that waits this long means a bug.
const WAIT: Duration = Duration::from_secs(30);

/// How a [`Raw`] client introduces itself (its `CONNECT`).
#[derive(Default, Clone, Copy)]
pub struct Hello<'a> {
    /// Log in as this user, with the same word as password.
    pub user: Option<&'a str>,
    /// No echo: the server does not send the client its own publishes.
    pub quiet: bool,
    /// Ask for a status message when a request reaches no one.
    pub no_responders: bool,
}

/// A connection to a `nats-server`, read and written by hand.
pub struct Raw {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    sid: u32,
}

/// A message a [`Raw`] client received.
pub struct RawMsg {
    pub subject: String,
    pub reply: Option<String>,
    pub payload: Vec<u8>,
}

impl Raw {
    /// Connects with the protocol's defaults (echo on) and headers, and waits until the
    /// server has accepted it.
    pub fn connect(server: &NatsServer) -> Raw {
        Raw::with(server, Hello::default())
    }

    /// Connects as `hello` says, and waits until the server has accepted it: anything
    /// the server answers before its first PONG fails the test.
    pub fn with(server: &NatsServer, hello: Hello<'_>) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut raw = Raw {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
            sid: 0,
        };
        let info = raw.line();
        assert!(info.starts_with("INFO "), "{info}");
        let mut connect = String::from("CONNECT {\"verbose\":false,\"headers\":true");
        if hello.quiet {
            connect.push_str(",\"echo\":false");
        }
        if hello.no_responders {
            connect.push_str(",\"no_responders\":true");
        }
        if let Some(user) = hello.user {
            connect.push_str(&format!(",\"user\":\"{user}\",\"pass\":\"{user}\""));
        }
        connect.push_str("}\r\n");
        raw.send(&connect);
        let before = raw.round_trip();
        assert!(before.is_empty(), "connecting ({connect:?}): {before:?}");
        raw
    }

    /// Writes protocol text as it is.
    pub fn send(&mut self, text: &str) {
        self.write(text.as_bytes());
    }

    /// Writes bytes as they are (a flood built beforehand, a payload).
    pub fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the server closed the connection");
        line
    }

    /// Reads one protocol line that is not a PING (answered); a `MSG` comes with its
    /// message.
    pub fn next(&mut self) -> (String, Option<RawMsg>) {
        loop {
            let line = self.line();
            if line.starts_with("PING") {
                self.send("PONG\r\n");
                continue;
            }
            let Some(rest) = line.strip_prefix("MSG ") else {
                return (line.trim_end().to_owned(), None);
            };
            // MSG <subject> <sid> [reply-to] <#bytes>
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let len: usize = fields.last().unwrap().parse().unwrap();
            let mut payload = vec![0; len + 2]; // and its CRLF
            self.reader.read_exact(&mut payload).unwrap();
            payload.truncate(len);
            let msg = RawMsg {
                subject: fields[0].to_owned(),
                reply: (fields.len() == 4).then(|| fields[2].to_owned()),
                payload,
            };
            return (line.trim_end().to_owned(), Some(msg));
        }
    }

    /// The next message, skipping other lines (a PONG, an `+OK`); an error from the
    /// server fails the test.
    pub fn next_msg(&mut self) -> RawMsg {
        loop {
            match self.next() {
                (_, Some(msg)) => return msg,
                (line, None) => assert!(!line.starts_with("-ERR"), "the server said `{line}`"),
            }
        }
    }

    /// Sends a PING and returns every line the server sent before its PONG: messages
    /// and errors. The server handles a connection's input in order, so everything it
    /// made of what was sent before the PING is in there.
    pub fn round_trip(&mut self) -> Vec<String> {
        self.send("PING\r\n");
        let mut before = Vec::new();
        loop {
            match self.next() {
                (line, None) if line == "PONG" => return before,
                (line, _) => before.push(line),
            }
        }
    }

    /// Subscribes (in `queue`, if given); returns what the server said before its PONG.
    pub fn subscribe(&mut self, subject: &str, queue: Option<&str>) -> Vec<String> {
        self.sid += 1;
        let queue = queue.map(|q| format!("{q} ")).unwrap_or_default();
        self.send(&format!("SUB {subject} {queue}{}\r\n", self.sid));
        self.round_trip()
    }

    /// Publishes `payload` to `subject` (with a reply subject, if given); returns what
    /// the server said before its PONG.
    pub fn publish(&mut self, subject: &str, reply: Option<&str>, payload: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        publish(&mut out, subject, reply, payload);
        self.write(&out);
        self.round_trip()
    }
}

/// Appends `PUB subject [reply] len` and the payload to `out`: for floods written at once.
pub fn publish(out: &mut Vec<u8>, subject: &str, reply: Option<&str>, payload: &[u8]) {
    let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
    write!(out, "PUB {subject}{reply} {}\r\n", payload.len()).unwrap();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}
