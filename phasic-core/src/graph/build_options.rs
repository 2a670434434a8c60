//! What a build from a rule may grow to and whom it tells how far it has
//! come: a limit on the number of states and an observer of its progress.
//! The library never prints; a caller shows progress as it likes.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

/// Expanded states between two progress reports.
pub const PROGRESS_INTERVAL: usize = 1 << 14;

/// How far a build has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildProgress {
    /// Vertices discovered so far, the start vertex included.
    pub states: usize,
    /// Vertices whose transitions have been added (the start vertex not
    /// counted).
    pub expanded: usize,
    /// Edges added so far (parallel edges counted separately).
    pub edges: usize,
}

type Observer = Arc<dyn Fn(&BuildProgress) + Send + Sync>;

/// Options of a build from a rule ([`Graph::from_rule_with_options`],
/// [`Graph::from_callback_with`]): at most [`max_states`] vertices, and an
/// observer told of the progress after every [`PROGRESS_INTERVAL`]
/// expanded states. The default has neither.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use phasic_core::{Error, Graph, Initial};
/// use phasic_core::graph::{BuildOptions, BuildProgress};
/// // a chain [20000] -> [19999] -> ... -> [0]: 20,002 vertices
/// let chain = |s: &[i32], out: &mut phasic_core::Transitions| {
///     if s[0] > 0 { out.add(&[s[0] - 1], 1.0) }
/// };
/// let start = Initial::state(&[20000]);
///
/// let limited = BuildOptions::new().max_states(1000);
/// let e = Graph::from_rule_with_options(&start, 0, &limited, chain).unwrap_err();
/// assert_eq!(e, Error::TooManyStates { limit: 1000 });
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let observed = BuildOptions::new().on_progress(move |p| log.lock().unwrap().push(*p));
/// let g = Graph::from_rule_with_options(&start, 0, &observed, chain).unwrap();
/// assert_eq!(phasic_core::GraphView::vertex_count(&g), 20_002);
/// assert_eq!(
///     *seen.lock().unwrap(),
///     [BuildProgress { states: 16_386, expanded: 16_384, edges: 16_385 }]
/// );
/// ```
///
/// [`Graph::from_rule_with_options`]: crate::Graph::from_rule_with_options
/// [`Graph::from_callback_with`]: crate::Graph::from_callback_with
/// [`max_states`]: BuildOptions::max_states
#[derive(Clone, Default)]
pub struct BuildOptions {
    max_states: Option<usize>,
    observer: Option<Observer>,
}

impl BuildOptions {
    /// No limit, no observer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fail with [`Error::TooManyStates`] as soon as the graph would have
    /// more than `limit` vertices (the start vertex included).
    pub fn max_states(mut self, limit: usize) -> Self {
        self.max_states = Some(limit);
        self
    }

    /// Tell `observer` of the progress after every [`PROGRESS_INTERVAL`]
    /// expanded states.
    pub fn on_progress(
        mut self,
        observer: impl Fn(&BuildProgress) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The limit on the number of vertices, if any.
    pub fn state_limit(&self) -> Option<usize> {
        self.max_states
    }

    /// Fails if `vertices` exceeds the limit.
    pub(crate) fn admit(&self, vertices: usize) -> Result<()> {
        match self.max_states {
            Some(limit) if vertices > limit => Err(Error::TooManyStates { limit }),
            _ => Ok(()),
        }
    }

    /// Tells the observer, if there is one.
    pub(crate) fn report(&self, progress: &BuildProgress) {
        if let Some(observer) = &self.observer {
            observer(progress);
        }
    }
}

impl fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildOptions")
            .field("max_states", &self.max_states)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .finish()
    }
}
