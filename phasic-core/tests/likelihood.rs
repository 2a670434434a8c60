//! Likelihoods of parameterized graphs, their gradients, and the fits
//! built on them (maximum likelihood, SVGD, priors).
//!
//! Random parameterized graphs are generated as logical edge lists
//! (`base + c·θ` per edge) and built twice: through `GraphBuilder` in a
//! shuffled vertex numbering, and as dense matrices straight from the edge
//! list at θ. Densities are checked against nalgebra's matrix exponential
//! (`α e^{St} s`), pmfs against dense matrix powers (`α T^{k−1} t`), and
//! gradients against central finite differences of `log_likelihood`.

use nalgebra::{DMatrix, DVector};
use phasic_core::inference::no_progress;
use phasic_core::{
    DiscretePhaseType, Error, Graph, GraphBuilder, GraphView, Initial, Method, PhaseType, START,
    distribution::Sampler, distribution::reward_transform, inference::Adam, inference::Likelihood,
    inference::MleOptions, inference::Observations, inference::Posterior, inference::Prior,
    inference::SvgdOptions, inference::maximum_likelihood, inference::svgd,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use rand::SeedableRng;

/// Marks the start vertex in a logical edge list.
const FROM_START: usize = usize::MAX;
/// θ of the continuous property tests lies in `[THETA_LO, THETA_HI]`.
const THETA_LO: f64 = 0.2;
const THETA_HI: f64 = 3.0;
/// θ of the discrete property tests lies in `[D_THETA_LO, D_THETA_HI]`;
/// the row totals are at most 0.95 at `D_THETA_HI`.
const D_THETA_LO: f64 = 0.05;
const D_THETA_HI: f64 = 1.0;
/// Relative agreement of densities / pmfs with the dense reference.
const REL: f64 = 1e-9;
/// Finite differences: step `FD_STEP·θ_i`, tolerance `FD_TOL·max(|g|, 1)`.
const FD_STEP: f64 = 1e-6;
const FD_TOL: f64 = 1e-5;

fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------
// Comparisons

#[track_caller]
fn close(got: f64, want: f64, tol: f64, scale: f64, what: &str) {
    let bound = tol * want.abs().max(scale);
    assert!(
        (got - want).abs() <= bound,
        "{what}: got {got:e}, want {want:e}, diff {:e} > {bound:e}",
        (got - want).abs()
    );
}

#[track_caller]
fn rel(got: f64, want: f64, tol: f64, what: &str) {
    close(got, want, tol, 0.0, what);
}

/// The gradient of `lik` at θ against central differences of
/// `log_likelihood`, and its value against `log_likelihood`.
#[track_caller]
fn check_gradient(lik: &Likelihood, theta: &[f64], what: &str) {
    let (ll, grad) = lik.gradient(theta).unwrap();
    let ll0 = lik.log_likelihood(theta).unwrap();
    close(ll, ll0, 1e-12, 1.0, &format!("{what}: gradient's value"));
    assert_eq!(grad.len(), theta.len(), "{what}: gradient length");
    for i in 0..theta.len() {
        let h = FD_STEP * theta[i];
        let mut up = theta.to_vec();
        let mut down = theta.to_vec();
        up[i] += h;
        down[i] -= h;
        let fd = (lik.log_likelihood(&up).unwrap() - lik.log_likelihood(&down).unwrap())
            / (up[i] - down[i]);
        let bound = FD_TOL * grad[i].abs().max(1.0);
        assert!(
            (grad[i] - fd).abs() <= bound,
            "{what}: ∂/∂θ{i} = {:e}, finite difference {fd:e}, diff {:e} > {bound:e} (θ = {theta:?})",
            grad[i],
            (grad[i] - fd).abs()
        );
    }
}

/// `f` of every observation on its own: `exp(log L)` of a one-point likelihood.
fn single_densities(
    g: &Graph,
    rewards: Option<&[f64]>,
    obs: &Observations,
    theta: &[f64],
) -> Vec<f64> {
    let each: Vec<Observations> = match obs {
        Observations::Times(t) => t.iter().map(|&t| Observations::Times(vec![t])).collect(),
        Observations::Steps(k) => k.iter().map(|&k| Observations::Steps(vec![k])).collect(),
    };
    each.into_iter()
        .map(|o| {
            let lik = match rewards {
                Some(r) => Likelihood::with_rewards(g, r, o).unwrap(),
                None => Likelihood::new(g, o).unwrap(),
            };
            lik.log_likelihood(theta).unwrap().exp()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Random parameterized graphs

#[derive(Debug, Clone)]
struct Edge {
    /// Logical source (`FROM_START` for the start vertex).
    from: usize,
    /// Logical target: transient `0..k`, absorbing `k..k + a`.
    to: usize,
    base: f64,
    coeffs: Vec<f64>,
}

impl Edge {
    fn weight(&self, theta: &[f64]) -> f64 {
        self.coeffs
            .iter()
            .zip(theta)
            .fold(self.base, |s, (c, t)| s + c * t)
    }
}

/// A parameterized graph in logical numbering: transient nodes `0..k`,
/// absorbing nodes `k..k + a`; node `l` is vertex `perm[l]`.
#[derive(Debug, Clone)]
struct Model {
    p: usize,
    k: usize,
    a: usize,
    perm: Vec<usize>,
    edges: Vec<Edge>,
    /// Whether θ enters the start's edges.
    param_start: bool,
}

/// The dense form at θ: `α` (normalised by the start's total weight, so
/// it sums to 1 − defect), `S` and the exit rates (probabilities) `s`.
struct Dense {
    alpha: DVector<f64>,
    s: DMatrix<f64>,
    exit: DVector<f64>,
}

impl Model {
    fn n(&self) -> usize {
        self.k + self.a
    }

    fn vertex(&self, l: usize) -> usize {
        if l == FROM_START { START } else { self.perm[l] }
    }

    fn graph(&self) -> Graph {
        let mut b = GraphBuilder::with_params(1, self.p);
        for v in 1..=self.n() {
            assert_eq!(b.find_or_create(&[v as i32]).unwrap(), v);
        }
        for e in &self.edges {
            b.add_param_edge(self.vertex(e.from), self.vertex(e.to), e.base, &e.coeffs)
                .unwrap();
        }
        b.build()
    }

    fn dense(&self, theta: &[f64]) -> Dense {
        let k = self.k;
        let mut s = DMatrix::zeros(k, k);
        let mut exit = DVector::zeros(k);
        let mut start = vec![0.0; self.n()];
        for e in &self.edges {
            let w = e.weight(theta);
            assert!(w >= 0.0, "generator made a negative weight {w}");
            if e.from == FROM_START {
                start[e.to] += w;
                continue;
            }
            if e.to < k {
                s[(e.from, e.to)] += w;
            } else {
                exit[e.from] += w;
            }
            s[(e.from, e.from)] -= w;
        }
        let total: f64 = start.iter().sum();
        Dense {
            alpha: DVector::from_iterator(k, start[..k].iter().map(|w| w / total)),
            s,
            exit,
        }
    }

    /// A vertex-indexed vector with `vals[l]` at transient node `l` and
    /// `junk` at the start and absorbing vertices.
    fn place(&self, vals: &[f64], junk: f64) -> Vec<f64> {
        let mut out = vec![junk; self.n() + 1];
        for l in 0..self.k {
            out[self.perm[l]] = vals[l];
        }
        out
    }
}

impl Dense {
    fn m(&self) -> usize {
        self.alpha.len()
    }

    /// `α e^{St} s`.
    fn pdf(&self, t: f64) -> f64 {
        let e = (&self.s * t).exp();
        (self.alpha.transpose() * e * &self.exit)[(0, 0)]
    }

    /// `α T^{k−1} t` with `T = I + S`.
    fn pmf(&self, k: u64) -> f64 {
        let t = &self.s + DMatrix::identity(self.m(), self.m());
        let mut v = self.alpha.transpose();
        for _ in 1..k {
            v *= &t;
        }
        (v * &self.exit)[(0, 0)]
    }

    /// Mean absorption time given that the start is not absorbed.
    fn mean(&self) -> f64 {
        let u = (-&self.s).try_inverse().unwrap();
        let ones = DVector::from_element(self.m(), 1.0);
        (self.alpha.transpose() * u * ones)[(0, 0)] / self.alpha.sum()
    }

    /// The reward-transformed chain: rows of `S` and exits divided by `r`.
    fn reward_scaled(&self, r: &[f64]) -> Dense {
        let mut s = self.s.clone();
        let mut exit = self.exit.clone();
        for i in 0..self.m() {
            for j in 0..self.m() {
                s[(i, j)] /= r[i];
            }
            exit[i] /= r[i];
        }
        Dense {
            alpha: self.alpha.clone(),
            s,
            exit,
        }
    }
}

/// A coefficient: zero, positive, or (less often) negative.
fn coeff() -> impl Strategy<Value = f64> {
    prop_oneof![2 => Just(0.0), 3 => 0.0f64..3.0, 1 => -0.5f64..0.0]
}

/// Random parameterized graphs with `p` from `ps` parameters and 2–8
/// transient nodes: a forward anchor edge out of every node (the last one
/// into an absorbing node), an exit out of every node (so the density is
/// positive at every t ≥ 0), random extra edges (cycles, parallel edges,
/// exits), in a shuffled vertex numbering. The start either has one
/// constant edge into node 0 or (`param_start`) 1–3 parameterized edges
/// and possibly a parameterized defect edge into an absorbing node.
///
/// A negative coefficient `c` raises the base by `|c|·θ_max`, so every
/// weight is non-negative for θ in `[0, θ_max]`. For a `discrete` model
/// every transient node's edges are then scaled so that its total
/// out-weight is at most a random target in `[0.2, 0.95]` over that range.
fn model_strategy(ps: Vec<usize>, discrete: bool) -> impl Strategy<Value = Model> {
    let theta_max = if discrete { D_THETA_HI } else { THETA_HI };
    (
        proptest::sample::select(ps),
        2usize..=8,
        1usize..=2,
        any::<bool>(),
    )
        .prop_flat_map(move |(p, k, a, param_start)| {
            let n = k + a;
            let cs = move || proptest::collection::vec(coeff(), p);
            (
                Just((1..=n).collect::<Vec<usize>>()).prop_shuffle(),
                proptest::collection::vec((0.1f64..2.0, cs()), k),
                proptest::collection::vec((0..a, 0.05f64..1.0, cs()), k),
                proptest::collection::vec((0..k, 0..n, 0.0f64..2.0, cs()), 0..=2 * k),
                proptest::collection::vec((0..k, 0.05f64..1.0, cs()), 1..=3),
                proptest::option::of((0..a, 0.0f64..0.5, cs())),
                proptest::collection::vec(0.2f64..0.95, k),
            )
                .prop_map(
                    move |(perm, anchors, exits, extras, starts, defect, targets)| {
                        let mut edges = Vec::new();
                        let mut push = |from: usize, to: usize, base: f64, coeffs: Vec<f64>| {
                            let lift: f64 = coeffs.iter().map(|c| (-c).max(0.0) * theta_max).sum();
                            edges.push(Edge {
                                from,
                                to,
                                base: base + lift,
                                coeffs,
                            });
                        };
                        if param_start {
                            for (t, b, c) in starts {
                                push(FROM_START, t, b, c);
                            }
                            if let Some((x, b, c)) = defect {
                                push(FROM_START, k + x, b, c);
                            }
                        } else {
                            push(FROM_START, 0, 1.0, vec![0.0; p]);
                        }
                        for (i, (b, c)) in anchors.into_iter().enumerate() {
                            push(i, if i + 1 < k { i + 1 } else { k }, b, c);
                        }
                        for (i, (x, b, c)) in exits.into_iter().enumerate() {
                            push(i, k + x, b, c);
                        }
                        for (f, t, b, c) in extras {
                            if f != t {
                                push(f, t, b, c);
                            }
                        }
                        if discrete {
                            let mut max_total = vec![0.0; k];
                            for e in edges.iter().filter(|e| e.from != FROM_START) {
                                max_total[e.from] += e.base
                                    + e.coeffs.iter().map(|c| c.max(0.0) * theta_max).sum::<f64>();
                            }
                            for e in edges.iter_mut().filter(|e| e.from != FROM_START) {
                                let scale = targets[e.from] / max_total[e.from];
                                e.base *= scale;
                                e.coeffs.iter_mut().for_each(|c| *c *= scale);
                            }
                        }
                        Model {
                            p,
                            k,
                            a,
                            perm,
                            edges,
                            param_start,
                        }
                    },
                )
        })
}

/// [`model_strategy`]'s continuous graphs made homogeneous (every rate
/// linear in θ with no fixed part, so the likelihood takes Euler's
/// identity for one score): each edge's base moves into one of its
/// coefficients and negative coefficients flip sign; a fixed start stays
/// fixed, a parameterized one becomes linear too.
fn homogeneous_strategy(ps: Vec<usize>) -> impl Strategy<Value = Model> {
    model_strategy(ps, false).prop_map(|mut m| {
        let p = m.p;
        for (i, e) in m.edges.iter_mut().enumerate() {
            if e.coeffs.iter().all(|&c| c == 0.0) && e.from == FROM_START && !m.param_start {
                continue;
            }
            e.coeffs.iter_mut().for_each(|c| *c = c.abs());
            e.coeffs[i % p] += e.base;
            e.base = 0.0;
        }
        m
    })
}

/// One deterministic draw of `strategy` (for the non-property tests).
fn draw<S: Strategy>(strategy: S, skip: usize) -> S::Value {
    let mut runner = TestRunner::deterministic();
    for _ in 0..skip {
        strategy.new_tree(&mut runner).unwrap();
    }
    strategy.new_tree(&mut runner).unwrap().current()
}

fn theta_in(unit: &[f64], p: usize, lo: f64, hi: f64) -> Vec<f64> {
    unit[..p].iter().map(|u| lo + (hi - lo) * u).collect()
}

// ---------------------------------------------------------------------------
// 1. Continuous densities and gradients

fn check_continuous(model: &Model, unit: &[f64], mult: &[f64]) {
    let theta = theta_in(unit, model.p, THETA_LO, THETA_HI);
    let g = model.graph();
    let d = model.dense(&theta);
    let mean = d.mean();
    let times: Vec<f64> = mult.iter().map(|m| m * mean).collect();
    let obs = Observations::Times(times.clone());
    let lik = Likelihood::new(&g, obs.clone()).unwrap();
    assert_eq!(lik.len(), times.len());
    assert_eq!(lik.param_dim(), model.p);

    let want: Vec<f64> = times.iter().map(|&t| d.pdf(t)).collect();
    for (i, (f, w)) in single_densities(&g, None, &obs, &theta)
        .iter()
        .zip(&want)
        .enumerate()
    {
        rel(*f, *w, REL, &format!("f({}) [{i}]", times[i]));
    }
    let want_ll: f64 = want.iter().map(|f| f.ln()).sum();
    close(
        lik.log_likelihood(&theta).unwrap(),
        want_ll,
        REL,
        1.0,
        "log L",
    );
    check_gradient(&lik, &theta, "continuous");

    // the likelihood reads base weights and coefficients, never the
    // graph's current weights
    let mut g2 = g.clone();
    let other: Vec<f64> = theta.iter().map(|t| THETA_LO + THETA_HI - t).collect();
    g2.update_weights(&other).unwrap();
    let lik2 = Likelihood::new(&g2, obs).unwrap();
    assert_eq!(
        lik2.log_likelihood(&theta).unwrap().to_bits(),
        lik.log_likelihood(&theta).unwrap().to_bits()
    );
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn continuous_log_likelihood_and_gradient_match_dense(
        model in model_strategy(vec![2, 3], false),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=6),
    ) {
        check_continuous(&model, &unit, &mult);
    }

    /// More parameters than one derivative pass carries (7).
    #[test]
    fn continuous_gradient_with_many_parameters(
        model in model_strategy(vec![8, 10, 15], false),
        unit in proptest::collection::vec(0.0f64..1.0, 15),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=4),
    ) {
        check_continuous(&model, &unit, &mult);
    }

    /// Homogeneous models: one score by Euler's identity, from one to
    /// more than a pass of parameters.
    #[test]
    fn homogeneous_log_likelihood_and_gradient_match_dense(
        model in homogeneous_strategy(vec![1, 2, 3, 8, 9]),
        unit in proptest::collection::vec(0.0f64..1.0, 9),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=6),
    ) {
        check_continuous(&model, &unit, &mult);
    }
}

#[test]
fn homogeneous_generator_has_no_fixed_rates() {
    let mut runner = TestRunner::deterministic();
    let strategy = homogeneous_strategy(vec![1, 3]);
    let mut starts = [false; 2];
    for _ in 0..32 {
        let m = strategy.new_tree(&mut runner).unwrap().current();
        starts[m.param_start as usize] = true;
        for e in &m.edges {
            let fixed_start = e.from == FROM_START && !m.param_start;
            assert_eq!(e.base == 0.0, !fixed_start, "{e:?}");
            assert!(e.coeffs.iter().all(|&c| c >= 0.0), "{e:?}");
        }
    }
    assert_eq!(starts, [true, true]);
}

#[test]
fn generator_covers_parameterized_starts() {
    // the property tests above see both kinds of start
    let mut seen = [false; 2];
    let mut runner = TestRunner::deterministic();
    let strategy = model_strategy(vec![2, 3], false);
    for _ in 0..32 {
        let m = strategy.new_tree(&mut runner).unwrap().current();
        seen[m.param_start as usize] = true;
        if m.param_start {
            assert!(
                m.edges
                    .iter()
                    .any(|e| e.from == FROM_START && e.coeffs.iter().any(|&c| c != 0.0)),
                "some parameterized start has θ-dependent weights"
            );
        }
    }
    assert_eq!(seen, [true, true]);
}

/// θ in the start's edges: `S → A` (θ₀), `S → B` (θ₁), `S → absorbed`
/// (θ₂, a defect), `A → absorbed` (1), `B → absorbed` (3):
/// `f(t) = (θ₀ e^{−t} + 3θ₁ e^{−3t}) / (θ₀ + θ₁ + θ₂)`.
#[test]
fn parameterized_initial_distribution() {
    let mut b = GraphBuilder::with_params(1, 3);
    let a = b.find_or_create(&[1]).unwrap();
    let bb = b.find_or_create(&[2]).unwrap();
    let x = b.find_or_create(&[3]).unwrap();
    b.add_param_edge(START, a, 0.0, &[1.0, 0.0, 0.0]).unwrap();
    b.add_param_edge(START, bb, 0.0, &[0.0, 1.0, 0.0]).unwrap();
    b.add_param_edge(START, x, 0.0, &[0.0, 0.0, 1.0]).unwrap();
    b.add_edge(a, x, 1.0).unwrap();
    b.add_edge(bb, x, 3.0).unwrap();
    let g = b.build();
    let times = vec![0.0, 0.2, 0.7, 1.5, 4.0];
    let lik = Likelihood::new(&g, Observations::Times(times.clone())).unwrap();
    for theta in [[1.0, 1.0, 0.5], [0.3, 2.0, 0.1], [2.5, 0.4, 1.2]] {
        let [t0, t1, t2] = theta;
        let total = t0 + t1 + t2;
        let mut ll = 0.0;
        let mut grad = [0.0; 3];
        for &t in &times {
            let (ea, eb) = ((-t).exp(), 3.0 * (-3.0 * t).exp());
            let num = t0 * ea + t1 * eb;
            ll += num.ln() - total.ln();
            grad[0] += ea / num - 1.0 / total;
            grad[1] += eb / num - 1.0 / total;
            grad[2] += -1.0 / total;
        }
        close(lik.log_likelihood(&theta).unwrap(), ll, 1e-12, 1.0, "log L");
        let (got_ll, got) = lik.gradient(&theta).unwrap();
        close(got_ll, ll, 1e-12, 1.0, "gradient's log L");
        for j in 0..3 {
            close(got[j], grad[j], 1e-10, 1.0, &format!("∂/∂θ{j}"));
        }
        check_gradient(&lik, &theta, "parameterized start");
    }
}

// ---------------------------------------------------------------------------
// 2. Discrete pmfs and gradients

fn check_discrete(model: &Model, unit: &[f64], steps: &[u64]) {
    let theta = theta_in(unit, model.p, D_THETA_LO, D_THETA_HI);
    let mut g = model.graph();
    let d = model.dense(&theta);
    let obs = Observations::Steps(steps.to_vec());
    let lik = Likelihood::new(&g, obs.clone()).unwrap();
    let want: Vec<f64> = steps.iter().map(|&k| d.pmf(k)).collect();
    for (i, (f, w)) in single_densities(&g, None, &obs, &theta)
        .iter()
        .zip(&want)
        .enumerate()
    {
        rel(*f, *w, REL, &format!("pmf({}) [{i}]", steps[i]));
    }
    close(
        lik.log_likelihood(&theta).unwrap(),
        want.iter().map(|f| f.ln()).sum(),
        REL,
        1.0,
        "discrete log L",
    );
    // the library's own discrete distribution at θ
    g.update_weights(&theta).unwrap();
    let (pmf, _) = DiscretePhaseType::new(&g).unwrap().pmf_cdf(steps).unwrap();
    for (i, (f, w)) in pmf.iter().zip(&want).enumerate() {
        rel(
            *f,
            *w,
            REL,
            &format!("DiscretePhaseType pmf({}) [{i}]", steps[i]),
        );
    }
    check_gradient(&lik, &theta, "discrete");
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn discrete_log_likelihood_and_gradient_match_dense(
        model in model_strategy(vec![2, 3], true),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        steps in proptest::collection::vec(1u64..=25, 1..=6),
    ) {
        check_discrete(&model, &unit, &steps);
    }
}

/// A discrete graph: `A → B` (0.2 + 0.3θ), `A → X` (0.1θ), `B → X` (0.5);
/// the rest of each row is a self-loop.
fn small_discrete() -> (Graph, [usize; 3]) {
    let mut b = GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let bb = b.find_or_create(&[2]).unwrap();
    let x = b.find_or_create(&[3]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, bb, 0.2, &[0.3]).unwrap();
    b.add_param_edge(a, x, 0.0, &[0.1]).unwrap();
    b.add_edge(bb, x, 0.5).unwrap();
    (b.build(), [a, bb, x])
}

#[test]
fn discrete_closed_form_and_errors() {
    let (g, [a, ..]) = small_discrete();
    // P(τ = 1) = 0.1θ; P(τ = 2) = (1 − 0.2 − 0.4θ)·0.1θ + (0.2 + 0.3θ)·0.5
    let theta = 1.5;
    let (p, q) = (0.2 + 0.3 * theta, 0.1 * theta);
    let pmf1 = q;
    let pmf2 = (1.0 - p - q) * q + p * 0.5;
    let lik = Likelihood::new(&g, Observations::Steps(vec![2, 1, 2])).unwrap();
    close(
        lik.log_likelihood(&[theta]).unwrap(),
        pmf1.ln() + 2.0 * pmf2.ln(),
        1e-13,
        1.0,
        "closed-form discrete log L",
    );
    let dpmf1 = 0.1;
    let dpmf2 = (-0.4) * q + (1.0 - p - q) * 0.1 + 0.3 * 0.5;
    let (_, grad) = lik.gradient(&[theta]).unwrap();
    close(
        grad[0],
        dpmf1 / pmf1 + 2.0 * dpmf2 / pmf2,
        1e-12,
        1.0,
        "closed-form discrete gradient",
    );

    // a step of 0 is not an observation of a discrete absorption
    match Likelihood::new(&g, Observations::Steps(vec![3, 0])) {
        Err(Error::InvalidSetting { name, value, .. }) => {
            assert_eq!(name, "observed step");
            assert_eq!(value, 0.0);
        }
        other => panic!("expected InvalidSetting, got {other:?}"),
    }
    // nor can a step count beyond a million be computed step by step
    assert!(Likelihood::new(&g, Observations::Steps(vec![3, 1_000_000])).is_ok());
    match Likelihood::new(&g, Observations::Steps(vec![3, 1_000_001])) {
        Err(Error::InvalidSetting { name, value, .. }) => {
            assert_eq!(name, "observed step");
            assert_eq!(value, 1_000_001.0);
        }
        other => panic!("expected InvalidSetting, got {other:?}"),
    }
    assert!(matches!(
        Likelihood::new(&g, Observations::Steps(vec![])),
        Err(Error::NoObservations)
    ));

    // θ = 3: A's out-probabilities sum to 0.2 + 0.9 + 0.3 = 1.4
    match lik.log_likelihood(&[3.0]) {
        Err(Error::NotDiscrete {
            vertex,
            state,
            rate,
        }) => {
            assert_eq!(vertex, a);
            assert_eq!(state, vec![1]);
            assert!((rate - 1.4).abs() < 1e-12, "rate {rate}");
        }
        other => panic!("expected NotDiscrete, got {other:?}"),
    }
    assert!(matches!(
        lik.gradient(&[3.0]),
        Err(Error::NotDiscrete { .. })
    ));
    assert!(matches!(
        lik.log_likelihoods(&[vec![1.0], vec![3.0]]),
        Err(Error::NotDiscrete { .. })
    ));
    // θ = 2: A's row sums to exactly 1 (no self-loop); still discrete
    let (p, q) = (0.8f64, 0.2f64);
    close(
        lik.log_likelihood(&[2.0]).unwrap(),
        q.ln() + 2.0 * (p * 0.5f64).ln(),
        1e-13,
        1.0,
        "row total exactly 1",
    );
    // continuous observations of the same graph treat weights as rates
    let lc = Likelihood::new(&g, Observations::Times(vec![1.0])).unwrap();
    assert!(lc.log_likelihood(&[3.0]).unwrap().is_finite());
}

// ---------------------------------------------------------------------------
// 3. Rewards

fn check_rewards(model: &Model, unit: &[f64], r: &[f64], mult: &[f64], junk: f64) {
    let theta = theta_in(unit, model.p, THETA_LO, THETA_HI);
    let g = model.graph();
    let rewards = model.place(r, junk);
    let dr = model.dense(&theta).reward_scaled(r);
    let mean = dr.mean();
    let times: Vec<f64> = mult.iter().map(|m| m * mean).collect();
    let obs = Observations::Times(times.clone());
    let lik = Likelihood::with_rewards(&g, &rewards, obs.clone()).unwrap();

    // the reward transform of the graph re-weighted at θ
    let mut gt = g.clone();
    gt.update_weights(&theta).unwrap();
    let t = reward_transform(&gt, &rewards).unwrap();
    let (pdf, _) = PhaseType::new(&t.graph)
        .unwrap()
        .pdf_cdf(&times, Method::Exact { tolerance: 1e-13 })
        .unwrap();
    let got = single_densities(&g, Some(&rewards), &obs, &theta);
    for i in 0..times.len() {
        let want = dr.pdf(times[i]);
        rel(
            pdf[i],
            want,
            REL,
            &format!("reward_transform pdf({}) vs dense", times[i]),
        );
        rel(
            got[i],
            pdf[i],
            REL,
            &format!("reward f({}) vs reward_transform", times[i]),
        );
    }
    close(
        lik.log_likelihood(&theta).unwrap(),
        pdf.iter().map(|f| f.ln()).sum(),
        REL,
        1.0,
        "reward log L",
    );
    check_gradient(&lik, &theta, "rewards");
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn reward_likelihood_matches_reward_transform(
        model in model_strategy(vec![2, 3], false),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        r in proptest::collection::vec(0.2f64..3.0, 8),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=5),
        junk in prop_oneof![Just(0.0), 0.1f64..5.0],
    ) {
        check_rewards(&model, &unit, &r, &mult, junk);
    }

    #[test]
    fn homogeneous_reward_likelihood_matches_reward_transform(
        model in homogeneous_strategy(vec![1, 3]),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        r in proptest::collection::vec(0.2f64..3.0, 8),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=5),
    ) {
        check_rewards(&model, &unit, &r, &mult, 0.0);
    }
}

