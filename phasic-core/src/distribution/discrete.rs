//! Discrete phase-type distributions (docs/ALGORITHMS.md §2.4, §5.1).

use std::sync::OnceLock;

use crate::distribution::continuous::{covariance_from, transform_by_killing};
use crate::distribution::queries::PhaseTypeDistribution;
use crate::distribution::reward_transform::{integer_rewards, reward_transform_discrete};
use crate::distribution::sample::Sampler;
use crate::distribution::stepping::{Forward, at_step_counts};
use crate::elimination::moments::{
    MultivariateMoments, columns_to_positions, mixed, multivariate_parts, rising, scaled_chain,
};
use crate::elimination::program::Program;
use crate::elimination::wide::Wide;
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_discrete;

/// The discrete phase-type distribution of a graph whose weights are
/// probabilities: `τ` = number of steps spent in transient states, or the
/// accumulated reward `Y = Σ r(X_k)`.
///
/// The missing out-probability `1 − λ_v` of a vertex is its self-loop.
/// Moments are the true raw moments (not the factorial ones the
/// recursions yield, and not the variance of the Python/C phasic 0.32.1,
/// which is `E[τ(τ−1)]`).
///
/// It is a statrs `Discrete`, `DiscreteCDF`, `Distribution`, `Min` and
/// `Max` and a rand `Distribution<u64>`: a query that fails returns NaN
/// (a quantile `u64::MAX`), and the inherent method
/// ([`pmf_cdf`](Self::pmf_cdf), [`quantile`](Self::quantile),
/// [`moments`](PhaseTypeDistribution::moments)) returns the reason.
///
/// ```
/// use phasic_core::{DiscretePhaseType, Graph, Initial, PhaseTypeDistribution};
/// // geometric with p = 1/4 (docs/ALGORITHMS.md §9.9)
/// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
///     if s[0] == 1 { out.add(&[2], 0.25) }
/// }).unwrap();
/// let d = DiscretePhaseType::new(&g).unwrap();
/// assert_eq!(d.moments(2, None).unwrap(), vec![4.0, 28.0]);
/// assert_eq!(d.variance(None).unwrap(), 12.0);
/// let (pmf, cdf) = d.pmf_cdf(&[0, 1, 2]).unwrap();
/// assert_eq!(pmf, vec![0.0, 0.25, 0.1875]);
/// assert_eq!(cdf, vec![0.0, 0.25, 0.4375]);
/// ```
#[derive(Debug, Clone)]
pub struct DiscretePhaseType<'g, G: GraphView + ?Sized> {
    graph: &'g G,
    program: Program,
    /// Made at the first draw through `rand`'s `Distribution`.
    sampler: OnceLock<Sampler<'g, G>>,
}

impl<'g, G: GraphView + ?Sized> DiscretePhaseType<'g, G> {
    /// The sampler behind `rand`'s `Distribution`, made once (the graph
    /// was checked when `self` was made).
    pub(crate) fn sampler(&self) -> &Sampler<'g, G> {
        self.sampler
            .get_or_init(|| Sampler::checked(self.graph, true))
    }

    /// Checks that the weights are probabilities and eliminates the graph.
    pub fn new(graph: &'g G) -> Result<Self> {
        check_discrete(graph)?;
        Ok(DiscretePhaseType {
            graph,
            program: Program::new(graph)?,
            sampler: OnceLock::new(),
        })
    }

    /// Probability generating function `E[z^τ]`, `z ∈ [0, 1]`.
    ///
    /// ```
    /// use phasic_core::{DiscretePhaseType, Graph, Initial};
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[2], 0.25) }
    /// }).unwrap();
    /// let d = DiscretePhaseType::new(&g).unwrap();
    /// // geometric: p z / (1 − (1 − p) z)
    /// assert!((d.generating_function(0.5).unwrap() - 0.125 / 0.625).abs() < 1e-15);
    /// ```
    pub fn generating_function(&self, z: f64) -> Result<f64> {
        if !(0.0..=1.0).contains(&z) {
            return Err(Error::InvalidSetting {
                name: "z",
                value: z,
                reason: "the generating function is evaluated on [0, 1]",
            });
        }
        transform_by_killing(self.graph, z, 1.0 - z)
    }

    /// `P(τ = k)` and `P(τ ≤ k)` for every `k` in `ks`, by one forward
    /// recursion up to the largest `k` — or until no mass is left (every
    /// later `k` has `P(τ = k) = 0` and the same cdf). At most a million
    /// steps: a larger `k` while mass is left is an error.
    ///
    /// ```
    /// use phasic_core::{DiscretePhaseType, Graph, Initial};
    /// // two certain steps: τ = 2
    /// let g = Graph::from_rule(&Initial::state(&[2]), |s, out| {
    ///     if s[0] > 0 { out.add(&[s[0] - 1], 1.0) }
    /// }).unwrap();
    /// let (pmf, cdf) = DiscretePhaseType::new(&g).unwrap().pmf_cdf(&[2, 1, 1 << 60]).unwrap();
    /// assert_eq!((pmf, cdf), (vec![1.0, 0.0, 0.0], vec![1.0, 0.0, 1.0]));
    /// ```
    pub fn pmf_cdf(&self, ks: &[u64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut ctx = DiscreteContext::new(self.graph)?;
        at_step_counts(
            &mut ctx,
            ks,
            "step",
            |c| c.step(self.graph),
            |c| &c.forward,
            |c, reached| (if reached { c.pmf() } else { 0.0 }, c.cdf()),
        )
    }
}

