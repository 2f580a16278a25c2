//! Transports: the byte streams a [`Mux`](super::Mux) and a [`DeMux`](super::DeMux) talk
//! over. Any `Read + Write` pair will do; TCP, Unix sockets and a child process's
//! stdin/stdout are ready-made.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
#[cfg(unix)]
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, TryLockError};

use super::error::WireError;

type Closer = Box<dyn Fn() + Send + Sync>;

/// One end of a bidirectional byte stream: what to read, what to write, and how to close
/// both at once.
///
/// The closer matters for a clean, prompt shutdown: closing a socket both ways wakes the
/// thread blocked reading it. A plain pair of pipes has no such thing; closing drops the
/// writing half, and the reading thread ends when the peer closes its side in turn.
///
/// ```
/// use actor_core::wire::Transport;
/// use std::net::TcpListener;
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let client = Transport::connect_tcp(listener.local_addr().unwrap()).unwrap();
/// assert!(client.peer().starts_with("tcp 127.0.0.1:"));
/// ```
pub struct Transport {
    reader: Box<dyn Read + Send>,
    writer: Box<dyn Write + Send>,
    closer: Option<Closer>,
    peer: String,
}

impl Transport {
    /// A transport over any reader and writer: two pipes, a serial line, an in-memory
    /// channel.
    pub fn new(reader: impl Read + Send + 'static, writer: impl Write + Send + 'static) -> Self {
        Transport {
            reader: Box::new(reader),
            writer: Box::new(writer),
            closer: None,
            peer: "a byte stream".to_owned(),
        }
    }

    /// A transport over a connected TCP stream (with Nagle's delay turned off: frames are
    /// written whole, and a request must not wait for the previous one's ACK).
    pub fn tcp(stream: TcpStream) -> Result<Self, WireError> {
        let peer = match stream.peer_addr() {
            Ok(addr) => format!("tcp {addr}"),
            Err(_) => "a tcp peer".to_owned(),
        };
        stream
            .set_nodelay(true)
            .map_err(|e| WireError::io(format!("configuring the connection to {peer}"), e))?;
        let clone = || {
            stream
                .try_clone()
                .map_err(|e| WireError::io(format!("sharing the connection to {peer}"), e))
        };
        let (reader, closer) = (clone()?, clone()?);
        Ok(Transport {
            reader: Box::new(reader),
            writer: Box::new(stream),
            closer: Some(Box::new(move || {
                let _ = closer.shutdown(Shutdown::Both);
            })),
            peer,
        })
    }

    /// Connects to a TCP address.
    pub fn connect_tcp(addr: impl ToSocketAddrs + fmt::Debug) -> Result<Self, WireError> {
        let stream = TcpStream::connect(&addr)
            .map_err(|e| WireError::io(format!("connecting to {addr:?}"), e))?;
        Transport::tcp(stream)
    }

    /// A transport over a connected Unix socket.
    #[cfg(unix)]
    pub fn unix(stream: UnixStream) -> Result<Self, WireError> {
        let peer = match stream
            .peer_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(Path::to_owned))
        {
            Some(path) => format!("unix socket {}", path.display()),
            None => "a unix socket".to_owned(),
        };
        let clone = || {
            stream
                .try_clone()
                .map_err(|e| WireError::io(format!("sharing the connection to {peer}"), e))
        };
        let (reader, closer) = (clone()?, clone()?);
        Ok(Transport {
            reader: Box::new(reader),
            writer: Box::new(stream),
            closer: Some(Box::new(move || {
                let _ = closer.shutdown(Shutdown::Both);
            })),
            peer,
        })
    }

    /// Connects to a Unix socket at `path`.
    #[cfg(unix)]
    pub fn connect_unix(path: impl AsRef<Path>) -> Result<Self, WireError> {
        let path = path.as_ref();
        let stream = UnixStream::connect(path)
            .map_err(|e| WireError::io(format!("connecting to {}", path.display()), e))?;
        Ok(Transport::unix(stream)?.named(format!("unix socket {}", path.display())))
    }

    /// Two transports connected to each other (a Unix socket pair): for a Mux and a
    /// DeMux in one process, as in tests.
    #[cfg(unix)]
    pub fn pair() -> Result<(Transport, Transport), WireError> {
        let (a, b) = UnixStream::pair().map_err(|e| WireError::io("making a socket pair", e))?;
        Ok((
            Transport::unix(a)?.named("one end of a socket pair"),
            Transport::unix(b)?.named("the other end of a socket pair"),
        ))
    }

    /// A transport over a child process's stdin (to write) and stdout (to read), both of
    /// which must have been piped. Closing it closes the child's stdin: a child serving a
    /// [`DeMux`](super::DeMux) on its [`stdio`](Transport::stdio) then sees the end of its
    /// input and can exit.
    pub fn child(child: &mut Child) -> Result<Self, WireError> {
        let pid = child.id();
        let not_piped = |which: &str| WireError::Io {
            action: format!("talking to child process {pid}"),
            reason: format!(
                "its {which} is not piped: spawn it with `Stdio::piped()` for stdin and stdout"
            ),
        };
        let stdin = child.stdin.take().ok_or_else(|| not_piped("stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| not_piped("stdout"))?;
        Ok(Transport::new(stdout, stdin).named(format!("child process {pid}")))
    }

    /// Spawns `command` with piped stdin and stdout and returns a transport to it, with
    /// the child to wait on. Its stderr is left as the command has it.
    pub fn spawn(command: &mut Command) -> Result<(Transport, Child), WireError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| WireError::io(format!("starting {command:?}"), e))?;
        let transport = Transport::child(&mut child)?;
        Ok((transport, child))
    }

    /// This process's stdin and stdout: the child's end of [`Transport::child`]. Nothing
    /// else may write to stdout while it is in use (print to stderr instead).
    pub fn stdio() -> Self {
        Transport::new(io::stdin(), io::stdout()).named("the parent process")
    }

    /// Names the peer, for error messages.
    pub fn named(mut self, peer: impl Into<String>) -> Self {
        self.peer = peer.into();
        self
    }

    /// Runs `close` when the transport is closed, before its writing half is dropped: to
    /// wake a thread blocked reading it (shut a socket down, kill a process). Replaces the
    /// closer a socket transport comes with.
    pub fn on_close(mut self, close: impl Fn() + Send + Sync + 'static) -> Self {
        self.closer = Some(Box::new(close));
        self
    }

    /// Who is on the other end, as errors name it.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    pub(crate) fn into_parts(self) -> (Box<dyn Read + Send>, Outbox, String) {
        let outbox = Outbox {
            writer: Mutex::new(Some(self.writer)),
            closer: self.closer,
            closed: AtomicBool::new(false),
        };
        (self.reader, outbox, self.peer)
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transport({})", self.peer)
    }
}

