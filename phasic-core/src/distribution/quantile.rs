//! Quantiles: the smallest `x` with `F(x) ≥ p`, on the exact distribution
//! function. Continuous: safeguarded Newton (rtsafe) inside a bracket that
//! always holds the root; discrete: the forward recursion stepped until the
//! cdf reaches `p`.

use crate::distribution::continuous::PhaseType;
use crate::distribution::discrete::{DiscreteContext, DiscretePhaseType};
use crate::distribution::poisson::MAX_JUMPS;
use crate::distribution::queries::PhaseTypeDistribution;
use crate::distribution::uniformization::Uniformization;
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::scc::components;
use crate::graph::view::GraphView;
use crate::validate::DISCRETE_SLACK;

/// Absolute error bound of the cdf a quantile is found on: tighter than
/// [`DEFAULT_TOLERANCE`](crate::distribution::DEFAULT_TOLERANCE) so that a
/// quantile in the upper tail, where the density is small, is still right
/// to 1e-10 relative (the error of the root is about the cdf's error over
/// the density).
pub const QUANTILE_TOLERANCE: f64 = 1e-15;

/// The root finder stops once the bracket is this narrow, relative to
/// its upper end (a hundredth of the 1e-10 promised).
const RELATIVE_WIDTH: f64 = 1e-12;

/// Most evaluations of the cdf in one search (the bracket at least halves
/// at each, so this is never reached before the width above).
const MAX_EVALUATIONS: usize = 200;

/// `p` must be a probability.
fn check_probability(p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            name: "p",
            value: p,
            reason: "a quantile is asked for a probability in [0, 1]",
        })
    }
}

impl<G: GraphView + ?Sized> PhaseType<'_, G> {
    /// The `p`-quantile `inf{x : F(x) ≥ p}` of the absorption time, to
    /// 1e-10 relative for `p ≥ 1e-6` (below, the rounding of the cdf,
    /// about 1e-16 absolute, limits it to about `1e-16/p` relative): `0`
    /// when `p` is at most the defect `F(0)`, `+∞` for `p = 1`.
    ///
    /// The root of `F(x) − p` is bracketed from `[0, E[T]]` by doubling
    /// the upper end, then found by Newton's method on the exact cdf and
    /// density (uniformization with an absolute error of
    /// [`QUANTILE_TOLERANCE`]), falling back to bisection whenever a step
    /// would leave the bracket. Errors: `p` outside `[0, 1]`, or a quantile
    /// so far out that uniformization needs more than a million jumps
    /// ([`Error::TooManyJumps`]).
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, PhaseType};
    /// // Exp(2): the median is ln 2 / 2
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 2.0) }
    /// }).unwrap();
    /// let ph = PhaseType::new(&g).unwrap();
    /// let median = ph.quantile(0.5).unwrap();
    /// assert!((median / (2f64.ln() / 2.0) - 1.0).abs() < 1e-10);
    /// assert_eq!(ph.quantile(1.0).unwrap(), f64::INFINITY);
    /// assert!(ph.quantile(1.5).is_err());
    /// ```
    pub fn quantile(&self, p: f64) -> Result<f64> {
        check_probability(p)?;
        if p == 1.0 {
            return Ok(f64::INFINITY);
        }
        let graph = self.graph();
        let u = Uniformization::new(graph, QUANTILE_TOLERANCE)?;
        let at = |x: f64| -> Result<(f64, f64)> {
            let (pdf, cdf) = u.pdf_cdf(&[x])?;
            Ok((pdf[0], cdf[0]))
        };
        if at(0.0)?.1 >= p {
            return Ok(0.0);
        }
        // [lo, hi] with F(lo) < p ≤ F(hi)
        let mut lo = 0.0;
        let mut hi = self.expectation(None)?.max(f64::MIN_POSITIVE);
        let (mut f_hi, mut cdf_hi) = at(hi)?;
        while cdf_hi < p {
            lo = hi;
            hi *= 2.0;
            (f_hi, cdf_hi) = at(hi)?;
        }
        let (mut x, mut fx, mut cx) = (hi, f_hi, cdf_hi);
        for _ in 0..MAX_EVALUATIONS {
            if hi - lo <= RELATIVE_WIDTH * hi {
                break;
            }
            let newton = x - (cx - p) / fx;
            let next = if fx > 0.0 && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if next == x {
                break;
            }
            x = next;
            (fx, cx) = at(x)?;
            if cx >= p {
                hi = x;
            } else {
                lo = x;
            }
            // a Newton step that lands within the width of the root closes
            // the bracket from the other side as well
            let step = (cx - p) / fx.max(f64::MIN_POSITIVE);
            if step.abs() <= 0.5 * RELATIVE_WIDTH * x {
                return Ok(x - step);
            }
        }
        Ok(0.5 * (lo + hi))
    }
}

