//! [`Collector`], which gathers many results as they complete, and [`CallQueue`], the
//! seed's queue of calls for plain threads.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender as ChannelSender};

use super::exec::{outcome, ExecError, Pending};
use super::{Outcome, ReplyTo};
use crate::actor::Actor;
use crate::context::Context;
use crate::handle::Addr;
use crate::sync::lock;

/// Collects the results of many closures as they complete (the seed's
/// `call_and_collect` and `get_next_collected`).
///
/// ```
/// use actor_core::{CallQueue, Collector};
///
/// let queue = CallQueue::with_consumers(3);
/// let mut collector = Collector::new();
/// for n in 0..6_u64 {
///     collector.call(&queue, move || n * n);
/// }
/// let mut squares: Vec<(usize, u64)> = collector.map(|(i, r)| (i, r.unwrap())).collect();
/// squares.sort();
/// assert_eq!(squares, [(0, 0), (1, 1), (2, 4), (3, 9), (4, 16), (5, 25)]);
/// ```
pub struct Collector<R> {
    tx: ChannelSender<Outcome<R>>,
    rx: Receiver<Outcome<R>>,
    issued: usize,
    outstanding: usize,
}

impl<R: Send + 'static> Collector<R> {
    /// An empty collector.
    pub fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Collector {
            tx,
            rx,
            issued: 0,
            outstanding: 0,
        }
    }

    fn slot(&mut self) -> (usize, ReplyTo<R>) {
        let index = self.issued;
        self.issued += 1;
        self.outstanding += 1;
        (index, ReplyTo::to(index, self.tx.clone()))
    }

    /// Runs `f` on `actor`'s thread (as [`Addr::exec`]); returns the index its result
    /// will carry.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Collector;
    ///
    /// struct Shard(u64);
    /// #[actor]
    /// impl Shard {}
    ///
    /// let shards: Vec<_> = (1..=3).map(|n| Shard(n * 100).spawn()).collect();
    /// let mut collector = Collector::new();
    /// for shard in &shards {
    ///     collector.exec(shard, |shard, _ctx| shard.0);
    /// }
    /// // Results come as they complete, each with the index `exec` returned.
    /// let mut sizes: Vec<(usize, u64)> = collector.map(|(i, r)| (i, r.unwrap())).collect();
    /// sizes.sort();
    /// assert_eq!(sizes, [(0, 100), (1, 200), (2, 300)]);
    /// ```
    pub fn exec<A, F>(&mut self, actor: &Addr<A>, f: F) -> usize
    where
        A: Actor,
        F: FnOnce(&mut A, &mut Context<A>) -> R + Send + 'static,
    {
        let (index, reply) = self.slot();
        actor.exec_to(reply, f, false);
        index
    }

    /// Queues `f` on `queue` (as [`CallQueue::call`]); returns its index.
    pub fn call<F>(&mut self, queue: &CallQueue, f: F) -> usize
    where
        F: FnOnce() -> R + Send + 'static,
    {
        let (index, reply) = self.slot();
        queue.push(reply, f, false);
        index
    }

    /// Whether every result has been collected.
    pub fn is_done(&self) -> bool {
        self.outstanding == 0
    }

    /// The next result to complete, waiting up to `timeout`; `None` if none completed in
    /// time or none is outstanding.
    ///
    /// ```
    /// use actor_core::{CallQueue, Collector};
    /// use std::time::Duration;
    ///
    /// let queue = CallQueue::new();
    /// let mut collector = Collector::new();
    /// let index = collector.call(&queue, || "ready");
    /// assert_eq!(collector.next_timeout(Duration::from_millis(1)), None); // not run yet
    /// queue.receive();
    /// assert_eq!(collector.next_timeout(Duration::from_secs(5)), Some((index, Ok("ready"))));
    /// assert!(collector.is_done());
    /// ```
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<(usize, Result<R, ExecError>)> {
        if self.outstanding == 0 {
            return None;
        }
        crate::hosting::before_blocking();
        let (index, result) = self.rx.recv_timeout(timeout).ok()?;
        self.outstanding -= 1;
        Some((index, outcome(result)))
    }

    /// Every result completed so far, without waiting.
    pub fn collected(&mut self) -> Vec<(usize, Result<R, ExecError>)> {
        let mut done = Vec::new();
        while let Ok((index, result)) = self.rx.try_recv() {
            self.outstanding -= 1;
            done.push((index, outcome(result)));
        }
        done
    }
}