/// The writing half of a connection, shared by every thread that sends on it: each frame
/// is written whole under the lock, so frames never interleave.
pub(crate) struct Outbox {
    writer: Mutex<Option<Box<dyn Write + Send>>>,
    closer: Option<Closer>,
    closed: AtomicBool,
}

impl Outbox {
    /// Writes one whole frame.
    pub(crate) fn send(&self, frame: &[u8]) -> io::Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(w) = writer.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the connection is closed",
            ));
        };
        let result = w.write_all(frame).and_then(|()| w.flush());
        // A failed write leaves a partial frame behind: nothing more may follow it.
        if result.is_err() || self.closed.load(Ordering::Acquire) {
            *writer = None;
        }
        result
    }

    /// Closes the connection both ways; idempotent. Never waits for a thread that is in
    /// the middle of a write: that thread drops the writer when it is done.
    pub(crate) fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        // First the closer, which unblocks a writer stuck on a full socket.
        if let Some(close) = &self.closer {
            close();
        }
        match self.writer.try_lock() {
            Ok(mut writer) => *writer = None,
            Err(TryLockError::Poisoned(poisoned)) => *poisoned.into_inner() = None,
            Err(TryLockError::WouldBlock) => {}
        }
    }
}

/// A listening socket that a [`DeMux`](super::DeMux) accepts connections from.
/// Implemented for [`TcpListener`] and [`UnixListener`].
pub trait Listen: Send + Sync + 'static {
    /// Waits for the next connection.
    fn accept_transport(&self) -> Result<Transport, WireError>;

    /// Unblocks a thread waiting in [`accept_transport`](Listen::accept_transport), by
    /// connecting to the listener.
    fn wake(&self);

    /// What the listener listens on, for messages.
    fn describe(&self) -> String;
}

impl Listen for TcpListener {
    fn accept_transport(&self) -> Result<Transport, WireError> {
        let (stream, _) = self
            .accept()
            .map_err(|e| WireError::io(format!("accepting on {}", self.describe()), e))?;
        Transport::tcp(stream)
    }

    fn wake(&self) {
        if let Ok(mut addr) = self.local_addr() {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr {
                    std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            let _ = TcpStream::connect(addr);
        }
    }

    fn describe(&self) -> String {
        match self.local_addr() {
            Ok(addr) => format!("tcp {addr}"),
            Err(_) => "a tcp listener".to_owned(),
        }
    }
}

#[cfg(unix)]
impl Listen for UnixListener {
    fn accept_transport(&self) -> Result<Transport, WireError> {
        let (stream, _) = self
            .accept()
            .map_err(|e| WireError::io(format!("accepting on {}", self.describe()), e))?;
        Transport::unix(stream)
    }

    fn wake(&self) {
        if let Some(path) = self
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(Path::to_owned))
        {
            let _ = UnixStream::connect(path);
        }
    }

    fn describe(&self) -> String {
        match self
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(Path::to_owned))
        {
            Some(path) => format!("unix socket {}", path.display()),
            None => "a unix listener".to_owned(),
        }
    }
}
