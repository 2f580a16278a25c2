//! A driver's worker thread: its loop, its next slot (the task it runs after the current
//! turn, ahead of the shared injector), and what it does while idle or before it blocks.
//!
//! The next slot ([`Slot`]) belongs to its worker, which fills it with a plain store and
//! empties it with one compare-and-swap, so a message between two actors of one driver
//! runs on the sending thread, waking no other. Idle workers watch their neighbours' slots:
//! a task that has waited in a slot through one whole turn for [`STEAL_AFTER`] (its worker
//! is in a long handler, or preempted) is taken by the first idle worker to see it, so a
//! neighbour told from a handler that then computes for seconds runs within about
//! `STEAL_AFTER`, not when the handler returns.
//!
//! Idle, a worker first waits on the injector for `STEAL_AFTER` at a time while any
//! neighbour's slot holds a task, then sleeps: it counts itself in `sleepy`, and the next
//! worker to fill its slot wakes one sleeper (one `Wake` on the injector) to watch again.
//! A sleeper also looks every [`SLEEP_POLL`], which bounds the wait in the one race this
//! leaves (a fill and a fall asleep at the same instant, each missing the other). So an
//! idle driver's worker wakes about once a second; while its neighbours are busy, about
//! once per `STEAL_AFTER`.
//!
//! Before all that, a worker that has just run out of work spins: it looks at the injector
//! for up to [`SPIN_FOR`] (a few pauses, growing, then yields of its thread) before its
//! first blocking wait, as crossbeam's `Backoff` and Go's spinning Ms do. A plain thread's
//! next call, or the next task a busy neighbour shares, then finds it awake: the sender
//! pays no futex wake and the task no wake-up latency. One worker of a driver spins at a
//! time (the rest block at once), and only when it comes from running a task, never after
//! a timed-out wait, so an idle driver burns at most `SPIN_FOR` of one thread each time it
//! runs out of work, and nothing once it sleeps. The spin's length adapts ([`SpinBudget`]):
//! a spin that found work doubles it, one that timed out halves it, down to [`SPIN_MIN`]:
//! on a machine too busy for the next task to come within a spin (the caller is off its
//! core), spinning would only spend the time slices the workers need for real work.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender as ChannelSender, TryRecvError};

use super::current;
use super::driver::DriverInner;
use super::slot::Slot;
use super::task::Task;
use super::DriverId;

/// Turns in a row a worker may take from its next slot before serving the injector.
pub(super) const NEXT_SLOT_STREAK: u32 = 32;

/// How long a task waits in a busy worker's next slot, through one turn, before an idle
/// worker takes it.
pub(super) const STEAL_AFTER: Duration = Duration::from_millis(1);

/// The longest a worker that has just run out of work looks at the injector before it
/// blocks (and a caller for its reply, `call/bridge.rs`).
pub(crate) const SPIN_FOR: Duration = Duration::from_micros(50);

/// The shortest spin, which a budget that keeps timing out comes down to: about the first
/// rounds of pauses, enough to catch a reply or a task already on its way.
pub(crate) const SPIN_MIN: Duration = Duration::from_micros(2);

const SPIN_MAX_MICROS: u32 = SPIN_FOR.as_micros() as u32;
const SPIN_MIN_MICROS: u32 = SPIN_MIN.as_micros() as u32;

/// How long the next spin of one kind may last, in µs, between [`SPIN_MIN`] and
/// [`SPIN_FOR`]: doubled by a spin that found what it looked for, halved by one that
/// timed out. Relaxed loads and stores: a lost update only makes one spin a little longer
/// or shorter.
pub(crate) struct SpinBudget(AtomicU32);

impl SpinBudget {
    /// A budget at its longest.
    pub(crate) const fn new() -> Self {
        SpinBudget(AtomicU32::new(SPIN_MAX_MICROS))
    }

