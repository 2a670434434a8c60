//! Log-likelihoods of observed absorption times (continuous: the density,
//! by exact uniformization) or absorption steps (discrete: the pmf) of a
//! parameterized graph at θ, with their exact gradients.
//!
//! The gradient is forward-mode: every state probability carries its `p`
//! partial derivatives through the uniformized (or discrete) steps,
//! `dπ_{k+1} = dπ_k P + π_k dP`, with `dP` from the edge coefficients. The
//! uniformization rate Λ is held fixed while differentiating: the density
//! does not depend on it, so the derivative of the series at fixed Λ is
//! the derivative of the density.
//!
//! A homogeneous model — every rate linear in θ with no fixed part, and
//! a start that does not depend on θ's scale — only changes its time
//! scale when θ is scaled: `f(t; cθ) = c·f(ct; θ)`. Differentiating at
//! `c = 1` gives Euler's identity `Σ_q θ_q ∂ln f/∂θ_q = 1 + t·f'(t)/f(t)`,
//! and `t·f'(t) = Σ_k Poisson(k; Λt)·(k − Λt)·g_k` comes from the series of
//! values alone. So one parameter's score (the one carrying most of the
//! rates) follows from the others' and needs no dual component: a pass
//! carries one derivative less (none at all for a single parameter).
//!
//! Observed accumulated rewards use the reward transform
//! (docs/ALGORITHMS.md §4.1): with rewards `r_v > 0`, the reward accumulated until absorption
//! is the absorption time of the chain whose rates out of `v` are divided
//! by `r_v` — still linear in θ, so the same code gives value and gradient.
//!
//! Files: [`compact`] (the transient vertices in CSR and the θ-free rows
//! of the series), [`homogeneous`] (Euler's identity), [`lanes`] (θs side
//! by side, groups in parallel, passes of derivatives), [`series`] (the
//! uniformized or discrete chain on dual numbers, mixed with Poisson
//! weights) and [`affine_rows`] (its hot loop).

use crate::error::{Error, Result};
use crate::graph::view::GraphView;
use affine_rows::AffineRows;

pub(crate) mod affine_rows;
mod compact;
mod homogeneous;
mod lanes;
mod series;
#[cfg(test)]
mod tests;

/// Target of an edge into an absorbing vertex.
const EXIT: u32 = u32::MAX;

/// What was observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// Absorption times (or accumulated rewards) of a continuous model, each finite and ≥ 0.
    Times(Vec<f64>),
    /// Absorption steps of a discrete model, each ≥ 1.
    Steps(Vec<u64>),
}

/// The likelihood of observations under a parameterized graph, for any θ.
///
/// A density costs `Λ·t_max` steps of the uniformized chain (the fastest
/// total rate at θ times the largest observation; a discrete model: the
/// largest observed step); beyond a million steps an evaluation fails
/// with [`Error::InvalidSetting`] instead of running for hours.
///
/// ```
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::Observations};
/// // Exp(θ): log L = n log θ − θ Σ t, ∂/∂θ = n/θ − Σ t
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0, 2.0])).unwrap();
/// let (ll, grad) = lik.gradient(&[2.0]).unwrap();
/// assert!((ll - (3.0 * 2f64.ln() - 2.0 * 3.5)).abs() < 1e-10);
/// assert!((grad[0] - (3.0 / 2.0 - 3.5)).abs() < 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct Likelihood {
    param_dim: usize,
    discrete: bool,
    /// Graph vertex of every transient (compact) index.
    transient: Vec<u32>,
    /// Edges out of transient vertices, CSR by compact source; targets
    /// compact or [`EXIT`].
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// The moves between transient vertices by target (`x·S` without
    /// its diagonal), the flows into absorption (one row), and every
    /// transient vertex's `∂λ_u/∂θ_q` (row-major).
    moves: AffineRows,
    exits: AffineRows,
    out_coeffs: Vec<f64>,
    /// `frontier[k]`: one more than the largest transient index reachable
    /// from the start in at most `k` moves.
    frontier: Vec<usize>,
    /// The fewest jumps after which the chain can be absorbed (the series
    /// runs at least this far past it, whatever the times: a tiny time's
    /// density lies there).
    first_exit: usize,
    /// The parameter whose score Euler's identity gives, if the model is
    /// homogeneous (see the module's documentation).
    scale_param: Option<usize>,
    base: Vec<f64>,
    coeffs: Vec<f64>,
    /// Edges out of the start vertex (the initial distribution).
    start_targets: Vec<u32>,
    start_base: Vec<f64>,
    start_coeffs: Vec<f64>,
    /// Observed times (continuous) or steps (discrete), ascending.
    data: Vec<f64>,
    /// Absolute error bound of the uniformization series.
    tolerance: f64,
    /// The graph's states (to name vertices in errors).
    states: Vec<i32>,
    state_len: usize,
    /// Graph target of every transient and start edge (for errors).
    edge_to: Vec<u32>,
    start_to: Vec<u32>,
}

