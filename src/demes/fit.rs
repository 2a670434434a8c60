//! Fitting the parameters of a Demes model to an observed SFS: maximum
//! composite likelihood by L-BFGS in coordinates that respect the bounds,
//! with the exact gradient; uncertainty from the observed information
//! (the Hessian, by differences of the exact gradient) or, with bootstrap
//! spectra, the Godambe information (docs/MODELS.md §9.2).

use std::cell::Cell;

use nalgebra::DMatrix;
use phasic_core::inference::optim::maximize;

use super::Model;
use super::coordinates::Coordinates;
use super::data::Observed;
use super::error::DemesError;
use super::likelihood::SfsLikelihood;
use super::params::Constraint;
use super::spectrum::Spectrum;

/// The Demes graph at parameter values `θ`.
pub type GraphAt<'a> = dyn Fn(&[f64]) -> Result<demes::Graph, DemesError> + 'a;

/// Fails where parameter values `θ` break a bound or a constraint.
pub type Admissible<'a> = dyn Fn(&[f64]) -> Result<(), DemesError> + 'a;

/// The parameters of a fit: the model at any values, and what values are
/// allowed ([`Bound::problem`](super::Bound::problem) makes one from an
/// options file).
pub struct Problem<'a> {
    /// The parameters' names.
    pub names: Vec<String>,
    /// Lower bounds (`−∞` for none).
    pub lower: Vec<f64>,
    /// Upper bounds (`+∞` for none).
    pub upper: Vec<f64>,
    /// Order constraints between parameters (built into the coordinates).
    pub constraints: Vec<Constraint>,
    /// The Demes graph at values `θ`.
    pub graph_at: Box<GraphAt<'a>>,
    /// Fails where `θ` breaks a bound or a constraint, naming it.
    pub admissible: Box<Admissible<'a>>,
}

/// Options of [`maximum_likelihood`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// At most this many L-BFGS iterations.
    pub iterations: usize,
    /// Converged when every score in the fitted coordinates
    /// (`|∂ ln L/∂z|`, see [`maximum_likelihood`]) is at most this.
    pub tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            iterations: 500,
            tolerance: 1e-6,
        }
    }
}

/// Which information gave the standard errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Information {
    /// The observed information: minus the Hessian of `ln L`.
    Observed,
    /// The Godambe information `H·J⁻¹·H`, with `J` the covariance of the
    /// scores of bootstrap spectra.
    Godambe,
}

/// One fitted parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Its name.
    pub name: String,
    /// The estimate.
    pub value: f64,
    /// Its standard error (`None` where the information is not positive
    /// definite).
    pub std_error: Option<f64>,
    /// The 95% Wald interval `value ± 1.96·SE`, clipped to the bounds.
    pub interval: Option<(f64, f64)>,
    /// Whether the estimate lies on its bound or on a constraint (within
    /// 1e-6 relative): the maximum is at the edge of what is allowed,
    /// where the interval means little.
    pub on_limit: bool,
}

/// The result of [`maximum_likelihood`].
#[derive(Debug, Clone, PartialEq)]
pub struct DemesFit {
    /// The parameters.
    pub estimates: Vec<Estimate>,
    /// `ln L` at the estimate.
    pub log_likelihood: f64,
    /// Its gradient there, by parameter.
    pub gradient: Vec<f64>,
    /// Whether every score reached the tolerance.
    pub converged: bool,
    /// L-BFGS iterations done.
    pub iterations: usize,
    /// Evaluations of `ln L` and its gradient.
    pub evaluations: usize,
    /// Which information the standard errors come from.
    pub information: Information,
    /// The covariance of the estimates (row-major, `None` where the
    /// information is not positive definite).
    pub covariance: Option<Vec<f64>>,
    /// `θ` of the likelihood at the estimate (`μ·L`, or profiled).
    pub theta: f64,
    /// The expected counts at the estimate (folded if the data are).
    pub expected: Spectrum,
}

