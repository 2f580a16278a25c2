//! The scheduler of a simulation: its seeded generator, virtual clock, list of actors and
//! of those ready to run, its heap of timers and deadlines, the trace, and the faults.
//!
//! Everything runs on the thread that steps the simulation. The state sits behind one
//! mutex all the same, because handles are `Send` (a test may post from anywhere); it is
//! never held while program code runs, so a handler posting or spawning takes it again
//! freely.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::cell::{Runnable, SimCell};
use super::trace::{SimActor, Step, Trace};
use super::{SimConfig, SimError};
use crate::actor::Actor;
use crate::handle::{Addr, Shared};
use crate::hosting::lifecycle::Life;
use crate::id::ActorId;
use crate::mailbox::Host;
use crate::registry::Reservation;
use crate::supervise::Spawn;
use crate::sync::lock;
use crate::timer::{Due, Fire, Manual, Timer};

/// splitmix64: tiny, fast, and every seed (0 included) gives a good stream.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), without the bias of `%`.
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The smallest heap that is ever swept for dead entries.
const COMPACT_AT: usize = 1024;

/// Marks a simulation as being stepped, and as this thread's current one (so what its
/// actors spawn lands in it), for as long as it lives.
pub(crate) struct Stepping<'a> {
    flag: &'a AtomicBool,
    _entered: super::Entered,
}

impl Drop for Stepping<'_> {
    fn drop(&mut self) {
        self.flag.store(false, AtomicOrdering::Release);
    }
}

/// What the simulation's heap holds until the clock reaches it.
enum Event {
    /// A timer of a simulated actor (`tell_after`, `tell_every`).
    Timer(Manual),
    /// The deadline of a simulated actor's `ctx.ask`.
    Due(Arc<dyn Due>),
    /// A delayed message becomes deliverable: the actor may be ready.
    Wake(usize),
    /// Something arrives over a simulated link (`sim::SimLink`).
    #[cfg_attr(not(feature = "wire"), allow(dead_code))]
    Run(Box<dyn FnOnce() + Send>),
}

impl Event {
    fn is_live(&self) -> bool {
        match self {
            Event::Timer(timer) => timer.is_pending(),
            Event::Due(due) => due.is_pending(),
            Event::Wake(_) | Event::Run(_) => true,
        }
    }
}

struct Scheduled {
    at: u64,
    seq: u64,
    event: Event,
}

// A min-heap on (at, seq): ties go to what was scheduled first.
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

/// The faults a test asked for.
#[derive(Default)]
struct Faults {
    /// Panic this actor at its n-th message (counted from 1).
    panics: Vec<(ActorId, u64)>,
    /// End this actor before the simulation's n-th step (counted from 0).
    stops: Vec<(ActorId, u64)>,
    /// Deliver this sender's messages so much later (nanoseconds).
    delays: Vec<(ActorId, u64)>,
}

struct State {
    rng: Rng,
    /// Virtual nanoseconds since `base`.
    now: u64,
    seq: u64,
    steps: u64,
    /// By index, in spawn order; `None` once ended.
    actors: Vec<Option<Arc<dyn Runnable>>>,
    names: Vec<SimActor>,
    index_of: HashMap<ActorId, usize>,
    /// Actors that may have a step to run; `queued[i]` says whether `i` is listed.
    ready: Vec<usize>,
    queued: Vec<bool>,
    heap: BinaryHeap<Scheduled>,
    /// The heap's length at which its dead entries (cancelled timers, answered asks) are
    /// swept out: twice what was live at the last sweep, so a sweep costs amortised O(1)
    /// per push and the heap holds at most about twice what is live.
    compact_at: usize,
    /// The last steps run, at most `SimConfig::trace_limit` of them.
    trace: VecDeque<Step>,
    /// Steps run but no longer in `trace` (the oldest, dropped to keep it in bounds).
    trace_dropped: u64,
    /// The `ctx.ask`s made, for what an idle simulation names as blocked.
    asks: Vec<(Weak<dyn Due>, String)>,
    faults: Faults,
    closed: bool,
}

/// A simulation, shared by its `Simulation` handle and its actors' cells.
pub(crate) struct SimInner {
    base: Instant,
    config: SimConfig,
    /// Whether any fault was asked for: the step path looks at faults only then.
    faulty: AtomicBool,
    /// Whether a caller is stepping the simulation (see [`SimInner::begin`]).
    stepping: AtomicBool,
    state: Mutex<State>,
}

impl State {
    /// Schedules `event` at `at`, sweeping out dead entries once the heap has doubled.
    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        let seq = self.seq;
        self.heap.push(Scheduled { at, seq, event });
        if self.heap.len() >= self.compact_at {
            self.heap.retain(|entry| entry.event.is_live());
            self.compact_at = (self.heap.len() * 2).max(COMPACT_AT);
        }
    }
}

