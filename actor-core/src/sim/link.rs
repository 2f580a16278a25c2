//! [`SimLink`]: a simulated network between a simulation's actors, for the wire's users.
//!
//! It is a [`Link`], so a [`RemoteAddr`] works over it as over a Mux or NATS, with the
//! same encoding (every message and reply goes through the codec, both ways), but each
//! crossing is an event of the simulation: it arrives after a latency drawn from the
//! seed, may be lost (drawn from the seed too), and never arrives while the link is
//! partitioned. A run is as deterministic as any other in the simulation, so a remote
//! protocol's timeouts, losses and partitions replay from their seed.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{SimInner, Simulation};
use crate::actor::{Actor, Handler};
use crate::call::{failure, CallTarget, ReplyTo};
use crate::error::CallError;
use crate::handle::{Addr, Sender};
use crate::sync::lock;
use crate::wire::codec::{self, Payload, RemoteMessage, Route};
use crate::wire::{Fault, Link, RemoteAddr, RemoteError, WireError};

/// Polls a delivered call for its reply: the encoded reply or the fault in its place,
/// once the handler has answered.
type Poll = Box<dyn FnMut() -> Option<Result<Vec<u8>, Fault>> + Send>;

/// Decodes a request and posts it to the served actor: for a call (`true`), with a slot
/// its reply goes to, polled by the caller.
type Deliver = dyn Fn(&[u8], bool) -> Result<Option<Poll>, Fault> + Send + Sync;

/// A simulated network link between a simulation's actors: each crossing is an event of
/// the simulation, delayed by a latency drawn from the seed, lost with a chance drawn
/// from it too, and held back entirely while the link is partitioned.
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::sim::{SimLink, Simulation};
/// use actor_core::wire::Link;
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
///
/// #[derive(Message, Serialize, Deserialize)]
/// #[message(reply = u64)]
/// struct Square(u64);
///
/// struct Math;
/// #[actor]
/// impl Math {
///     #[handles(Square)]
///     fn square(&mut self, Square(n): Square) -> u64 { n * n }
/// }
///
/// let sim = Simulation::new(7);
/// let link = SimLink::new(&sim).latency(Duration::from_millis(5), Duration::from_millis(20));
/// link.serve::<Square, _>("math", &Math.spawn_in(&sim));
/// assert_eq!(link.call("math", Square(12), Duration::from_secs(1)).unwrap(), 144);
/// assert!(sim.elapsed() >= Duration::from_millis(10)); // there and back
///
/// link.partition();
/// let err = link.call("math", Square(3), Duration::from_secs(1)).unwrap_err();
/// assert!(err.is_timeout());                           // after 1 s of virtual time
/// ```
#[derive(Clone)]
pub struct SimLink {
    inner: Arc<LinkInner>,
}

struct LinkInner {
    sim: Arc<SimInner>,
    state: Mutex<LinkState>,
}

struct LinkState {
    /// Each crossing takes between these, in nanoseconds (drawn uniformly).
    latency: (u64, u64),
    /// The chance that a crossing is lost, in parts per 2^32 (0: never).
    loss: u64,
    partitioned: bool,
    /// Name -> wire name -> how to deliver it.
    served: HashMap<String, HashMap<&'static str, Arc<Deliver>>>,
    /// Crossings that arrived, and those lost (to the loss rate or a partition).
    arrived: u64,
    lost: u64,
    /// What went wrong with tells no one is waiting for (the far side's faults).
    faults: Vec<Fault>,
}

/// The most faults of tells a link keeps (the oldest are dropped).
const FAULTS_KEPT: usize = 256;

impl SimLink {
    /// A link between actors of `sim`: no latency, no loss, not partitioned.
    pub fn new(sim: &Simulation) -> SimLink {
        SimLink {
            inner: Arc::new(LinkInner {
                sim: sim.inner().clone(),
                state: Mutex::new(LinkState {
                    latency: (0, 0),
                    loss: 0,
                    partitioned: false,
                    served: HashMap::new(),
                    arrived: 0,
                    lost: 0,
                    faults: Vec::new(),
                }),
            }),
        }
    }

    /// Each crossing (a request, a reply, a tell) takes between `min` and `max` of
    /// virtual time, drawn from the seed; `max` below `min` counts as `min`.
    pub fn latency(self, min: Duration, max: Duration) -> SimLink {
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let min = nanos(min);
        lock(&self.inner.state).latency = (min, nanos(max).max(min));
        self
    }

    /// Each crossing is lost with probability `p` (drawn from the seed): a lost request
    /// or reply makes its call time out, a lost tell vanishes (as on NATS, at most
    /// once). `p` is clamped to `0.0..=1.0`; NaN counts as 0.
    pub fn loss(self, p: f64) -> SimLink {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        // 1.0 maps to 2^32: every draw (below 2^32) is lost.
        lock(&self.inner.state).loss = (p * 4_294_967_296.0) as u64;
        self
    }