/// `ln L` and its gradient at `theta`.
///
/// ```
/// use phasic::demes::{DemesError, Model, Observed, Scaling, SfsLikelihood, Samples, log_likelihood};
/// let graph = |t: &[f64]| -> Result<demes::Graph, DemesError> {
///     Ok(demes::loads(&format!(
///         "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {{start_size: {}}}\n", t[0]))?)
/// };
/// let model = Model::new(graph(&[1000.0])?, &"A=3".parse::<Samples>()?, &Default::default())?;
/// let data = Observed::from_fs("4\n0 10 4 0\n")?;
/// let lik = SfsLikelihood::new(data, Scaling::Poisson { mu: 1e-3, length: 2.0 })?;
/// // λ_i = μL·4N/i: ∂ ln L/∂N = Σ (x_i/λ_i − 1)·μL·4/i
/// let (ll, g) = log_likelihood(&model, &[1000.0], &graph, &lik)?;
/// let want = (10.0 / 8.0 - 1.0) * 8e-3 + (4.0 / 4.0 - 1.0) * 4e-3;
/// assert!((g[0] - want).abs() < 1e-15);
/// # Ok::<(), DemesError>(())
/// ```
pub fn log_likelihood(
    model: &Model,
    theta: &[f64],
    graph_at: &GraphAt<'_>,
    likelihood: &SfsLikelihood,
) -> Result<(f64, Vec<f64>), DemesError> {
    let (sfs, d) = model.sfs_gradient(theta, graph_at)?;
    likelihood.log_likelihood(&sfs, &d)
}

/// Maximum composite likelihood from `start`, by L-BFGS in coordinates
/// `z` that map the whole real space onto the values the bounds and the
/// order constraints allow (`src/demes/coordinates.rs`: logistic between
/// two ends, exponential above or below one, affine with none, each
/// parameter's range starting at the parameters it must exceed). Where
/// `θ` fails `admissible` or reorders the model's events the likelihood
/// is undefined and the line search backs off. Calls
/// `progress(iteration, ln L)` after every iteration.
///
/// Standard errors come from the observed information (minus the Hessian
/// of `ln L` in `θ`, by central differences of the exact gradient), or,
/// with `bootstrap` spectra, from the Godambe information.
pub fn maximum_likelihood(
    model: &Model,
    problem: &Problem<'_>,
    likelihood: &SfsLikelihood,
    start: &[f64],
    options: &FitOptions,
    bootstrap: &[Observed],
    progress: &dyn Fn(usize, f64),
) -> Result<DemesFit, DemesError> {
    let dim = problem.names.len();
    if start.len() != dim {
        return Err(DemesError::BadStart {
            what: format!("{} values for {dim} parameters", start.len()),
        });
    }
    for (k, &s) in start.iter().enumerate() {
        let (lo, hi) = (problem.lower[k], problem.upper[k]);
        if s.is_nan() || s <= lo || s >= hi {
            return Err(DemesError::BadStart {
                what: format!(
                    "parameter `{}` starts at {s}, which is not strictly inside its bounds [{lo}, {hi}]",
                    problem.names[k]
                ),
            });
        }
    }
    (problem.admissible)(start)?;
    let coordinates = Coordinates::new(
        &problem.names,
        &problem.lower,
        &problem.upper,
        &problem.constraints,
        start,
    )?;
    let evaluate = |z: &[f64]| -> Result<(f64, Vec<f64>), DemesError> {
        let (theta, jac) = coordinates.theta(z);
        (problem.admissible)(&theta)?;
        let (ll, g) = log_likelihood(model, &theta, &*problem.graph_at, likelihood)?;
        // ∂ ln L/∂z_j = Σ_k ∂ ln L/∂θ_k·∂θ_k/∂z_j
        let gz = (0..dim)
            .map(|j| (0..dim).map(|k| g[k] * jac[k][j]).sum())
            .collect();
        Ok((ll, gz))
    };
    let z0 = coordinates.z(start);
    let first = evaluate(&z0)?;
    let last = Cell::new(first.0);
    let top = maximize(
        |z| {
            let r = evaluate(z).ok();
            if let Some((v, _)) = &r {
                last.set(last.get().max(*v));
            }
            r
        },
        z0,
        first,
        options.iterations,
        options.tolerance,
        &|done, _| progress(done, last.get()),
    );
    let (theta, _) = coordinates.theta(&top.x);
    let (sfs, d) = model.sfs_gradient(&theta, &*problem.graph_at)?;
    let (ll, gradient) = likelihood.log_likelihood(&sfs, &d)?;
    let hessian = hessian(model, problem, likelihood, &theta)?;
    let (information, covariance) = if bootstrap.is_empty() {
        (Information::Observed, invert(&hessian.map(|x| -x)))
    } else {
        let j = score_covariance(likelihood, &sfs, &d, bootstrap)?;
        let h_inv = invert(&hessian.map(|x| -x));
        let cov = h_inv.map(|hi| &hi * &j * &hi);
        (Information::Godambe, cov)
    };
    let on_limit = coordinates.on_limit(&theta, ON_LIMIT);
    let estimates = (0..dim)
        .map(|k| {
            let se = covariance
                .as_ref()
                .map(|c| c[(k, k)])
                .filter(|v| *v > 0.0)
                .map(f64::sqrt);
            Estimate {
                name: problem.names[k].clone(),
                value: theta[k],
                std_error: se,
                interval: se.map(|se| {
                    (
                        (theta[k] - 1.96 * se).max(problem.lower[k]),
                        (theta[k] + 1.96 * se).min(problem.upper[k]),
                    )
                }),
                on_limit: on_limit[k],
            }
        })
        .collect();
    Ok(DemesFit {
        estimates,
        log_likelihood: ll,
        gradient,
        converged: top.converged,
        iterations: top.iterations,
        evaluations: top.evaluations,
        information,
        covariance: covariance.map(|c| c.transpose().as_slice().to_vec()),
        theta: likelihood.theta(&sfs),
        expected: likelihood.expected_counts(&sfs),
    })
}

