//! # phasic-core
//!
//! State-space construction and exact algorithms for continuous and
//! discrete phase-type distributions. No I/O: every byte on disk goes
//! through `phasic-cache`.
//!
//! The maths follows `ALGORITHMS.md` of the project: a graph is grown from
//! a rule ([`Graph::from_rule`]), eliminated into a reusable [`Program`],
//! and queried through [`PhaseType`] (continuous) or [`DiscretePhaseType`]
//! (discrete). Every algorithm works on the read-only [`GraphView`] trait.
//!
//! ```
//! use phasic_core::{Graph, Initial, PhaseType};
//! // Kingman coalescent, 4 lineages: E[T_MRCA] = 2(1 - 1/4) = 1.5
//! let g = Graph::from_rule(&Initial::state(&[4]), |s, out| {
//!     let k = s[0];
//!     if k > 1 { out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0) }
//! }).unwrap();
//! let ph = PhaseType::new(&g).unwrap();
//! assert!((ph.expectation(None).unwrap() - 1.5).abs() < 1e-12);
//! assert!((ph.variance(None).unwrap() - 41.0 / 36.0).abs() < 1e-12);
//! ```

mod absorption;
mod adam;
mod builder;
mod bypass;
mod callback;
mod codec;
mod component_trace;
mod discrete;
mod error;
mod fit;
mod forward;
mod gradient;
mod granularity;
mod graph;
mod key;
mod lbfgs;
mod likelihood;
mod linear_rows;
mod matrices;
mod moment_matching;
mod moments;
mod phase_type;
mod poisson;
mod prior;
mod program;
mod reward_transform;
mod rule;
mod sample;
mod scc;
mod state_index;
mod subproblem;
mod support;
mod trace;
mod uniformization;
mod view;

pub use adam::Adam;
pub use builder::GraphBuilder;
pub use callback::{Callback, IntoInitial, Pure, Visited};
pub use component_trace::ComponentTrace;
pub use discrete::{DiscreteContext, DiscretePhaseType};
pub use error::{Error, Result};
pub use fit::{
    MleFit, MleOptions, Posterior, SvgdOptions, maximum_likelihood,
    maximum_likelihood_with_progress, svgd, svgd_with_progress,
};
pub use granularity::{GranularityContext, default_granularity};
pub use graph::{Graph, START};
pub use key::{GRAPH_FORMAT_VERSION, Key, KeyHasher, ModelKey, tag};
pub use likelihood::{Likelihood, Observations};
pub use matrices::{Matrices, to_discrete_matrices, to_matrices};
pub use moment_matching::MomentMatching;
pub use moments::MultivariateMoments;
pub use phase_type::{Method, PhaseType};
pub use prior::Prior;
pub use program::Program;
pub use reward_transform::{RewardTransformed, reward_transform, reward_transform_discrete};
pub use rule::{Initial, Transitions};
pub use sample::{Outcome, Sampler};
pub use subproblem::{Subproblem, TRACE_FORMAT_VERSION};
pub use trace::{AtTheta, DEFAULT_MIN_SUBPROBLEM, Trace, TraceOptions, TracePlan};
pub use uniformization::{DEFAULT_TOLERANCE, Uniformization};
pub use view::GraphView;