impl<G: GraphView + ?Sized> DiscretePhaseType<'_, G> {
    /// The `p`-quantile `min{k : P(τ ≤ k) ≥ p}` of the number of steps,
    /// exactly: the forward recursion is stepped until its cdf reaches
    /// `p` (or until no mass is left). For `p = 0` and `p = 1` it is the
    /// smallest and the largest value of the support ([`DiscreteSupport`]),
    /// `u64::MAX` when that is unbounded. Errors: `p` outside `[0, 1]`, or more than a million
    /// steps needed.
    ///
    /// ```
    /// use phasic_core::{DiscretePhaseType, Graph, Initial};
    /// // geometric with p = 1/4: P(τ ≤ k) = 1 − (3/4)^k
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 0.25) }
    /// }).unwrap();
    /// let d = DiscretePhaseType::new(&g).unwrap();
    /// assert_eq!(d.quantile(0.25).unwrap(), 1);
    /// assert_eq!(d.quantile(0.5).unwrap(), 3); // 1 − 0.75³ = 0.578
    /// assert_eq!(d.quantile(1.0).unwrap(), u64::MAX);
    /// ```
    pub fn quantile(&self, p: f64) -> Result<u64> {
        check_probability(p)?;
        let graph = self.graph();
        if p == 0.0 {
            return Ok(DiscreteSupport::of(graph).min);
        }
        if p == 1.0 {
            return Ok(DiscreteSupport::of(graph).max.unwrap_or(u64::MAX));
        }
        let mut ctx = DiscreteContext::new(graph)?;
        loop {
            // once every path has ended the cdf is final: a p it misses by
            // rounding is reached at the last step
            if ctx.cdf() >= p || ctx.stop_probabilities().iter().sum::<f64>() < f64::MIN_POSITIVE {
                return Ok(ctx.jumps());
            }
            if ctx.jumps() >= MAX_JUMPS as u64 {
                return Err(Error::InvalidSetting {
                    name: "p",
                    value: p,
                    reason: "the quantile is past a million steps (the chain is stepped one step at a time)",
                });
            }
            ctx.step(graph)?;
        }
    }
}

/// The smallest and largest number of steps a discrete chain can take
/// to absorption, along positive-weight edges from the start.
///
/// ```
/// use phasic_core::{Graph, Initial, distribution::DiscreteSupport};
/// // [2] → [1] → [0] for sure, or [2] → [0] skipping a step
/// let g = Graph::from_rule(&Initial::state(&[2]), |s, out| match s[0] {
///     2 => { out.add(&[1], 0.5); out.add(&[0], 0.5) }
///     1 => out.add(&[0], 1.0),
///     _ => {}
/// }).unwrap();
/// assert_eq!(DiscreteSupport::of(&g), DiscreteSupport { min: 1, max: Some(2) });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscreteSupport {
    /// The fewest steps: 0 when the chain may start absorbed.
    pub min: u64,
    /// The most steps; `None` when unbounded (a reachable vertex that may
    /// stay, its probabilities summing to less than 1, or a cycle).
    pub max: Option<u64>,
}

impl DiscreteSupport {
    /// The support of `graph`'s discrete distribution (weights are
    /// probabilities).
    pub fn of<G: GraphView + ?Sized>(graph: &G) -> Self {
        let n = graph.vertex_count();
        let transient = |v: usize| v != START && !graph.is_absorbing(v);
        let positive = |v: usize| {
            graph
                .out_targets(v)
                .iter()
                .zip(graph.out_weights(v))
                .filter(|&(_, &w)| w > 0.0)
                .map(|(&t, _)| t as usize)
        };
        // fewest: breadth first; only the start's edges take no step, and
        // the start is the first vertex taken
        let mut fewest = vec![u64::MAX; n];
        fewest[START] = 0;
        let mut queue = std::collections::VecDeque::from([START]);
        while let Some(v) = queue.pop_front() {
            let d = fewest[v] + u64::from(transient(v));
            for t in positive(v) {
                if fewest[t] == u64::MAX {
                    fewest[t] = d;
                    queue.push_back(t);
                }
            }
        }
        let absorbed = |d: &[u64]| -> Vec<u64> {
            (0..n)
                .filter(|&v| graph.is_absorbing(v) && d[v] != u64::MAX)
                .map(|v| d[v])
                .collect()
        };
        let min = absorbed(&fewest).into_iter().min().unwrap_or(0);
        // most: longest path over the components in topological order; a
        // reachable cycle or holding vertex makes it unbounded
        let (vertices, offsets) = components(graph);
        let mut most = vec![u64::MAX; n];
        most[START] = 0;
        for c in offsets.windows(2) {
            let members = &vertices[c[0]..c[1]];
            for &v in members {
                let v = v as usize;
                if most[v] == u64::MAX {
                    continue;
                }
                if members.len() > 1 || (transient(v) && graph.rate(v) < 1.0 - DISCRETE_SLACK) {
                    return DiscreteSupport { min, max: None };
                }
                let d = most[v] + u64::from(transient(v));
                for t in positive(v) {
                    most[t] = if most[t] == u64::MAX {
                        d
                    } else {
                        most[t].max(d)
                    };
                }
            }
        }
        let max = absorbed(&most).into_iter().max();
        DiscreteSupport { min, max }
    }
}