/// How near an end of its range an estimate is said to be on it (relative).
const ON_LIMIT: f64 = 1e-6;

/// Relative step of the differences of the gradient that give the Hessian.
const HESSIAN_STEP: f64 = 1e-4;

/// The Hessian of `ln L` in `θ`, by central differences of the exact
/// gradient (symmetrized).
fn hessian(
    model: &Model,
    problem: &Problem<'_>,
    likelihood: &SfsLikelihood,
    theta: &[f64],
) -> Result<DMatrix<f64>, DemesError> {
    let dim = theta.len();
    let mut h = DMatrix::zeros(dim, dim);
    for j in 0..dim {
        let step = HESSIAN_STEP * if theta[j] == 0.0 { 1.0 } else { theta[j].abs() };
        let at = |by: f64| {
            let mut t = theta.to_vec();
            t[j] += by;
            log_likelihood(model, &t, &*problem.graph_at, likelihood).map(|r| r.1)
        };
        let (up, down) = (at(step)?, at(-step)?);
        for k in 0..dim {
            h[(j, k)] = (up[k] - down[k]) / (2.0 * step);
        }
    }
    Ok((&h + h.transpose()) * 0.5)
}

/// `(1/B)·Σ_b u_b·u_bᵀ`: the scores `u_b` of the bootstrap spectra at the
/// estimate.
fn score_covariance(
    likelihood: &SfsLikelihood,
    sfs: &Spectrum,
    d: &[Spectrum],
    bootstrap: &[Observed],
) -> Result<DMatrix<f64>, DemesError> {
    let dim = d.len();
    let mut j = DMatrix::zeros(dim, dim);
    for b in bootstrap {
        let lik = likelihood.with_data(b.clone())?;
        let (_, u) = lik.log_likelihood(sfs, d)?;
        let u = DMatrix::from_column_slice(dim, 1, &u);
        j += &u * u.transpose();
    }
    Ok(j / bootstrap.len() as f64)
}

/// The inverse of a symmetric positive definite matrix (`None` if it is not).
fn invert(m: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    m.clone().cholesky().map(|c| c.inverse())
}