impl Likelihood {
    /// The likelihood of `observations` under `view` (absorption times or steps).
    pub fn new<G: GraphView + ?Sized>(view: &G, observations: Observations) -> Result<Self> {
        Self::build(view, None, observations)
    }

    /// The likelihood of observed accumulated rewards (`rewards[v] > 0`
    /// for every transient `v`) under `view` (continuous).
    pub fn with_rewards<G: GraphView + ?Sized>(
        view: &G,
        rewards: &[f64],
        observations: Observations,
    ) -> Result<Self> {
        crate::validate::check_rewards(rewards, view.vertex_count())?;
        Self::build(view, Some(rewards), observations)
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no observations (never: construction requires one).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Dimension of θ.
    pub fn param_dim(&self) -> usize {
        self.param_dim
    }

    /// `log L(θ)`; `−∞` if an observation is impossible at θ.
    pub fn log_likelihood(&self, theta: &[f64]) -> Result<f64> {
        let f = self.densities(&[self.setup(theta)?], false).remove(0);
        Ok(f.iter().map(|d| d[0]).sum())
    }

    /// `log L(θ)` for every θ of `thetas`, in order: up to eight θs evaluated
    /// together (structure of arrays), groups in parallel. Each value is
    /// bit-identical to [`log_likelihood`](Self::log_likelihood) at its θ,
    /// whatever the thread count.
    pub fn log_likelihoods(&self, thetas: &[Vec<f64>]) -> Result<Vec<f64>> {
        self.batch(thetas, false, |f, _| Ok(f.iter().map(|d| d[0]).sum()))
    }

    /// `(log L(θ), ∂ log L/∂θ)`. An observation with zero density at θ is
    /// an error (the log-likelihood is `−∞` there and has no gradient).
    ///
    /// For a homogeneous model (see the module's documentation) the
    /// score of the parameter `θ_q` with the largest coefficients comes
    /// from Euler's identity whenever `θ_q > 0`: its error is absolute on
    /// the log scale (`θ_q·∂/∂θ_q` within about `1e-15` times the number
    /// of observations, as fits in `ln θ` use it), so `∂/∂θ_q` itself
    /// loses relative precision when `θ_q` is tiny.
    pub fn gradient(&self, theta: &[f64]) -> Result<(f64, Vec<f64>)> {
        self.log_gradient(&self.densities(&[self.setup(theta)?], true)[0])
    }

    /// [`gradient`](Self::gradient) for every θ of `thetas`, batched and in
    /// parallel like [`log_likelihoods`](Self::log_likelihoods); each result
    /// bit-identical to the single evaluation.
    pub fn gradients(&self, thetas: &[Vec<f64>]) -> Result<Vec<(f64, Vec<f64>)>> {
        self.batch(thetas, true, |f, lik| lik.log_gradient(f))
    }

    /// `(Σ ln f, Σ ∇f/f)` from the log-densities and scores.
    fn log_gradient(&self, f: &[Vec<f64>]) -> Result<(f64, Vec<f64>)> {
        let mut ll = 0.0;
        let mut grad = vec![0.0; self.param_dim];
        for (d, &x) in f.iter().zip(&self.data) {
            if !d[0].is_finite() {
                return Err(Error::ZeroProbability { observation: x });
            }
            ll += d[0];
            for (g, score) in grad.iter_mut().zip(&d[1..]) {
                *g += score;
            }
        }
        Ok((ll, grad))
    }

    /// The state of vertex `v`.
    fn state(&self, v: usize) -> Vec<i32> {
        self.states[v * self.state_len..(v + 1) * self.state_len].to_vec()
    }
}