impl<R: Send + 'static> Default for Collector<R> {
    fn default() -> Self {
        Collector::new()
    }
}

/// Waits for the next result; ends when every result has been collected.
impl<R: Send + 'static> Iterator for Collector<R> {
    type Item = (usize, Result<R, ExecError>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.outstanding == 0 {
            return None;
        }
        // Each slot reports exactly once, so this ends.
        crate::hosting::before_blocking();
        let (index, result) = self.rx.recv().ok()?;
        self.outstanding -= 1;
        Some((index, outcome(result)))
    }
}

type Call = Box<dyn FnOnce() + Send>;

/// Calls queued for plain threads: any thread queues a closure with [`call`](CallQueue::call)
/// and gets a [`Pending`] result; the target thread runs the queued calls whenever it calls
/// [`receive`](CallQueue::receive). With [`with_consumers`](CallQueue::with_consumers), a
/// pool of threads does the receiving.
///
/// A panic in a call is carried to its caller; [`call_raising`](CallQueue::call_raising)
/// also raises it in the receiving thread (out of `receive`), as the seed's
/// `raise_exception = 3`.
///
/// ```
/// use actor_core::CallQueue;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::thread;
/// use std::time::Duration;
///
/// let queue = CallQueue::new();
/// let stop = Arc::new(AtomicBool::new(false));
/// let worker = {
///     let (queue, stop) = (queue.clone_handle(), stop.clone());
///     thread::spawn(move || {
///         let mut steps = 0_u64;
///         // Work in steps, answering queued calls between them, until a call says stop.
///         while !stop.load(Ordering::SeqCst) {
///             steps += 1;
///             queue.receive_timeout(Duration::from_millis(1));
///         }
///         steps
///     })
/// };
/// let answer = queue.call(|| "from the worker thread".len()).wait();
/// assert_eq!(answer, Ok(22));
/// queue.call(move || stop.store(true, Ordering::SeqCst)).wait().unwrap();
/// assert!(worker.join().unwrap() > 0);
/// ```
pub struct CallQueue {
    tx: Option<ChannelSender<Call>>,
    rx: Receiver<Call>,
    consumers: Mutex<Vec<JoinHandle<()>>>,
    /// Held only by the queue that started the consumers; dropping it tells them to
    /// finish what is queued and end, whatever other handles still exist.
    shutdown: Option<ChannelSender<()>>,
}

