//! A driver actor's mailbox: its queue, run flag and bound under one spin lock, and the
//! vocabulary of a post ([`Wait`], [`Refused`]). A leaf: it knows nothing of actors,
//! handles or hosts, so loom can model-check it alone (`loom_tests` below).

use std::collections::VecDeque;
use std::time::Instant;

use crate::sync::model::{self, Condvar, Mutex, MutexGuard};
use crate::sync::SpinLock;

/// How long a post may wait for room in a bounded mailbox.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    /// Until there is room (never waits on an unbounded mailbox).
    Block,
    /// Not at all.
    Never,
    /// Until this instant.
    Until(Instant),
    /// Past the bound of a driver mailbox, at once; as `Block` on a dedicated thread's
    /// channel. For mail the actor asked for itself (the continuation of its own
    /// `ctx.ask`), whose number its own outstanding requests bound.
    Force,
}

impl Wait {
    /// Until `deadline` if there is one, else for as long as it takes.
    pub(crate) fn until(deadline: Option<Instant>) -> Wait {
        deadline.map_or(Wait::Block, Wait::Until)
    }
}

/// Why a post was refused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refused {
    Stopped,
    Full,
    Timeout,
    /// Waiting for room could never end (the cycle is kept by `hosting::waits`).
    WouldDeadlock,
}

/// A driver actor's mailbox and its run flag, under one lock.
///
/// `scheduled` is set while the actor is queued or running. A [`push`](Mailbox::push) that
/// finds it clear sets it and tells its caller to queue the actor; the worker ends a turn
/// with [`pop_into`](Mailbox::pop_into), which clears it in the same critical
/// section that finds the queue empty. So either the pusher sees the flag clear, or the
/// worker sees the message: no message is ever left with no one to run it, and no actor
/// is queued twice. A bounded mailbox makes a pusher wait for room on a condition
/// variable, which each pop signals while someone waits.
///
/// Everything an actor's turn touches sits in this one small struct, next to the actor's
/// state: a hop between actors on a driver costs one lock on each side and no more. What
/// only a bounded mailbox needs (its capacity, where its pushers wait) is boxed: every
/// idle actor has a mailbox, few have a bound.
pub(crate) struct Mailbox<T> {
    queue: SpinLock<Queue<T>>,
    /// `None`: unbounded, and no pusher ever waits.
    bound: Option<Box<Bound>>,
}

/// A bounded mailbox's capacity and its pushers' waiting place.
struct Bound {
    capacity: usize,
    /// Pushers waiting for room in a full bounded mailbox sleep on `room` with this lock
    /// held; a pop that makes room takes it before it signals, so no signal falls between
    /// a waiter's last look and its sleep.
    sleep: Mutex<()>,
    room: Condvar,
}

impl Bound {
    fn sleep_lock(&self) -> MutexGuard<'_, ()> {
        model::lock(&self.sleep)
    }
}

struct Queue<T> {
    items: VecDeque<T>,
    scheduled: bool,
    closed: bool,
    /// Pushers waiting for room (threads, each blocked: far fewer than `u32::MAX`).
    waiting: u32,
}

/// What [`Mailbox::pop_into`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pop<T> {
    /// The next item.
    Item(T),
    /// Nothing: the run flag is now clear and the turn is over.
    Idle,
    /// The mailbox was shut from outside ([`Mailbox::shut`]): the flag stays set, and the
    /// caller, whose turn it is, must end the actor now.
    Closed,
}

/// A queue longer than this, found empty, gives its memory back.
const KEEP: usize = 64;

impl<T> Queue<T> {
    fn has_room(&self, bound: Option<&Bound>) -> bool {
        bound.is_none_or(|bound| self.items.len() < bound.capacity)
    }

    /// Queues `item` and sets the run flag; true if it was clear (the actor was idle and
    /// the caller must schedule it).
    fn enqueue(&mut self, item: T) -> bool {
        self.items.push_back(item);
        !std::mem::replace(&mut self.scheduled, true)
    }
}

impl<T> Mailbox<T> {
    /// An open mailbox; `scheduled` when the actor's first turn is queued at spawn.
    pub(crate) fn new(capacity: Option<usize>, scheduled: bool) -> Self {
        Mailbox {
            queue: SpinLock::new(Queue {
                items: VecDeque::new(),
                scheduled,
                closed: false,
                waiting: 0,
            }),
            bound: capacity.map(|capacity| {
                Box::new(Bound {
                    capacity,
                    sleep: Mutex::new(()),
                    room: Condvar::new(),
                })
            }),
        }
    }

    /// Wakes the pushers waiting for room (all of them: each looks again, and those that
    /// find none sleep again). Only a bounded mailbox has any.
    #[cold]
    #[inline(never)]
    fn wake_waiters(&self) {
        if let Some(bound) = &self.bound {
            drop(bound.sleep_lock());
            bound.room.notify_all();
        }
    }

