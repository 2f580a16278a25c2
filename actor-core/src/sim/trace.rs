//! What a simulation ran, step by step: the [`Trace`] that two runs of one seed share.

use std::fmt;
use std::time::Duration;

/// A simulated actor as the trace names it: its type and its place in spawn order within
/// the simulation (the same in every run of a seed, unlike its process-wide
/// [`ActorId`](crate::ActorId)). Displayed as `Account[2]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SimActor {
    /// The actor's type name.
    pub name: &'static str,
    /// Its place in the simulation's spawn order, from 0.
    pub index: usize,
}

impl fmt::Display for SimActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.name, self.index)
    }
}

/// One step of a simulation: an actor handled one piece of mail (or ran its start hook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The virtual time of the step.
    pub at: Duration,
    /// Who ran.
    pub actor: SimActor,
    /// What it handled: the message type as in `#[handles(..)]`, or `Stop`, `Released`,
    /// `exec`, `ask reply` (a `ctx.ask`'s continuation), `on_start`.
    pub message: &'static str,
    /// The simulated actor that sent it; `None` for the test itself, plain code, or mail
    /// with no sender.
    pub sender: Option<SimActor>,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>10?} {} <- {}", self.at, self.actor, self.message)?;
        match &self.sender {
            Some(sender) => write!(f, " from {sender}"),
            None => Ok(()),
        }
    }
}

/// The steps a simulation ran, in order: equal for two runs of one seed. It keeps the
/// last [`SimConfig::trace_limit`](super::SimConfig::trace_limit) steps; the earlier ones
/// are counted in [`dropped`](Trace::dropped).
///
/// Displayed one step a line, numbered from the first step run:
/// `1ms Account[2] <- Withdraw from Bank[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    steps: Vec<Step>,
    dropped: u64,
}

impl Trace {
    pub(super) fn new(steps: Vec<Step>, dropped: u64) -> Trace {
        Trace { steps, dropped }
    }

    /// The steps kept, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// How many steps are kept.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no step is kept.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How many steps ran before the first kept one (dropped to keep the trace within
    /// its limit).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dropped > 0 {
            writeln!(f, "({} earlier steps not kept)", self.dropped)?;
        }
        for (n, step) in self.steps.iter().enumerate() {
            let n = self.dropped.saturating_add(n as u64);
            writeln!(f, "{n:>5} {step}")?;
        }
        Ok(())
    }
}
