//! The one error type of `phasic-core`.

/// Everything that can go wrong in `phasic-core`.
///
/// Every variant names the offending vertex, state or value, so that a
/// message read out of context still says what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An edge weight is negative, NaN or infinite.
    #[error(
        "edge from vertex {from} (state {from_state:?}) to state {to_state:?} has weight {weight}: weights must be finite and non-negative"
    )]
    InvalidWeight {
        /// Source vertex.
        from: usize,
        /// State of the source vertex.
        from_state: Vec<i32>,
        /// State of the target.
        to_state: Vec<i32>,
        /// The offending weight.
        weight: f64,
    },
    /// A transition from a state to itself.
    #[error(
        "vertex {vertex} (state {state:?}) has a transition to itself: self-loops are implicit (continuous: drop the edge; discrete: it is the missing out-probability)"
    )]
    SelfLoop {
        /// The vertex.
        vertex: usize,
        /// Its state.
        state: Vec<i32>,
    },
    /// An edge into the start vertex, which is left at time 0 and never re-entered.
    #[error(
        "vertex {from} (state {state:?}) has an edge into the start vertex 0, which can never be re-entered"
    )]
    EdgeToStart {
        /// The source vertex.
        from: usize,
        /// Its state.
        state: Vec<i32>,
    },
    /// A state whose length differs from the graph's state length.
    #[error("state {state:?} has length {len}, but this graph's states have length {expected}")]
    StateLength {
        /// The offending state.
        state: Vec<i32>,
        /// Its length.
        len: usize,
        /// The graph's state length.
        expected: usize,
    },
    /// An initial probability outside `[0, 1]` or not finite.
    #[error("initial probability {probability} of state {state:?} is outside [0, 1]")]
    InitialProbability {
        /// The state.
        state: Vec<i32>,
        /// The probability.
        probability: f64,
    },
    /// Initial probabilities summing above one.
    #[error("initial probabilities sum to {sum}, which is above 1")]
    InitialSum {
        /// Their sum.
        sum: f64,
    },
    /// The initial distribution lists no state.
    #[error("the initial distribution lists no state")]
    EmptyInitial,
    /// A vertex reachable from the start cannot reach an absorbing vertex.
    #[error(
        "vertex {vertex} (state {state:?}) is reachable from the start but has no path to absorption (it lies in a closed class)"
    )]
    NoPathToAbsorption {
        /// A vertex of the closed class.
        vertex: usize,
        /// Its state.
        state: Vec<i32>,
    },
    /// A vertex reachable from the start whose out-edges all have weight zero.
    #[error(
        "vertex {vertex} (state {state:?}) is reachable from the start but its out-edges sum to rate 0"
    )]
    ZeroRate {
        /// The vertex.
        vertex: usize,
        /// Its state.
        state: Vec<i32>,
    },
    /// A parameter vector of the wrong length.
    #[error("expected {expected} parameters, got {got}")]
    ParamLength {
        /// The graph's parameter dimension.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A parameter value outside its domain (not finite; for a fit's
    /// start, not positive).
    #[error("parameter {index} is {value}: {reason}")]
    InvalidParam {
        /// Position in θ.
        index: usize,
        /// The value.
        value: f64,
        /// The valid domain.
        reason: &'static str,
    },
    /// A parameterized edge added to a graph without parameters.
    #[error(
        "a parameterized edge was added to a graph built without parameters (parameter dimension 0)"
    )]
    NotParameterized,
    /// A reward vector of the wrong length.
    #[error("rewards must have one entry per vertex: expected {expected}, got {got}")]
    RewardLength {
        /// Number of vertices.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A reward that is negative or not finite (or not an integer where one is needed).
    #[error("reward {reward} at vertex {vertex} is invalid: {reason}")]
    InvalidReward {
        /// The vertex.
        vertex: usize,
        /// The reward.
        reward: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A discrete operation on a vertex whose out-probabilities sum above one.
    #[error(
        "vertex {vertex} (state {state:?}) has out-probability {rate} > 1: is this a discrete phase-type distribution?"
    )]
    NotDiscrete {
        /// The vertex.
        vertex: usize,
        /// Its state.
        state: Vec<i32>,
        /// Its total out-weight.
        rate: f64,
    },
    /// A moment order below one.
    #[error("moment order must be at least 1, got {0}")]
    MomentOrder(usize),
    /// A time point that is negative or not finite.
    #[error("time {0} is invalid: times must be finite and non-negative")]
    InvalidTime(f64),
    /// A granularity too small for the rates of the graph.
    #[error(
        "granularity {granularity} is too small: vertex {vertex} has rate {rate}; the granularity must be at least the largest rate"
    )]
    Granularity {
        /// The granularity.
        granularity: f64,
        /// The vertex.
        vertex: usize,
        /// Its rate.
        rate: f64,
    },
    /// A numerical setting outside its domain (tolerance, Laplace argument, ...).
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The valid domain.
        reason: &'static str,
    },
    /// A matrix given to `from_matrices` that does not describe a phase-type distribution.
    #[error("invalid matrix input: {0}")]
    Matrix(String),
    /// A vertex index out of range.
    #[error("vertex {vertex} does not exist (the graph has {count} vertices)")]
    UnknownVertex {
        /// The index.
        vertex: usize,
        /// Number of vertices.
        count: usize,
    },
    /// A graph too large for 32-bit vertex indices.
    #[error("the graph exceeds {0} vertices")]
    TooLarge(usize),
    /// An arithmetic result that is not finite (overflow, or a rate driven to zero).
    #[error("{what} is not finite at vertex {vertex}")]
    NonFinite {
        /// What was computed.
        what: &'static str,
        /// Where.
        vertex: usize,
    },
    /// Encoded trace data (a subproblem or a component trace) that is
    /// truncated, inconsistent or of another format version.
    #[error("invalid {what}: {reason}")]
    Decode {
        /// What was decoded.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Result alias of `phasic-core`.
pub type Result<T> = std::result::Result<T, Error>;
