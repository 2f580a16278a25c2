//! The console's own picture of one process, with owned text: what it renders, for this
//! process (read from [`Snapshot`]) and, with feature `nats`, for every process whose
//! published snapshot it gathered (the same picture, encoded with the wire's codec).
//!
//! Every part of a picture has a bound ([`Limits`]): a picture made here is cut to them,
//! and one received is refused past them.

use std::collections::HashMap;

use crate::id::ActorInfo;
use crate::observe::{Hosting, Snapshot, BUCKETS};

/// How much one picture may hold. A picture read here keeps within them (the actors
/// with the deepest mailboxes first); one received past any of them is refused whole.
pub(crate) struct Limits;

impl Limits {
    /// Bytes of one text (a name, a type, a cycle in words): longer ones are cut at a
    /// character boundary.
    pub(crate) const TEXT: usize = 256;
    /// Actors of one process.
    pub(crate) const ACTORS: usize = 4096;
    /// Drivers of one process.
    pub(crate) const DRIVERS: usize = 256;
    /// Worker threads of one driver.
    pub(crate) const WORKERS: usize = 1024;
    /// Blocked waits of one process.
    pub(crate) const WAITS: usize = 1024;
    /// Targets of one wait, actors along one refused cycle.
    pub(crate) const REFS: usize = 64;
    /// Refused waits of one process.
    pub(crate) const REFUSED: usize = 64;
    /// Ended (type, name) totals of one process.
    pub(crate) const ENDED: usize = 1024;
}

/// An actor named in a wait or a cycle: its id and how it is shown.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    pub(crate) id: u64,
    pub(crate) label: String,
}

/// One live actor.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Actor {
    pub(crate) id: u64,
    pub(crate) type_name: String,
    pub(crate) name: String,
    /// The driver it runs on and its thread count, or none for a thread of its own.
    pub(crate) driver: Option<(u64, usize)>,
    pub(crate) parent: Option<u64>,
    pub(crate) mailbox: u64,
    pub(crate) timers: u64,
    pub(crate) handled: u64,
    pub(crate) panics: u64,
    pub(crate) restarts: u64,
    pub(crate) dead_letters: u64,
    /// The handling-time histogram from bucket `handling_first` on ([`BUCKETS`] buckets
    /// in all; the empty ones at either end left out).
    pub(crate) handling_first: u8,
    pub(crate) handling_ns: Vec<u64>,
    pub(crate) handling_sum_ns: u64,
}

impl Actor {
    /// Its name, or `Type#id`.
    pub(crate) fn label(&self) -> String {
        if self.name.is_empty() {
            format!("{}#{}", self.type_name, self.id)
        } else {
            self.name.clone()
        }
    }

    /// The `q` quantile of its sampled handling times, in nanoseconds.
    pub(crate) fn quantile_ns(&self, q: f64) -> Option<u64> {
        crate::observe::quantile(&self.buckets(), q)
    }

    /// Its whole histogram, [`BUCKETS`] buckets.
    pub(crate) fn buckets(&self) -> [u64; BUCKETS] {
        let mut buckets = [0; BUCKETS];
        let first = usize::from(self.handling_first).min(BUCKETS);
        for (bucket, n) in buckets[first..].iter_mut().zip(&self.handling_ns) {
            *bucket = *n;
        }
        buckets
    }
}

/// One driver.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Driver {
    pub(crate) id: u64,
    pub(crate) threads: u64,
    pub(crate) actors: u64,
    pub(crate) queue: u64,
    pub(crate) busy_ns: Vec<u64>,
}

/// One blocked wait.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wait {
    pub(crate) waiter: Ref,
    pub(crate) kind: String,
    pub(crate) driver: Option<u64>,
    pub(crate) targets: Vec<Ref>,
}

/// One refused wait.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) cycle: String,
    pub(crate) route: Vec<Ref>,
    /// How long before the picture was read.
    pub(crate) ago_ms: u64,
}