    /// Spins on `poll` for the current budget (ending by `limit`, if sooner), then adapts
    /// the budget to whether it found anything.
    #[inline]
    pub(crate) fn spin<T>(
        &self,
        limit: Option<Instant>,
        poll: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let micros = self.0.load(Ordering::Relaxed);
        let until = Instant::now() + Duration::from_micros(u64::from(micros));
        let found = spin_until(limit.map_or(until, |limit| limit.min(until)), poll);
        let next = match found {
            Some(_) => micros.saturating_mul(2).min(SPIN_MAX_MICROS),
            None => (micros / 2).max(SPIN_MIN_MICROS),
        };
        if next != micros {
            self.0.store(next, Ordering::Relaxed);
        }
        found
    }

    /// The current budget.
    #[cfg(test)]
    fn get(&self) -> Duration {
        Duration::from_micros(u64::from(self.0.load(Ordering::Relaxed)))
    }
}

/// How often a sleeping worker looks at its neighbours' slots anyway.
pub(super) const SLEEP_POLL: Duration = Duration::from_secs(1);

/// Polls `poll` until it gives a value or `until` passes: pauses that grow (1, 2, 4, ..
/// 64 `spin_loop` hints) between the first looks, then a yield of the thread between each
/// of the rest, as crossbeam's `Backoff` does. What a thread does for a few microseconds
/// before it blocks, when what it waits for is likely to come within them: a worker just
/// out of work, a caller waiting for a reply (`call/bridge.rs`).
#[inline]
pub(crate) fn spin_until<T>(until: Instant, poll: impl FnMut() -> Option<T>) -> Option<T> {
    match spin(until, None, poll) {
        Spun::Found(value) => Some(value),
        Spun::Ended | Spun::Crowded => None,
    }
}

/// How a [`spin`] ended.
pub(crate) enum Spun<T> {
    /// What `poll` gave.
    Found(T),
    /// Its time was up.
    Ended,
    /// A yield gave the core to another thread for the `crowded` time or longer.
    Crowded,
}

/// [`spin_until`], which also ends, if `crowded` is given, at a yield that took that long
/// or longer: another thread ran on the core, which is wanted for work that is ready (a
/// dedicated actor's thread, `hosting/thread.rs`).
#[inline]
pub(crate) fn spin<T>(
    until: Instant,
    crowded: Option<Duration>,
    mut poll: impl FnMut() -> Option<T>,
) -> Spun<T> {
    const ROUNDS: u32 = 7;
    let mut round = 0;
    loop {
        if let Some(value) = poll() {
            return Spun::Found(value);
        }
        if round < ROUNDS {
            for _ in 0..1_u32 << round {
                std::hint::spin_loop();
            }
            round += 1;
        } else if let Some(crowded) = crowded {
            let before = Instant::now();
            std::thread::yield_now();
            if before.elapsed() >= crowded {
                return Spun::Crowded;
            }
        } else {
            std::thread::yield_now();
        }
        if Instant::now() >= until {
            return Spun::Ended;
        }
    }
}

/// What the shared injector carries.
pub(super) enum Injected {
    Run(Task),
    /// Wakes a sleeping worker to watch its neighbours' slots (see `Slots::rouse`).
    Wake,
    /// Ends one worker: sent once per thread by `shutdown`.
    Quit,
}

/// One worker's next slot and turn count, on a cache line of its own.
#[repr(align(128))]
struct Seat {
    next: Slot<Task>,
    /// Turns begun, written by the owner alone: a neighbour that sees it unchanged while
    /// the slot stays full knows the task has waited through one turn.
    turns: AtomicU64,
    /// Its idle waits, clocked (zero-sized unless feature `metrics` or `console`).
    clock: crate::observe::WorkerClock,
}

