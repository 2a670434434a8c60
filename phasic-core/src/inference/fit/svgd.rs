//! Stein variational gradient descent: a posterior sample of θ in log
//! space, with an RBF kernel, the median bandwidth, Adam steps and priors.

use rand::SeedableRng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::inference::likelihood::Likelihood;
use crate::inference::optim::adam::Adam;
use crate::inference::prior::Prior;

use super::check_start;

/// Options of [`svgd`].
#[derive(Debug, Clone, PartialEq)]
pub struct SvgdOptions {
    /// Number of particles.
    pub particles: usize,
    /// Number of SVGD steps (at least one).
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
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::Observations, inference::Prior, inference::SvgdOptions, inference::svgd, inference::no_progress};
/// // Exp(θ) with 40 observations of mean 0.5: the posterior concentrates near θ = 2
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let data: Vec<f64> = (0..40).map(|i| 0.5 * (0.5 + i as f64) / 20.0).collect();
/// let lik = Likelihood::new(&g, Observations::Times(data)).unwrap();
/// let post = svgd(&lik, &SvgdOptions {
///     particles: 20, iterations: 300, rate: 0.05, priors: vec![Prior::Flat],
///     center: vec![1.0], seed: 1,
/// }, &no_progress).unwrap();
/// assert!((post.mean[0] - 2.0).abs() < 0.2, "{:?}", post.mean);
/// ```
///
/// With progress (the result is the same):
///
/// ```
/// use std::cell::RefCell;
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::Observations, inference::Prior, inference::SvgdOptions, inference::svgd, inference::no_progress};
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.2, 0.4, 0.9])).unwrap();
/// let options = SvgdOptions {
///     particles: 4, iterations: 3, rate: 0.05, priors: vec![Prior::Flat],
///     center: vec![1.0], seed: 1,
/// };
/// let seen = RefCell::new(Vec::new());
/// let post = svgd(&lik, &options, &|done, total| seen.borrow_mut().push((done, total))).unwrap();
/// assert_eq!(seen.into_inner(), vec![(1, 3), (2, 3), (3, 3)]);
/// assert_eq!(post, svgd(&lik, &options, &no_progress).unwrap());
/// ```
pub fn svgd(
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
    if options.iterations == 0 {
        return Err(Error::InvalidSetting {
            name: "iterations",
            value: 0.0,
            reason: "SVGD needs at least one step: without one the particles are their starting spread, not a posterior sample",
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
        let grads = posterior_gradients(lik, &options.priors, &z).map_err(|e| match it {
            0 => Error::FitStart {
                theta: options.center.clone(),
                particles: true,
                source: Box::new(e),
            },
            _ => e,
        })?;
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