#[test]
fn reward_errors_name_the_vertex() {
    let model = draw(model_strategy(vec![2], false), 3);
    let g = model.graph();
    let mut r = model.place(&[1.5; 8], 0.0);
    let bad = model.perm[1];
    r[bad] = 0.0;
    match Likelihood::with_rewards(&g, &r, Observations::Times(vec![1.0])) {
        Err(Error::InvalidReward { vertex, reward, .. }) => {
            assert_eq!(vertex, bad);
            assert_eq!(reward, 0.0);
        }
        other => panic!("expected InvalidReward, got {other:?}"),
    }
    r[bad] = -1.0;
    assert!(matches!(
        Likelihood::with_rewards(&g, &r, Observations::Times(vec![1.0])),
        Err(Error::InvalidReward { vertex, .. }) if vertex == bad
    ));
    r[bad] = f64::NAN;
    assert!(matches!(
        Likelihood::with_rewards(&g, &r, Observations::Times(vec![1.0])),
        Err(Error::InvalidReward { vertex, .. }) if vertex == bad
    ));
    r[bad] = 2.0;
    assert!(Likelihood::with_rewards(&g, &r, Observations::Times(vec![1.0])).is_ok());
    // one reward per vertex
    assert!(matches!(
        Likelihood::with_rewards(&g, &r[1..], Observations::Times(vec![1.0])),
        Err(Error::RewardLength { expected, got }) if expected == g.vertex_count() && got == expected - 1
    ));
    // reward likelihoods are continuous
    assert!(matches!(
        Likelihood::with_rewards(&g, &r, Observations::Steps(vec![1])),
        Err(Error::InvalidSetting {
            name: "rewards",
            ..
        })
    ));
}