impl SimInner {
    /// Marks the simulation as being stepped by this caller, until the guard drops;
    /// refused if it is already (a handler stepping its own simulation would run a second
    /// step inside the first, and two threads stepping it at once would not replay).
    /// While it lives, the simulation is also this thread's current one.
    pub(crate) fn begin(self: &Arc<Self>) -> Result<Stepping<'_>, SimError> {
        self.stepping
            .compare_exchange(
                false,
                true,
                AtomicOrdering::Acquire,
                AtomicOrdering::Relaxed,
            )
            .map_err(|_| SimError::Reentrant)?;
        Ok(Stepping {
            flag: &self.stepping,
            _entered: super::Entered::new(self),
        })
    }

    pub(super) fn new(config: SimConfig) -> Arc<SimInner> {
        Arc::new(SimInner {
            base: Instant::now(),
            faulty: AtomicBool::new(false),
            stepping: AtomicBool::new(false),
            state: Mutex::new(State {
                rng: Rng::new(config.seed),
                now: 0,
                seq: 0,
                steps: 0,
                actors: Vec::new(),
                names: Vec::new(),
                index_of: HashMap::new(),
                ready: Vec::new(),
                queued: Vec::new(),
                heap: BinaryHeap::new(),
                compact_at: COMPACT_AT,
                trace: VecDeque::new(),
                trace_dropped: 0,
                asks: Vec::new(),
                faults: Faults::default(),
                closed: false,
            }),
            config,
        })
    }

    pub(super) fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The virtual clock as an `Instant`: the simulation's start plus virtual time.
    pub(crate) fn now(&self) -> Instant {
        self.instant(lock(&self.state).now)
    }

    pub(super) fn elapsed(&self) -> Duration {
        Duration::from_nanos(lock(&self.state).now)
    }

    fn instant(&self, nanos: u64) -> Instant {
        self.base + Duration::from_nanos(nanos)
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    pub(super) fn steps(&self) -> u64 {
        lock(&self.state).steps
    }

    pub(super) fn trace(&self) -> Trace {
        let state = lock(&self.state);
        Trace::new(state.trace.iter().cloned().collect(), state.trace_dropped)
    }

    /// Starts an actor in this simulation (a name reserved for it is bound first).
    pub(crate) fn spawn<A: Actor>(
        self: &Arc<Self>,
        spawn: Spawn<A>,
        name: Option<Reservation>,
    ) -> Addr<A> {
        let (actor, policy, capacity) = spawn.into_parts();
        let mut state = lock(&self.state);
        let index = state.actors.len();
        let cell = Arc::new(SimCell::new(self.clone(), index, capacity));
        let shared = Arc::new(Shared::new(Host::Sim(cell.clone())));
        if let Some(name) = name {
            name.bind(&shared);
        }
        let addr = Addr::new(shared.clone());
        let info = shared.info();
        state.names.push(SimActor {
            name: info.name,
            index,
        });
        state.queued.push(false);
        if state.closed {
            // The simulation has ended: the actor is stopped before it starts.
            state.actors.push(None);
            drop(state);
            Life::new(actor, shared, policy).finish_unstarted(Default::default);
            return addr;
        }
        state.index_of.insert(info.id, index);
        state.actors.push(Some(cell.clone()));
        drop(state);
        // Binds a name reserved for a driver spawn, as a driver's cell would.
        cell.set_life(Life::new(actor, shared, policy));
        if A::__ON_START {
            self.wake(index, 0);
        }
        addr
    }

    /// The sequence number of a post, and when it may be delivered (`from`'s delay).
    pub(super) fn stamp(&self, from: Option<ActorId>) -> (u64, u64) {
        let mut state = lock(&self.state);
        state.seq += 1;
        let delay = match from {
            Some(from) if self.faulty.load(AtomicOrdering::Relaxed) => state
                .faults
                .delays
                .iter()
                .find(|(id, _)| *id == from)
                .map_or(0, |&(_, delay)| delay),
            _ => 0,
        };
        (state.seq, state.now.saturating_add(delay))
    }

    /// Actor `index` has mail deliverable at `at`: ready now, or woken then.
    pub(super) fn wake(&self, index: usize, at: u64) {
        let mut state = lock(&self.state);
        if at > state.now {
            state.schedule(at, Event::Wake(index));
        } else if !state.queued[index] {
            state.queued[index] = true;
            state.ready.push(index);
        }
    }

    /// Actor `index` has ended.
    pub(super) fn forget(&self, index: usize) {
        let actor = lock(&self.state).actors[index].take();
        // Dropped outside the lock: it may be the cell's last reference.
        drop(actor);
    }

    pub(super) fn actor_of(&self, id: ActorId) -> Option<SimActor> {
        let state = lock(&self.state);
        state.index_of.get(&id).map(|&index| state.names[index])
    }

    pub(super) fn name_of(&self, index: usize) -> SimActor {
        lock(&self.state).names[index]
    }

    /// The panic to inject into `id`'s `nth` message, if one was asked for.
    pub(super) fn panic_for(&self, id: ActorId, nth: u64) -> Option<String> {
        if !self.faulty.load(AtomicOrdering::Relaxed) {
            return None;
        }
        let state = lock(&self.state);
        state
            .faults
            .panics
            .contains(&(id, nth))
            .then(|| format!("injected panic at message {nth}"))
    }

    pub(super) fn add_panic(&self, id: ActorId, nth: u64) {
        lock(&self.state).faults.panics.push((id, nth));
        self.faulty.store(true, AtomicOrdering::Relaxed);
    }

    pub(super) fn add_stop(&self, id: ActorId, step: u64) {
        lock(&self.state).faults.stops.push((id, step));
        self.faulty.store(true, AtomicOrdering::Relaxed);
    }

    pub(super) fn add_delay(&self, id: ActorId, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        let mut state = lock(&self.state);
        state.faults.delays.retain(|&(of, _)| of != id);
        state.faults.delays.push((id, nanos));
        drop(state);
        self.faulty.store(true, AtomicOrdering::Relaxed);
    }

    /// A timer of a simulated actor, `delay` from now on the virtual clock.
    pub(crate) fn schedule_timer(
        &self,
        delay: Duration,
        period: Option<Duration>,
        fire: Fire,
    ) -> Timer {
        let (timer, manual) = Manual::new(period, fire);
        let mut state = lock(&self.state);
        let at = state
            .now
            .saturating_add(u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX));
        state.schedule(at, Event::Timer(manual));
        timer
    }

    /// A simulated actor's `ctx.ask`: listed as `waiting` while undecided, its deadline
    /// (if any) on the virtual clock.
    pub(crate) fn schedule_ask(
        &self,
        deadline: Option<Instant>,
        ask: Arc<dyn Due>,
        waiting: String,
    ) {
        let mut state = lock(&self.state);
        if state.asks.len() >= 64 && state.asks.len().is_power_of_two() {
            state
                .asks
                .retain(|(ask, _)| ask.upgrade().is_some_and(|ask| ask.is_pending()));
        }
        state.asks.push((Arc::downgrade(&ask), waiting));
        if let Some(deadline) = deadline {
            let at = self.nanos(deadline);
            state.schedule(at, Event::Due(ask));
        }
    }

    /// Runs `arrive` when the clock reaches `at` nanoseconds (a simulated link's
    /// delivery), in order with the timers due then.
    #[cfg(feature = "wire")]
    pub(crate) fn schedule_run(&self, at: u64, arrive: Box<dyn FnOnce() + Send>) {
        lock(&self.state).schedule(at, Event::Run(arrive));
    }

    /// The generator's next number: every seeded choice outside the scheduler (a
    /// simulated link's latency and losses) draws from the same sequence.
    #[cfg(feature = "wire")]
    pub(crate) fn random(&self) -> u64 {
        lock(&self.state).rng.next()
    }

    /// Runs one step: the start or one message of an actor picked by the generator among
    /// those ready. `false` if none is ready at the current instant.
    pub(super) fn step(&self) -> Result<bool, SimError> {
        loop {
            if self.faulty.load(AtomicOrdering::Relaxed) {
                self.stop_faults();
            }
            let (actor, index, pick, now) = {
                let mut state = lock(&self.state);
                if state.ready.is_empty() {
                    return Ok(false);
                }
                if state.steps >= self.config.max_steps {
                    return Err(SimError::StepLimit {
                        steps: state.steps,
                        at: Duration::from_nanos(state.now),
                    });
                }
                let len = state.ready.len();
                let at = state.rng.below(len);
                let index = state.ready[at];
                let Some(actor) = state.actors[index].clone() else {
                    state.ready.swap_remove(at);
                    state.queued[index] = false;
                    continue;
                };
                let pick = state.rng.next();
                (actor, index, pick, state.now)
            };
            let ran = actor.run(pick, now);
            let still = ran.is_some() && actor.is_ready(now);
            let mut state = lock(&self.state);
            if !still {
                if let Some(at) = state.ready.iter().position(|&i| i == index) {
                    state.ready.swap_remove(at);
                }
                state.queued[index] = false;
            }
            let Some(ran) = ran else {
                continue;
            };
            state.steps += 1;
            if self.config.trace && self.config.trace_limit > 0 {
                if state.trace.len() >= self.config.trace_limit {
                    state.trace.pop_front();
                    state.trace_dropped += 1;
                }
                let actor = state.names[index];
                state.trace.push_back(Step {
                    at: Duration::from_nanos(now),
                    actor,
                    message: ran.message,
                    sender: ran.sender,
                });
            }
            return Ok(true);
        }
    }

    /// Ends the actors whose chosen step has come.
    fn stop_faults(&self) {
        let due: Vec<Arc<dyn Runnable>> = {
            let mut state = lock(&self.state);
            let step = state.steps;
            let mut due = Vec::new();
            let mut faults = std::mem::take(&mut state.faults.stops);
            faults.retain(|&(id, at)| {
                if at > step {
                    return true;
                }
                if let Some(actor) = state
                    .index_of
                    .get(&id)
                    .and_then(|&index| state.actors[index].clone())
                {
                    due.push(actor);
                }
                false
            });
            state.faults.stops = faults;
            due
        };
        for actor in due {
            actor.end();
        }
    }

    /// Runs every step ready now, and every timer due now, until none is left.
    pub(super) fn run_until_idle(&self) -> Result<u64, SimError> {
        let start = self.steps();
        loop {
            while self.step()? {}
            let now = lock(&self.state).now;
            if !self.fire_next(now) {
                return Ok(self.steps() - start);
            }
        }
    }

    /// Fires the earliest live timer or deadline due no later than `limit`, moving the
    /// clock to it. `false` if there is none.
    pub(super) fn fire_next(&self, limit: u64) -> bool {
        let (scheduled, now) = {
            let mut state = lock(&self.state);
            loop {
                match state.heap.peek() {
                    Some(top) if !top.event.is_live() => {
                        state.heap.pop();
                    }
                    Some(top) if top.at <= limit => break,
                    _ => return false,
                }
            }
            let scheduled = state.heap.pop().expect("peeked");
            state.now = state.now.max(scheduled.at);
            (scheduled, state.now)
        };
        let deadline = self.instant(scheduled.at);
        match scheduled.event {
            Event::Timer(timer) => {
                if let Some(next) = timer.fire(deadline, self.instant(now)) {
                    let mut state = lock(&self.state);
                    let at = self.nanos(next).max(now);
                    state.schedule(at, Event::Timer(timer));
                }
            }
            Event::Due(due) => {
                due.fire_due(deadline);
            }
            Event::Wake(index) => self.wake(index, now),
            Event::Run(arrive) => arrive(),
        }
        true
    }

    /// When the next live timer or deadline is due, if any.
    pub(super) fn next_event(&self) -> Option<u64> {
        let mut state = lock(&self.state);
        loop {
            match state.heap.peek() {
                Some(top) if !top.event.is_live() => {
                    state.heap.pop();
                }
                Some(top) => return Some(top.at),
                None => return None,
            }
        }
    }

    /// Moves the clock forward to `at` (never back).
    pub(super) fn set_now(&self, at: u64) {
        let mut state = lock(&self.state);
        state.now = state.now.max(at);
    }

    pub(super) fn now_nanos(&self) -> u64 {
        lock(&self.state).now
    }

    /// The `ctx.ask`s still waiting for their outcome.
    pub(super) fn waiting_asks(&self) -> Vec<String> {
        let state = lock(&self.state);
        state
            .asks
            .iter()
            .filter(|(ask, _)| ask.upgrade().is_some_and(|ask| ask.is_pending()))
            .map(|(_, what)| what.clone())
            .collect()
    }

    /// Ends every actor still live: the simulation is over.
    pub(super) fn close(&self) {
        let actors: Vec<Arc<dyn Runnable>> = {
            let mut state = lock(&self.state);
            state.closed = true;
            state.ready.clear();
            state.actors.iter().flatten().cloned().collect()
        };
        for actor in actors {
            actor.end();
        }
        // Timers and deadlines left hold closures and requests: dropped outside the lock.
        let heap = std::mem::take(&mut lock(&self.state).heap);
        drop(heap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_timers_are_swept_out_of_the_heap_as_it_grows() {
        let sim = SimInner::new(SimConfig::new(0));
        let live = sim.schedule_timer(Duration::from_secs(60), None, Box::new(|| true));
        // The pattern of a timeout reset at every message: schedule, then cancel.
        for _ in 0..100_000 {
            let timer = sim.schedule_timer(Duration::from_secs(3600), None, Box::new(|| true));
            assert!(timer.cancel());
        }
        let held = lock(&sim.state).heap.len();
        // Before, all 100,001 stayed until they reached the top of the heap.
        assert!(held <= COMPACT_AT, "{held} entries held for 1 live timer");
        assert!(sim.next_event().is_some(), "the live timer is kept");
        drop(live);
    }
}