/// The next slots of a driver's workers, and who is asleep.
pub(crate) struct Slots {
    seats: Box<[Seat]>,
    /// Workers asleep (not watching their neighbours' slots).
    sleepy: AtomicUsize,
    /// A `Wake` is on its way: no need for another.
    waking: AtomicBool,
    /// Who spins, and for how long.
    spinner: Spinner,
    /// Tasks taken from a neighbour's slot, for the tests (a handler that blocks must hand
    /// its slot's task on, not leave it to be stolen).
    #[cfg(test)]
    pub(super) stolen: AtomicUsize,
}

/// The spinning worker's flag and the driver's spin budget, on a cache line of their own:
/// written at a spin's start and end, away from `sleepy` and `waking`, which every slot
/// fill reads.
#[repr(align(128))]
struct Spinner {
    /// A worker is spinning on the injector: the others block at once.
    spinning: AtomicBool,
    /// How long the next spin may last.
    budget: SpinBudget,
}

impl Slots {
    pub(super) fn new(threads: usize) -> Slots {
        Slots {
            seats: (0..threads)
                .map(|_| Seat {
                    next: Slot::new(),
                    turns: AtomicU64::new(0),
                    clock: crate::observe::WorkerClock::new(),
                })
                .collect(),
            sleepy: AtomicUsize::new(0),
            waking: AtomicBool::new(false),
            spinner: Spinner {
                spinning: AtomicBool::new(false),
                budget: SpinBudget::new(),
            },
            #[cfg(test)]
            stolen: AtomicUsize::new(0),
        }
    }

    /// Per worker, its busy nanoseconds, and the first worker's age in nanoseconds.
    #[cfg(any(feature = "metrics", feature = "console"))]
    pub(super) fn busy_ns(&self) -> (Vec<u64>, u64) {
        let busy = self.seats.iter().map(|seat| seat.clock.busy_ns()).collect();
        let uptime = self.seats.first().map_or(0, |seat| seat.clock.age_ns());
        (busy, uptime)
    }

    /// After a worker filled its slot: if every other worker may be asleep, wake one to
    /// watch it. Free when none sleeps (one shared load), and when a `Wake` is already on
    /// its way (two).
    #[inline(always)]
    pub(super) fn rouse(&self, injector: &ChannelSender<Injected>) {
        if self.sleepy.load(Ordering::Relaxed) > 0 && !self.waking.load(Ordering::Relaxed) {
            self.rouse_slow(injector);
        }
    }

    #[cold]
    #[inline(never)]
    fn rouse_slow(&self, injector: &ChannelSender<Injected>) {
        if !self.waking.swap(true, Ordering::Relaxed) {
            let _ = injector.send(Injected::Wake);
        }
    }
}

/// This thread's seat, if it is a driver's worker, and whether it left its slot full.
struct Mine {
    /// The driver this thread works for (`DriverId` 0 is no driver's), and its threads.
    driver: Cell<u64>,
    threads: Cell<usize>,
    seat: Cell<*const Seat>,
    full: Cell<bool>,
}

thread_local! {
    static MINE: Mine = const {
        Mine {
            driver: Cell::new(0),
            threads: Cell::new(0),
            seat: Cell::new(std::ptr::null()),
            full: Cell::new(false),
        }
    };
}

/// The driver this thread works for, and its thread count, if it is a driver's worker.
#[inline]
pub(super) fn identity() -> Option<(DriverId, usize)> {
    MINE.with(|mine| match mine.driver.get() {
        0 => None,
        id => Some((DriverId(id), mine.threads.get())),
    })
}

/// Puts `task` in this worker's next slot, if this thread is a worker of `driver`: gives
/// back the task it displaced, if any. Gives `task` back if this thread is not.
#[inline]
pub(super) fn keep_next(driver: DriverId, task: Task) -> Result<Option<Task>, Task> {
    // The thread-local part is kept to a few loads and stores, so that it inlines into the
    // send path; the slot's own work is done outside it.
    let (seat, was_full) = MINE.with(|mine| {
        if mine.driver.get() == driver.0 {
            (mine.seat.get(), mine.full.replace(true))
        } else {
            (std::ptr::null(), false)
        }
    });
    if seat.is_null() {
        return Err(task);
    }
    // SAFETY: a worker's seat outlives its `work` loop, which set the pointer (and the
    // driver) and clears them before it returns; this thread owns the seat's slot.
    let slot = unsafe { &(*seat).next };
    // SAFETY: as above: the owner, and its slot is empty unless it was left full, in which
    // case `take_own` empties it.
    unsafe {
        let older = if was_full { slot.take_own() } else { None };
        slot.put(task);
        Ok(older)
    }
}