/// Exp(θ) with reward r: the reward is Exp(θ/r).
#[test]
fn reward_closed_form() {
    let g = erlang(1);
    let r = vec![0.0, 2.5, 0.0];
    let data = vec![0.4, 1.1, 3.0];
    let lik = Likelihood::with_rewards(&g, &r, Observations::Times(data.clone())).unwrap();
    let theta = 1.8;
    let rate = theta / 2.5;
    let sum: f64 = data.iter().sum();
    let (ll, grad) = lik.gradient(&[theta]).unwrap();
    close(
        ll,
        3.0 * rate.ln() - rate * sum,
        1e-12,
        1.0,
        "reward Exp log L",
    );
    close(
        grad[0],
        3.0 / theta - sum / 2.5,
        1e-11,
        1.0,
        "reward Exp gradient",
    );
}

// ---------------------------------------------------------------------------
// 4. Errors

/// Erlang(k, θ): `[k] → [k − 1] → … → [0]`, every rate θ.
fn erlang(k: i32) -> Graph {
    Graph::from_rule_with_params(&Initial::state(&[k]), 1, |s, out| {
        if s[0] > 0 {
            out.add_param(&[s[0] - 1], 0.0, &[1.0])
        }
    })
    .unwrap()
}

#[test]
fn invalid_inputs_are_errors() {
    let model = draw(model_strategy(vec![3], false), 0);
    let g = model.graph();
    let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0])).unwrap();
    // θ of the wrong length
    for bad in [vec![1.0, 1.0], vec![1.0; 4], vec![]] {
        let got = bad.len();
        assert!(matches!(
            lik.log_likelihood(&bad),
            Err(Error::ParamLength { expected: 3, got: g2 }) if g2 == got
        ));
        assert!(matches!(
            lik.gradient(&bad),
            Err(Error::ParamLength { expected: 3, .. })
        ));
        assert!(matches!(
            lik.log_likelihoods(&[vec![1.0; 3], bad.clone()]),
            Err(Error::ParamLength { expected: 3, .. })
        ));
    }
    // non-finite θ
    for (index, value) in [(1, f64::NAN), (2, f64::INFINITY), (0, f64::NEG_INFINITY)] {
        let mut theta = vec![1.0; 3];
        theta[index] = value;
        let check = |r: phasic_core::Result<f64>| match r {
            Err(Error::InvalidParam {
                index: i, value: v, ..
            }) => {
                assert_eq!(i, index);
                assert!(v.is_nan() && value.is_nan() || v == value);
            }
            other => panic!("expected InvalidParam, got {other:?}"),
        };
        check(lik.log_likelihood(&theta));
        check(lik.gradient(&theta).map(|x| x.0));
        check(lik.log_likelihoods(&[theta.clone()]).map(|x| x[0]));
    }
    // invalid times
    for t in [-0.5, f64::NAN, f64::INFINITY, -f64::MIN_POSITIVE] {
        match Likelihood::new(&g, Observations::Times(vec![1.0, t])) {
            Err(Error::InvalidTime(x)) => assert!(x.is_nan() && t.is_nan() || x == t),
            other => panic!("time {t}: expected InvalidTime, got {other:?}"),
        }
    }
    // no data
    assert!(matches!(
        Likelihood::new(&g, Observations::Times(vec![])),
        Err(Error::NoObservations)
    ));
    // a graph without parameters
    let plain = Graph::from_rule(&Initial::state(&[1]), |s, out| {
        if s[0] == 1 {
            out.add(&[2], 1.0)
        }
    })
    .unwrap();
    assert!(matches!(
        Likelihood::new(&plain, Observations::Times(vec![1.0])),
        Err(Error::NotParameterized)
    ));
    assert!(matches!(
        Likelihood::with_rewards(&plain, &[0.0, 1.0, 0.0], Observations::Times(vec![1.0])),
        Err(Error::NotParameterized)
    ));
}