impl CallQueue {
    /// An empty queue with no consumer threads: some thread must call `receive`.
    pub fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        CallQueue {
            tx: Some(tx),
            rx,
            consumers: Mutex::new(Vec::new()),
            shutdown: None,
        }
    }

    /// A queue served by `threads` consumer threads, which end when the queue is dropped.
    pub fn with_consumers(threads: usize) -> Self {
        let mut queue = CallQueue::new();
        let (shutdown, stopping) = crossbeam_channel::bounded::<()>(0);
        queue.shutdown = Some(shutdown);
        let mut consumers = Vec::with_capacity(threads);
        for n in 0..threads {
            let (rx, stopping) = (queue.rx.clone(), stopping.clone());
            // A call that panics (only `call_raising` lets it out) ends that call, not the
            // consumer.
            let run = |call: Call| {
                let _ = panic::catch_unwind(AssertUnwindSafe(call));
            };
            let consumer = thread::Builder::new()
                .name(format!("call-queue-{n}"))
                .spawn(move || loop {
                    crossbeam_channel::select! {
                        recv(rx) -> call => match call {
                            Ok(call) => run(call),
                            Err(_) => break,
                        },
                        recv(stopping) -> _ => {
                            while let Ok(call) = rx.try_recv() {
                                run(call);
                            }
                            break;
                        }
                    }
                });
            // Fewer consumers than asked for still serve the queue.
            if let Ok(consumer) = consumer {
                consumers.push(consumer);
            }
        }
        *lock(&queue.consumers) = consumers;
        queue
    }

    /// A handle to the same queue for another thread (without its consumers).
    pub fn clone_handle(&self) -> CallQueue {
        CallQueue {
            tx: self.tx.clone(),
            rx: self.rx.clone(),
            consumers: Mutex::new(Vec::new()),
            shutdown: None,
        }
    }

    /// Queues `f`; its result comes back through the returned [`Pending`].
    ///
    /// ```
    /// use actor_core::CallQueue;
    /// use std::thread;
    ///
    /// let queue = CallQueue::with_consumers(2);
    /// let caller = thread::current().id();
    /// let pending = queue.call(move || thread::current().id() != caller);
    /// assert_eq!(pending.wait(), Ok(true)); // ran on a consumer thread
    /// ```
    pub fn call<R, F>(&self, f: F) -> Pending<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (reply, pending) = Pending::new();
        self.push(reply, f, false);
        pending
    }

    /// Like [`call`](CallQueue::call), but a panic in `f` is also raised in the thread
    /// that runs it, out of [`receive`](CallQueue::receive).
    ///
    /// ```
    /// use actor_core::{CallQueue, ExecError};
    /// use std::panic::{self, AssertUnwindSafe};
    ///
    /// let queue = CallQueue::new();
    /// let pending = queue.call_raising(|| -> u32 { panic!("bad input") });
    /// let raised = panic::catch_unwind(AssertUnwindSafe(|| queue.receive()));
    /// assert!(raised.is_err()); // raised in the thread that ran it
    /// assert_eq!(pending.wait(), Err(ExecError::Panicked("bad input".into()))); // and carried back
    /// ```
    pub fn call_raising<R, F>(&self, f: F) -> Pending<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (reply, pending) = Pending::new();
        self.push(reply, f, true);
        pending
    }

    fn push<R, F>(&self, reply: ReplyTo<R>, f: F, raise: bool)
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let call: Call = Box::new(move || {
            if raise {
                reply.complete(f);
            } else {
                reply.complete_quietly(f);
            }
        });
        if let Some(tx) = &self.tx {
            // The queue holds its own receiver, so sending cannot fail; were it to, the
            // call's reply slot would tell the caller it was dropped.
            let _ = tx.send(call);
        }
    }

    /// Runs every call queued now, on this thread; returns how many ran.
    ///
    /// ```
    /// use actor_core::CallQueue;
    ///
    /// let queue = CallQueue::new();
    /// let mut first = queue.call(|| 1);
    /// let mut second = queue.call(|| 2);
    /// assert_eq!(queue.len(), 2);
    /// assert_eq!(queue.receive(), 2); // both ran, here
    /// assert_eq!((first.try_take(), second.try_take()), (Some(Ok(1)), Some(Ok(2))));
    /// assert_eq!(queue.receive(), 0); // nothing left
    /// ```
    pub fn receive(&self) -> usize {
        let mut ran = 0;
        while let Ok(call) = self.rx.try_recv() {
            call();
            ran += 1;
        }
        ran
    }

    /// Waits up to `timeout` for a call, then runs it and every other call queued.
    pub fn receive_timeout(&self, timeout: Duration) -> usize {
        match self.rx.recv_timeout(timeout) {
            Ok(call) => {
                call();
                1 + self.receive()
            }
            Err(_) => 0,
        }
    }

    /// How many calls wait.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no call waits.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }
}

impl Default for CallQueue {
    fn default() -> Self {
        CallQueue::new()
    }
}

impl Drop for CallQueue {
    /// Ends the consumer threads this queue started, after the calls already queued, and
    /// joins them. Handles made by `clone_handle` may live on; they serve no consumers.
    fn drop(&mut self) {
        let consumers = std::mem::take(&mut *lock(&self.consumers));
        drop(self.shutdown.take());
        for consumer in consumers {
            let _ = consumer.join();
        }
    }
}
