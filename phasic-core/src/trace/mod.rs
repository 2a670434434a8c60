//! Traces: an elimination recorded once and replayed for many θ — the plan of canonical subproblems ([`Subproblem`]), their recorded component traces ([`ComponentTrace`]), the composition ([`Trace`]) and its wire format.

pub(crate) mod component;
pub(crate) mod composition;
pub(crate) mod subproblem;
pub(crate) mod wire;

pub use component::ComponentTrace;
pub use composition::{AtTheta, DEFAULT_MIN_SUBPROBLEM, Trace, TraceOptions, TracePlan};
pub use subproblem::{Subproblem, TRACE_FORMAT_VERSION};
