//! Fitting θ to data: maximum likelihood and Stein variational gradient
//! descent (SVGD), both in log space (θ > 0), both on [`Likelihood`](super::Likelihood).
//!
//! Maximum likelihood climbs `ln L(e^z)` by L-BFGS with a backtracking
//! line search (steps that make an observation impossible are halved),
//! until every score on the log scale is within the tolerance.
//!
//! SVGD moves a set of particles `z = ln θ` along
//! `φ(z_i) = (1/n) Σ_j [k(z_j, z_i) ∇ln p(z_j) + ∇_{z_j} k(z_j, z_i)]`
//! with an RBF kernel `k(a, b) = exp(−|a − b|²/h)`, `h = med²/ln(n + 1)`
//! (the median heuristic), and Adam steps; `ln p(z) = ln L(e^z) + Σ ln
//! prior(θ) + Σ z` (the last term is the Jacobian of the log transform).
//! The particles' gradients are computed in parallel; every sum runs in a
//! fixed order, so results do not depend on the thread count.
//!
//! Files: `mle` and `svgd`; both start from a θ checked here.

use crate::error::{Error, Result};

mod mle;
mod svgd;

pub use mle::{MleFit, MleOptions, maximum_likelihood};
pub use svgd::{Posterior, SvgdOptions, svgd};

/// A progress callback that is told nothing: for fits whose progress
/// nobody watches.
pub fn no_progress(_done: usize, _total: usize) {}

/// Fails unless every start value is positive and finite.
fn check_start(start: &[f64], dim: usize) -> Result<Vec<f64>> {
    crate::validate::check_theta(start, dim)?;
    match start
        .iter()
        .enumerate()
        .find(|(_, t)| t.is_nan() || **t <= 0.0)
    {
        Some((index, &value)) => Err(Error::InvalidParam {
            index,
            value,
            reason: "a fit starts from positive parameters (it works in ln θ)",
        }),
        None => Ok(start.iter().map(|t| t.ln()).collect()),
    }
}
