//! A driver's roster of its live actors: a slab of weak handles, for `Driver::actors`,
//! `actor_count` and `shutdown`. Each actor keeps its slot (`Shared::slot`), so listing
//! and forgetting it cost no hashing, and an entry costs two words, not the five of a
//! hash-map bucket keyed by id with a second weak pointer to the cell.

use std::sync::Weak;

use crate::handle::Erased;

/// The slot of an actor that is on no roster (not hosted on a driver, or not yet listed).
pub(crate) const UNLISTED: u32 = u32::MAX;

/// The live actors of one driver, each in the slot it was given until it ends.
///
/// Bounded by the actors alive at once: a freed slot is reused by the next spawn, and an
/// emptied roster gives its memory back.
pub(super) struct Roster<W = Weak<dyn Erased>> {
    slots: Vec<Option<W>>,
    /// Free slots below `slots.len()`, reused last freed first.
    free: Vec<u32>,
    live: usize,
}

impl<W> Roster<W> {
    pub(super) const fn new() -> Self {
        Roster {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    /// Lists an actor; its slot, or `None` if the roster has no slot left to give
    /// (`u32::MAX - 1` live actors on one driver: some hundreds of GiB of them).
    pub(super) fn insert(&mut self, actor: W) -> Option<u32> {
        let actor = Some(actor);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = actor;
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len())
                    .ok()
                    .filter(|&slot| slot != UNLISTED)?;
                self.slots.push(actor);
                slot
            }
        };
        self.live += 1;
        Some(slot)
    }

    /// Takes an ended actor off the roster; nothing for a slot that holds none.
    pub(super) fn remove(&mut self, slot: u32) {
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return;
        };
        if entry.take().is_none() {
            return;
        }
        self.live -= 1;
        if self.live == 0 {
            // Everyone has gone: give the memory back.
            *self = Roster::new();
        } else {
            self.free.push(slot);
        }
    }

    /// Actors listed now.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// The listed actors' weak handles, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &W> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::Roster;

    #[test]
    fn slots_are_reused_and_an_emptied_roster_is_released() {
        let mut roster = Roster::new();
        assert_eq!(roster.insert('a'), Some(0));
        assert_eq!(roster.insert('b'), Some(1));
        roster.remove(0);
        roster.remove(0); // a second removal changes nothing
        assert_eq!(roster.len(), 1);
        assert_eq!(roster.insert('c'), Some(0), "the freed slot is reused");
        assert_eq!(roster.iter().collect::<String>(), "cb");
        roster.remove(1);
        roster.remove(0);
        roster.remove(7); // out of range: nothing
        assert_eq!(roster.len(), 0);
        assert_eq!(
            roster.slots.capacity(),
            0,
            "an empty roster holds no memory"
        );
    }
}