    /// Cuts the link: from now on nothing crosses it, either way, until
    /// [`heal`](SimLink::heal) (what was already on its way still arrives).
    pub fn partition(&self) {
        lock(&self.inner.state).partitioned = true;
    }

    /// Ends a [`partition`](SimLink::partition).
    pub fn heal(&self) {
        lock(&self.inner.state).partitioned = false;
    }

    /// Whether the link is partitioned.
    pub fn is_partitioned(&self) -> bool {
        lock(&self.inner.state).partitioned
    }

    /// How many crossings arrived, and how many were lost (to the loss rate or a
    /// partition).
    pub fn crossings(&self) -> (u64, u64) {
        let state = lock(&self.inner.state);
        (state.arrived, state.lost)
    }

    /// The faults of tells that arrived but could not be delivered (no such name, a
    /// message that did not decode, an actor that had stopped): no one waits for a
    /// tell, so they are kept here, at most 256.
    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.inner.state).faults.clone()
    }

    /// Serves `M` as `name` on the far side of the link, handled by `addr` (a simulated
    /// actor). Serving several message types under one name takes one call each.
    pub fn serve<M, A>(&self, name: &str, addr: &Addr<A>)
    where
        M: RemoteMessage,
        A: Handler<M>,
    {
        let addr = addr.clone();
        let actor: Arc<str> = name.into();
        let deliver = move |body: &[u8], call: bool| -> Result<Option<Poll>, Fault> {
            let message = codec::wire_name::<M>().to_owned();
            let msg: M = codec::decode(body).map_err(|e| Fault::BadRequest {
                actor: actor.to_string(),
                message: message.clone(),
                reason: e.to_string(),
            })?;
            let failed = |reason: String| Fault::Failed {
                actor: actor.to_string(),
                message: message.clone(),
                reason,
            };
            if !call {
                return addr
                    .try_tell(msg)
                    .map(|()| None)
                    .map_err(|e| failed(e.to_string()));
            }
            let (tx, rx) = crossbeam_channel::bounded(1);
            addr.__deliver(msg, ReplyTo::to(0, tx), Sender::Nobody, None)
                .map_err(|e| failed(e.to_string()))?;
            let (actor, info) = (actor.clone(), addr.info());
            let poll: Poll = Box::new(move || {
                let (_, outcome) = rx.try_recv().ok()?;
                Some(match outcome {
                    Ok(reply) => codec::to_vec(&reply).map_err(|e| Fault::Failed {
                        actor: actor.to_string(),
                        message: message.clone(),
                        reason: format!("the reply did not encode: {e}"),
                    }),
                    Err(why) => Err(match failure::<M>(info, why) {
                        CallError::Panicked { panic, .. } => Fault::Panicked {
                            actor: actor.to_string(),
                            message: message.clone(),
                            panic,
                        },
                        other => Fault::Failed {
                            actor: actor.to_string(),
                            message: message.clone(),
                            reason: other.to_string(),
                        },
                    }),
                })
            });
            Ok(Some(poll))
        };
        lock(&self.inner.state)
            .served
            .entry(name.to_owned())
            .or_default()
            .insert(codec::wire_name::<M>(), Arc::new(deliver));
    }

    /// A typed handle to the actor served as `name` on the far side.
    pub fn remote<A: Actor>(&self, name: &str) -> RemoteAddr<A, SimLink> {
        RemoteAddr::new(self.clone(), name)
    }
}

impl LinkInner {
    /// Draws one crossing: when it arrives (nanoseconds of virtual time), or `None` if it
    /// is lost.
    fn cross(&self) -> Option<u64> {
        let mut state = lock(&self.state);
        let lost = state.partitioned || (state.loss > 0 && self.sim.random() >> 32 < state.loss);
        if lost {
            state.lost += 1;
            return None;
        }
        let (min, max) = state.latency;
        let spread = max - min;
        let latency = match spread {
            0 => min,
            _ => min + self.sim.random() % (spread + 1),
        };
        Some(self.sim.now_nanos().saturating_add(latency))
    }

    /// The far side's handler for `route`.
    fn endpoint(&self, route: Route<'_>) -> Result<Arc<Deliver>, Fault> {
        let mut state = lock(&self.state);
        state.arrived += 1;
        let Some(service) = state.served.get(route.actor) else {
            return Err(Fault::NoSuchActor {
                actor: route.actor.to_owned(),
            });
        };
        service
            .get(route.message)
            .cloned()
            .ok_or_else(|| Fault::NotHandled {
                actor: route.actor.to_owned(),
                message: route.message.to_owned(),
            })
    }

    fn keep_fault(&self, fault: Fault) {
        let mut state = lock(&self.state);
        if state.faults.len() == FAULTS_KEPT {
            state.faults.remove(0);
        }
        state.faults.push(fault);
    }
}

/// What a call waits for: the far side's poller once the request has arrived, then the
/// reply (or fault) and when it arrives back.
#[derive(Default)]
struct Waiting {
    poll: Option<Poll>,
    /// Set when the request arrived and was refused at once (no such name, ...).
    refused: Option<Fault>,
}

