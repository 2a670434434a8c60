//! Queries of a built graph: continuous ([`PhaseType`]) and discrete ([`DiscretePhaseType`]) distributions, reward transformation, exact uniformization, propagation of any distribution, Poisson weights, stepping, the granularity method, sampling and quantiles; the distribution traits of `statrs` and `rand` (`statrs_traits`, `rand_traits`).

pub(crate) mod continuous;
pub(crate) mod discrete;
pub(crate) mod granularity;
pub(crate) mod poisson;
pub(crate) mod propagation;
pub(crate) mod quantile;
pub(crate) mod queries;
pub(crate) mod rand_traits;
pub(crate) mod reward_transform;
pub(crate) mod sample;
pub(crate) mod statrs_traits;
pub(crate) mod stepping;
pub(crate) mod uniformization;

pub use continuous::{Method, PhaseType};
pub use discrete::{DiscreteContext, DiscretePhaseType};
pub use granularity::{GranularityContext, default_granularity};
pub use propagation::{Propagated, Propagator, Tangents};
pub use quantile::{DiscreteSupport, QUANTILE_TOLERANCE};
pub use queries::PhaseTypeDistribution;
pub use reward_transform::{RewardTransformed, reward_transform, reward_transform_discrete};
pub use sample::{Outcome, Sampler};
pub use uniformization::{DEFAULT_TOLERANCE, Uniformization};
