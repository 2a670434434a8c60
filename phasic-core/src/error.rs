//! The one error type of `phasic-core`.

use std::fmt;

/// A number as an error message shows it: as Rust prints it, except that
/// magnitudes from 1e15 up and below 1e-9 (not 0) are in exponent form —
/// `1e300` rather than a 1 with 300 zeros.
struct Num(f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a.is_finite() && a != 0.0 && !(1e-9..1e15).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// `10^x` in exponent form with three significant digits, for numbers
/// beyond `f64` known by their logarithm: `7.88e374`.
struct Power10(f64);

impl fmt::Display for Power10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut exponent = self.0.floor();
        let mut mantissa = 10f64.powf(self.0 - exponent);
        if format!("{mantissa:.2}") == "10.00" {
            mantissa = 1.0;
            exponent += 1.0;
        }
        write!(f, "{mantissa:.2}e{exponent}")
    }
}

/// Everything that can go wrong in `phasic-core`.
///
/// Every variant names the offending vertex, state or value, so that a
/// message read out of context still says what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An edge weight is negative, NaN or infinite.
    #[error(
        "edge from vertex {from} (state {from_state:?}) to state {to_state:?} has weight {}: weights must be finite and non-negative", Num(*weight)
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
    #[error("initial probability {} of state {state:?} is outside [0, 1]", Num(*probability))]
    InitialProbability {
        /// The state.
        state: Vec<i32>,
        /// The probability.
        probability: f64,
    },
    /// Initial probabilities summing above one.
    #[error("initial probabilities sum to {}, which is above 1", Num(*sum))]
    InitialSum {
        /// Their sum.
        sum: f64,
    },
    /// A rule moved lineages at a slot past the end of the state.
    #[error("a transition from state {state:?} changes slot {slot}, past the end of the state")]
    MoveOutOfRange {
        /// The state being expanded.
        state: Vec<i32>,
        /// The slot named.
        slot: usize,
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
    #[error("parameter {index} is {}: {reason}", Num(*value))]
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
    #[error("reward {} at vertex {vertex} is invalid: {reason}", Num(*reward))]
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
        "vertex {vertex} (state {state:?}) has out-probability {} > 1: is this a discrete phase-type distribution?", Num(*rate)
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
    /// A moment whose true value lies outside the normal range of `f64`
    /// (it is computed with a wide exponent, so this is the value itself,
    /// not an intermediate step, overflowing or underflowing).
    #[error(
        "E[Y^{order}] = {} is {} the range of f64 ({})",
        Power10(*log10),
        if *log10 > 0.0 { "above" } else { "below" },
        if *log10 > 0.0 { "overflow: at most 1.8e308" } else { "underflow: at least 2.2e-308" }
    )]
    MomentRange {
        /// The order `k` of `E[Y^k]`.
        order: usize,
        /// `log₁₀ E[Y^k]`.
        log10: f64,
    },
    /// A time point that is negative or not finite.
    #[error("time {} is invalid: times must be finite and non-negative", Num(*_0))]
    InvalidTime(f64),
    /// A granularity too small for the rates of the graph.
    #[error(
        "granularity {} is too small: vertex {vertex} has rate {}; the granularity must be at least the largest rate", Num(*granularity), Num(*rate)
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
    #[error("{name} = {} is invalid: {reason}", Num(*value))]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The valid domain.
        reason: &'static str,
    },
    /// A trace, program or stepping context used with a graph of another
    /// structure than the one it was made from.
    #[error(
        "a {what} must be used with the graph it was made from: that graph has {expected_vertices} vertices and {expected_edges} edges{}, this one {vertices} and {edges}{}",
        if *expected_param_dim > 0 { format!(" (θ of dimension {expected_param_dim})") } else { String::new() },
        if *expected_param_dim > 0 { format!(" (θ of dimension {param_dim})") } else { String::new() }
    )]
    GraphMismatch {
        /// What was used: "trace", "program" or "stepping context".
        what: &'static str,
        /// Vertices of the graph it was made from.
        expected_vertices: usize,
        /// Edges of the graph it was made from.
        expected_edges: usize,
        /// θ dimension of the graph it was made from (0 where it does not matter).
        expected_param_dim: usize,
        /// Vertices of the graph given.
        vertices: usize,
        /// Edges of the graph given.
        edges: usize,
        /// θ dimension of the graph given.
        param_dim: usize,
    },
    /// A trace plan completed with the wrong number of component traces.
    #[error("one component trace per subproblem is needed: {expected} subproblems, {got} traces")]
    ComponentTraceCount {
        /// Distinct subproblems of the plan.
        expected: usize,
        /// Traces given.
        got: usize,
    },
    /// A component trace given for a subproblem it does not solve.
    #[error("component trace {index} does not belong to subproblem {key}")]
    ForeignTrace {
        /// Its index in the plan's subproblems.
        index: usize,
        /// The subproblem's content key (hex).
        key: String,
    },
    /// A time at which the uniformized chain still holds mass after the
    /// most jumps computed (a million): no exact value is computed there.
    #[error(
        "time {} needs about Λ·t = {} jumps of the uniformized chain (rate Λ = {}) and the chain is not absorbed within a million: no exact value is computed that far",
        Num(*time), Num(*lambda * *time), Num(*lambda)
    )]
    TooManyJumps {
        /// The time.
        time: f64,
        /// The uniformization rate.
        lambda: f64,
    },
    /// A fit whose starting point cannot be evaluated: the log-likelihood
    /// (or a particle's, for SVGD) failed there.
    #[error(
        "the fit cannot start at θ = ({}){}: {source}",
        theta.iter().map(|t| Num(*t).to_string()).collect::<Vec<_>>().join(", "),
        if *particles { " (the particles around it)" } else { "" }
    )]
    FitStart {
        /// The start (MLE) or the particles' centre (SVGD).
        theta: Vec<f64>,
        /// Whether the particles around `theta` were evaluated (SVGD).
        particles: bool,
        /// Why the evaluation failed.
        source: Box<Error>,
    },
    /// A likelihood without observations.
    #[error("at least one observation is needed")]
    NoObservations,
    /// An observation whose density (or probability) at θ is zero.
    #[error("observation {} has zero probability at this θ: the log-likelihood is −∞", Num(*observation))]
    ZeroProbability {
        /// The observation.
        observation: f64,
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
    /// A state space growing beyond the limit set for its build
    /// (`BuildOptions::max_states`).
    #[error("the state space grows beyond {limit} states, the limit set for this build")]
    TooManyStates {
        /// The limit.
        limit: usize,
    },
    /// An allocation that failed while a graph was built.
    #[error("out of memory: cannot allocate {bytes} bytes for {what} (at {vertices} vertices)")]
    OutOfMemory {
        /// What was growing.
        what: &'static str,
        /// The size asked for.
        bytes: usize,
        /// Vertices of the graph so far.
        vertices: usize,
    },
    /// An arithmetic result that is not finite (overflow, or a rate driven to zero).
    #[error("{what} is not finite at vertex {vertex}")]
    NonFinite {
        /// What was computed.
        what: &'static str,
        /// Where.
        vertex: usize,
    },
    /// Encoded data (a subproblem, a component trace, a program's plain
    /// data) that is truncated, inconsistent or of another format version.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_extreme_numbers_in_exponent_form() {
        let shown = |x: f64| Num(x).to_string();
        assert_eq!(shown(1e300), "1e300");
        assert_eq!(shown(-3e20), "-3e20");
        assert_eq!(shown(2.5e-12), "2.5e-12");
        assert_eq!(shown(12345.678), "12345.678");
        assert_eq!(shown(-0.5), "-0.5");
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(shown(f64::NEG_INFINITY), "-inf");
        assert_eq!(Power10(374.8965).to_string(), "7.88e374");
        assert_eq!(Power10(-311.0).to_string(), "1.00e-311");
        assert_eq!(Power10(2.9999999).to_string(), "1.00e3");
        assert_eq!(
            Error::InvalidTime(1e300).to_string(),
            "time 1e300 is invalid: times must be finite and non-negative"
        );
    }
}
