//! Maximum likelihood: L-BFGS on `ln L(e^z)` in `z = ln θ`, converged
//! when every score on the log scale is within the tolerance.

use crate::error::{Error, Result};
use crate::inference::likelihood::Likelihood;
use crate::inference::optim::lbfgs::maximize;

use super::check_start;

/// Options of [`maximum_likelihood`].
#[derive(Debug, Clone, PartialEq)]
pub struct MleOptions {
    /// Where to start (θ > 0).
    pub start: Vec<f64>,
    /// At most this many L-BFGS iterations.
    pub iterations: usize,
    /// Converged when every score on the log scale,
    /// `|∂ ln L/∂ ln θ_j| = |θ_j·∂ ln L/∂θ_j|`, is at most this.
    pub tolerance: f64,
}

/// The result of [`maximum_likelihood`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MleFit {
    /// The estimate.
    pub theta: Vec<f64>,
    /// `ln L` at the estimate.
    pub log_likelihood: f64,
    /// L-BFGS iterations done.
    pub iterations: usize,
    /// Evaluations of `ln L` and its gradient.
    pub evaluations: usize,
    /// Whether the scores reached the tolerance (else the iterations ran
    /// out, or no step could increase `ln L` any more).
    pub converged: bool,
}

/// `ln L(e^z)` and its gradient in `z`.
fn log_space(lik: &Likelihood, z: &[f64]) -> Result<(f64, Vec<f64>)> {
    let theta: Vec<f64> = z.iter().map(|z| z.exp()).collect();
    let (ll, g) = lik.gradient(&theta)?;
    let gz = g.iter().zip(&theta).map(|(g, t)| g * t).collect();
    Ok((ll, gz))
}

/// Maximum likelihood by L-BFGS in log space, calling
/// `progress(done, options.iterations)` after every iteration (the fit may
/// stop before the last; pass [`no_progress`](super::no_progress) to be told nothing).
///
/// ```
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::MleOptions, inference::Observations, inference::maximum_likelihood, inference::no_progress};
/// // Exp(θ): the MLE is 1/mean
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0, 2.5])).unwrap();
/// let fit = maximum_likelihood(&lik, &MleOptions { start: vec![1.0], iterations: 100, tolerance: 1e-10 }, &no_progress).unwrap();
/// assert!(fit.converged);
/// assert!((fit.theta[0] - 0.75).abs() < 1e-10);
/// ```
///
/// With progress:
///
/// ```
/// use std::cell::Cell;
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::MleOptions, inference::Observations, inference::maximum_likelihood};
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0, 2.5])).unwrap();
/// let options = MleOptions { start: vec![1.0], iterations: 100, tolerance: 1e-10 };
/// let last = Cell::new((0, 0));
/// let fit = maximum_likelihood(&lik, &options, &|done, total| {
///     assert_eq!(done, last.get().0 + 1); // once per iteration, in order
///     last.set((done, total));
/// }).unwrap();
/// assert_eq!(last.get(), (fit.iterations, 100));
/// assert!(fit.converged && fit.iterations < 100); // converged early
/// ```
pub fn maximum_likelihood(
    lik: &Likelihood,
    options: &MleOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<MleFit> {
    let z = check_start(&options.start, lik.param_dim())?;
    if options.tolerance.is_nan() || options.tolerance < 0.0 {
        return Err(Error::InvalidSetting {
            name: "tolerance",
            value: options.tolerance,
            reason: "a bound of the scores: at least 0",
        });
    }
    let first = log_space(lik, &z).map_err(|e| Error::FitStart {
        theta: options.start.clone(),
        particles: false,
        source: Box::new(e),
    })?;
    let top = maximize(
        |z| log_space(lik, z).ok(),
        z,
        first,
        options.iterations,
        options.tolerance,
        progress,
    );
    Ok(MleFit {
        theta: top.x.iter().map(|z| z.exp()).collect(),
        log_likelihood: top.value,
        iterations: top.iterations,
        evaluations: top.evaluations,
        converged: top.converged,
    })
}
