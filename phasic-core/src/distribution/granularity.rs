//! The discretised continuous distribution of the Python/C phasic 0.32.1
//! (docs/ALGORITHMS.md §5.2): the chain is stepped in micro-steps of
//! length `1/g`.
//!
//! Accurate to `O(λ_max/g)` only; [`Uniformization`](crate::distribution::Uniformization)
//! is exact. Kept for compatibility and for time-inhomogeneous stepping.

use crate::distribution::stepping::{Forward, at_step_counts};
use crate::error::{Error, Result};
use crate::graph::view::GraphView;

/// The default granularity of the Python/C phasic 0.32.1:
/// `⌊2·max(512, max_v λ_v)⌋`.
pub fn default_granularity<G: GraphView + ?Sized>(graph: &G) -> f64 {
    let max_rate = (0..graph.vertex_count())
        .map(|v| graph.rate(v))
        .fold(0.0, f64::max);
    (2.0 * max_rate.max(512.0)).floor()
}

fn check_granularity<G: GraphView + ?Sized>(graph: &G, g: f64) -> Result<()> {
    if !(g.is_finite() && g >= 1.0) {
        return Err(Error::InvalidSetting {
            name: "granularity",
            value: g,
            reason: "must be a finite number of steps per time unit, at least 1",
        });
    }
    for v in 1..graph.vertex_count() {
        let rate = graph.rate(v);
        if rate.is_nan() || rate > g * (1.0 + 1e-9) {
            return Err(Error::Granularity {
                granularity: g,
                vertex: v,
                rate,
            });
        }
    }
    Ok(())
}

/// A continuous distribution stepped in micro-steps of `1/g` (the
/// "distribution context" of the Python/C phasic 0.32.1).
///
/// ```
/// use phasic_core::{Graph, distribution::GranularityContext, Initial};
/// // Exp(1) at g = 1024: cdf(1) = 1 − (1 − 1/1024)^1024
/// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
///     if s[0] == 1 { out.add(&[2], 1.0) }
/// }).unwrap();
/// let mut ctx = GranularityContext::new(&g, 1024.0).unwrap();
/// while ctx.time() < 1.0 { ctx.step(&g).unwrap(); }
/// assert!((ctx.cdf() - 0.6323002605887).abs() < 1e-12);
/// assert!((ctx.pdf() - 0.3680591721966).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct GranularityContext {
    forward: Forward,
    granularity: f64,
    pdf: f64,
}

impl GranularityContext {
    /// The distribution at time 0; the initial density is the forward
    /// difference over the first micro-step.
    pub fn new<G: GraphView + ?Sized>(graph: &G, granularity: f64) -> Result<Self> {
        check_granularity(graph, granularity)?;
        let forward = Forward::start(graph);
        let mut probe = forward.clone();
        probe.step(graph, 1.0 / granularity);
        Ok(GranularityContext {
            pdf: probe.absorbed_last * granularity,
            forward,
            granularity,
        })
    }

    /// Advances one micro-step with the graph's current weights.
    pub fn step<G: GraphView + ?Sized>(&mut self, graph: &G) -> Result<()> {
        self.forward.check_shape(graph)?;
        check_granularity(graph, self.granularity)?;
        self.forward.step(graph, 1.0 / self.granularity);
        self.pdf = self.forward.absorbed_last * self.granularity;
        Ok(())
    }

    /// Current time, `steps / g`.
    pub fn time(&self) -> f64 {
        self.forward.steps as f64 / self.granularity
    }

    /// Micro-steps taken.
    pub fn steps(&self) -> u64 {
        self.forward.steps
    }

    /// Density: absorbed mass of the last micro-step times `g`.
    pub fn pdf(&self) -> f64 {
        self.pdf
    }

    /// `P(τ ≤ time)`, including the defect.
    pub fn cdf(&self) -> f64 {
        self.forward.absorbed
    }

    /// `P(X_time = v)` for every vertex.
    pub fn stop_probabilities(&self) -> &[f64] {
        &self.forward.p
    }

    /// `≈ ∫₀^time P(X_s = v) ds` (left Riemann sum including time 0).
    pub fn accumulated_visiting_time(&self) -> Vec<f64> {
        self.forward
            .acc
            .iter()
            .map(|a| a / self.granularity)
            .collect()
    }
}

/// pdf and cdf at `times` by the discretised algorithm: values at step `⌊g·t⌋`.
pub(crate) fn pdf_cdf<G: GraphView + ?Sized>(
    graph: &G,
    times: &[f64],
    granularity: f64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    crate::validate::check_times(times)?;
    let mut ctx = GranularityContext::new(graph, granularity)?;
    let targets: Vec<u64> = times
        .iter()
        .map(|t| (t * granularity).floor() as u64)
        .collect();
    at_step_counts(
        &mut ctx,
        &targets,
        "time × granularity (micro-steps)",
        |c| c.step(graph),
        |c| &c.forward,
        |c, reached| (if reached { c.pdf() } else { 0.0 }, c.cdf()),
    )
}
