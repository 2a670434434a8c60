//! Fitting θ to data: maximum likelihood and Stein variational gradient
//! descent (SVGD), both in log space (θ > 0), both on [`Likelihood`].
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

use rand::SeedableRng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::inference::adam::Adam;
use crate::inference::lbfgs::maximize;
use crate::inference::likelihood::Likelihood;
use crate::inference::prior::Prior;

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

/// `ln L(e^z)` and its gradient in `z`.
fn log_space(lik: &Likelihood, z: &[f64]) -> Result<(f64, Vec<f64>)> {
    let theta: Vec<f64> = z.iter().map(|z| z.exp()).collect();
    let (ll, g) = lik.gradient(&theta)?;
    let gz = g.iter().zip(&theta).map(|(g, t)| g * t).collect();
    Ok((ll, gz))
}

/// Maximum likelihood by L-BFGS in log space.
///
/// ```
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::MleOptions, inference::Observations, inference::maximum_likelihood};
/// // Exp(θ): the MLE is 1/mean
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0, 2.5])).unwrap();
/// let fit = maximum_likelihood(&lik, &MleOptions { start: vec![1.0], iterations: 100, tolerance: 1e-10 }).unwrap();
/// assert!(fit.converged);
/// assert!((fit.theta[0] - 0.75).abs() < 1e-10);
/// ```
pub fn maximum_likelihood(lik: &Likelihood, options: &MleOptions) -> Result<MleFit> {
    maximum_likelihood_with_progress(lik, options, &|_, _| {})
}

/// [`maximum_likelihood`], calling `progress(done, options.iterations)`
/// after every iteration (the fit may stop before the last).
///
/// ```
/// use std::cell::Cell;
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::MleOptions, inference::Observations, inference::maximum_likelihood_with_progress};
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0, 2.5])).unwrap();
/// let options = MleOptions { start: vec![1.0], iterations: 100, tolerance: 1e-10 };
/// let last = Cell::new((0, 0));
/// let fit = maximum_likelihood_with_progress(&lik, &options, &|done, total| {
///     assert_eq!(done, last.get().0 + 1); // once per iteration, in order
///     last.set((done, total));
/// }).unwrap();
/// assert_eq!(last.get(), (fit.iterations, 100));
/// assert!(fit.converged && fit.iterations < 100); // converged early
/// ```
pub fn maximum_likelihood_with_progress(
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
    let first = log_space(lik, &z)?;
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

/// Options of [`svgd`].
#[derive(Debug, Clone, PartialEq)]
pub struct SvgdOptions {
    /// Number of particles.
    pub particles: usize,
    /// Number of SVGD steps.
    pub iterations: usize,
    /// Adam step size in log space.
    pub rate: f64,
    /// One prior per parameter.
    pub priors: Vec<Prior>,
    /// Particles start around this θ (spread 0.5 in log space), unless a
    /// log-normal prior says where.
    pub center: Vec<f64>,
    /// Seed of the starting particles.
    pub seed: u64,
}

/// A posterior sample from [`svgd`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Posterior {
    /// The particles, in θ space.
    pub particles: Vec<Vec<f64>>,
    /// Posterior mean of every parameter.
    pub mean: Vec<f64>,
    /// Posterior standard deviation of every parameter.
    pub sd: Vec<f64>,
}

impl Posterior {
    /// The `q`-quantile of parameter `j` over the particles (linear interpolation).
    pub fn quantile(&self, j: usize, q: f64) -> f64 {
        let mut v: Vec<f64> = self.particles.iter().map(|p| p[j]).collect();
        v.sort_by(f64::total_cmp);
        let x = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
        let (i, f) = (x.floor() as usize, x.fract());
        if i + 1 < v.len() {
            v[i] * (1.0 - f) + v[i + 1] * f
        } else {
            v[i]
        }
    }
}

/// `∇ ln p(z)` of the log posterior in log space, for every particle
/// (likelihood gradients batched and in parallel).
fn posterior_gradients(
    lik: &Likelihood,
    priors: &[Prior],
    z: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>> {
    let thetas: Vec<Vec<f64>> = z
        .iter()
        .map(|zi| zi.iter().map(|z| z.exp()).collect())
        .collect();
    let grads = lik.gradients(&thetas)?;
    Ok(grads
        .into_iter()
        .zip(&thetas)
        .map(|((_, g), theta)| {
            g.iter()
                .zip(priors)
                .zip(theta)
                .map(|((g, prior), t)| (g + prior.log_density(*t).1) * t + 1.0)
                .collect()
        })
        .collect())
}

/// A posterior sample by SVGD.
///
/// ```
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::Observations, inference::Prior, inference::SvgdOptions, inference::svgd};
/// // Exp(θ) with 40 observations of mean 0.5: the posterior concentrates near θ = 2
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let data: Vec<f64> = (0..40).map(|i| 0.5 * (0.5 + i as f64) / 20.0).collect();
/// let lik = Likelihood::new(&g, Observations::Times(data)).unwrap();
/// let post = svgd(&lik, &SvgdOptions {
///     particles: 20, iterations: 300, rate: 0.05, priors: vec![Prior::Flat],
///     center: vec![1.0], seed: 1,
/// }).unwrap();
/// assert!((post.mean[0] - 2.0).abs() < 0.2, "{:?}", post.mean);
/// ```
pub fn svgd(lik: &Likelihood, options: &SvgdOptions) -> Result<Posterior> {
    svgd_with_progress(lik, options, &|_, _| {})
}