/// `E[τ^n] = Σ_j S2(n, j)·φ_j`, `n = 1..=k`, from the falling factorial
/// moments `φ_j = E[τ(τ−1)⋯(τ−j+1)]`, with `S2` the Stirling numbers of
/// the second kind: every term is non-negative, so nothing cancels (the
/// signed sum over rising factorial moments lost every digit by order
/// 25). Stirling numbers and terms are wide numbers (`S2(200, 40)` is
/// about 1e272).
fn raw_from_falling(phi: &[Wide]) -> Result<Vec<f64>> {
    let mut row = vec![Wide::from_f64(1.0)]; // S2(0, 0)
    let mut raw = Vec::with_capacity(phi.len());
    for n in 1..=phi.len() {
        // S2(n, j) = j·S2(n − 1, j) + S2(n − 1, j − 1)
        let mut next = vec![Wide::ZERO; n + 1];
        for (j, s) in next.iter_mut().enumerate().skip(1) {
            let stay = row
                .get(j)
                .map_or(Wide::ZERO, |r| r.mul(Wide::from_f64(j as f64)));
            *s = stay.add(row[j - 1]);
        }
        row = next;
        let sum = (1..=n).fold(Wide::ZERO, |acc, j| acc.add(row[j].mul(phi[j - 1])));
        raw.push(sum.moment(n)?);
    }
    Ok(raw)
}

/// `y ← T·y` in position space: `T` the sub-transition matrix, the
/// missing out-probability of a vertex its self-loop; the start and the
/// absorbing vertices get 0.
fn step_positions<G: GraphView + ?Sized>(
    program: &Program,
    view: &G,
    vertex_at: &[usize],
    y: &mut [f64],
) {
    let x = y.to_vec();
    for (p, yp) in y.iter_mut().enumerate() {
        let v = vertex_at[p];
        if v == START || view.is_absorbing(v) {
            *yp = 0.0;
            continue;
        }
        let mut acc = (1.0 - view.rate(v)).max(0.0) * x[p];
        for (&t, &w) in view.out_targets(v).iter().zip(view.out_weights(v)) {
            if let Some(q) = program.position(t as usize) {
                acc += w * x[q];
            }
        }
        *yp = acc;
    }
}

/// A discrete distribution stepped forward one jump at a time
/// (docs/ALGORITHMS.md §5.1, §5.4).
///
/// [`step`](Self::step) reads the graph's current weights, so they may be
/// changed between steps ([`Graph::update_weights`](crate::Graph::update_weights))
/// to model a time-inhomogeneous chain.
///
/// ```
/// use phasic_core::{distribution::DiscreteContext, Graph, Initial};
/// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
///     if s[0] == 1 { out.add(&[2], 0.25) }
/// }).unwrap();
/// let mut ctx = DiscreteContext::new(&g).unwrap();
/// for _ in 0..5 { ctx.step(&g).unwrap(); }
/// assert_eq!(ctx.jumps(), 5);
/// assert!((ctx.accumulated_visits()[1] - 3.2880859375).abs() < 1e-15);
/// assert!((ctx.cdf() - 0.7626953125).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct DiscreteContext {
    forward: Forward,
}

impl DiscreteContext {
    /// The distribution at jump 0: the initial distribution, `pmf = cdf = defect`.
    pub fn new<G: GraphView + ?Sized>(graph: &G) -> Result<Self> {
        check_discrete(graph)?;
        Ok(DiscreteContext {
            forward: Forward::start(graph),
        })
    }

