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
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::error::WireError;
use super::gauge::Gauge;
use super::limits::now_ms;
use crate::sync::lock;

type Closer = Box<dyn Fn() + Send + Sync>;

/// Sets the reading half's read timeout (`None`: reads block until data comes).
pub(crate) type SetReadTimeout = Box<dyn Fn(Option<Duration>) -> io::Result<()> + Send + Sync>;

/// Sets the writing half's write timeout (a socket's own, shared by its clones; `None`:
/// writes block until there is room).
pub(crate) type SetWriteTimeout = Box<dyn Fn(Option<Duration>) -> io::Result<()> + Send + Sync>;

/// What a transport needs of a socket (std's `TcpStream` and `UnixStream`).
trait Socket: Read + Write + Send + Sync + Sized + 'static {
    fn try_clone(&self) -> io::Result<Self>;
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()>;
    /// Shuts both directions down, ignoring a socket already shut.
    fn shut_down(&self);
}

macro_rules! socket {
    ($stream:ty) => {
        impl Socket for $stream {
            fn try_clone(&self) -> io::Result<Self> {
                <$stream>::try_clone(self)
            }
            fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
                <$stream>::set_write_timeout(self, timeout)
            }
            fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
                <$stream>::set_read_timeout(self, timeout)
            }
            fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
                <$stream>::set_nonblocking(self, nonblocking)
            }
            fn shut_down(&self) {
                let _ = self.shutdown(Shutdown::Both);
            }
        }
    };
}

socket!(TcpStream);
#[cfg(unix)]
socket!(UnixStream);

/// The reading half of a started transport.
pub(crate) struct ReadHalf {
    pub(crate) reader: Box<dyn Read + Send>,
    /// How to make its reads time out, where they can (a socket); `None` for a stream
    /// whose reads always block until data comes (a pipe).
    pub(crate) set_timeout: Option<SetReadTimeout>,
}

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
    /// Set where a write to `writer` gives up after [`SEND_TIMEOUT`] (a socket), so that a
    /// sender may write its frame itself instead of waking the writer thread: how to
    /// change that timeout (the writer thread lengthens it while the peer reads nothing).
    inline: Option<SetWriteTimeout>,
    /// Whether closing shuts the socket down, which ends a write blocked in it at once (a
    /// socket's own closer; not one given to [`on_close`](Transport::on_close)): only then
    /// may the writer thread wait in long writes for a peer that reads nothing.
    shuts_down: bool,
    /// How to give the reader's reads a timeout (a socket's own, shared by its clones).
    set_read_timeout: Option<SetReadTimeout>,
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
            inline: None,
            shuts_down: false,
            set_read_timeout: None,
        }
    }

    /// A transport over a connected TCP stream (with Nagle's delay turned off: frames are
    /// written whole, and a request must not wait for the previous one's ACK). The stream
    /// is put in blocking mode and a read timeout set on it is cleared: the transport
    /// times its reads and writes itself.
    pub fn tcp(stream: TcpStream) -> Result<Self, WireError> {
        let peer = match stream.peer_addr() {
            Ok(addr) => format!("tcp {addr}"),
            Err(_) => "a tcp peer".to_owned(),
        };
        stream
            .set_nodelay(true)
            .map_err(|e| WireError::io(format!("configuring the connection to {peer}"), e))?;
        Transport::socket(stream, peer)
    }

    /// A socket read through one clone, written through itself, and closed (both ways)
    /// and timed through a second, so `close` reaches a reader blocked in `read`. Its
    /// writes give up after [`SEND_TIMEOUT`] (a send timeout is the socket's own, shared
    /// by the clones; one set on the stream before is replaced), which lets a sender write
    /// a frame itself when the connection is idle, held by it for twice that at most. Its
    /// reads block (a read timeout or non-blocking mode set before is cleared); the Mux
    /// gives them a timeout while a caller reads its own reply.
    fn socket<S: Socket>(stream: S, peer: String) -> Result<Self, WireError> {
        let configure =
            |what: &str, e| WireError::io(format!("{what} the connection to {peer}"), e);
        stream
            .set_nonblocking(false)
            .and_then(|()| stream.set_read_timeout(None))
            .map_err(|e| configure("configuring", e))?;
        let reader = stream.try_clone().map_err(|e| configure("sharing", e))?;
        let control = Arc::new(stream.try_clone().map_err(|e| configure("sharing", e))?);
        // Without the timeout, every frame goes through the writer thread, as over a pipe.
        // Only where a send that timed out leaves the socket usable: WinSock documents
        // its state as indeterminate then.
        let inline = cfg!(unix) && stream.set_write_timeout(Some(SEND_TIMEOUT)).is_ok();
        let closer = control.clone();
        let timer = control.clone();
        Ok(Transport {
            reader: Box::new(reader),
            writer: Box::new(stream),
            closer: Some(Box::new(move || closer.shut_down())),
            peer,
            inline: inline.then(|| {
                Box::new(move |timeout| timer.set_write_timeout(timeout)) as SetWriteTimeout
            }),
            shuts_down: true,
            // Unix only, as for writes: a read that timed out leaves the socket usable.
            set_read_timeout: cfg!(unix).then(|| {
                Box::new(move |timeout| control.set_read_timeout(timeout)) as SetReadTimeout
            }),
        })
    }

    /// Connects to a TCP address.
    pub fn connect_tcp(addr: impl ToSocketAddrs + fmt::Debug) -> Result<Self, WireError> {
        let stream = TcpStream::connect(&addr)
            .map_err(|e| WireError::io(format!("connecting to {addr:?}"), e))?;
        Transport::tcp(stream)
    }

    /// A transport over a connected Unix socket, put in blocking mode with no read
    /// timeout (as [`Transport::tcp`]).
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
        Transport::socket(stream, peer)
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
    /// transport comes with; its writer thread then retries a peer that reads nothing
    /// every few milliseconds, as it cannot count on `close` to wake it.
    pub fn on_close(mut self, close: impl Fn() + Send + Sync + 'static) -> Self {
        self.closer = Some(Box::new(close));
        self.shuts_down = false;
        self
    }

    /// Who is on the other end, as errors name it.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The reading half, and the writing half started on a thread of its own, which
    /// takes up to `permits` answers to requests in progress.
    pub(crate) fn start(self, permits: usize) -> Result<(ReadHalf, Outbox, String), WireError> {
        let inline = self.inline.is_some();
        let retime = self.inline.filter(|_| self.shuts_down);
        let outbox = Outbox::start(
            self.writer,
            self.closer,
            &self.peer,
            permits,
            inline,
            retime,
        )?;
        let read = ReadHalf {
            reader: self.reader,
            set_timeout: self.set_read_timeout,
        };
        Ok((read, outbox, self.peer))
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transport({})", self.peer)
    }
}

