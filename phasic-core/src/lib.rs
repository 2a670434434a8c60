//! # phasic-core
//!
//! State-space construction and exact algorithms for continuous and
//! discrete phase-type distributions. No I/O: every byte on disk goes
//! through `phasic-cache`.
//!
//! The maths is described in docs/ALGORITHMS.md: a graph is grown from
//! a rule ([`Graph::from_rule`]), eliminated into a reusable [`Program`](elimination::Program),
//! and queried through [`PhaseType`] (continuous) or [`DiscretePhaseType`]
//! (discrete). Every algorithm works on the read-only [`GraphView`] trait.
//!
//! ```
//! use phasic_core::{Graph, Initial, PhaseType, PhaseTypeDistribution};
//! // Kingman coalescent, 4 lineages: E[T_MRCA] = 2(1 - 1/4) = 1.5
//! let g = Graph::from_rule(&Initial::state(&[4]), |s, out| {
//!     let k = s[0];
//!     if k > 1 { out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0) }
//! }).unwrap();
//! let ph = PhaseType::new(&g).unwrap();
//! assert!((ph.expectation(None).unwrap() - 1.5).abs() < 1e-12);
//! assert!((ph.variance(None).unwrap() - 41.0 / 36.0).abs() < 1e-12);
//! ```

pub mod distribution;
pub mod elimination;
mod error;
pub mod graph;
pub mod inference;
pub mod key;
pub mod trace;
mod validate;

pub use distribution::{DiscretePhaseType, Method, PhaseType, PhaseTypeDistribution};
pub use error::{Error, Result};
pub use graph::{Graph, GraphBuilder, GraphView, Initial, START, Transitions};
pub use key::{Callback, Key, KeyHasher, ModelKey};
/// The statrs whose distribution traits [`PhaseType`] and
/// [`DiscretePhaseType`] implement (a failed query is NaN; the inherent
/// methods say why).
pub use statrs;
