//! [`Registry`]: actors found by a unique name, process-wide (the seed's `lookupMproc`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use crate::actor::Actor;
use crate::error::Error;
use crate::handle::{Addr, AnyAddr, Shared};
use crate::id::{ActorId, ActorInfo};

/// The process-wide table of named actors.
///
/// A registered actor is held by the registry: it lives until it is stopped, and its
/// entry goes away when it stops, so a lookup never returns a stopped actor's handle.
/// [`unregister`](Registry::unregister) lets go of it.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::Registry;
///
/// #[derive(Message)]
/// #[message(reply = &'static str)]
/// struct Hello;
///
/// struct Greeter;
/// #[actor]
/// impl Greeter {
///     #[handles(Hello)]
///     fn hello(&self, _: Hello) -> &'static str { "hi" }
/// }
///
/// let greeter = Greeter.spawn();
/// Registry::register("doc-greeter", &greeter).unwrap();
/// let found: Addr<Greeter> = Registry::lookup("doc-greeter").unwrap();
/// assert_eq!(found, greeter);
/// assert!(Registry::register("doc-greeter", &Greeter.spawn()).is_err()); // taken
///
/// let bridge = Bridge::new();
/// bridge.stop(&[greeter.any()], std::time::Duration::from_secs(5));
/// assert!(Registry::lookup::<Greeter>("doc-greeter").is_none());
/// ```
pub struct Registry;

/// One live named actor, as [`Registry::list`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The name it is registered under.
    pub name: String,
    /// Its type name and id.
    pub actor: ActorInfo,
    /// How many messages wait in its mailbox.
    pub mailbox_len: usize,
}

#[derive(Default)]
struct Table {
    by_name: HashMap<String, AnyAddr>,
    names_of: HashMap<ActorId, Vec<String>>,
    /// Names held for an actor being spawned with them (`Spawn::named`): neither free nor
    /// bound yet, for the microseconds between the check and the actor's first handle.
    reserved: HashSet<String>,
}

static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
/// Signalled when a reservation is bound or given up.
static SETTLED: Condvar = Condvar::new();

fn table() -> std::sync::MutexGuard<'static, Table> {
    crate::sync::lock(TABLE.get_or_init(Mutex::default))
}

/// The table, once `name` is not reserved: a reservation lasts only while a spawn runs
/// no user code, so this wait is short.
fn settled(name: &str) -> std::sync::MutexGuard<'static, Table> {
    let mut table = table();
    while table.reserved.contains(name) {
        table = SETTLED
            .wait(table)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
    table
}

thread_local! {
    /// The name reserved for the actor this thread is spawning on a driver, bound by the
    /// actor's `Cell::new` (see `bind_reserved`).
    static RESERVED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A name held for a spawn; given up when dropped unbound.
pub(crate) struct Reservation {
    name: String,
}

impl Reservation {
    /// Holds `name` for an actor about to be spawned, or says who holds it.
    pub(crate) fn new(name: &str) -> Result<Reservation, Error> {
        let mut table = settled(name);
        if let Some(holder) = table.by_name.get(name).filter(|holder| holder.is_alive()) {
            return Err(Error::NameTaken {
                name: name.to_owned(),
                holder: holder.info(),
            });
        }
        table.reserved.insert(name.to_owned());
        Ok(Reservation {
            name: name.to_owned(),
        })
    }

    /// Binds the name to `actor`, which has not run yet.
    pub(crate) fn bind<A: Actor>(self, actor: &Arc<Shared<A>>) {
        let actor = AnyAddr::from_arc(actor.clone());
        let mut table = table();
        table.reserved.remove(&self.name);
        if let Some(stale) = table.by_name.get(&self.name).map(AnyAddr::id) {
            // A stopped holder whose own cleanup has not run yet: the name is no longer its.
            if let Some(names) = table.names_of.get_mut(&stale) {
                names.retain(|n| *n != self.name);
            }
        }
        actor.mark_registered();
        let old = table.by_name.insert(self.name.clone(), actor.clone());
        table
            .names_of
            .entry(actor.id())
            .or_default()
            .push(std::mem::take(&mut { self }.name));
        drop(table);
        SETTLED.notify_all();
        // Dropped outside the lock: a handle's drop may post to its actor.
        drop(old);
    }

    /// Leaves the name for the next `Cell::new` on this thread to bind (a driver spawn,
    /// which makes the actor's state out of reach of this code), and gives it up if no
    /// actor took it by the time the returned guard drops.
    pub(crate) fn for_next_cell(self) -> Unbound {
        RESERVED.with_borrow_mut(|slot| *slot = Some(std::mem::take(&mut { self }.name)));
        Unbound
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            release(&self.name);
        }
    }
}