/// How many frames may wait for a Mux's writer.
pub(crate) const QUEUE: usize = 1024;

/// How long one write to a socket may wait for room in its send buffer before giving up
/// (but for the writer thread's, while a peer reads nothing: [`STALLED`]), and how long a
/// sender goes on writing its own frame to a peer that reads it slowly.
/// So a sender is held by the stream for twice this at most (its last write may start
/// just before the time is up); what it could not write is left to the writer thread.
/// The kernel keeps a socket's timeout in its clock's ticks, rounded up: on a 250 Hz
/// Linux kernel this is 4 ms (and a sender is held for 8 ms at most).
pub(crate) const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(2);

/// How long each of the writer thread's writes waits for room once the peer has read
/// nothing for a [`SEND_TIMEOUT`]: the stream wakes the write as soon as there is room,
/// and a close's shutdown ends it, so this only bounds how often a stalled connection
/// costs a system call (four times a second, where retrying every `SEND_TIMEOUT` made
/// about a hundred here: the kernel rounds that timeout up to its clock's tick).
pub(crate) const STALLED: Duration = Duration::from_millis(250);

/// Up to how many bytes of queued frames the writer thread writes in one go.
const BATCH: usize = 64 * 1024;

/// Why a frame was not queued.
pub(crate) enum Refused {
    /// The connection is closed.
    Closed,
    /// The queue stayed full until the deadline.
    Timeout,
}

enum Out {
    /// A frame; `permit` if it answers a request that holds a permit.
    Frame(Pending),
    /// A sender's write stopped part way: write the rest (in `Sink::rest`) first.
    Resume,
    /// Write what is queued, then close.
    Finish,
}

/// A frame on its way, and how much of it is written.
struct Pending {
    bytes: Vec<u8>,
    written: usize,
    /// Whether it answers a request that holds a permit.
    permit: bool,
}

