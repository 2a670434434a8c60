//! A moment-matching objective: a cheap alternative to the likelihood when
//! densities are expensive. It compares the model's raw moments at θ,
//! replayed from a [`Trace`], with observed ones.

use crate::distribution::queries::PhaseTypeDistribution;
use crate::error::{Error, Result};
use crate::graph::view::GraphView;
use crate::trace::Trace;

/// Observed raw moments `E[T^k]`, `k = 1..=K`.
///
/// ```
/// use phasic_core::{Graph, Initial, inference::MomentMatching, trace::Trace};
/// // Exp(θ): E[T] = 1/θ, E[T²] = 2/θ²; data with mean 0.5 and E[T²] = 0.5 fit θ = 2 exactly
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let trace = Trace::record(&g).unwrap();
/// let mm = MomentMatching::new(vec![0.5, 0.5]).unwrap();
/// let (value, grad) = mm.objective(&trace, &g, &[2.0]).unwrap();
/// assert!(value.abs() < 1e-24 && grad[0].abs() < 1e-12);
/// let (value, grad) = mm.objective(&trace, &g, &[1.0]).unwrap();
/// assert!((value - (1.0 + 9.0)).abs() < 1e-12); // ((1 − .5)/.5)² + ((2 − .5)/.5)²
/// assert!(grad[0] < 0.0); // raising θ towards 2 helps
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MomentMatching {
    observed: Vec<f64>,
}

impl MomentMatching {
    /// From observed raw moments (each finite and non-zero).
    pub fn new(observed: Vec<f64>) -> Result<Self> {
        if observed.is_empty() {
            return Err(Error::MomentOrder(0));
        }
        if let Some(&m) = observed.iter().find(|m| !m.is_finite() || **m == 0.0) {
            return Err(Error::InvalidSetting {
                name: "observed moment",
                value: m,
                reason: "must be finite and non-zero",
            });
        }
        Ok(MomentMatching { observed })
    }

    /// The sample raw moments of `data` up to order `k`.
    pub fn from_data(data: &[f64], k: usize) -> Result<Self> {
        crate::validate::check_times(data)?;
        if data.is_empty() {
            return Err(Error::InvalidSetting {
                name: "observations",
                value: 0.0,
                reason: "at least one observation is needed",
            });
        }
        let n = data.len() as f64;
        Self::new(
            (1..=k as i32)
                .map(|j| data.iter().map(|x| x.powi(j)).sum::<f64>() / n)
                .collect(),
        )
    }

    /// `θ₀` scaled by the one factor `c > 0` that makes the model's mean
    /// `E[T](c·θ₀)` the observed mean (the first observed moment), with
    /// the means replayed from `trace`: a start for a fit on the data's
    /// time scale. A homogeneous model (every rate linear in θ without a
    /// fixed part) has `E[T](c·θ₀) = E[T](θ₀)/c`, and one step gives `c`
    /// exactly; otherwise a secant search on `ln c` goes on while each step
    /// improves the match (at most 60 means), and stops where it no longer
    /// does (at `c = 1` if no step helps, as when the mean does not depend
    /// on θ's scale, or is not finite at `θ₀`).
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, inference::MomentMatching, trace::Trace};
    /// // Kingman n = 4 with coalescence scale θ: E[T] = 1.5/θ
    /// let g = Graph::from_rule_with_params(&Initial::state(&[4]), 1, |s, out| {
    ///     let k = s[0];
    ///     if k > 1 { out.add_param(&[k - 1], 0.0, &[f64::from(k * (k - 1)) / 2.0]) }
    /// }).unwrap();
    /// let trace = Trace::record(&g).unwrap();
    /// // data whose mean is 3000: θ = 1.5/3000
    /// let start = MomentMatching::new(vec![3000.0]).unwrap().scaled_start(&trace, &[1.0]).unwrap();
    /// assert!((start[0] / 5e-4 - 1.0).abs() < 1e-14);
    /// // an exit at a fixed rate 1 besides: E[T] = 1/(1 + θ) reaches 0.25 at θ = 3
    /// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
    ///     if s[0] == 1 { out.add(&[0], 1.0); out.add_param(&[2], 0.0, &[1.0]) }
    /// }).unwrap();
    /// let trace = Trace::record(&g).unwrap();
    /// let start = MomentMatching::new(vec![0.25]).unwrap().scaled_start(&trace, &[1.0]).unwrap();
    /// assert!((start[0] - 3.0).abs() < 1e-9);
    /// ```
    pub fn scaled_start(&self, trace: &Trace, theta0: &[f64]) -> Result<Vec<f64>> {
        crate::validate::check_theta(theta0, trace.param_dim())?;
        let target = self.observed[0].ln();
        let scaled = |u: f64| -> Vec<f64> { theta0.iter().map(|t| t * u.exp()).collect() };
        // the misfit ln E[T](e^u θ₀) − ln m, if the mean is finite there
        let misfit = |u: f64| -> Option<f64> {
            let e = trace.expectation(&scaled(u), None).ok()?;
            (e.is_finite() && e > 0.0).then(|| e.ln() - target)
        };
        let Some(mut f) = misfit(0.0) else {
            return Ok(theta0.to_vec());
        };
        // secant steps on u = ln c, each accepted only if it improves
        let (mut u, mut slope) = (0.0, -1.0);
        for _ in 0..60 {
            if f.abs() < 1e-12 {
                break;
            }
            // at most a factor e^30 a step
            let next = u - (f / slope).clamp(-30.0, 30.0);
            let Some(f_next) = misfit(next) else { break };
            if f_next.abs() >= f.abs() {
                break;
            }
            let s = (f_next - f) / (next - u);
            (u, f) = (next, f_next);
            if !(s.is_finite() && s < 0.0) {
                break;
            }
            slope = s;
        }
        Ok(scaled(u))
    }

    /// `Σ_k ((m_k(θ) − o_k)/o_k)²` and its gradient in θ, with the model's
    /// moments and their gradients (by the adjoint pass) from `trace` on
    /// the graph it was recorded from.
    pub fn objective<G: GraphView + ?Sized>(
        &self,
        trace: &Trace,
        view: &G,
        theta: &[f64],
    ) -> Result<(f64, Vec<f64>)> {
        let at = trace.at(view, theta)?;
        let ph = at.phase_type();
        let k = self.observed.len();
        let m = ph.moments(k, None)?;
        let mut value = 0.0;
        let mut grad = vec![0.0; theta.len()];
        for (j, (mj, oj)) in m.iter().zip(&self.observed).enumerate() {
            let r = (mj - oj) / oj;
            value += r * r;
            let dm = ph.moment_gradient(j + 1, None)?;
            grad.iter_mut()
                .zip(&dm)
                .for_each(|(g, d)| *g += 2.0 * r / oj * d);
        }
        Ok((value, grad))
    }
}
