//! `--max-states`, shared by `phasic model` and `phasic fit`: the limit
//! (given, or half the available memory at 1 KiB a state), the build
//! options that enforce it with progress, and its errors in the user's
//! terms.

use std::sync::Arc;

use phasic::core::Error;
use phasic::core::graph::BuildOptions;

use crate::memory;
use crate::progress::Growth;

/// Where the limit came from, for the message.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// `--max-states`.
    Given,
    /// By default, from this many bytes of available memory.
    Memory(u64),
    /// By default, no memory figure being readable.
    Fallback,
}

/// The state limit of one command.
#[derive(Debug, Clone, Copy)]
pub struct StateLimit {
    max_states: usize,
    origin: Origin,
}

impl StateLimit {
    /// `--max-states` as given, else the default from the available memory.
    pub fn new(given: Option<usize>) -> StateLimit {
        let (max_states, origin) = match given {
            Some(n) => (n, Origin::Given),
            None => match memory::default_max_states() {
                (n, Some(available)) => (n, Origin::Memory(available)),
                (n, None) => (n, Origin::Fallback),
            },
        };
        StateLimit { max_states, origin }
    }

    /// Build options enforcing the limit and reporting progress to `growth`.
    pub fn options(&self, growth: &Arc<Growth>) -> BuildOptions {
        let observer = Arc::clone(growth);
        BuildOptions::new()
            .max_states(self.max_states)
            .on_progress(move |p| observer.report(p))
    }

    /// A build stopped by the limit or by a failed allocation, said in
    /// terms of `--max-states`; `None` for other errors.
    pub fn explain(&self, e: &Error) -> Option<String> {
        let how = match self.origin {
            Origin::Given => String::new(),
            Origin::Memory(bytes) => format!(
                ", the default for {:.1} GB of available memory",
                bytes as f64 / 1e9
            ),
            Origin::Fallback => ", the default when the available memory is unknown".into(),
        };
        match e {
            Error::TooManyStates { limit } => Some(format!(
                "the model has more than {limit} states (--max-states {limit}{how}): check the --set values, or raise --max-states"
            )),
            Error::OutOfMemory { .. } => Some(format!(
                "{e}: a lower --max-states (now {}{how}) stops such a build sooner",
                self.max_states
            )),
            _ => None,
        }
    }
}