type ErrorHook = Box<dyn Fn(String) + Send + Sync>;

/// The writing half of a connection, fed two ways. When nothing waits to be written, a
/// sender writes its frame itself, on its own thread (over a socket, whose writes give up
/// after [`SEND_TIMEOUT`]): one system call, and no thread woken. Otherwise, and for
/// whatever such a write leaves unwritten, a writer thread of its own writes frames from
/// a bounded queue. So no sender is held by the stream for longer than twice
/// `SEND_TIMEOUT` (4 ms, or twice a clock tick where the kernel's is longer), however
/// slowly the peer reads; a peer that stops reading can stall only its own connection;
/// and closing releases every sender at once (over a pipe, whose writes cannot time out,
/// every frame goes through the writer thread: a thread stuck in a write to a pipe cannot
/// be woken, and no sender is that thread).
/// While a peer reads nothing, the writer thread waits for room in writes of
/// [`STALLED`] (a close's shutdown ends them at once, and room resumes them), about four
/// system calls a second, not one every `SEND_TIMEOUT`, until the connection closes (by
/// its write timeout, if it has one); it puts `SEND_TIMEOUT` back before any sender may
/// write again.
///
/// Frames from one sender are written in the order sent: a sender writes itself only
/// while no frame is queued or part written (`backlog` is zero, read under the stream's
/// lock, which the writer thread holds until the count is down).
pub(crate) struct Outbox {
    inner: Arc<OutboxInner>,
    /// Disconnects when the writer thread has ended.
    finished: Receiver<()>,
}

struct OutboxInner {
    queue: Sender<Out>,
    /// The stream, and the end of a frame a sender began: whoever holds it writes.
    sink: Mutex<Sink>,
    /// Frames queued or part written, not yet whole on the stream (and a queued
    /// `Finish`): a sender writes itself only while there are none.
    backlog: AtomicUsize,
    /// Whether senders may write themselves (see [`Transport::inline`]); lowered for good
    /// if the socket's `SEND_TIMEOUT` could not be put back after a stall.
    inline: AtomicBool,
    /// How to lengthen the socket's write timeout while its peer reads nothing (and put
    /// it back), where senders may write themselves and a close ends a blocked write.
    retime: Option<SetWriteTimeout>,
    /// Never carries a value: it disconnects when the outbox closes, waking every select.
    closed: Receiver<()>,
    close_signal: Mutex<Option<Sender<()>>>,
    is_closed: AtomicBool,
    closer: Option<Closer>,
    /// Requests in progress that will be answered on this connection.
    permits: (Sender<()>, Receiver<()>),
    /// Bytes of answers queued and not yet written; its waiters are woken when they
    /// shrink or the outbox closes.
    reply_bytes: Gauge,
    /// When the frame being written started (`now_ms`), 0 if none is.
    writing_since: AtomicU64,
    on_error: OnceLock<ErrorHook>,
}

struct Sink {
    /// Taken by the writer thread when it ends, and dropped (which closes a pipe).
    writer: Option<Box<dyn Write + Send>>,
    /// What a sender's write left unwritten, for the writer thread to finish first.
    rest: Option<Pending>,
}

/// How a write ended.
enum Wrote {
    Whole,
    /// The stream had no room for the rest within its write timeout ([`SEND_TIMEOUT`], or
    /// [`STALLED`] for a stalled writer thread), or a sender's time to write was up with
    /// some still left.
    Blocked,
    Failed(io::Error),
}

