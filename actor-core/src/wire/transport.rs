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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use super::error::WireError;
use super::limits::now_ms;
use crate::sync::lock;

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
        Transport::socket(stream, peer, TcpStream::try_clone, |closer| {
            let _ = closer.shutdown(Shutdown::Both);
        })
    }

    /// A socket read through one clone, written through itself, and closed (both ways)
    /// through a third, so `close` reaches a reader blocked in `read`.
    fn socket<S: Read + Write + Send + Sync + 'static>(
        stream: S,
        peer: String,
        try_clone: fn(&S) -> io::Result<S>,
        shutdown: fn(&S),
    ) -> Result<Self, WireError> {
        let clone = || {
            try_clone(&stream)
                .map_err(|e| WireError::io(format!("sharing the connection to {peer}"), e))
        };
        let (reader, closer) = (clone()?, clone()?);
        Ok(Transport {
            reader: Box::new(reader),
            writer: Box::new(stream),
            closer: Some(Box::new(move || shutdown(&closer))),
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
        Transport::socket(stream, peer, UnixStream::try_clone, |closer| {
            let _ = closer.shutdown(Shutdown::Both);
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

    /// Runs `close` when the connection is closed: to wake the threads blocked reading and
    /// writing it (shut a socket down, kill a process). Replaces the closer a socket
    /// transport comes with.
    pub fn on_close(mut self, close: impl Fn() + Send + Sync + 'static) -> Self {
        self.closer = Some(Box::new(close));
        self
    }

    /// Who is on the other end, as errors name it.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The reading half, and the writing half started on a thread of its own, which
    /// takes up to `permits` answers to requests in progress.
    pub(crate) fn start(
        self,
        permits: usize,
    ) -> Result<(Box<dyn Read + Send>, Outbox, String), WireError> {
        let outbox = Outbox::start(self.writer, self.closer, &self.peer, permits)?;
        Ok((self.reader, outbox, self.peer))
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transport({})", self.peer)
    }
}

/// How many frames may wait for a Mux's writer.
pub(crate) const QUEUE: usize = 1024;

/// Why a frame was not queued.
pub(crate) enum Refused {
    /// The connection is closed.
    Closed,
    /// The queue stayed full until the deadline.
    Timeout,
}

enum Out {
    /// A frame; `permit` if it answers a request that holds a permit.
    Frame { bytes: Vec<u8>, permit: bool },
    /// Write what is queued, then close.
    Finish,
}

type ErrorHook = Box<dyn Fn(String) + Send + Sync>;

/// The writing half of a connection: a writer thread of its own, fed through a bounded
/// queue. No sender ever blocks on the stream itself, so a peer that stops reading can
/// stall only its own connection, and closing releases every sender at once (a thread
/// stuck in a write to a pipe cannot be woken; with a writer thread, no caller is that
/// thread).
pub(crate) struct Outbox {
    inner: Arc<OutboxInner>,
    /// Disconnects when the writer thread has ended.
    finished: Receiver<()>,
}

struct OutboxInner {
    queue: Sender<Out>,
    /// Never carries a value: it disconnects when the outbox closes, waking every select.
    closed: Receiver<()>,
    close_signal: Mutex<Option<Sender<()>>>,
    is_closed: AtomicBool,
    closer: Option<Closer>,
    /// Requests in progress that will be answered on this connection.
    permits: (Sender<()>, Receiver<()>),
    /// Bytes of answers queued and not yet written; `room` is told when they shrink or
    /// the outbox closes.
    reply_bytes: Mutex<usize>,
    room: Condvar,
    /// When the frame being written started (`now_ms`), 0 if none is.
    writing_since: AtomicU64,
    on_error: OnceLock<ErrorHook>,
}

impl Outbox {
    /// Starts the writer thread for `writer`.
    pub(crate) fn start(
        writer: Box<dyn Write + Send>,
        closer: Option<Closer>,
        peer: &str,
        permits: usize,
    ) -> Result<Outbox, WireError> {
        let permits = permits.max(1);
        // One more than the permits: `finish` always fits.
        let (queue, frames) = crossbeam_channel::bounded(permits.max(QUEUE) + 1);
        let (close_signal, closed) = crossbeam_channel::bounded(0);
        let inner = Arc::new(OutboxInner {
            queue,
            closed,
            close_signal: Mutex::new(Some(close_signal)),
            is_closed: AtomicBool::new(false),
            closer,
            permits: crossbeam_channel::bounded(permits),
            reply_bytes: Mutex::new(0),
            room: Condvar::new(),
            writing_since: AtomicU64::new(0),
            on_error: OnceLock::new(),
        });
        let writing = inner.clone();
        let (running, finished) = crossbeam_channel::bounded::<()>(0);
        thread::Builder::new()
            .name("wire-writer".to_owned())
            .spawn(move || {
                writing.write(writer, &frames);
                drop(running);
            })
            .map_err(|e| WireError::io(format!("starting a writer for {peer}"), e))?;
        Ok(Outbox { inner, finished })
    }

    /// Waits until the writer thread has ended (everything is written or dropped), until
    /// `deadline` if there is one; whether it has.
    pub(crate) fn wait_finished(&self, deadline: Option<Instant>) -> bool {
        match deadline {
            Some(deadline) => self
                .finished
                .recv_deadline(deadline)
                .is_err_and(|e| e.is_disconnected()),
            None => self.finished.recv().is_err(),
        }
    }

    /// Runs `hook` with the reason if a write fails. The outbox then closes itself, which
    /// shuts a socket down: its reader sees the end of the stream.
    pub(crate) fn on_error(&self, hook: impl Fn(String) + Send + Sync + 'static) {
        let _ = self.inner.on_error.set(Box::new(hook));
    }

    /// Queues a frame, waiting for room until `deadline` (forever if `None`) or until the
    /// connection closes.
    pub(crate) fn send(&self, bytes: Vec<u8>, deadline: Option<Instant>) -> Result<(), Refused> {
        self.inner.push(
            Out::Frame {
                bytes,
                permit: false,
            },
            deadline,
        )
    }

    /// Takes a permit for one more request in progress; waits while all are taken. False
    /// if the connection closed.
    pub(crate) fn acquire(&self) -> bool {
        let inner = &self.inner;
        crossbeam_channel::select! {
            send(inner.permits.0, ()) -> sent => sent.is_ok(),
            recv(inner.closed) -> _ => false,
        }
    }

    /// Queues the answer to a request holding a permit; the permit goes back once the
    /// answer is written.
    pub(crate) fn reply(&self, bytes: Vec<u8>) {
        *lock(&self.inner.reply_bytes) += bytes.len();
        // Room is guaranteed: the queue holds one more frame than there are permits.
        let _ = self.inner.push(
            Out::Frame {
                bytes,
                permit: true,
            },
            None,
        );
    }

    /// Gives back a permit whose request will not be answered.
    pub(crate) fn release(&self) {
        let _ = self.inner.permits.1.try_recv();
    }

    /// Waits while `max` bytes of answers or more wait to be written; false if the
    /// connection closed.
    pub(crate) fn wait_for_room(&self, max: usize) -> bool {
        let inner = &self.inner;
        let bytes = lock(&inner.reply_bytes);
        let _bytes = inner
            .room
            .wait_while(bytes, |bytes| {
                *bytes >= max && !inner.is_closed.load(Ordering::Acquire)
            })
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !self.inner.is_closed.load(Ordering::Acquire)
    }

    /// Bytes of answers waiting to be written.
    pub(crate) fn reply_bytes(&self) -> usize {
        *lock(&self.inner.reply_bytes)
    }

    /// Whether every permit is taken.
    pub(crate) fn is_full(&self) -> bool {
        self.inner.permits.0.is_full()
    }

    /// When the frame being written started to be (`now_ms`), 0 if none is.
    pub(crate) fn writing_since(&self) -> u64 {
        self.inner.writing_since.load(Ordering::Relaxed)
    }

    /// Writes what is queued, then closes the connection.
    pub(crate) fn finish(&self) {
        if self.inner.queue.try_send(Out::Finish).is_err() {
            self.close();
        }
    }

    /// Closes the connection both ways at once; what is still queued is dropped.
    /// Idempotent.
    pub(crate) fn close(&self) {
        self.inner.close();
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        // Not `close`: replies queued by the last requests must still go out.
        self.finish();
    }
}

impl OutboxInner {
    fn push(&self, out: Out, deadline: Option<Instant>) -> Result<(), Refused> {
        match deadline {
            Some(deadline) => crossbeam_channel::select! {
                send(self.queue, out) -> sent => sent.map_err(|_| Refused::Closed),
                recv(self.closed) -> _ => Err(Refused::Closed),
                default(deadline.saturating_duration_since(Instant::now())) => Err(Refused::Timeout),
            },
            None => crossbeam_channel::select! {
                send(self.queue, out) -> sent => sent.map_err(|_| Refused::Closed),
                recv(self.closed) -> _ => Err(Refused::Closed),
            },
        }
    }

    fn close(&self) {
        if self.is_closed.swap(true, Ordering::AcqRel) {
            return;
        }
        drop(lock(&self.close_signal).take());
        {
            let _bytes = lock(&self.reply_bytes);
            self.room.notify_all();
        }
        // Shutting a socket down also unblocks the writer thread if it is stuck.
        if let Some(close) = &self.closer {
            close();
        }
    }

    /// The writer thread: writes each queued frame whole, until closed or finished.
    fn write(&self, mut writer: Box<dyn Write + Send>, frames: &Receiver<Out>) {
        loop {
            let out = crossbeam_channel::select! {
                recv(frames) -> out => out,
                recv(self.closed) -> _ => break,
            };
            match out {
                Ok(Out::Frame { bytes, permit }) => {
                    self.writing_since.store(now_ms(), Ordering::Relaxed);
                    let written = writer.write_all(&bytes).and_then(|()| writer.flush());
                    self.writing_since.store(0, Ordering::Relaxed);
                    if let Err(e) = written {
                        if !self.is_closed.load(Ordering::Acquire) {
                            if let Some(hook) = self.on_error.get() {
                                hook(format!("writing to it failed: {e}"));
                            }
                        }
                        break;
                    }
                    if permit {
                        let _ = self.permits.1.try_recv();
                        let mut queued = lock(&self.reply_bytes);
                        *queued = queued.saturating_sub(bytes.len());
                        self.room.notify_all();
                    }
                }
                Ok(Out::Finish) | Err(_) => break,
            }
        }
        // Dropping the writer closes a pipe; the closer shuts a socket down.
        drop(writer);
        self.close();
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