/// Empties this worker's next slot: its task, unless a neighbour took it.
#[inline]
fn take_mine() -> Option<Task> {
    let (seat, was_full) = MINE.with(|mine| (mine.seat.get(), mine.full.replace(false)));
    if !was_full {
        return None;
    }
    // SAFETY: as in `keep_next`.
    unsafe { (*seat).next.take_own() }
}

/// Puts back a task just taken from this worker's slot (the slot is empty).
#[inline]
fn put_mine(task: Task) {
    let seat = MINE.with(|mine| {
        mine.full.set(true);
        mine.seat.get()
    });
    // SAFETY: as in `keep_next`; `take_mine` left the slot empty.
    unsafe { (*seat).next.put(task) }
}

/// Called before this thread blocks (a call, a wait, a full mailbox): an actor waiting in
/// this worker's next slot would be stranded there, so it goes to the shared queue.
#[inline]
pub(crate) fn before_blocking() {
    if current::worker().is_some() {
        if let Some(task) = take_mine() {
            task.share();
        }
    }
}

pub(super) fn work(
    id: DriverId,
    index: usize,
    slots: Arc<Slots>,
    jobs: Receiver<Injected>,
    driver: Weak<DriverInner>,
) {
    let seat = &slots.seats[index];
    MINE.with(|mine| {
        mine.seat.set(seat);
        mine.threads.set(slots.seats.len());
        mine.driver.set(id.0);
    });
    let mut idle = Idle::new(&slots, index);
    let mut streak = 0;
    let mut turns = 0_u64;
    loop {
        let next = take_mine();
        let task = match next {
            Some(task) if streak < NEXT_SLOT_STREAK => {
                streak += 1;
                task
            }
            next => {
                streak = 0;
                if let Some(task) = next {
                    // Fairness: the slot's task waits its turn behind the injector's.
                    match jobs.try_recv() {
                        Ok(Injected::Run(other)) => {
                            put_mine(task);
                            other
                        }
                        Ok(Injected::Wake) => {
                            slots.waking.store(false, Ordering::Relaxed);
                            task
                        }
                        Ok(Injected::Quit) => {
                            put_mine(task);
                            drain(&jobs, &driver);
                            break;
                        }
                        Err(_) => task,
                    }
                } else {
                    match seat.clock.idle(|| idle.wait(&jobs)) {
                        Ok(task) => task,
                        Err(Ended) => {
                            drain(&jobs, &driver);
                            break;
                        }
                    }
                }
            }
        };
        turns += 1;
        seat.turns.store(turns, Ordering::Relaxed);
        run(task);
    }
    // Whatever is left in the slot belongs to a stopped driver: dropped, it ends its actor
    // (which may queue another here, for a watcher on this driver).
    while let Some(task) = take_mine() {
        drop(task);
    }
    MINE.with(|mine| {
        mine.driver.set(0);
        mine.threads.set(0);
        mine.seat.set(std::ptr::null());
    });
}

/// The injector said `Quit`, or every sender is gone.
struct Ended;

/// An idle worker: waits for the injector while it watches its neighbours' slots.
struct Idle<'a> {
    slots: &'a Slots,
    me: usize,
    /// Each neighbour's turn count when last looked at.
    seen: Vec<u64>,
}

impl<'a> Idle<'a> {
    fn new(slots: &'a Slots, me: usize) -> Self {
        Idle {
            slots,
            me,
            seen: vec![0; slots.seats.len()],
        }
    }