fn release(name: &str) {
    table().reserved.remove(name);
    SETTLED.notify_all();
}

/// Gives up a name left for a `Cell::new` that did not come.
pub(crate) struct Unbound;

impl Drop for Unbound {
    fn drop(&mut self) {
        if let Some(name) = RESERVED.with_borrow_mut(Option::take) {
            release(&name);
        }
    }
}

/// Called by `Cell::new`: binds the name this thread reserved for the actor it spawns.
#[inline]
pub(crate) fn bind_reserved<A: Actor>(actor: &Arc<Shared<A>>) {
    if let Some(name) = RESERVED.with_borrow_mut(Option::take) {
        Reservation { name }.bind(actor);
    }
}

impl Registry {
    /// Registers `actor` under `name`. Fails, naming the holder, if the name is taken by a
    /// live actor; fails if `actor` has stopped. An actor may have several names.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::{Error, Registry};
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// let cache = Cache.spawn();
    /// Registry::register("cache", &cache).unwrap();
    /// Registry::register("cache-v2", &cache).unwrap(); // a second name
    /// match Registry::register("cache", &Cache.spawn()) {
    ///     Err(Error::NameTaken { holder, .. }) => assert_eq!(holder, cache.info()),
    ///     other => panic!("expected the name to be taken, got {other:?}"),
    /// }
    /// ```
    pub fn register<A: Actor>(name: &str, actor: &Addr<A>) -> Result<(), Error> {
        Registry::register_any(name, &actor.any())
    }

    /// [`register`](Registry::register) for a type-erased handle.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Registry;
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// let cache: AnyAddr = Cache.spawn().any();
    /// Registry::register_any("cache", &cache).unwrap();
    /// assert_eq!(Registry::lookup_any("cache"), Some(cache));
    /// ```
    pub fn register_any(name: &str, actor: &AnyAddr) -> Result<(), Error> {
        let mut table = settled(name);
        if let Some(holder) = table.by_name.get(name) {
            if holder.is_alive() {
                return Err(Error::NameTaken {
                    name: name.to_owned(),
                    holder: holder.info(),
                });
            }
            // A stopped holder whose own cleanup has not run yet: the name is no longer its.
            let stale = holder.id();
            if let Some(names) = table.names_of.get_mut(&stale) {
                names.retain(|n| n != name);
            }
        }
        if !actor.is_alive() {
            return Err(Error::Stopped {
                actor: actor.info(),
                message: format!("registration as `{name}`"),
            });
        }
        actor.mark_registered();
        table.by_name.insert(name.to_owned(), actor.clone());
        crate::observe::named(actor.id(), name);
        table
            .names_of
            .entry(actor.id())
            .or_default()
            .push(name.to_owned());
        drop(table);
        // It may have stopped between the check and the insert, after its own cleanup ran.
        if !actor.is_alive() {
            Registry::forget(actor.id());
        }
        Ok(())
    }

    /// The live actor registered under `name`, if it has type `A`.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Registry;
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// struct Other;
    /// #[actor]
    /// impl Other {}
    ///
    /// Registry::register("cache", &Cache.spawn()).unwrap();
    /// let cache: Option<Addr<Cache>> = Registry::lookup("cache");
    /// assert!(cache.is_some());
    /// assert!(Registry::lookup::<Other>("cache").is_none()); // another type
    /// assert!(Registry::lookup::<Cache>("nothing").is_none()); // no such name
    /// ```
    pub fn lookup<A: Actor>(name: &str) -> Option<Addr<A>> {
        Registry::lookup_any(name)?.downcast()
    }

