//! Fitting θ to data: the [`Likelihood`] with exact gradients, moment matching, maximum likelihood and SVGD, their optimisers and priors.

pub(crate) mod adam;
pub(crate) mod fit;
pub(crate) mod lbfgs;
pub(crate) mod likelihood;
pub(crate) mod linear_rows;
pub(crate) mod moment_matching;
pub(crate) mod prior;

pub use adam::Adam;
pub use fit::{
    MleFit, MleOptions, Posterior, SvgdOptions, maximum_likelihood,
    maximum_likelihood_with_progress, svgd, svgd_with_progress,
};
pub use likelihood::{Likelihood, Observations};
pub use moment_matching::MomentMatching;
pub use prior::Prior;