    /// The next task: from the injector, or stolen from a neighbour stuck in a long turn.
    fn wait(&mut self, jobs: &Receiver<Injected>) -> Result<Task, Ended> {
        let slots = self.slots;
        if let Some(job) = self.spin(jobs) {
            return job;
        }
        if slots.seats.len() == 1 {
            // No neighbour to watch.
            return loop {
                match jobs.recv() {
                    Ok(Injected::Run(task)) => break Ok(task),
                    Ok(Injected::Wake) => continue,
                    Ok(Injected::Quit) | Err(_) => break Err(Ended),
                }
            };
        }
        if let (Some(task), _) = self.look() {
            return Ok(task);
        }
        let mut asleep = false;
        let result = loop {
            let timeout = if asleep { SLEEP_POLL } else { STEAL_AFTER };
            match jobs.recv_timeout(timeout) {
                Ok(Injected::Run(task)) => break Ok(task),
                Ok(Injected::Wake) => {
                    slots.waking.store(false, Ordering::Relaxed);
                    if std::mem::take(&mut asleep) {
                        slots.sleepy.fetch_sub(1, Ordering::SeqCst);
                    }
                    if let (Some(task), _) = self.look() {
                        break Ok(task);
                    }
                }
                Ok(Injected::Quit) | Err(RecvTimeoutError::Disconnected) => break Err(Ended),
                Err(RecvTimeoutError::Timeout) => {
                    let (stolen, any_full) = self.look();
                    if let Some(task) = stolen {
                        break Ok(task);
                    }
                    if !any_full && !asleep {
                        // Sleep; a neighbour that fills its slot from now on wakes one
                        // sleeper. One that filled it just before may not have seen this:
                        // look once more.
                        slots.sleepy.fetch_add(1, Ordering::SeqCst);
                        asleep = true;
                        if self.any_full() {
                            slots.sleepy.fetch_sub(1, Ordering::SeqCst);
                            asleep = false;
                        }
                    }
                }
            }
        };
        if asleep {
            slots.sleepy.fetch_sub(1, Ordering::SeqCst);
        }
        result
    }

    /// Just out of work: looks at the injector for up to the driver's spin budget (at most
    /// [`SPIN_FOR`]), pausing a little
    /// longer each round and then yielding the thread between looks, unless another worker
    /// is spinning already. `None`: nothing came, block.
    fn spin(&self, jobs: &Receiver<Injected>) -> Option<Result<Task, Ended>> {
        let spinning = &self.slots.spinner.spinning;
        if spinning.load(Ordering::Relaxed) || spinning.swap(true, Ordering::Acquire) {
            return None;
        }
        let job = self
            .slots
            .spinner
            .budget
            .spin(None, || match jobs.try_recv() {
                Ok(Injected::Run(task)) => Some(Ok(task)),
                // A neighbour's slot filled while every other worker might sleep: this one is
                // awake, and watches once it goes on to its blocking wait.
                Ok(Injected::Wake) => {
                    self.slots.waking.store(false, Ordering::Relaxed);
                    None
                }
                Ok(Injected::Quit) | Err(TryRecvError::Disconnected) => Some(Err(Ended)),
                Err(TryRecvError::Empty) => None,
            });
        spinning.store(false, Ordering::Release);
        job
    }

    /// Looks at every neighbour's slot: takes a task that has waited there through a turn
    /// since the last look; says whether any slot holds one. A task taken must be run: a
    /// task dropped ends its actor.
    #[must_use]
    fn look(&mut self) -> (Option<Task>, bool) {
        let mut any_full = false;
        for (n, seat) in self.slots.seats.iter().enumerate() {
            if n == self.me {
                continue;
            }
            let turns = seat.turns.load(Ordering::Relaxed);
            let stuck = turns == std::mem::replace(&mut self.seen[n], turns);
            if seat.next.is_full() {
                if stuck {
                    if let Some(task) = seat.next.steal() {
                        #[cfg(test)]
                        self.slots.stolen.fetch_add(1, Ordering::Relaxed);
                        return (Some(task), true);
                    }
                }
                any_full = true;
            }
        }
        (None, any_full)
    }