#[test]
fn negative_weights_at_theta_are_errors() {
    // A → B (1 + θ₀), A → X (1), B → X (2θ₁); S → A (θ₁), S → B (1)
    let mut b = GraphBuilder::with_params(1, 2);
    let a = b.find_or_create(&[1]).unwrap();
    let bb = b.find_or_create(&[2]).unwrap();
    let x = b.find_or_create(&[3]).unwrap();
    b.add_param_edge(START, a, 0.0, &[0.0, 1.0]).unwrap();
    b.add_edge(START, bb, 1.0).unwrap();
    b.add_param_edge(a, bb, 1.0, &[1.0, 0.0]).unwrap();
    b.add_edge(a, x, 1.0).unwrap();
    b.add_param_edge(bb, x, 0.0, &[0.0, 2.0]).unwrap();
    let g = b.build();
    let lik = Likelihood::new(&g, Observations::Times(vec![0.3, 2.0])).unwrap();
    match lik.log_likelihood(&[-1.5, 1.0]) {
        Err(Error::InvalidWeight {
            from,
            from_state,
            to_state,
            weight,
        }) => {
            assert_eq!((from, from_state, to_state), (a, vec![1], vec![2]));
            assert_eq!(weight, -0.5);
        }
        other => panic!("expected InvalidWeight, got {other:?}"),
    }
    assert!(matches!(
        lik.gradient(&[-1.5, 1.0]),
        Err(Error::InvalidWeight { weight: -0.5, .. })
    ));
    // θ₁ < 0: B → X and the start's edge into A are negative
    match lik.log_likelihood(&[1.0, -0.25]) {
        Err(Error::InvalidWeight { from, weight, .. }) => {
            assert!(
                (from == bb && weight == -0.5) || (from == START && weight == -0.25),
                "from {from}, weight {weight}"
            );
        }
        other => panic!("expected InvalidWeight, got {other:?}"),
    }
    // a negative θ is fine while the weights are not negative:
    // θ₀ = −0.5 keeps A → B at 0.5
    assert!(lik.log_likelihood(&[-0.5, 1.0]).unwrap().is_finite());
    // a negative weight only in the start's edges
    let mut b = GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let x = b.find_or_create(&[2]).unwrap();
    b.add_param_edge(START, a, 0.5, &[1.0]).unwrap();
    b.add_edge(a, x, 1.0).unwrap();
    let g = b.build();
    let lik = Likelihood::new(&g, Observations::Times(vec![1.0])).unwrap();
    match lik.log_likelihood(&[-1.0]) {
        Err(Error::InvalidWeight {
            from,
            to_state,
            weight,
            ..
        }) => {
            assert_eq!((from, to_state, weight), (START, vec![1], -0.5));
        }
        other => panic!("expected InvalidWeight, got {other:?}"),
    }
    // start weights all zero: no initial distribution
    assert!(matches!(
        lik.log_likelihood(&[-0.5]),
        Err(Error::ZeroRate { vertex: START, .. })
    ));
    // the initial distribution does not depend on the scale of the start's weights
    let l1 = lik.log_likelihood(&[0.5]).unwrap();
    close(l1, -1.0, 1e-13, 1.0, "Exp(1) at t = 1");
    assert_eq!(l1.to_bits(), lik.log_likelihood(&[7.0]).unwrap().to_bits());
    // negative θ with a valid rate: Exp(2 + θ) at θ = −1 is Exp(1)
    let mut b = GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let x = b.find_or_create(&[2]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, x, 2.0, &[1.0]).unwrap();
    let g = b.build();
    let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 2.0])).unwrap();
    close(
        lik.log_likelihood(&[-1.0]).unwrap(),
        -2.5,
        1e-13,
        1.0,
        "Exp(2 + θ)",
    );
}

