//! Fitting θ to data: the [`Likelihood`] of observations with exact
//! gradients, moment matching, maximum likelihood and SVGD ([`fit`]), their
//! optimisers ([`optim`]) and priors.

pub mod fit;
pub(crate) mod likelihood;
pub(crate) mod moment_matching;
pub mod optim;
pub(crate) mod prior;

pub use fit::{MleFit, MleOptions, Posterior, SvgdOptions, maximum_likelihood, no_progress, svgd};
pub use likelihood::{Likelihood, Observations};
pub use moment_matching::MomentMatching;
pub use optim::Adam;
pub use prior::Prior;