    /// Queues `item`; `Ok(true)` when the caller must schedule the actor. A full bounded
    /// mailbox waits as `wait` says, once `may_wait` has agreed (it is called at most
    /// once, just before the first wait; what it returns is held for the whole wait, and
    /// an error refuses the push with that reason).
    #[inline]
    pub(crate) fn push<G>(
        &self,
        item: T,
        wait: Wait,
        may_wait: impl FnOnce() -> Result<G, Refused>,
    ) -> Result<bool, (T, Refused)> {
        let mut queue = self.queue.lock();
        if queue.closed {
            return Err((item, Refused::Stopped));
        }
        if !queue.has_room(self.bound.as_deref()) && !matches!(wait, Wait::Force) {
            drop(queue);
            return self.push_when_room(item, wait, may_wait);
        }
        Ok(queue.enqueue(item))
    }

    /// `push` into a full bounded mailbox.
    #[cold]
    #[inline(never)]
    fn push_when_room<G>(
        &self,
        item: T,
        wait: Wait,
        may_wait: impl FnOnce() -> Result<G, Refused>,
    ) -> Result<bool, (T, Refused)> {
        let Some(bound) = self.bound.as_deref() else {
            // Never full: `push` does not come here.
            return Ok(self.queue.lock().enqueue(item));
        };
        if matches!(wait, Wait::Never) {
            return Err((item, Refused::Full));
        }
        let _waiting = match may_wait() {
            Ok(waiting) => waiting,
            Err(why) => return Err((item, why)),
        };
        let mut asleep = bound.sleep_lock();
        loop {
            {
                let mut queue = self.queue.lock();
                if queue.closed {
                    return Err((item, Refused::Stopped));
                }
                if queue.has_room(Some(bound)) {
                    return Ok(queue.enqueue(item));
                }
                queue.waiting += 1;
            }
            asleep = match wait {
                Wait::Until(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        self.queue.lock().waiting -= 1;
                        return Err((item, Refused::Timeout));
                    }
                    model::wait(&bound.room, asleep, Some(deadline - now))
                }
                _ => model::wait(&bound.room, asleep, None),
            };
            self.queue.lock().waiting -= 1;
        }
    }

    /// [`pop_into`](Mailbox::pop_into) of the item itself, for the loom models.
    #[cfg(loom)]
    pub(crate) fn pop_or_idle(&self) -> Pop<T> {
        self.pop_into(&mut (), |_, item| item, |_| ())
    }

    /// The next item, handed to `take` with `owner` (outside the lock), and what `take`
    /// returns in `Pop::Item`; `Idle` when there is none, which also clears the run flag:
    /// the caller's turn is over, and from then on another worker may own the actor. Just
    /// before that, `idle(owner)` runs, under the lock, for what the caller must still do
    /// as the actor's owner (publish its counts). Two closures over one `owner`, not one
    /// closure called from two places: each is inlined into its one call. `Closed`
    /// once the mailbox was shut, whatever is still queued. The item goes straight from
    /// the queue to its consumer, not through a `Pop<T>` the caller must take apart again.
    #[inline(always)]
    pub(crate) fn pop_into<S, R>(
        &self,
        owner: &mut S,
        take: impl FnOnce(&mut S, T) -> R,
        idle: impl FnOnce(&mut S),
    ) -> Pop<R> {
        let mut queue = self.queue.lock();
        if queue.closed {
            return Pop::Closed;
        }
        match queue.items.pop_front() {
            Some(item) => {
                let waiting = queue.waiting > 0;
                drop(queue);
                if waiting {
                    self.wake_waiters();
                }
                Pop::Item(take(owner, item))
            }
            None => {
                // The caller's last word while it still owns the actor (under the lock:
                // it must be short).
                idle(owner);
                queue.scheduled = false;
                if queue.items.capacity() > KEEP {
                    // Rare, and a free under this lock is cheap enough.
                    queue.items.shrink_to(KEEP);
                }
                Pop::Idle
            }
        }
    }

    /// Closes the mailbox from outside the actor's turn (a driver shutting down): later
    /// pushes are refused as `Stopped`, pushers waiting for room are woken and refused,
    /// and the turn under way, or the next one, gets [`Pop::Closed`]. True if the actor
    /// was idle: the run flag is then set for the caller, who must end the actor itself.
    /// Exactly one party ends it: this caller, or the turn that gets `Closed`.
    pub(crate) fn shut(&self) -> bool {
        let mut queue = self.queue.lock();
        queue.closed = true;
        let waiting = queue.waiting > 0;
        let claimed = !std::mem::replace(&mut queue.scheduled, true);
        drop(queue);
        if waiting {
            self.wake_waiters();
        }
        claimed
    }

    /// Whether the mailbox is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.queue.lock().closed
    }

    /// Refuses every later push and hands back what is queued.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut queue = self.queue.lock();
        queue.closed = true;
        let waiting = queue.waiting > 0;
        let items = std::mem::take(&mut queue.items);
        drop(queue);
        if waiting {
            self.wake_waiters();
        }
        items
    }

    /// Items queued now.
    pub(crate) fn len(&self) -> usize {
        self.queue.lock().items.len()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{Mailbox, Pop, Refused, Wait};
    use loom::sync::Arc;
    use loom::thread;

    /// A sender posting while the worker ends its turn: the message is never stranded,
    /// and the actor is queued again exactly once.
    #[test]
    fn loom_mailbox_never_strands_a_message() {
        loom::model(|| {
            let mailbox = Arc::new(Mailbox::new(None, true)); // the worker is running a turn
            let sender = {
                let mailbox = mailbox.clone();
                thread::spawn(move || mailbox.push(1u8, Wait::Block, || Ok(())).ok().unwrap())
            };
            // The worker drains what is there and ends its turn.
            let mut got = Vec::new();
            while let Pop::Item(item) = mailbox.pop_or_idle() {
                got.push(item);
            }
            let sender_schedules = sender.join().unwrap();
            // Either the worker saw the message, or the sender queues the actor again.
            assert_eq!(got.len() + usize::from(sender_schedules), 1);
            if sender_schedules {
                assert_eq!(mailbox.pop_or_idle(), Pop::Item(1));
            }
        });
    }

    /// A pusher waiting for room in a full bounded mailbox gets in once a pop makes room,
    /// or gets its message back when the mailbox closes: it never waits forever.
    #[test]
    fn loom_bounded_push_waits_for_room_or_close() {
        loom::model(|| {
            let mailbox = Arc::new(Mailbox::new(Some(1), true));
            assert_eq!(mailbox.push(1u8, Wait::Never, || Ok(())).ok(), Some(false));
            let pusher = {
                let mailbox = mailbox.clone();
                thread::spawn(move || mailbox.push(2u8, Wait::Block, || Ok(())))
            };
            assert_eq!(mailbox.pop_or_idle(), Pop::Item(1));
            let leftover = mailbox.close();
            match pusher.join().unwrap() {
                Ok(_) => assert_eq!(leftover, [2]),
                Err((item, Refused::Stopped)) => {
                    assert_eq!(item, 2);
                    assert!(leftover.is_empty());
                }
                Err((_, why)) => panic!("refused as {why:?}"),
            }
        });
    }

    /// One turn: pops until idle or closed; true if it found the mailbox closed (and so
    /// ends the actor).
    fn turn(mailbox: &Mailbox<u8>) -> bool {
        loop {
            match mailbox.pop_or_idle() {
                Pop::Item(_) => {}
                Pop::Idle => return false,
                Pop::Closed => return true,
            }
        }
    }

    /// A driver shutting an actor down while its worker runs a turn: exactly one of them
    /// ends the actor (the shutter if the turn had ended idle, else the turn, which finds
    /// the mailbox closed), and a post after the shut is refused.
    #[test]
    fn loom_shut_during_a_turn_is_ended_by_exactly_one_party() {
        loom::model(|| {
            let mailbox = Arc::new(Mailbox::new(None, true)); // the worker is running a turn
            assert_eq!(mailbox.push(1u8, Wait::Never, || Ok(())).ok(), Some(false));
            let shutter = {
                let mailbox = mailbox.clone();
                thread::spawn(move || mailbox.shut())
            };
            let closed = turn(&mailbox);
            let claimed = shutter.join().unwrap();
            assert!(closed != claimed);
            assert!(matches!(
                mailbox.push(2u8, Wait::Never, || Ok(())),
                Err((2, Refused::Stopped))
            ));
        });
    }

    /// A driver shutting an idle actor down while a sender posts to it: either the post
    /// queued a turn, which then finds the mailbox closed, or the shutter took the idle
    /// actor and the post is refused; never both, never neither.
    #[test]
    fn loom_shut_racing_a_post_is_ended_by_exactly_one_party() {
        loom::model(|| {
            let mailbox = Arc::new(Mailbox::new(None, false)); // idle
            let sender = {
                let mailbox = mailbox.clone();
                thread::spawn(move || mailbox.push(1u8, Wait::Block, || Ok(())))
            };
            let claimed = mailbox.shut();
            let sent = sender.join().unwrap();
            let closed = match sent {
                // The post found the actor idle and queued its turn.
                Ok(true) => turn(&mailbox),
                Ok(false) => panic!("a post to an idle actor queues it"),
                Err((_, Refused::Stopped)) => false,
                Err((_, why)) => panic!("refused as {why:?}"),
            };
            assert!(closed != claimed);
        });
    }
}