impl Link for SimLink {
    /// Sends the request across (after its latency, unless lost or partitioned) and runs
    /// the simulation until the reply is back or `timeout` of virtual time has passed.
    /// Called from the test's thread; from inside a simulated handler (which would block
    /// the simulation it runs in) it is refused: ask a local actor to tell instead.
    fn transaction(
        &self,
        route: Route<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Payload, RemoteError<()>> {
        let sim = &self.inner.sim;
        let Ok(_stepping) = sim.begin() else {
            return Err(RemoteError::NotSent {
                error: WireError::io(
                    format!("calling `{}` over a simulated link", route.actor),
                    "the simulation is being stepped (a blocking call from inside one of its \
                     handlers, or from another thread): tell instead",
                ),
                msg: (),
            });
        };
        let start = sim.now_nanos();
        let deadline = u64::try_from(timeout.as_nanos())
            .ok()
            .and_then(|t| start.checked_add(t));
        let waiting = Arc::new(Mutex::new(Waiting::default()));
        if let Some(at) = self.inner.cross() {
            let (link, waiting, body) = (self.inner.clone(), waiting.clone(), body.to_vec());
            let (actor, message) = (route.actor.to_owned(), route.message.to_owned());
            sim.schedule_run(
                at,
                Box::new(move || {
                    let route = Route {
                        actor: &actor,
                        message: &message,
                    };
                    let outcome = link
                        .endpoint(route)
                        .and_then(|deliver| deliver(&body, true));
                    let mut waiting = lock(&waiting);
                    match outcome {
                        Ok(poll) => waiting.poll = poll,
                        Err(fault) => waiting.refused = Some(fault),
                    }
                }),
            );
        }
        // The answer (or the fault in its place) and when it is back, once it is on its
        // way; `None` while there is none, or it was lost on the way back.
        let mut back: Option<(u64, Result<Vec<u8>, Fault>)> = None;
        let mut lost_back = false;
        loop {
            if back.is_none() && !lost_back {
                let answer = {
                    let mut waiting = lock(&waiting);
                    match waiting.refused.take() {
                        Some(fault) => Some(Err(fault)),
                        None => waiting.poll.as_mut().and_then(|poll| poll()),
                    }
                };
                if let Some(answer) = answer {
                    match self.inner.cross() {
                        Some(at) => back = Some((at, answer)),
                        None => lost_back = true,
                    }
                }
            }
            let now = sim.now_nanos();
            if let Some((at, _)) = &back {
                if *at <= now {
                    let (_, answer) = back.take().expect("checked");
                    lock(&self.inner.state).arrived += 1;
                    return match answer {
                        Ok(reply) => Ok(Payload::new(reply, 0)),
                        Err(fault) => Err(RemoteError::Failed(fault.into())),
                    };
                }
            }
            let limit = match (&back, deadline) {
                (Some((at, _)), Some(deadline)) => (*at).min(deadline),
                (Some((at, _)), None) => *at,
                (None, Some(deadline)) => deadline,
                (None, None) => u64::MAX,
            };
            let stepped = sim
                .step()
                .map_err(|e| RemoteError::Failed(WireError::io("running the simulation", e)))?;
            if stepped || sim.fire_next(limit) {
                continue;
            }
            match (&back, deadline) {
                // Nothing happens before the answer is back: move the clock to it.
                (Some((at, _)), _) if deadline.is_none_or(|d| *at <= d) => sim.set_now(*at),
                _ => {
                    // Nothing will come in time: the call waits out its timeout (a clock
                    // that cannot count that far is left where it is).
                    if let Some(deadline) = deadline {
                        sim.set_now(deadline);
                    }
                    return Err(RemoteError::Failed(WireError::Timeout {
                        actor: route.actor.to_owned(),
                        message: route.message.to_owned(),
                        timeout,
                    }));
                }
            }
        }
    }

    /// Sends the tell across: it arrives after its latency, or is lost (returning `Ok`,
    /// as a tell on NATS does). One that arrives but cannot be delivered is kept in
    /// [`faults`](SimLink::faults). Works from inside a simulated handler too.
    fn post(&self, route: Route<'_>, body: &[u8]) -> Result<(), RemoteError<()>> {
        let Some(at) = self.inner.cross() else {
            return Ok(());
        };
        let (link, body) = (self.inner.clone(), body.to_vec());
        let (actor, message) = (route.actor.to_owned(), route.message.to_owned());
        self.inner.sim.schedule_run(
            at,
            Box::new(move || {
                let route = Route {
                    actor: &actor,
                    message: &message,
                };
                let delivered = link
                    .endpoint(route)
                    .and_then(|deliver| deliver(&body, false));
                if let Err(fault) = delivered {
                    link.keep_fault(fault);
                }
            }),
        );
        Ok(())
    }
}

impl fmt::Debug for SimLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("SimLink")
            .field("latency_ns", &state.latency)
            .field("partitioned", &state.partitioned)
            .field("arrived", &state.arrived)
            .field("lost", &state.lost)
            .finish()
    }
}
