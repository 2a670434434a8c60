//! Continuous phase-type distributions: moments, covariances, sojourn
//! times, absorption, Laplace transform, density and distribution function.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::distribution::granularity;
use crate::distribution::queries::PhaseTypeDistribution;
use crate::distribution::sample::Sampler;
use crate::distribution::uniformization::{DEFAULT_TOLERANCE, Uniformization};
use crate::elimination::absorption::{absorption_probabilities, killed};
use crate::elimination::moments::{
    MultivariateMoments, columns_to_positions, mixed, multivariate_parts, rising,
};
use crate::elimination::program::Program;
use crate::error::{Error, Result};
use crate::graph::view::GraphView;

/// The continuous phase-type distribution of a graph: the time (or the
/// accumulated reward) until absorption.
///
/// Construction eliminates the graph once; every query re-runs the
/// resulting [`Program`].
///
/// It is a statrs `Continuous`, `ContinuousCDF`, `Distribution`, `Min`
/// and `Max` and a rand `Distribution<f64>`: the traits return plain
/// numbers, so a query that fails returns NaN, and the inherent method
/// ([`pdf_cdf`](Self::pdf_cdf), [`quantile`](Self::quantile),
/// [`moments`](PhaseTypeDistribution::moments)) returns the reason.
///
/// ```
/// use phasic_core::{GraphBuilder, PhaseType, START, PhaseTypeDistribution};
/// // the library's doc example (docs/ALGORITHMS.md §9.3)
/// let mut b = GraphBuilder::new(1);
/// let (v1, v2, a) = (b.create(&[1]).unwrap(), b.create(&[2]).unwrap(), b.create(&[3]).unwrap());
/// b.add_edge(START, v1, 1.0).unwrap();
/// b.add_edge(v1, v2, 4.0).unwrap();
/// b.add_edge(v2, a, 10.0).unwrap();
/// let g = b.build();
/// let ph = PhaseType::new(&g).unwrap();
/// let m = ph.moments(3, None).unwrap();
/// assert!((m[0] - 0.35).abs() < 1e-15 && (m[1] - 0.195).abs() < 1e-15);
/// let r = [0.0, 2.0, 1.0, 0.0];
/// assert!((ph.variance(Some(&r)).unwrap() - 0.26).abs() < 1e-14);
/// assert!((ph.covariance(&r, &[0.0, 5.0, 2.0, 0.0]).unwrap() - 0.645).abs() < 1e-14);
/// ```
#[derive(Debug, Clone)]
pub struct PhaseType<'g, G: GraphView + ?Sized> {
    graph: &'g G,
    program: Cow<'g, Program>,
    /// Made at the first draw through `rand`'s `Distribution`.
    sampler: OnceLock<Sampler<'g, G>>,
}

impl<'g, G: GraphView + ?Sized> PhaseType<'g, G> {
    /// The sampler behind `rand`'s `Distribution`, made once (the graph
    /// was checked when `self` was made).
    pub(crate) fn sampler(&self) -> &Sampler<'g, G> {
        self.sampler
            .get_or_init(|| Sampler::checked(self.graph, false))
    }

    /// Eliminates `graph`; see [`Program::new`] for the errors.
    pub fn new(graph: &'g G) -> Result<Self> {
        Ok(PhaseType {
            graph,
            program: Cow::Owned(Program::new(graph)?),
            sampler: OnceLock::new(),
        })
    }

    /// Uses a program already computed for `graph` (for example evaluated
    /// from a [`Trace`](crate::trace::Trace) at the graph's θ); fails if the program
    /// was built for a graph of another shape.
    pub fn with_program(graph: &'g G, program: Program) -> Result<Self> {
        Self::checked(graph, Cow::Owned(program))
    }

    /// As [`with_program`](Self::with_program), borrowing the program
    /// (which may be large: nothing is copied).
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, PhaseType, PhaseTypeDistribution, elimination::Program};
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 2.0) }
    /// }).unwrap();
    /// let program = Program::new(&g).unwrap();
    /// let ph = PhaseType::with_borrowed_program(&g, &program).unwrap();
    /// assert_eq!(ph.moments(2, None).unwrap(), vec![0.5, 0.5]);
    /// ```
    pub fn with_borrowed_program(graph: &'g G, program: &'g Program) -> Result<Self> {
        Self::checked(graph, Cow::Borrowed(program))
    }

    fn checked(graph: &'g G, program: Cow<'g, Program>) -> Result<Self> {
        program.check_view(graph)?;
        Ok(PhaseType {
            graph,
            program,
            sampler: OnceLock::new(),
        })
    }

    /// `∂E[Y^k]/∂θ` for a parameterized graph at its current weights, by
    /// one reverse (adjoint) pass: `k` program runs forward and `k`
    /// transposed. Empty for a graph without parameters.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, PhaseType, PhaseTypeDistribution};
    /// // Kingman n = 4 with coalescence scale θ: E[T] = 1.5/θ, E[T²] ∝ 1/θ²
    /// let mut g = Graph::from_rule_with_params(&Initial::state(&[4]), 1, |s, out| {
    ///     let k = s[0];
    ///     if k > 1 { out.add_param(&[k - 1], 0.0, &[f64::from(k * (k - 1)) / 2.0]) }
    /// }).unwrap();
    /// g.update_weights(&[2.0]).unwrap();
    /// let ph = PhaseType::new(&g).unwrap();
    /// let d1 = ph.moment_gradient(1, None).unwrap();
    /// assert!((d1[0] - (-1.5 / 4.0)).abs() < 1e-14); // d(1.5/θ)/dθ at θ = 2
    /// let m2 = ph.moments(2, None).unwrap()[1];
    /// let d2 = ph.moment_gradient(2, None).unwrap();
    /// assert!((d2[0] - (-2.0 * m2 / 2.0)).abs() < 1e-14); // d(c/θ²)/dθ = −2·E[T²]/θ
    /// ```
    pub fn moment_gradient(&self, k: usize, rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        crate::elimination::moment_gradient::moment_gradient(&self.program, self.graph, k, rewards)
    }

    /// Density and distribution function of the absorption time at `times`.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, Method, PhaseType};
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 1.0) }
    /// }).unwrap();
    /// let ph = PhaseType::new(&g).unwrap();
    /// let (pdf, cdf) = ph.pdf_cdf(&[1.0], Method::default()).unwrap();
    /// assert!((cdf[0] - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
    /// assert!((pdf[0] - (-1.0f64).exp()).abs() < 1e-12);
    /// // the discretisation of the Python/C phasic 0.32.1 is off in the fourth digit
    /// let (_, cdf) = ph.pdf_cdf(&[1.0], Method::Granularity(1024.0)).unwrap();
    /// assert!((cdf[0] - 0.6323002605887).abs() < 1e-12);
    /// ```
    pub fn pdf_cdf(&self, times: &[f64], method: Method) -> Result<(Vec<f64>, Vec<f64>)> {
        match method {
            Method::Exact { tolerance } => {
                Uniformization::new(self.graph, tolerance)?.pdf_cdf(times)
            }
            Method::Granularity(g) => granularity::pdf_cdf(self.graph, times, g),
        }
    }

    /// Laplace transform `E[e^{−sτ}]` for `s ≥ 0` (docs/ALGORITHMS.md §2.6).
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, PhaseType};
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 2.0) }
    /// }).unwrap();
    /// let ph = PhaseType::new(&g).unwrap();
    /// assert!((ph.laplace_transform(0.5).unwrap() - 0.8).abs() < 1e-15);
    /// ```
    pub fn laplace_transform(&self, s: f64) -> Result<f64> {
        if !(s.is_finite() && s >= 0.0) {
            return Err(Error::InvalidSetting {
                name: "s",
                value: s,
                reason: "the Laplace argument must be finite and non-negative",
            });
        }
        transform_by_killing(self.graph, 1.0, s)
    }
}