/// The totals of the ended actors of one type and name.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ended {
    pub(crate) type_name: String,
    pub(crate) name: String,
    pub(crate) handled: u64,
    pub(crate) panics: u64,
    pub(crate) restarts: u64,
    pub(crate) dead_letters: u64,
}

/// One process, as the console shows it.
#[cfg_attr(feature = "nats", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Process {
    pub(crate) actors: Vec<Actor>,
    pub(crate) drivers: Vec<Driver>,
    pub(crate) waits: Vec<Wait>,
    pub(crate) refused: Vec<Refused>,
    pub(crate) dead_letters: u64,
    pub(crate) ended: Vec<Ended>,
    /// Actors left out to keep within the bounds (the ones with the shortest mailboxes).
    pub(crate) left_out: u64,
}

/// `text`, cut to [`Limits::TEXT`] bytes at a character boundary.
fn text(text: &str) -> String {
    let mut end = text.len().min(Limits::TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl Process {
    /// This process now.
    pub(crate) fn local() -> Process {
        Process::of(&crate::observe::snapshot())
    }

    /// The picture of `snapshot`, cut to the [`Limits`]: the actors with the deepest
    /// mailboxes are kept (then by id), the rest counted in `left_out`.
    pub(crate) fn of(snapshot: &Snapshot) -> Process {
        let labels: HashMap<u64, String> = snapshot
            .actors
            .iter()
            .map(|actor| (actor.id, text(&actor.label())))
            .collect();
        let reference = |actor: &ActorInfo| Ref {
            id: actor.id.get(),
            label: labels
                .get(&actor.id.get())
                .cloned()
                .unwrap_or_else(|| text(&actor.to_string())),
        };
        let mut kept: Vec<_> = snapshot.actors.iter().collect();
        let mut left_out = 0;
        if kept.len() > Limits::ACTORS {
            kept.sort_by_key(|actor| (std::cmp::Reverse(actor.mailbox), actor.id));
            left_out = (kept.len() - Limits::ACTORS) as u64;
            kept.truncate(Limits::ACTORS);
            kept.sort_by_key(|actor| actor.id);
        }
        let actors = kept
            .into_iter()
            .map(|actor| {
                let first = actor.handling_ns.iter().position(|&n| n > 0);
                let last = actor.handling_ns.iter().rposition(|&n| n > 0);
                let (handling_first, handling_ns) = match (first, last) {
                    (Some(first), Some(last)) => {
                        (first as u8, actor.handling_ns[first..=last].to_vec())
                    }
                    _ => (0, Vec::new()),
                };
                Actor {
                    id: actor.id,
                    type_name: text(actor.type_name),
                    name: text(&actor.name),
                    driver: match actor.hosting {
                        Hosting::Thread => None,
                        Hosting::Driver { id, threads } => Some((id, threads)),
                    },
                    parent: actor.parent,
                    mailbox: actor.mailbox as u64,
                    timers: actor.timers as u64,
                    handled: actor.handled,
                    panics: actor.panics,
                    restarts: actor.restarts,
                    dead_letters: actor.dead_letters,
                    handling_first,
                    handling_ns,
                    handling_sum_ns: actor.handling_sum_ns,
                }
            })
            .collect();
        let refs = |actors: &[ActorInfo]| -> Vec<Ref> {
            actors.iter().take(Limits::REFS).map(reference).collect()
        };
        Process {
            actors,
            drivers: snapshot
                .drivers
                .iter()
                .take(Limits::DRIVERS)
                .map(|driver| Driver {
                    id: driver.id,
                    threads: driver.threads as u64,
                    actors: driver.actors as u64,
                    queue: driver.queue as u64,
                    busy_ns: driver
                        .busy_ns
                        .iter()
                        .take(Limits::WORKERS)
                        .copied()
                        .collect(),
                })
                .collect(),
            waits: snapshot
                .waits
                .iter()
                .take(Limits::WAITS)
                .map(|wait| Wait {
                    waiter: reference(&wait.waiter),
                    kind: wait.kind.to_owned(),
                    driver: wait.driver,
                    targets: refs(&wait.targets),
                })
                .collect(),
            // The newest are last: those are kept.
            refused: snapshot.refused[snapshot.refused.len().saturating_sub(Limits::REFUSED)..]
                .iter()
                .map(|refused| Refused {
                    cycle: text(&refused.cycle),
                    route: refs(&refused.route),
                    ago_ms: refused.ago.as_millis().min(u64::MAX as u128) as u64,
                })
                .collect(),
            dead_letters: snapshot.dead_letters,
            ended: snapshot
                .ended
                .iter()
                .take(Limits::ENDED)
                .map(|ended| Ended {
                    type_name: text(ended.type_name),
                    name: text(&ended.name),
                    handled: ended.handled,
                    panics: ended.panics,
                    restarts: ended.restarts,
                    dead_letters: ended.dead_letters,
                })
                .collect(),
            left_out,
        }
    }

    /// Whether a picture received from elsewhere keeps within the [`Limits`]; the first
    /// bound it passes, if not.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn check(&self) -> Result<(), String> {
        fn count(what: &str, n: usize, max: usize) -> Result<(), String> {
            match n > max {
                true => Err(format!("{n} {what}, more than {max}")),
                false => Ok(()),
            }
        }
        fn texts<'a>(all: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
            match all.into_iter().find(|t| t.len() > Limits::TEXT) {
                Some(long) => Err(format!(
                    "a text of {} bytes, more than {}",
                    long.len(),
                    Limits::TEXT
                )),
                None => Ok(()),
            }
        }
        count("actors", self.actors.len(), Limits::ACTORS)?;
        count("drivers", self.drivers.len(), Limits::DRIVERS)?;
        count("waits", self.waits.len(), Limits::WAITS)?;
        count("refused waits", self.refused.len(), Limits::REFUSED)?;
        count("ended totals", self.ended.len(), Limits::ENDED)?;
        for actor in &self.actors {
            count(
                "histogram buckets",
                usize::from(actor.handling_first) + actor.handling_ns.len(),
                BUCKETS,
            )?;
            texts([actor.type_name.as_str(), &actor.name])?;
        }
        for driver in &self.drivers {
            count("driver workers", driver.busy_ns.len(), Limits::WORKERS)?;
        }
        for wait in &self.waits {
            count("wait targets", wait.targets.len(), Limits::REFS)?;
            texts(
                [wait.kind.as_str(), &wait.waiter.label]
                    .into_iter()
                    .chain(wait.targets.iter().map(|t| t.label.as_str())),
            )?;
        }
        for refused in &self.refused {
            count("actors along a cycle", refused.route.len(), Limits::REFS)?;
            texts(
                std::iter::once(refused.cycle.as_str())
                    .chain(refused.route.iter().map(|r| r.label.as_str())),
            )?;
        }
        for ended in &self.ended {
            texts([ended.type_name.as_str(), &ended.name])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_at_a_character_boundary() {
        let long = "é".repeat(Limits::TEXT);
        let cut = text(&long);
        assert!(cut.len() <= Limits::TEXT && cut.len() >= Limits::TEXT - 1);
        assert!(long.starts_with(&cut));
        assert_eq!(text("short"), "short");
    }

    #[test]
    fn a_picture_past_a_bound_fails_its_check() {
        let mut process = Process::default();
        assert_eq!(process.check(), Ok(()));
        process.ended.push(Ended {
            type_name: "x".repeat(Limits::TEXT + 1),
            name: String::new(),
            handled: 0,
            panics: 0,
            restarts: 0,
            dead_letters: 0,
        });
        assert!(process.check().unwrap_err().contains("bytes"));
        process.ended.clear();
        process.refused = vec![
            Refused {
                cycle: String::new(),
                route: vec![],
                ago_ms: 0,
            };
            Limits::REFUSED + 1
        ];
        assert!(process.check().unwrap_err().contains("refused waits"));
    }
}