    fn any_full(&self) -> bool {
        self.slots
            .seats
            .iter()
            .enumerate()
            .any(|(n, seat)| n != self.me && seat.next.is_full())
    }
}

/// Runs one turn. A turn contains its handlers' panics; this catches what escapes them (a
/// panicking Drop, say) so that the worker, and its other actors, go on.
#[inline(always)]
fn run(task: Task) {
    if panic::catch_unwind(AssertUnwindSafe(|| task.run())).is_err() {
        log::error!("a driver worker caught a panic outside any handler");
    }
}

/// A quitting worker runs what is still queued: `Driver::shutdown` shut every actor's
/// mailbox before it sent the quits, so each such turn ends its actor at once, and no
/// actor is left waiting for a worker still blocked in a handler. The quits meant for the
/// other workers go back on the queue, after everything else has been run.
fn drain(jobs: &Receiver<Injected>, driver: &Weak<DriverInner>) {
    let mut quits = 0;
    while let Ok(job) = jobs.try_recv() {
        match job {
            Injected::Run(task) => run(task),
            Injected::Wake => {}
            Injected::Quit => quits += 1,
        }
    }
    if let Some(driver) = driver.upgrade() {
        for _ in 0..quits {
            let _ = driver.injector.send(Injected::Quit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Idle, Injected, Slots, SpinBudget, SPIN_FOR, SPIN_MIN};
    use crate::prelude::*;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    #[derive(Message)]
    struct Poke;

    #[derive(Message)]
    #[message(reply = u8)]
    struct Answer;

    /// A driver actor that does nothing with what it is told, and answers calls.
    struct Neighbour;
    #[actor]
    impl Neighbour {
        #[handles(Poke)]
        fn poke(&mut self, _: Poke) {}

        #[handles(Answer)]
        fn answer(&mut self, _: Answer) -> u8 {
            7
        }
    }

    /// How a handler blocks on its neighbour.
    #[derive(Debug, Clone, Copy)]
    enum Way {
        Stop,
        Call,
        Exec,
    }

    /// Tells the neighbour, which then waits in this worker's next slot, and blocks on it
    /// at once, in one of the `Way`s: whether the neighbour did what was asked.
    #[derive(Message)]
    #[message(reply = bool)]
    struct TellThenBlock(Way);

    struct Blocker {
        neighbour: Addr<Neighbour>,
    }
    #[actor]
    impl Blocker {
        #[handles(TellThenBlock)]
        fn tell_then_block(&mut self, TellThenBlock(way): TellThenBlock) -> bool {
            let wait = Duration::from_secs(30);
            self.neighbour.tell(Poke).expect("the neighbour is alive");
            match way {
                Way::Stop => {
                    let stopped = Bridge::new().stop(&[self.neighbour.any()], wait);
                    matches!(stopped.as_slice(), [Some(_)])
                }
                Way::Call => Bridge::new().call(&self.neighbour, Answer, wait).ok() == Some(7),
                Way::Exec => self.neighbour.exec(|_, _| 7_u8).wait_timeout(wait).ok() == Some(7),
            }
        }
    }

    /// A handler that blocks on the neighbour it has just told (the neighbour's task is in
    /// this worker's next slot) hands that task to the shared queue first, where the other
    /// worker takes it: nothing is stolen. Without it (`Bridge::stop` before 228c997) the
    /// task stayed in the slot until the idle worker stole it, `STEAL_AFTER` or more later:
    /// this test then counts a steal in every round. Each way to block is checked: a stop,
    /// a call and a wait for an `exec`.
    #[test]
    fn a_handler_blocking_on_the_task_in_its_slot_hands_it_on_instead_of_leaving_it_to_be_stolen() {
        for way in [Way::Stop, Way::Call, Way::Exec] {
            let driver = Driver::new(2);
            for round in 0..5 {
                let neighbour = Neighbour.spawn_on(&driver);
                let blocker = Blocker { neighbour }.spawn_on(&driver);
                let done =
                    Bridge::new().call(&blocker, TellThenBlock(way), Duration::from_secs(30));
                assert!(matches!(done, Ok(true)), "{way:?}, round {round}: {done:?}");
            }
            // Without the hand-on, every round's neighbour is stolen. With it, only a
            // handler kept off its core for a whole `STEAL_AFTER` between its tell and its
            // wait (a loaded machine) could leave one to be: not every round's.
            let stolen = driver.stolen();
            assert!(
                stolen < 5,
                "{way:?}: every blocked handler's neighbour was stolen ({stolen})"
            );
        }
    }

    #[test]
    fn a_spin_budget_halves_when_nothing_comes_and_doubles_when_something_does() {
        let budget = SpinBudget::new();
        assert_eq!(budget.get(), SPIN_FOR);
        for _ in 0..10 {
            assert_eq!(budget.spin(None, || None::<()>), None);
        }
        assert_eq!(budget.get(), SPIN_MIN, "down to the floor, and no lower");
        assert_eq!(budget.spin(None, || Some(7)), Some(7));
        assert_eq!(budget.get(), SPIN_MIN * 2);
        for _ in 0..10 {
            budget.spin(None, || Some(()));
        }
        assert_eq!(
            budget.get(),
            SPIN_FOR,
            "back up to the ceiling, and no higher"
        );
    }

    #[test]
    fn a_spin_ends_by_its_limit() {
        let budget = SpinBudget::new();
        let mut looks = 0;
        let passed = Instant::now();
        let found = budget.spin(Some(passed), || {
            looks += 1;
            None::<()>
        });
        assert_eq!(
            (found, looks),
            (None, 1),
            "a limit already passed: one look, no more"
        );
    }

    #[test]
    fn a_worker_out_of_work_spins_for_a_bounded_time_then_blocks() {
        let slots = Slots::new(2);
        let idle = Idle::new(&slots, 0);
        let (_injector, jobs) = crossbeam_channel::unbounded::<Injected>();
        let started = Instant::now();
        assert!(idle.spin(&jobs).is_none(), "nothing came: go on to block");
        assert!(
            started.elapsed() >= SPIN_FOR,
            "it looked for the whole spin"
        );
        assert!(
            !slots.spinner.spinning.load(Ordering::Relaxed),
            "and let the next spinner in"
        );
    }

    #[test]
    fn only_one_worker_of_a_driver_spins_at_a_time() {
        let slots = Slots::new(2);
        let (_injector, jobs) = crossbeam_channel::unbounded::<Injected>();
        slots.spinner.spinning.store(true, Ordering::Relaxed);
        // Another worker spins: this one goes straight to its blocking wait, and leaves the
        // other's flag alone.
        assert!(Idle::new(&slots, 1).spin(&jobs).is_none());
        assert!(slots.spinner.spinning.load(Ordering::Relaxed));
    }

    #[test]
    fn a_spinning_worker_takes_a_wake_and_ends_at_a_quit() {
        let slots = Slots::new(2);
        let idle = Idle::new(&slots, 0);
        let (injector, jobs) = crossbeam_channel::unbounded();
        slots.waking.store(true, Ordering::Relaxed);
        injector.send(Injected::Wake).unwrap();
        injector.send(Injected::Quit).unwrap();
        assert!(matches!(idle.spin(&jobs), Some(Err(super::Ended))));
        assert!(
            !slots.waking.load(Ordering::Relaxed),
            "the next fill may send a Wake"
        );
        assert!(jobs.is_empty());
    }
}