/// How densities and distribution functions are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Exact uniformization; `tolerance` bounds the absolute error of the cdf.
    Exact {
        /// Absolute error bound.
        tolerance: f64,
    },
    /// The discretisation of the Python/C phasic 0.32.1, with this many
    /// steps per time unit
    /// (accurate to `O(λ_max/g)` only).
    Granularity(f64),
}

impl Default for Method {
    fn default() -> Self {
        Method::Exact {
            tolerance: DEFAULT_TOLERANCE,
        }
    }
}

/// `Cov = E[Y_iY_j] − E[Y_i]E[Y_j]`.
pub(crate) fn covariance_from(mean: &[f64], second: &[Vec<f64>]) -> Vec<Vec<f64>> {
    second
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, s)| s - mean[i] * mean[j])
                .collect()
        })
        .collect()
}

/// Probability of reaching an original absorbing vertex in the killed copy
/// of `view` (see [`killed`]).
pub(crate) fn transform_by_killing<G: GraphView + ?Sized>(
    view: &G,
    keep: f64,
    kill: f64,
) -> Result<f64> {
    let k = killed(view, keep, kill)?;
    let program = Program::new(&k)?;
    let p = absorption_probabilities(&k, &program.sojourn(&k));
    // the grave is the last vertex
    Ok(p[..p.len() - 1].iter().sum())
}

impl<'g, G: GraphView + ?Sized> PhaseTypeDistribution<'g, G> for PhaseType<'g, G> {
    /// The graph.
    fn graph(&self) -> &'g G {
        self.graph
    }

    /// The elimination program.
    fn program(&self) -> &Program {
        &self.program
    }

    /// Raw moments `E[Y^j] = j!·α(UΔ(r))^j e`, `j = 1..=k`.
    fn moments(&self, k: usize, rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        let rp = self.program.rewards_to_positions(rewards)?;
        rising(&self.program, self.graph, k, &rp)
    }

    /// `Cov(Y₁, Y₂)` for two reward vectors on the same path (docs/ALGORITHMS.md §2.3).
    fn covariance(&self, r1: &[f64], r2: &[f64]) -> Result<f64> {
        let a = self.program.rewards_to_positions(Some(r1))?;
        let b = self.program.rewards_to_positions(Some(r2))?;
        let (ea, eb, cross) = mixed(&self.program, self.graph, &a, &b);
        Ok(cross - ea * eb)
    }

    /// Means, second moments and covariance matrix of the reward vector
    /// `(Y_1, …, Y_d)`, one reward column per component.
    fn multivariate(&self, columns: &[&[f64]]) -> Result<MultivariateMoments> {
        let cols = columns_to_positions(&self.program, columns)?;
        let (mean, second) = multivariate_parts(&self.program, self.graph, &cols);
        let covariance = covariance_from(&mean, &second);
        Ok(MultivariateMoments {
            mean,
            second,
            covariance,
        })
    }
}