    /// Advances one jump with the graph's current weights.
    pub fn step<G: GraphView + ?Sized>(&mut self, graph: &G) -> Result<()> {
        self.forward.check_shape(graph)?;
        check_discrete(graph)?;
        self.forward.step(graph, 1.0);
        Ok(())
    }

    /// Number of jumps taken.
    pub fn jumps(&self) -> u64 {
        self.forward.steps
    }

    /// `P(τ = jumps)`.
    pub fn pmf(&self) -> f64 {
        self.forward.absorbed_last
    }

    /// `P(τ ≤ jumps)`.
    pub fn cdf(&self) -> f64 {
        self.forward.absorbed
    }

    /// `P(X_jumps = v)` for every vertex (0 for start and absorbing vertices).
    pub fn stop_probabilities(&self) -> &[f64] {
        &self.forward.p
    }

    /// `Σ_{j ≤ jumps} P(X_j = v)`: expected steps spent in `v` so far.
    pub fn accumulated_visits(&self) -> &[f64] {
        &self.forward.acc
    }
}

impl<'g, G: GraphView + ?Sized> PhaseTypeDistribution<'g, G> for DiscretePhaseType<'g, G> {
    /// The graph.
    fn graph(&self) -> &'g G {
        self.graph
    }

    /// The elimination program.
    fn program(&self) -> &Program {
        &self.program
    }

    /// Raw moments `E[Y^j]`, `j = 1..=k`.
    ///
    /// Without rewards they come from the falling factorial moments through
    /// Stirling numbers of the second kind (a sum of non-negative terms),
    /// right to rounding at every order whose value is an `f64`; a moment
    /// outside that range is [`Error::MomentRange`]. With rewards, orders 1 and 2
    /// use the formulas of docs/ALGORITHMS.md §2.4 (any non-negative rewards);
    /// order 3 and above need integer rewards and go through the discrete
    /// reward transformation.
    fn moments(&self, k: usize, rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        match rewards {
            None => {
                // φ_j = j!·α T^{j−1} U^j e: y_j = j·U·T·y_{j−1}
                let mut vertex_at = vec![0; self.program.len()];
                for v in 0..self.graph.vertex_count() {
                    if let Some(p) = self.program.position(v) {
                        vertex_at[p] = v;
                    }
                }
                let ones = vec![1.0; self.program.len()];
                let phi = scaled_chain(&self.program, self.graph, k, &ones, |y| {
                    step_positions(&self.program, self.graph, &vertex_at, y)
                })?;
                raw_from_falling(&phi)
            }
            Some(r) if k <= 2 => {
                let rp = self.program.rewards_to_positions(Some(r))?;
                let mu = rising(&self.program, self.graph, k, &rp)?;
                if k == 1 {
                    return Ok(mu);
                }
                let r2: Vec<f64> = rp.iter().map(|x| x * x).collect();
                let mu_sq = rising(&self.program, self.graph, 1, &r2)?[0];
                Ok(vec![mu[0], mu[1] - mu_sq])
            }
            Some(r) => {
                crate::validate::check_rewards(r, self.graph.vertex_count())?;
                let t = reward_transform_discrete(self.graph, &integer_rewards(r)?)?;
                DiscretePhaseType::new(&t.graph)?.moments(k, None)
            }
        }
    }

    /// `Cov(Y₁, Y₂)` (docs/ALGORITHMS.md §2.4, with the cross term the
    /// Python/C phasic 0.32.1 drops).
    fn covariance(&self, r1: &[f64], r2: &[f64]) -> Result<f64> {
        let a = self.program.rewards_to_positions(Some(r1))?;
        let b = self.program.rewards_to_positions(Some(r2))?;
        let (ea, eb, cross) = mixed(&self.program, self.graph, &a, &b);
        let ab: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
        let e_ab = rising(&self.program, self.graph, 1, &ab)?[0];
        Ok(cross - e_ab - ea * eb)
    }

    /// Means, second moments and covariance matrix of `(Y_1, …, Y_d)`.
    fn multivariate(&self, columns: &[&[f64]]) -> Result<MultivariateMoments> {
        let cols = columns_to_positions(&self.program, columns)?;
        let (mean, mut second) = multivariate_parts(&self.program, self.graph, &cols);
        for (i, row) in second.iter_mut().enumerate() {
            for (j, s) in row.iter_mut().enumerate() {
                let prod: Vec<f64> = cols[i].iter().zip(&cols[j]).map(|(x, y)| x * y).collect();
                *s -= rising(&self.program, self.graph, 1, &prod)?[0];
            }
        }
        let covariance = covariance_from(&mean, &second);
        Ok(MultivariateMoments {
            mean,
            second,
            covariance,
        })
    }
}