#[test]
fn zero_density_is_minus_infinity_and_has_no_gradient() {
    // Erlang(2, θ): f(0) = 0
    let g = erlang(2);
    let lik = Likelihood::new(&g, Observations::Times(vec![1.0, 0.0])).unwrap();
    let ll = lik.log_likelihood(&[2.0]).unwrap();
    assert_eq!(ll, f64::NEG_INFINITY);
    assert_eq!(
        lik.log_likelihoods(&[vec![2.0], vec![1.0]]).unwrap(),
        vec![f64::NEG_INFINITY; 2]
    );
    match lik.gradient(&[2.0]) {
        Err(e @ Error::ZeroProbability { observation }) => {
            assert_eq!(observation, 0.0);
            assert_eq!(
                e.to_string(),
                "observation 0 has zero probability at this θ: the log-likelihood is −∞"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(lik.gradients(&[vec![2.0]]).is_err());
    // Erlang(2, θ) at t = 1 alone: f = θ² t e^{−θt}
    let lik = Likelihood::new(&g, Observations::Times(vec![1.0])).unwrap();
    close(
        lik.log_likelihood(&[2.0]).unwrap(),
        (4.0f64).ln() - 2.0,
        1e-12,
        1.0,
        "Erlang(2, 2) at 1",
    );
    // Exp(θ) has mass at 0: f(0) = θ
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![0.0])).unwrap();
    close(
        lik.log_likelihood(&[3.0]).unwrap(),
        3f64.ln(),
        1e-14,
        1.0,
        "Exp f(0)",
    );
    let (_, grad) = lik.gradient(&[3.0]).unwrap();
    close(grad[0], 1.0 / 3.0, 1e-14, 1.0, "Exp ∂ ln f(0)");
    // discrete: two steps are the least a two-state chain can take
    let mut b = GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let bb = b.find_or_create(&[2]).unwrap();
    let x = b.find_or_create(&[3]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, bb, 0.0, &[1.0]).unwrap();
    b.add_edge(bb, x, 0.5).unwrap();
    let lik = Likelihood::new(&b.build(), Observations::Steps(vec![1, 3])).unwrap();
    assert_eq!(lik.log_likelihood(&[0.5]).unwrap(), f64::NEG_INFINITY);
    assert!(lik.gradient(&[0.5]).is_err());
}

/// Observations far in the tail have small but positive (and representable)
/// densities: the log-likelihood is finite and exact, not −∞ (the doc of
/// `log_likelihood` promises −∞ only for impossible observations).
#[test]
fn tail_observations_have_exact_log_likelihoods() {
    // Exp(θ): ln f(t) = ln θ − θt, ∂/∂θ = 1/θ − t
    let g = erlang(1);
    for (theta, t) in [
        (1.0, 10.0),
        (1.0, 30.0),
        (1.0, 40.0),
        (2.0, 50.0),
        (1.0, 100.0),
        (0.5, 1200.0),
    ] {
        let lik = Likelihood::new(&g, Observations::Times(vec![t])).unwrap();
        let want = f64::ln(theta) - theta * t;
        let got = lik.log_likelihood(&[theta]).unwrap();
        close(
            got,
            want,
            1e-9,
            1.0,
            &format!("Exp({theta}) at t = {t}: ln f"),
        );
        let (_, grad) = lik.gradient(&[theta]).unwrap();
        close(
            grad[0],
            1.0 / theta - t,
            1e-9,
            1.0,
            &format!("Exp({theta}) at t = {t}: ∂ ln f"),
        );
    }
    // Erlang(3, θ): ln f(t) = 3 ln θ + 2 ln t − ln 2 − θt
    let g = erlang(3);
    for (theta, t) in [(1.0, 20.0), (1.0, 45.0), (1.0, 80.0)] {
        let lik = Likelihood::new(&g, Observations::Times(vec![t])).unwrap();
        let want = 3.0 * f64::ln(theta) + 2.0 * f64::ln(t) - f64::ln(2.0) - theta * t;
        let got = lik.log_likelihood(&[theta]).unwrap();
        close(
            got,
            want,
            1e-9,
            1.0,
            &format!("Erlang(3, {theta}) at t = {t}: ln f"),
        );
    }
    // discrete: geometric(½) at step k, ln P = k ln ½ (exact recursion)
    let mut b = GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let x = b.find_or_create(&[2]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, x, 0.0, &[1.0]).unwrap();
    let lik = Likelihood::new(&b.build(), Observations::Steps(vec![1000])).unwrap();
    close(
        lik.log_likelihood(&[0.5]).unwrap(),
        1000.0 * f64::ln(0.5),
        1e-12,
        1.0,
        "geometric(½) at 1000",
    );
}

// ---------------------------------------------------------------------------
// 5. Batches

#[test]
fn batches_are_bit_identical_for_any_thread_count() {
    for (p, skip, times) in [
        (3, 5, Observations::Times(vec![0.05, 0.4, 1.3, 2.2, 5.0])),
        (10, 2, Observations::Times(vec![0.3, 1.7])),
    ] {
        let model = draw(model_strategy(vec![p], false), skip);
        let g = model.graph();
        let lik = Likelihood::new(&g, times).unwrap();
        // θs of very different sizes, so groups are reordered by cost
        let thetas: Vec<Vec<f64>> = (0..20)
            .map(|i| {
                (0..p)
                    .map(|j| THETA_LO + ((i * 7 + j * 3) % 11) as f64 * 0.14 + (i % 4) as f64 * 0.3)
                    .collect()
            })
            .collect();
        let single: Vec<u64> = thetas
            .iter()
            .map(|t| lik.log_likelihood(t).unwrap().to_bits())
            .collect();
        let single_grad: Vec<(u64, Vec<u64>)> = thetas
            .iter()
            .map(|t| {
                let (l, g) = lik.gradient(t).unwrap();
                (l.to_bits(), g.iter().map(|x| x.to_bits()).collect())
            })
            .collect();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for n in [20, 7, 3, 1] {
                let batch = pool.install(|| lik.log_likelihoods(&thetas[..n]).unwrap());
                let bits: Vec<u64> = batch.iter().map(|x| x.to_bits()).collect();
                assert_eq!(bits, single[..n], "p {p}, {threads} threads, {n} θs");
                let grads = pool.install(|| lik.gradients(&thetas[..n]).unwrap());
                let bits: Vec<(u64, Vec<u64>)> = grads
                    .iter()
                    .map(|(l, g)| (l.to_bits(), g.iter().map(|x| x.to_bits()).collect()))
                    .collect();
                assert_eq!(
                    bits,
                    single_grad[..n],
                    "gradients: p {p}, {threads} threads, {n} θs"
                );
            }
        }
        assert_eq!(lik.log_likelihoods(&[]).unwrap(), Vec::<f64>::new());
    }
}

