//! Graph elimination: the reusable [`Program`] (scaling, elimination of cyclic components, back-substitution), the bypass step it shares with reward transformation, reachability, moments and their gradients, absorption, and the wide-exponent numbers of high-order moments.

pub(crate) mod absorption;
pub(crate) mod bypass;
pub(crate) mod iterative;
pub(crate) mod moment_gradient;
pub(crate) mod moments;
pub(crate) mod ordering;
pub(crate) mod program;
pub(crate) mod reachability;
pub(crate) mod wide;

pub use moments::MultivariateMoments;
pub use program::{
    AcyclicParts, CommandParts, CsrParts, ITERATIVE_FLOPS_PER_EDGE, ITERATIVE_MIN_SIZE,
    PROGRAM_FORMAT_VERSION, Program, ProgramParts, SCALING, Solver,
};