impl Outbox {
    /// Starts the writer thread for `writer`; with `inline`, senders write themselves
    /// while nothing waits (the writer's writes must then give up after
    /// [`SEND_TIMEOUT`]); with `retime`, the writer thread waits in writes of [`STALLED`]
    /// while the peer reads nothing (a close must then end a blocked write).
    pub(crate) fn start(
        writer: Box<dyn Write + Send>,
        closer: Option<Closer>,
        peer: &str,
        permits: usize,
        inline: bool,
        retime: Option<SetWriteTimeout>,
    ) -> Result<Outbox, WireError> {
        let permits = permits.max(1);
        // One more than the permits: `finish` always fits.
        let (queue, frames) = crossbeam_channel::bounded(permits.max(QUEUE) + 1);
        let (close_signal, closed) = crossbeam_channel::bounded(0);
        let inner = Arc::new(OutboxInner {
            queue,
            sink: Mutex::new(Sink {
                writer: Some(writer),
                rest: None,
            }),
            backlog: AtomicUsize::new(0),
            inline: AtomicBool::new(inline),
            retime: retime.filter(|_| inline),
            closed,
            close_signal: Mutex::new(Some(close_signal)),
            is_closed: AtomicBool::new(false),
            closer,
            permits: crossbeam_channel::bounded(permits),
            reply_bytes: Gauge::default(),
            writing_since: AtomicU64::new(0),
            on_error: OnceLock::new(),
        });
        let writing = inner.clone();
        let (running, finished) = crossbeam_channel::bounded::<()>(0);
        thread::Builder::new()
            .name("wire-writer".to_owned())
            .spawn(move || {
                writing.write(&frames);
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

    /// Writes a frame now if nothing waits to be written, else queues it, waiting for
    /// room until `deadline` (forever if `None`) or until the connection closes.
    pub(crate) fn send(&self, bytes: Vec<u8>, deadline: Option<Instant>) -> Result<(), Refused> {
        let frame = Pending {
            bytes,
            written: 0,
            permit: false,
        };
        match self.inner.write_now(frame) {
            Ok(()) => Ok(()),
            Err(frame) => self.inner.push(Out::Frame(frame), deadline),
        }
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

    /// Writes (or queues) the answer to a request holding a permit; the permit goes back
    /// once the answer is written.
    pub(crate) fn reply(&self, bytes: Vec<u8>) {
        self.inner.reply_bytes.add(bytes.len());
        let frame = Pending {
            bytes,
            written: 0,
            permit: true,
        };
        // With other answers on their way too, the writer thread writes them together.
        let alone = self.inner.permits.0.len() <= 1;
        let frame = match alone {
            true => self.inner.write_now(frame),
            false => Err(frame),
        };
        if let Err(frame) = frame {
            // Room is guaranteed: the queue holds one more frame than there are permits.
            let _ = self.inner.push(Out::Frame(frame), None);
        }
    }

    /// Gives back a permit whose request will not be answered.
    pub(crate) fn release(&self) {
        let _ = self.inner.permits.1.try_recv();
    }

    /// Waits while `max` bytes of answers or more wait to be written; false if the
    /// connection closed.
    pub(crate) fn wait_for_room(&self, max: usize) -> bool {
        let inner = &self.inner;
        inner.reply_bytes.wait_while(None, |bytes| {
            bytes >= max && !inner.is_closed.load(Ordering::SeqCst)
        });
        !inner.is_closed.load(Ordering::SeqCst)
    }

    /// Bytes of answers waiting to be written.
    pub(crate) fn reply_bytes(&self) -> usize {
        self.inner.reply_bytes.get()
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
        // Counted as waiting, so no sender writes past it.
        self.inner.backlog.fetch_add(1, Ordering::AcqRel);
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
        // Counted before it is queued: from now on, no sender writes ahead of it.
        self.backlog.fetch_add(1, Ordering::AcqRel);
        let pushed = match deadline {
            Some(deadline) => crossbeam_channel::select! {
                send(self.queue, out) -> sent => sent.map_err(|_| Refused::Closed),
                recv(self.closed) -> _ => Err(Refused::Closed),
                default(deadline.saturating_duration_since(Instant::now())) => Err(Refused::Timeout),
            },
            None => crossbeam_channel::select! {
                send(self.queue, out) -> sent => sent.map_err(|_| Refused::Closed),
                recv(self.closed) -> _ => Err(Refused::Closed),
            },
        };
        if pushed.is_err() {
            self.backlog.fetch_sub(1, Ordering::AcqRel);
        }
        pushed
    }

    /// Writes `frame` on this thread if senders may and nothing waits to be written;
    /// gives it back, untouched, to be queued otherwise. A write that stops part way
    /// (the stream's buffer full) leaves the rest to the writer thread.
    fn write_now(&self, mut frame: Pending) -> Result<(), Pending> {
        if !self.inline.load(Ordering::Relaxed) || self.backlog.load(Ordering::Acquire) != 0 {
            return Err(frame);
        }
        let Ok(mut sink) = self.sink.try_lock() else {
            return Err(frame); // the writer thread is at it (or panicked): queue
        };
        // Read again under the lock: the writer thread lowers `backlog` and `inline` only
        // while it holds the lock.
        if self.backlog.load(Ordering::Acquire) != 0
            || self.is_closed.load(Ordering::Acquire)
            || !self.inline.load(Ordering::Relaxed)
        {
            return Err(frame);
        }
        let Some(writer) = sink.writer.as_mut() else {
            return Err(frame);
        };
        self.writing_since.store(now_ms(), Ordering::Relaxed);
        // However fast the peer reads, a sender writes for `SEND_TIMEOUT` at most.
        let until = Instant::now() + SEND_TIMEOUT;
        let wrote = Self::write_frame(writer, &mut frame, Some(until));
        self.writing_since.store(0, Ordering::Relaxed);
        match wrote {
            Wrote::Whole => {
                drop(sink);
                self.written(&frame);
                Ok(())
            }
            Wrote::Blocked if frame.written == 0 => Err(frame),
            Wrote::Blocked => {
                // Part written: the rest must come next on the stream, before any frame
                // queued meanwhile. The writer thread takes it first.
                self.backlog.fetch_add(1, Ordering::AcqRel);
                sink.rest = Some(frame);
                drop(sink);
                // A full queue holds frames enough to wake the writer thread.
                let _ = self.queue.try_send(Out::Resume);
                Ok(())
            }
            Wrote::Failed(e) => {
                drop(sink);
                self.failed(&e);
                // The frame is lost with the connection; its permit with it.
                Ok(())
            }
        }
    }

    /// Writes what is left of `frame`: `Blocked` after the stream's write timeout without
    /// room (if it has one: [`SEND_TIMEOUT`], or [`STALLED`]), or once `until` has passed
    /// with some still left.
    fn write_frame(
        writer: &mut Box<dyn Write + Send>,
        frame: &mut Pending,
        until: Option<Instant>,
    ) -> Wrote {
        loop {
            let Some(rest) = frame.bytes.get(frame.written..).filter(|r| !r.is_empty()) else {
                break match writer.flush() {
                    Ok(()) => Wrote::Whole,
                    Err(e) => Wrote::Failed(e),
                };
            };
            match writer.write(rest) {
                Ok(0) => break Wrote::Failed(io::ErrorKind::WriteZero.into()),
                Ok(n) if n < rest.len() && until.is_some_and(|until| Instant::now() >= until) => {
                    frame.written += n;
                    break Wrote::Blocked;
                }
                Ok(n) => frame.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break Wrote::Blocked
                }
                Err(e) => break Wrote::Failed(e),
            }
        }
    }

    /// A frame is whole on the stream: its permit goes back, its bytes stop counting.
    fn written(&self, frame: &Pending) {
        if frame.permit {
            let _ = self.permits.1.try_recv();
            self.reply_bytes.sub(frame.bytes.len());
        }
    }

    /// A write failed: says why (unless the connection was closed here), and closes.
    fn failed(&self, e: &io::Error) {
        if !self.is_closed.load(Ordering::Acquire) {
            if let Some(hook) = self.on_error.get() {
                hook(format!("writing to it failed: {e}"));
            }
        }
        self.close();
    }

    fn close(&self) {
        if self.is_closed.swap(true, Ordering::SeqCst) {
            return;
        }
        drop(lock(&self.close_signal).take());
        self.reply_bytes.wake();
        // Shutting a socket down also unblocks the writer thread if it is stuck.
        if let Some(close) = &self.closer {
            close();
        }
    }

    /// Writes `frame` whole, however long the stream takes to make room, unless the
    /// connection closes; whether it was. The watchdog sees it as one write, timed from
    /// its start.
    fn write_whole(&self, writer: &mut Box<dyn Write + Send>, frame: &mut Pending) -> bool {
        self.writing_since.store(now_ms(), Ordering::Relaxed);
        // Whether the socket's write timeout is `STALLED` now.
        let (mut stalled, mut tried) = (false, false);
        let wrote = loop {
            match Self::write_frame(writer, frame, None) {
                // A send timeout, not an error: keep at it while the connection is open,
                // in longer writes (the peer has read nothing for a while), tried once.
                Wrote::Blocked if !self.is_closed.load(Ordering::Acquire) => {
                    if !tried {
                        tried = true;
                        stalled = self.retime(STALLED);
                    }
                }
                wrote => break wrote,
            }
        };
        // Before the stream's lock is let go: a sender's own write gives up after
        // `SEND_TIMEOUT` again, or no sender writes itself any more.
        if stalled && !self.retime(SEND_TIMEOUT) {
            self.inline.store(false, Ordering::Relaxed);
        }
        self.writing_since.store(0, Ordering::Relaxed);
        match wrote {
            Wrote::Whole => {
                self.written(frame);
                true
            }
            Wrote::Blocked => false,
            Wrote::Failed(e) => {
                self.failed(&e);
                false
            }
        }
    }

    /// Sets the socket's write timeout to `timeout`; whether it could.
    fn retime(&self, timeout: Duration) -> bool {
        self.retime
            .as_ref()
            .is_some_and(|retime| retime(Some(timeout)).is_ok())
    }

    /// The writer thread: writes each queued frame whole (after what a sender left part
    /// written), until closed or finished. Frames that queued up meanwhile (callers
    /// racing for the stream) go out together in one write, up to [`BATCH`] bytes.
    fn write(&self, frames: &Receiver<Out>) {
        let mut batch = Vec::new();
        let mut joined = Vec::new();
        loop {
            let out = crossbeam_channel::select! {
                recv(frames) -> out => out,
                recv(self.closed) -> _ => break,
            };
            let mut finish = false;
            match out {
                Ok(Out::Frame(frame)) => batch.push(frame),
                Ok(Out::Resume) => {}
                // What a sender left part written still goes first (its `Resume` may
                // come after the `Finish`).
                Ok(Out::Finish) => finish = true,
                Err(_) => break,
            }
            let mut sink = lock(&self.sink);
            let Sink { writer, rest } = &mut *sink;
            let Some(writer) = writer.as_mut() else {
                break;
            };
            if let Some(mut rest) = rest.take() {
                if !self.write_whole(writer, &mut rest) {
                    break;
                }
                self.backlog.fetch_sub(1, Ordering::AcqRel);
            }
            if finish {
                break;
            }
            if batch.is_empty() {
                continue;
            }
            // No sender writes while the lock is held, so no new `rest` appears: a
            // `Resume` taken here is one already served.
            let mut size = batch[0].bytes.len();
            while size < BATCH {
                match frames.try_recv() {
                    Ok(Out::Frame(frame)) => {
                        size += frame.bytes.len();
                        batch.push(frame);
                    }
                    Ok(Out::Resume) => {}
                    Ok(Out::Finish) => {
                        finish = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            let whole = if batch.len() == 1 {
                self.write_whole(writer, &mut batch[0])
            } else {
                joined.clear();
                for frame in &batch {
                    joined.extend_from_slice(&frame.bytes);
                }
                let mut all = Pending {
                    bytes: std::mem::take(&mut joined),
                    written: 0,
                    permit: false,
                };
                let whole = self.write_whole(writer, &mut all);
                // Kept for the next batch, unless a big frame made it big.
                if all.bytes.capacity() <= 2 * BATCH {
                    joined = all.bytes;
                }
                if whole {
                    batch.iter().for_each(|frame| self.written(frame));
                }
                whole
            };
            if !whole {
                break;
            }
            self.backlog.fetch_sub(batch.len(), Ordering::AcqRel);
            batch.clear();
            if finish {
                break;
            }
        }
        // Dropping the writer closes a pipe; the closer shuts a socket down.
        let writer = lock(&self.sink).writer.take();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A stream that takes one byte per write, each after `pause` (a slow peer), into
    /// `got`; fails once `stop` is set.
    struct Trickle {
        got: Arc<Mutex<Vec<u8>>>,
        pause: Duration,
        stop: Arc<AtomicBool>,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.stop.load(Ordering::Acquire) {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            if !self.pause.is_zero() {
                thread::sleep(self.pause); // the peer's pace, not a synchronisation
            }
            lock(&self.got).push(buf[0]);
            Ok(1)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn trickle(pause: Duration) -> (Outbox, Arc<Mutex<Vec<u8>>>, Arc<AtomicBool>) {
        let (got, stop) = (Arc::default(), Arc::new(AtomicBool::new(false)));
        let writer = Trickle {
            got: Arc::clone(&got),
            pause,
            stop: Arc::clone(&stop),
        };
        (inline_outbox(writer, Box::new(|_| Ok(()))), got, stop)
    }

    /// An outbox whose senders write themselves, over `writer` (no closer), with
    /// `retime` for its write timeout.
    fn inline_outbox(writer: impl Write + Send + 'static, retime: SetWriteTimeout) -> Outbox {
        Outbox::start(
            Box::new(writer),
            None,
            "a test stream",
            4,
            true,
            Some(retime),
        )
        .unwrap()
    }

    #[test]
    fn a_sender_stops_writing_at_its_send_timeout_however_steadily_the_peer_reads() {
        // A byte every 20 µs at least: always some progress, and 1 MiB takes 20 s or
        // more. The sender must give up after its send timeout and leave the rest to the
        // writer thread, which is still at it when `send` returns.
        let (outbox, got, stop) = trickle(Duration::from_micros(20));
        let frame: Vec<u8> = (0..=255_u8).cycle().take(1 << 20).collect();
        assert!(outbox.send(frame.clone(), None).is_ok());
        assert_eq!(
            outbox.inner.backlog.load(Ordering::Acquire),
            1,
            "sent whole inline"
        );
        let written = lock(&got).clone();
        assert!(!written.is_empty() && written.len() < frame.len());
        assert_eq!(
            written,
            frame[..written.len()],
            "the start of the frame, in order"
        );
        stop.store(true, Ordering::Release);
        assert!(outbox.wait_finished(None));
    }

    #[test]
    fn a_finish_queued_before_the_resume_of_a_part_written_frame_still_writes_its_rest() {
        // A sender's write stopped part way; `finish` came (from another thread) before
        // the sender queued its `Resume`. The rest must still go out before the close.
        let (outbox, got, _stop) = trickle(Duration::ZERO);
        {
            let mut sink = lock(&outbox.inner.sink);
            outbox.inner.backlog.fetch_add(1, Ordering::AcqRel);
            sink.rest = Some(Pending {
                bytes: b"hello".to_vec(),
                written: 2,
                permit: false,
            });
        }
        outbox.finish();
        assert!(outbox.wait_finished(None));
        assert_eq!(*lock(&got), b"llo");
    }

    #[cfg(unix)]
    #[test]
    fn a_writer_facing_a_peer_that_reads_nothing_waits_in_long_writes_then_restores_the_timeout() {
        // Before, the writer thread retried every `SEND_TIMEOUT` while the peer read
        // nothing: about a hundred system calls a second per stalled connection, for as
        // long as the connection stayed open.
        const WAIT: Duration = Duration::from_secs(10);
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        ours.set_write_timeout(Some(SEND_TIMEOUT)).unwrap();
        let (control, seen) = (ours.try_clone().unwrap(), ours.try_clone().unwrap());
        // As the kernel keeps it (rounded up to its clock's tick).
        let short = seen.write_timeout().unwrap();
        let (set, timeouts) = crossbeam_channel::unbounded();
        let retime: SetWriteTimeout = Box::new(move |timeout| {
            let done = control.set_write_timeout(timeout);
            let _ = set.send(timeout);
            done
        });
        let outbox = inline_outbox(ours, retime);
        // Far more than the socket buffers hold: the sender writes part of it, the writer
        // thread is left with the rest and a peer that reads nothing.
        let frame: Vec<u8> = (0..=255_u8).cycle().take(4 << 20).collect();
        assert!(outbox.send(frame.clone(), None).is_ok());
        assert_eq!(
            timeouts.recv_timeout(WAIT),
            Ok(Some(STALLED)),
            "the stalled writer lengthens its writes"
        );
        let mut got = vec![0; frame.len()];
        // A writer that gave the frame up would leave this read waiting: fail instead.
        theirs.set_read_timeout(Some(WAIT)).unwrap();
        theirs.read_exact(&mut got).unwrap();
        assert!(got == frame, "the frame came whole and in order");
        assert_eq!(
            timeouts.recv_timeout(WAIT),
            Ok(Some(SEND_TIMEOUT)),
            "and shortens them again once it is written"
        );
        assert_eq!(seen.write_timeout().unwrap(), short);
        assert!(outbox.inner.inline.load(Ordering::Relaxed));
        outbox.finish();
        assert!(outbox.wait_finished(Some(Instant::now() + WAIT)));
    }

    /// One write to a [`Gated`] stream: the thread that made it, the write timeout then
    /// in force, and the bytes taken (none while blocked).
    type GatedWrite = (String, Duration, usize);

    /// A stream whose writes time out while `blocked` is set, recording each write.
    struct Gated {
        blocked: Arc<AtomicBool>,
        timeout: Arc<Mutex<Duration>>,
        writes: Sender<GatedWrite>,
    }

    impl Write for Gated {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let blocked = self.blocked.load(Ordering::Acquire);
            let thread = thread::current().name().unwrap_or("").to_owned();
            let taken = if blocked { 0 } else { buf.len() };
            let _ = self.writes.send((thread, *lock(&self.timeout), taken));
            match blocked {
                true => Err(io::ErrorKind::TimedOut.into()),
                false => Ok(taken),
            }
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn no_sender_writes_while_the_writer_waits_in_long_writes() {
        const WAIT: Duration = Duration::from_secs(10);
        let (blocked, timeout) = (
            Arc::new(AtomicBool::new(true)),
            Arc::new(Mutex::new(SEND_TIMEOUT)),
        );
        let (writes_tx, writes) = crossbeam_channel::unbounded();
        let stream = Gated {
            blocked: Arc::clone(&blocked),
            timeout: Arc::clone(&timeout),
            writes: writes_tx,
        };
        let (set, timeouts) = crossbeam_channel::unbounded();
        let retime: SetWriteTimeout = {
            let timeout = Arc::clone(&timeout);
            Box::new(move |to: Option<Duration>| {
                *lock(&timeout) = to.unwrap_or(Duration::MAX);
                let _ = set.send(to);
                Ok(())
            })
        };
        let outbox = inline_outbox(stream, retime);
        // The sender's own write times out, so the writer thread takes the frame, and
        // stalls.
        assert!(outbox.send(b"first".to_vec(), None).is_ok());
        assert_eq!(timeouts.recv_timeout(WAIT), Ok(Some(STALLED)));
        // Sent while the writer waits: queued behind it, not written by this thread.
        assert!(outbox.send(b"second".to_vec(), None).is_ok());
        blocked.store(false, Ordering::Release);
        assert_eq!(timeouts.recv_timeout(WAIT), Ok(Some(SEND_TIMEOUT)));
        // Both frames written (in one batch or two), then a third, by whichever thread.
        let mut seen = Vec::new();
        let written_until = |bytes: usize, seen: &mut Vec<GatedWrite>| {
            while seen.iter().map(|(_, _, taken)| taken).sum::<usize>() < bytes {
                seen.push(writes.recv_timeout(WAIT).unwrap());
            }
        };
        written_until("firstsecond".len(), &mut seen);
        assert!(outbox.send(b"third".to_vec(), None).is_ok());
        written_until("firstsecondthird".len(), &mut seen);
        let by_others: Vec<_> = seen
            .iter()
            .filter(|(thread, ..)| thread != "wire-writer")
            .collect();
        assert!(
            !by_others.is_empty(),
            "the first frame was tried here: {seen:?}"
        );
        assert!(
            by_others
                .iter()
                .all(|(_, timeout, _)| *timeout == SEND_TIMEOUT),
            "a sender wrote under the writer's long timeout: {seen:?}"
        );
        assert!(
            seen.iter()
                .any(|(thread, timeout, _)| thread == "wire-writer" && *timeout == STALLED),
            "the writer waited in long writes: {seen:?}"
        );
        outbox.finish();
        assert!(outbox.wait_finished(Some(Instant::now() + WAIT)));
    }

    #[cfg(unix)]
    #[test]
    fn only_a_socket_closed_by_its_own_shutdown_waits_in_long_writes() {
        // A closer given to `on_close` may not shut the socket down, so it may not end a
        // writer blocked in a long write: that writer keeps to short ones (a close took
        // up to 250 ms with one, before).
        let (ours, _theirs) = UnixStream::pair().unwrap();
        let own = Transport::unix(ours.try_clone().unwrap()).unwrap();
        let given = Transport::unix(ours).unwrap().on_close(|| {});
        for (transport, long) in [(own, true), (given, false)] {
            let (_read, outbox, _) = transport.start(4).unwrap();
            assert_eq!(outbox.inner.retime.is_some(), long);
            assert!(outbox.inner.inline.load(Ordering::Relaxed));
            outbox.finish();
            assert!(outbox.wait_finished(Some(Instant::now() + Duration::from_secs(10))));
        }
    }
}
