//! A feature off: zero-sized stand-ins whose methods compile to nothing. Each is used
//! only while the features it stands in for are off.
#![allow(dead_code)]

use std::borrow::Cow;
use std::sync::Arc;

use crate::actor::Actor;
use crate::handle::Shared;
use crate::id::{ActorId, ActorInfo};

/// No figures kept.
pub(crate) struct Probe;

impl Probe {
    #[inline(always)]
    pub(crate) fn new<A: Actor>(_: &Arc<Shared<A>>) -> Probe {
        Probe
    }
    #[inline(always)]
    pub(crate) fn begin(&self, _: Cause, _: impl FnOnce() -> Cow<'static, str>) -> Turn {
        Turn
    }
    #[inline(always)]
    pub(crate) fn end(&self, _: Turn, _: bool) {}
    #[inline(always)]
    pub(crate) fn tally(&self) -> Tally {
        Tally
    }
    #[inline(always)]
    pub(crate) fn publish(&self, _: &mut Tally) {}
    #[inline(always)]
    pub(crate) fn timed(&self, _: std::time::Instant) {}
    #[inline(always)]
    pub(crate) fn panicked(&self) {}
    #[inline(always)]
    pub(crate) fn restarted(&self) {}
    #[inline(always)]
    pub(crate) fn ended(self, _: bool) {}
}

/// No turn to end.
pub(crate) struct Turn;

impl Turn {
    #[inline(always)]
    pub(crate) fn none() -> Turn {
        Turn
    }
}

/// No messages counted.
#[derive(Default)]
pub(crate) struct Tally;

impl Tally {
    /// Never sampled.
    #[inline(always)]
    pub(crate) fn count(&mut self) -> bool {
        false
    }
    #[inline(always)]
    pub(crate) fn uncount(&mut self) {}
}

/// No span to follow.
#[derive(Clone, Copy)]
pub(crate) struct Cause;

impl Cause {
    #[inline(always)]
    pub(crate) fn here() -> Cause {
        Cause
    }
}

#[inline(always)]
pub(crate) fn discarded(_: ActorInfo, _: Cause) {}

#[inline(always)]
pub(crate) fn named(_: ActorId, _: &str) {}

#[inline(always)]
pub(crate) fn dead_letter(_: Option<ActorInfo>) {}

/// No clock.
pub(crate) struct WorkerClock;

impl WorkerClock {
    #[inline(always)]
    pub(crate) fn new() -> WorkerClock {
        WorkerClock
    }
    #[inline(always)]
    pub(crate) fn idle<T>(&self, wait: impl FnOnce() -> T) -> T {
        wait()
    }
}

#[inline(always)]
pub(crate) fn register_driver(_: &Arc<crate::hosting::driver::DriverInner>) {}