    /// The live actor registered under `name`, whatever its type.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Registry;
    /// use std::time::Duration;
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// Registry::register("cache", &Cache.spawn()).unwrap();
    /// let found = Registry::lookup_any("cache").unwrap();
    /// assert_eq!(found.info().name, "Cache");
    /// Bridge::new().stop(&[found], Duration::from_secs(5));
    /// assert!(Registry::lookup_any("cache").is_none()); // stopped: its name is gone
    /// ```
    pub fn lookup_any(name: &str) -> Option<AnyAddr> {
        settled(name)
            .by_name
            .get(name)
            .filter(|actor| actor.is_alive())
            .cloned()
    }

    /// Removes `name`, returning the handle it held (dropping it lets the actor stop on its
    /// own if no other handle is left).
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Registry;
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// let cache = Cache.spawn();
    /// Registry::register("cache", &cache).unwrap();
    /// let held = Registry::unregister("cache").unwrap();
    /// assert_eq!(held.id(), cache.id());
    /// assert!(Registry::lookup_any("cache").is_none());
    /// assert!(Registry::unregister("cache").is_none()); // already gone
    /// assert!(cache.is_alive()); // unregistering does not stop it
    /// ```
    pub fn unregister(name: &str) -> Option<AnyAddr> {
        let mut table = table();
        let actor = table.by_name.remove(name)?;
        if let Some(names) = table.names_of.get_mut(&actor.id()) {
            names.retain(|n| n != name);
            if names.is_empty() {
                table.names_of.remove(&actor.id());
            }
        }
        Some(actor)
    }

    /// Every live named actor, sorted by name.
    ///
    /// ```
    /// use actor_core::prelude::*;
    /// use actor_core::Registry;
    ///
    /// struct Cache;
    /// #[actor]
    /// impl Cache {}
    ///
    /// Registry::register("b-cache", &Cache.spawn()).unwrap();
    /// Registry::register("a-cache", &Cache.spawn()).unwrap();
    /// let names: Vec<String> = Registry::list().into_iter().map(|named| named.name).collect();
    /// assert_eq!(names, ["a-cache", "b-cache"]);
    /// ```
    pub fn list() -> Vec<Named> {
        let mut named: Vec<Named> = table()
            .by_name
            .iter()
            .filter(|(_, actor)| actor.is_alive())
            .map(|(name, actor)| Named {
                name: name.clone(),
                actor: actor.info(),
                mailbox_len: actor.mailbox_len(),
            })
            .collect();
        named.sort_by(|a, b| a.name.cmp(&b.name));
        named
    }

    /// Called by the runtime when a registered actor stops.
    pub(crate) fn forget(id: ActorId) {
        let removed: Vec<AnyAddr> = {
            let mut table = table();
            let names = table.names_of.remove(&id).unwrap_or_default();
            // A name may already have passed to another actor (registered once this one
            // was seen stopped): only entries that still point here go.
            let mut removed = Vec::new();
            for name in names {
                if table.by_name.get(&name).is_some_and(|held| held.id() == id) {
                    removed.extend(table.by_name.remove(&name));
                }
            }
            removed
        };
        // Dropped outside the lock: a handle's drop may post to its actor.
        drop(removed);
    }
}

/// Type recovery for handles: `AnyAddr` -> `Addr<A>`.
impl AnyAddr {
    /// The typed handle, if the actor is an `A`.
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// struct Cat;
    /// #[actor]
    /// impl Cat {}
    ///
    /// struct Dog;
    /// #[actor]
    /// impl Dog {}
    ///
    /// let pets: Vec<AnyAddr> = vec![Cat.spawn().any(), Dog.spawn().any()];
    /// let dogs: Vec<Addr<Dog>> = pets.into_iter().filter_map(AnyAddr::downcast).collect();
    /// assert_eq!(dogs.len(), 1);
    /// assert_eq!(dogs[0].info().name, "Dog");
    /// ```
    pub fn downcast<A: Actor>(self) -> Option<Addr<A>> {
        let shared = self.shared_as::<A>()?;
        Some(Addr::new(shared))
    }
}

/// The first name `id` is registered under, if any: its name in spans, metrics and the
/// console.
#[cfg(any(feature = "tracing", feature = "metrics", feature = "console"))]
pub(crate) fn first_name(id: ActorId) -> Option<String> {
    table()
        .names_of
        .get(&id)
        .and_then(|names| names.first().cloned())
}