// ---------------------------------------------------------------------------
// 6. Maximum likelihood

#[test]
fn mle_reaches_closed_forms() {
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
    for (k, true_rate, n) in [(1, 2.0, 40), (3, 0.7, 30)] {
        let mut g = erlang(k);
        g.update_weights(&[true_rate]).unwrap();
        let sampler = Sampler::continuous(&g).unwrap();
        let data = sampler.times(&mut rng, n);
        let sum: f64 = data.iter().sum();
        let mle = k as f64 * n as f64 / sum;
        let lik = Likelihood::new(&g, Observations::Times(data.clone())).unwrap();
        let fit = maximum_likelihood(
            &lik,
            &MleOptions {
                start: vec![true_rate * 3.0],
                iterations: 100,
                tolerance: 1e-9,
            },
            &no_progress,
        )
        .unwrap();
        // the score n·k − θ·Σt in log θ is within 1e-9 of 0
        let tol = 1e-9 / (k as f64 * n as f64) + 1e-14;
        rel(fit.theta[0], mle, tol, &format!("Erlang({k}) MLE"));
        assert!(fit.converged, "{fit:?}");
        assert!(fit.iterations >= 2 && fit.iterations <= 30, "{fit:?}");
        assert!(fit.evaluations > fit.iterations);
        // ln L at the optimum: Σ [k ln θ + (k − 1) ln t − ln (k − 1)! − θ t]
        let ln_fact: f64 = (1..k).map(|i| (i as f64).ln()).sum();
        let best: f64 = data
            .iter()
            .map(|&t| k as f64 * mle.ln() + (k - 1) as f64 * t.ln() - ln_fact - mle * t)
            .sum();
        close(fit.log_likelihood, best, 1e-9, 1.0, "ln L at the MLE");
        close(
            fit.log_likelihood,
            lik.log_likelihood(&fit.theta).unwrap(),
            1e-12,
            1.0,
            "reported ln L",
        );
        assert!(fit.log_likelihood <= best + 1e-9);
    }
}

