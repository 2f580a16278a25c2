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

/// Every step a simulation ran, in order: equal for two runs of one seed.
///
/// Displayed one step a line: `1ms Account[2] <- Withdraw from Bank[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    steps: Vec<Step>,
}

impl Trace {
    pub(super) fn new(steps: Vec<Step>) -> Trace {
        Trace { steps }
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// How many steps ran.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no step ran.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, step) in self.steps.iter().enumerate() {
            writeln!(f, "{n:>5} {step}")?;
        }
        Ok(())
    }
}