/// [`svgd`], calling `progress(done, options.iterations)` after every
/// iteration; the result is the same.
///
/// ```
/// use std::cell::RefCell;
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::Observations, inference::Prior, inference::SvgdOptions, inference::svgd, inference::svgd_with_progress};
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.2, 0.4, 0.9])).unwrap();
/// let options = SvgdOptions {
///     particles: 4, iterations: 3, rate: 0.05, priors: vec![Prior::Flat],
///     center: vec![1.0], seed: 1,
/// };
/// let seen = RefCell::new(Vec::new());
/// let post = svgd_with_progress(&lik, &options, &|done, total| seen.borrow_mut().push((done, total))).unwrap();
/// assert_eq!(seen.into_inner(), vec![(1, 3), (2, 3), (3, 3)]);
/// assert_eq!(post, svgd(&lik, &options).unwrap());
/// ```
pub fn svgd_with_progress(
    lik: &Likelihood,
    options: &SvgdOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<Posterior> {
    let d = lik.param_dim();
    let n = options.particles;
    if n < 2 {
        return Err(Error::InvalidSetting {
            name: "particles",
            value: n as f64,
            reason: "SVGD needs at least two particles",
        });
    }
    if options.priors.len() != d {
        return Err(Error::ParamLength {
            expected: d,
            got: options.priors.len(),
        });
    }
    options.priors.iter().try_for_each(Prior::check)?;
    if !(options.rate.is_finite() && options.rate > 0.0) {
        return Err(Error::InvalidSetting {
            name: "rate",
            value: options.rate,
            reason: "Adam's step size: finite and positive",
        });
    }
    let center = check_start(&options.center, d)?;
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let mut z: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            (0..d)
                .map(|j| options.priors[j].draw_log(&mut rng, center[j], 0.5))
                .collect()
        })
        .collect();
    let mut adams: Vec<Adam> = (0..n).map(|_| Adam::new(options.rate, d)).collect();
    for it in 0..options.iterations {
        let grads = posterior_gradients(lik, &options.priors, &z)?;
        let h = bandwidth(&z);
        let phi: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut phi = vec![0.0; d];
                for j in 0..n {
                    let dist2: f64 = z[j].iter().zip(&z[i]).map(|(a, b)| (a - b) * (a - b)).sum();
                    let k = (-dist2 / h).exp();
                    for c in 0..d {
                        phi[c] += k * grads[j][c] - 2.0 / h * (z[j][c] - z[i][c]) * k;
                    }
                }
                phi.iter_mut().for_each(|p| *p /= n as f64);
                phi
            })
            .collect();
        for ((zi, adam), phi) in z.iter_mut().zip(&mut adams).zip(&phi) {
            adam.ascend(zi, phi);
        }
        if it % 50 == 0 {
            tracing::debug!(iteration = it, bandwidth = h, "svgd");
        }
        progress(it + 1, options.iterations);
    }
    let particles: Vec<Vec<f64>> = z
        .iter()
        .map(|zi| zi.iter().map(|z| z.exp()).collect())
        .collect();
    let mean: Vec<f64> = (0..d)
        .map(|j| particles.iter().map(|p| p[j]).sum::<f64>() / n as f64)
        .collect();
    let sd = (0..d)
        .map(|j| {
            let v = particles
                .iter()
                .map(|p| (p[j] - mean[j]).powi(2))
                .sum::<f64>()
                / (n - 1) as f64;
            v.sqrt()
        })
        .collect();
    Ok(Posterior {
        particles,
        mean,
        sd,
    })
}

/// The median heuristic `h = med²/ln(n + 1)` over pairwise distances
/// (at least a small positive value, so coincident particles still repel).
fn bandwidth(z: &[Vec<f64>]) -> f64 {
    let n = z.len();
    let mut d2: Vec<f64> = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            d2.push(z[i].iter().zip(&z[j]).map(|(a, b)| (a - b) * (a - b)).sum());
        }
    }
    d2.sort_by(f64::total_cmp);
    let med2 = d2.get(d2.len() / 2).copied().unwrap_or(1.0);
    (med2 / ((n + 1) as f64).ln()).max(1e-12)
}