/// Exp data with one observation in the tail of a poor starting θ: the
/// start is a valid θ with a finite log-likelihood (3 ln 9 − 9·6.5), so
/// the fit must proceed to the MLE 3/6.5.
#[test]
fn mle_from_a_distant_start() {
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![0.5, 1.0, 5.0])).unwrap();
    close(
        lik.log_likelihood(&[9.0]).unwrap(),
        3.0 * 9f64.ln() - 9.0 * 6.5,
        1e-9,
        1.0,
        "ln L at the start",
    );
    let fit = maximum_likelihood(
        &lik,
        &MleOptions {
            start: vec![9.0],
            iterations: 100,
            tolerance: 1e-10,
        },
        &no_progress,
    )
    .unwrap();
    assert!(fit.converged, "{fit:?}");
    rel(fit.theta[0], 3.0 / 6.5, 1e-10, "Exp MLE from θ = 9");
}

#[test]
fn mle_rejects_bad_starts() {
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![1.0])).unwrap();
    let opts = |start: Vec<f64>| MleOptions {
        start,
        iterations: 10,
        tolerance: 1e-12,
    };
    assert!(matches!(
        maximum_likelihood(&lik, &opts(vec![0.0]), &no_progress),
        Err(Error::InvalidParam { index: 0, .. })
    ));
    assert!(matches!(
        maximum_likelihood(&lik, &opts(vec![-1.0]), &no_progress),
        Err(Error::InvalidParam { index: 0, .. })
    ));
    assert!(matches!(
        maximum_likelihood(&lik, &opts(vec![1.0, 1.0]), &no_progress),
        Err(Error::ParamLength {
            expected: 1,
            got: 2
        })
    ));
    for tolerance in [f64::NAN, -1e-9] {
        let options = MleOptions {
            tolerance,
            ..opts(vec![1.0])
        };
        assert!(matches!(
            maximum_likelihood(&lik, &options, &no_progress),
            Err(Error::InvalidSetting {
                name: "tolerance",
                ..
            })
        ));
    }
    // a start far from the data's time scale (Λ·t_max = 1e300) is an
    // error, not a series of 1e300 steps
    match maximum_likelihood(&lik, &opts(vec![1e300]), &no_progress) {
        Err(e @ Error::InvalidSetting { value, .. }) => {
            assert!((value / 1e300 - 1.0).abs() < 1e-12, "{value}"); // via ln θ
            assert!(e.to_string().contains("more than a million steps"), "{e}");
        }
        other => panic!("expected InvalidSetting, got {other:?}"),
    }
}

#[test]
fn adam_first_step_is_the_rate_along_the_sign() {
    // bias-corrected m/√v of the first step is g/|g|
    let mut adam = Adam::new(0.1, 3);
    let mut x = [1.0, 2.0, 3.0];
    adam.ascend(&mut x, &[4.0, -0.25, 0.0]);
    close(x[0], 1.0 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-15, 1.0, "x0");
    close(x[1], 2.0 - 0.1 * 0.25 / (0.25 + 1e-8), 1e-15, 1.0, "x1");
    assert_eq!(x[2], 3.0);
}

// ---------------------------------------------------------------------------
// 7. SVGD and priors

/// Quantiles of Exp(2): deterministic "data" with mean ≈ 1/2.
fn exp_quantiles(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| -(1.0 - (i as f64 + 0.5) / n as f64).ln() / 2.0)
        .collect()
}

fn svgd_run(
    lik: &Likelihood,
    prior: Prior,
    particles: usize,
    iterations: usize,
    seed: u64,
) -> Posterior {
    svgd(
        lik,
        &SvgdOptions {
            particles,
            iterations,
            rate: 0.05,
            priors: vec![prior],
            center: vec![1.0],
            seed,
        },
        &no_progress,
    )
    .unwrap()
}

