//! The bounded worker pool of the serving side, shared by the [`DeMux`](super::DeMux)
//! and the NATS node: a fixed pool of threads or a thread per request, within
//! [`Limits::max_queued`] and [`Limits::max_threads`]. A request past the limit is
//! refused ([`Job::refuse`]): a call gets [`Fault::Unavailable`](super::Fault::Unavailable),
//! a tell is dropped and recorded.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use crossbeam_channel::Sender;

use super::gauge::Gauge;
use super::limits::{Counters, Limits};

/// How a [`DeMux`](super::DeMux) (or a NATS node) runs the requests it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// A fixed pool of this many threads (at least one), shared by every connection.
    Pool(usize),
    /// A new thread for each request.
    PerRequest,
}

/// One request for the pool: run it, or refuse it (a call gets
/// [`Fault::Unavailable`], a tell is dropped and recorded).
pub(crate) trait Job: Send + 'static {
    /// Runs it on this (worker) thread.
    fn run(self: Box<Self>);
    /// Answers or records that it will not run, and why.
    fn refuse(self: Box<Self>, reason: String);
    /// Whether it may be refused now that `taken` of the `max` allowed are taken: its
    /// sender already has work in (so the refusals fall on whoever fills the workers).
    /// By default, everyone past the limit.
    fn may_refuse(&self, _taken: usize, _max: usize) -> bool {
        true
    }
    /// Called once it is let in.
    fn admitted(&mut self) {}
}

/// Runs requests on a pool of threads or a thread each, within [`Limits::max_queued`]
/// and [`Limits::max_threads`].
pub(crate) struct Pool {
    work: Work,
    /// Names its threads: `{name}-worker-N`, `{name}-request`.
    name: String,
    limits: Limits,
    counters: Arc<Counters>,
    /// Jobs let in and not yet ended, for [`Pool::wait_idle`].
    busy: Arc<Gauge>,
}

enum Work {
    /// Jobs for the pool; the workers end when this sender goes.
    Pool(Sender<Box<dyn Job>>),
    PerRequest,
}

impl Pool {
    /// Starts the pool's threads (named `{name}-worker-N`), if `workers` is a pool.
    pub(crate) fn start(
        workers: Workers,
        limits: Limits,
        counters: Arc<Counters>,
        name: &str,
    ) -> std::io::Result<Pool> {
        let busy = Arc::new(Gauge::default());
        let work = match workers {
            Workers::Pool(threads) => {
                // Bounded by `dispatch`, against `limits.max_queued`.
                let (jobs, queue) = crossbeam_channel::unbounded::<Box<dyn Job>>();
                for i in 0..threads.max(1) {
                    let (queue, counters, busy) = (queue.clone(), counters.clone(), busy.clone());
                    thread::Builder::new()
                        .name(format!("{name}-worker-{i}"))
                        .spawn(move || {
                            for job in queue.iter() {
                                counters.queued.fetch_sub(1, Ordering::AcqRel);
                                counters.running.fetch_add(1, Ordering::AcqRel);
                                job.run();
                                counters.running.fetch_sub(1, Ordering::AcqRel);
                                busy.sub(1);
                            }
                        })?;
                }
                Work::Pool(jobs)
            }
            Workers::PerRequest => Work::PerRequest,
        };
        Ok(Pool {
            work,
            name: name.to_owned(),
            limits,
            counters,
            busy,
        })
    }

    /// Hands `job` to a worker, or refuses it if the workers are at their limit and it
    /// may be refused.
    pub(crate) fn dispatch(&self, mut job: Box<dyn Job>) {
        let counters = &self.counters;
        let (taken, max, what) = match &self.work {
            Work::Pool(_) => (
                &counters.queued,
                self.limits.max_queued,
                "requests waiting for a worker",
            ),
            Work::PerRequest => (
                &counters.running,
                self.limits.max_threads,
                "request threads",
            ),
        };
        let now = taken.load(Ordering::Acquire);
        if now >= max && job.may_refuse(now, max) {
            Counters::bump(&counters.refused_requests);
            return job.refuse(format!("the far side is at its limit of {max} {what}"));
        }
        job.admitted();
        self.busy.add(1);
        match &self.work {
            Work::Pool(jobs) => {
                counters.queued.fetch_add(1, Ordering::AcqRel);
                // The workers outlive every sender, so this cannot fail; if it did, the
                // job would be refused here.
                if let Err(e) = jobs.send(job) {
                    counters.queued.fetch_sub(1, Ordering::AcqRel);
                    self.busy.sub(1);
                    e.into_inner().refuse("the workers have stopped".to_owned());
                }
            }
            Work::PerRequest => {
                counters.running.fetch_add(1, Ordering::AcqRel);
                // The job comes back if the thread cannot start.
                let (give_back, take_back) = crossbeam_channel::bounded::<Box<dyn Job>>(1);
                let (running, busy) = (counters.clone(), self.busy.clone());
                let _ = give_back.send(job);
                let taken = take_back.clone();
                let spawned = thread::Builder::new()
                    .name(format!("{}-request", self.name))
                    .spawn(move || {
                        if let Ok(job) = taken.try_recv() {
                            job.run();
                        }
                        running.running.fetch_sub(1, Ordering::AcqRel);
                        busy.sub(1);
                    });
                if let Err(e) = spawned {
                    counters.running.fetch_sub(1, Ordering::AcqRel);
                    self.busy.sub(1);
                    if let Ok(job) = take_back.try_recv() {
                        job.refuse(format!("could not start a thread for the request: {e}"));
                    }
                }
            }
        }
    }

    /// Lets in one more request that runs off the pool (a call posted to an actor,
    /// answered from its thread): counted as a job until the hold drops, so
    /// [`wait_idle`](Pool::wait_idle) waits for it too. `None` if
    /// [`Limits::max_queued`] such requests are in already: the request should then go to
    /// the pool, within its own limits.
    pub(crate) fn post(&self) -> Option<Hold> {
        let posted = &self.counters.posted;
        if posted.fetch_add(1, Ordering::AcqRel) >= self.limits.max_queued {
            posted.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        self.busy.add(1);
        Some(Hold {
            busy: self.busy.clone(),
            counters: self.counters.clone(),
        })
    }

    /// Waits until every job let in has ended, or `deadline` passes; whether they have.
    pub(crate) fn wait_idle(&self, deadline: Instant) -> bool {
        self.busy.wait_while(Some(deadline), |jobs| jobs > 0)
    }
}

/// A request let in off the pool, counted as a job until dropped ([`Pool::post`]).
pub(crate) struct Hold {
    busy: Arc<Gauge>,
    counters: Arc<Counters>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.counters.posted.fetch_sub(1, Ordering::AcqRel);
        self.busy.sub(1);
    }
}