/// Mean and sd of the density `exp(log_p)` on `(0, hi]`, by Simpson's rule.
fn quadrature(log_p: impl Fn(f64) -> f64, hi: f64) -> (f64, f64) {
    let n = 20_000;
    let h = hi / n as f64;
    let xs: Vec<f64> = (0..=n).map(|i| (i as f64 * h).max(1e-300)).collect();
    let lp: Vec<f64> = xs.iter().map(|&x| log_p(x)).collect();
    let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut m = [0.0; 3];
    for (i, (&x, &l)) in xs.iter().zip(&lp).enumerate() {
        let w = if i == 0 || i == n {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let d = w * (l - top).exp();
        m[0] += d;
        m[1] += d * x;
        m[2] += d * x * x;
    }
    let mean = m[1] / m[0];
    (mean, (m[2] / m[0] - mean * mean).sqrt())
}

fn check_summaries(post: &Posterior) {
    let v: Vec<f64> = post.particles.iter().map(|p| p[0]).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    close(post.mean[0], mean, 1e-12, 0.0, "posterior mean field");
    close(post.sd[0], sd, 1e-12, 0.0, "posterior sd field");
    let mut s = v.clone();
    s.sort_by(f64::total_cmp);
    assert_eq!(post.quantile(0, 0.0), s[0]);
    assert_eq!(post.quantile(0, 1.0), s[s.len() - 1]);
    // q = 0.5 over 60 particles: halfway between the 30th and 31st
    let half = post.quantile(0, 0.5);
    let x = 0.5 * (s.len() - 1) as f64;
    let (i, f) = (x.floor() as usize, x.fract());
    close(half, s[i] * (1.0 - f) + s[i + 1] * f, 1e-15, 0.0, "median");
    assert!(s.iter().all(|&t| t > 0.0 && t.is_finite()));
}

#[test]
fn svgd_flat_prior_matches_gamma_posterior() {
    let data = exp_quantiles(50);
    let sum: f64 = data.iter().sum();
    let lik = Likelihood::new(&erlang(1), Observations::Times(data)).unwrap();
    // flat prior on θ: θ | data ~ Gamma(n + 1, Σt)
    let (mean, sd) = (51.0 / sum, 51f64.sqrt() / sum);
    let post = svgd_run(&lik, Prior::Flat, 60, 600, 3);
    assert_eq!(post.particles.len(), 60);
    check_summaries(&post);
    rel(post.mean[0], mean, 0.03, "SVGD mean vs Gamma(n + 1, Σt)");
    rel(post.sd[0], sd, 0.1, "SVGD sd vs Gamma(n + 1, Σt)");
    // the median of Gamma(51, Σt) is ≈ (51 − 1/3)/Σt
    rel(
        post.quantile(0, 0.5),
        (51.0 - 1.0 / 3.0) / sum,
        0.03,
        "SVGD median",
    );

    // the same seed gives the same particles with any thread count
    let run = |threads: usize, seed: u64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| svgd_run(&lik, Prior::Flat, 60, 100, seed))
    };
    let bits = |p: &Posterior| -> Vec<u64> { p.particles.iter().map(|x| x[0].to_bits()).collect() };
    let (one, two) = (run(1, 9), run(2, 9));
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(one, two);
    let other = run(2, 10);
    assert_ne!(bits(&one), bits(&other));
}

#[test]
fn svgd_with_priors_matches_quadrature() {
    let data = exp_quantiles(5);
    let sum: f64 = data.iter().sum();
    let lik = Likelihood::new(&erlang(1), Observations::Times(data)).unwrap();
    for prior in [
        Prior::Normal { mean: 1.0, sd: 0.3 },
        Prior::LogNormal {
            mu: 0.5,
            sigma: 0.4,
        },
        Prior::HalfCauchy { scale: 0.5 },
    ] {
        // posterior in θ: θ⁵ e^{−θΣt} p(θ)
        let (mean, sd) = quadrature(|t| 5.0 * t.ln() - t * sum + prior.log_density(t).0, 30.0);
        let post = svgd_run(&lik, prior, 60, 600, 5);
        check_summaries(&post);
        rel(post.mean[0], mean, 0.03, &format!("{prior:?}: SVGD mean"));
        rel(post.sd[0], sd, 0.1, &format!("{prior:?}: SVGD sd"));
    }
}

#[test]
fn svgd_rejects_bad_settings() {
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![1.0])).unwrap();
    let opts = |particles, priors: Vec<Prior>, center: Vec<f64>| SvgdOptions {
        particles,
        iterations: 5,
        rate: 0.05,
        priors,
        center,
        seed: 1,
    };
    assert!(matches!(
        svgd(&lik, &opts(1, vec![Prior::Flat], vec![1.0]), &no_progress),
        Err(Error::InvalidSetting {
            name: "particles",
            ..
        })
    ));
    assert!(matches!(
        svgd(
            &lik,
            &opts(4, vec![Prior::Flat, Prior::Flat], vec![1.0]),
            &no_progress
        ),
        Err(Error::ParamLength {
            expected: 1,
            got: 2
        })
    ));
    assert!(matches!(
        svgd(
            &lik,
            &opts(4, vec![Prior::HalfCauchy { scale: 0.0 }], vec![1.0]),
            &no_progress
        ),
        Err(Error::InvalidSetting { .. })
    ));
    assert!(matches!(
        svgd(&lik, &opts(4, vec![Prior::Flat], vec![-1.0]), &no_progress),
        Err(Error::InvalidParam { index: 0, .. })
    ));
    for rate in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let options = SvgdOptions {
            rate,
            ..opts(4, vec![Prior::Flat], vec![1.0])
        };
        assert!(matches!(
            svgd(&lik, &options, &no_progress),
            Err(Error::InvalidSetting { name: "rate", .. })
        ));
    }
    assert!(svgd(&lik, &opts(4, vec![Prior::Flat], vec![1.0]), &no_progress).is_ok());
}

#[test]
fn prior_log_densities_and_derivatives() {
    let priors = [
        Prior::Normal { mean: 1.3, sd: 0.7 },
        Prior::LogNormal {
            mu: -0.2,
            sigma: 0.6,
        },
        Prior::HalfCauchy { scale: 2.5 },
    ];
    for prior in priors {
        prior.check().unwrap();
        for theta in [0.05, 0.4, 1.0, 2.7, 9.0] {
            let (_, d) = prior.log_density(theta);
            let h = 1e-6 * theta;
            let fd = (prior.log_density(theta + h).0 - prior.log_density(theta - h).0) / (2.0 * h);
            close(
                d,
                fd,
                1e-6,
                1.0,
                &format!("{prior:?} at {theta}: derivative"),
            );
        }
        // log-density differences against the normalised densities
        let density = |t: f64| -> f64 {
            use std::f64::consts::PI;
            match prior {
                Prior::Normal { mean, sd } => {
                    (-(t - mean).powi(2) / (2.0 * sd * sd)).exp() / (sd * (2.0 * PI).sqrt())
                }
                Prior::LogNormal { mu, sigma } => {
                    (-(t.ln() - mu).powi(2) / (2.0 * sigma * sigma)).exp()
                        / (t * sigma * (2.0 * PI).sqrt())
                }
                Prior::HalfCauchy { scale } => 2.0 / (PI * scale * (1.0 + (t / scale).powi(2))),
                Prior::Flat => 1.0,
            }
        };
        for (a, b) in [(0.3, 1.1), (2.0, 0.9), (5.0, 0.2)] {
            close(
                prior.log_density(a).0 - prior.log_density(b).0,
                (density(a) / density(b)).ln(),
                1e-12,
                1.0,
                &format!("{prior:?}: ln p({a}) − ln p({b})"),
            );
        }
    }
    assert_eq!(Prior::Flat.log_density(3.0), (0.0, 0.0));
    Prior::Flat.check().unwrap();
    // invalid scales and locations
    for bad in [
        Prior::Normal { mean: 1.0, sd: 0.0 },
        Prior::Normal {
            mean: 1.0,
            sd: -1.0,
        },
        Prior::Normal {
            mean: 1.0,
            sd: f64::NAN,
        },
        Prior::Normal {
            mean: f64::INFINITY,
            sd: 1.0,
        },
        Prior::LogNormal {
            mu: 0.0,
            sigma: 0.0,
        },
        Prior::LogNormal {
            mu: 0.0,
            sigma: f64::INFINITY,
        },
        Prior::LogNormal {
            mu: f64::NAN,
            sigma: 1.0,
        },
        Prior::HalfCauchy { scale: 0.0 },
        Prior::HalfCauchy { scale: -2.0 },
        Prior::HalfCauchy {
            scale: f64::INFINITY,
        },
        Prior::HalfCauchy { scale: f64::NAN },
    ] {
        assert!(
            matches!(bad.check(), Err(Error::InvalidSetting { .. })),
            "{bad:?} accepted"
        );
    }
}
