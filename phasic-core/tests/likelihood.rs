//! Likelihoods of parameterized graphs and their gradients (the fits built
//! on them are in `fit.rs`).
//!
//! Random parameterized graphs are generated as logical edge lists
//! (`base + c·θ` per edge) and built twice: through `GraphBuilder` in a
//! shuffled vertex numbering, and as dense matrices straight from the edge
//! list at θ. Densities are checked against nalgebra's matrix exponential
//! (`α e^{St} s`), pmfs against dense matrix powers (`α T^{k−1} t`), and
//! gradients against central finite differences of `log_likelihood`.

mod common;

use common::random_graph::{D_THETA_HI, D_THETA_LO, FROM_START, RandomGraph, THETA_HI, THETA_LO};
use common::{close, config, erlang, rel};
use phasic_core::{
    DiscretePhaseType, Error, Graph, GraphBuilder, GraphView, Initial, Method, PhaseType, START,
    distribution::reward_transform, inference::Likelihood, inference::Observations,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Relative agreement of densities / pmfs with the dense reference.
const REL: f64 = 1e-9;
/// Finite differences: step `FD_STEP·θ_i`, tolerance `FD_TOL·max(|g|, 1)`.
const FD_STEP: f64 = 1e-6;
const FD_TOL: f64 = 1e-5;

// ---------------------------------------------------------------------------
// Comparisons

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
// Random parameterized graphs (common::random_graph)

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

fn check_continuous(model: &RandomGraph, unit: &[f64], mult: &[f64]) {
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
        model in RandomGraph::parameterized(vec![2, 3], false),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=6),
    ) {
        check_continuous(&model, &unit, &mult);
    }

    /// More parameters than one derivative pass carries (7).
    #[test]
    fn continuous_gradient_with_many_parameters(
        model in RandomGraph::parameterized(vec![8, 10, 15], false),
        unit in proptest::collection::vec(0.0f64..1.0, 15),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=4),
    ) {
        check_continuous(&model, &unit, &mult);
    }

    /// Homogeneous models: one score by Euler's identity, from one to
    /// more than a pass of parameters.
    #[test]
    fn homogeneous_log_likelihood_and_gradient_match_dense(
        model in RandomGraph::homogeneous(vec![1, 2, 3, 8, 9]),
        unit in proptest::collection::vec(0.0f64..1.0, 9),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=6),
    ) {
        check_continuous(&model, &unit, &mult);
    }
}

#[test]
fn homogeneous_generator_has_no_fixed_rates() {
    let mut runner = TestRunner::deterministic();
    let strategy = RandomGraph::homogeneous(vec![1, 3]);
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
    let strategy = RandomGraph::parameterized(vec![2, 3], false);
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

fn check_discrete(model: &RandomGraph, unit: &[f64], steps: &[u64]) {
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
        model in RandomGraph::parameterized(vec![2, 3], true),
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

fn check_rewards(model: &RandomGraph, unit: &[f64], r: &[f64], mult: &[f64], junk: f64) {
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
        model in RandomGraph::parameterized(vec![2, 3], false),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        r in proptest::collection::vec(0.2f64..3.0, 8),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=5),
        junk in prop_oneof![Just(0.0), 0.1f64..5.0],
    ) {
        check_rewards(&model, &unit, &r, &mult, junk);
    }

    #[test]
    fn homogeneous_reward_likelihood_matches_reward_transform(
        model in RandomGraph::homogeneous(vec![1, 3]),
        unit in proptest::collection::vec(0.0f64..1.0, 3),
        r in proptest::collection::vec(0.2f64..3.0, 8),
        mult in proptest::collection::vec(0.1f64..3.0, 1..=5),
    ) {
        check_rewards(&model, &unit, &r, &mult, 0.0);
    }
}

#[test]
fn reward_errors_name_the_vertex() {
    let model = draw(RandomGraph::parameterized(vec![2], false), 3);
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

#[test]
fn invalid_inputs_are_errors() {
    let model = draw(RandomGraph::parameterized(vec![3], false), 0);
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

/// A geometric number of steps: leaving with probability θ each step.
fn geometric() -> Graph {
    let mut b = GraphBuilder::with_params(1, 1);
    let a = b.find_or_create(&[1]).unwrap();
    let x = b.find_or_create(&[2]).unwrap();
    b.add_edge(START, a, 1.0).unwrap();
    b.add_param_edge(a, x, 0.0, &[1.0]).unwrap();
    b.build()
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
    let lik = Likelihood::new(&geometric(), Observations::Steps(vec![1000])).unwrap();
    close(
        lik.log_likelihood(&[0.5]).unwrap(),
        1000.0 * f64::ln(0.5),
        1e-12,
        1.0,
        "geometric(½) at 1000",
    );
}

/// Densities whose value is below the smallest `f64` but whose logarithm
/// is an ordinary number (issue 15, item 8): a tiny time many jumps before
/// the first possible absorption, a time so far out that the chain's
/// state probabilities fell below 1e-308, a discrete step count as far.
/// They were −∞ ("zero probability").
#[test]
fn densities_beyond_f64_keep_their_logarithm() {
    let ln_factorial = |n: u32| (2..=n).map(|i| f64::from(i).ln()).sum::<f64>();
    // Erlang(50, θ): ln f(t) = 50 ln θ + 49 ln t − ln 49! − θt, ∂/∂θ = 50/θ − t;
    // f(1e-8) = e^−1047 at θ = 1. Alone (the series is as short as the
    // time) and beside an ordinary time.
    let g = erlang(50);
    let ln_f =
        |theta: f64, t: f64| 50.0 * theta.ln() + 49.0 * t.ln() - ln_factorial(49) - theta * t;
    for (theta, times) in [
        (1.0, vec![1e-8]),
        (3.0, vec![1e-8]),
        (1.0, vec![1e-8, 40.0]),
    ] {
        let lik = Likelihood::new(&g, Observations::Times(times.clone())).unwrap();
        let want: f64 = times.iter().map(|&t| ln_f(theta, t)).sum();
        let (ll, grad) = lik.gradient(&[theta]).unwrap();
        close(
            ll,
            want,
            1e-12,
            1.0,
            &format!("Erlang(50, {theta}) at {times:?}"),
        );
        let score: f64 = times.iter().map(|&t| 50.0 / theta - t).sum();
        close(
            grad[0],
            score,
            1e-9,
            1.0,
            &format!("Erlang(50, {theta}) at {times:?}: ∂"),
        );
    }
    // rates 2θ then θ: f(t) = 2θ(e^{−θt} − e^{−2θt}); at t = 1000 the
    // uniformized chain (Λ = 2θ, the second state staying with
    // probability ½) holds 2^−2000 after the jumps that matter
    let g = Graph::from_rule_with_params(&Initial::state(&[2]), 1, |s, out| match s[0] {
        2 => out.add_param(&[1], 0.0, &[2.0]),
        1 => out.add_param(&[0], 0.0, &[1.0]),
        _ => {}
    })
    .unwrap();
    for (theta, t) in [(1.0f64, 1000.0f64), (0.5, 3000.0)] {
        let lik = Likelihood::new(&g, Observations::Times(vec![t])).unwrap();
        let want = (2.0 * theta).ln() - theta * t + (-(-theta * t).exp()).ln_1p();
        let (ll, grad) = lik.gradient(&[theta]).unwrap();
        close(ll, want, 1e-12, 1.0, &format!("2θ, θ at t = {t}"));
        close(
            grad[0],
            1.0 / theta - t,
            1e-9,
            1.0,
            &format!("2θ, θ at t = {t}: ∂"),
        );
    }
    // discrete: geometric(½) at step 3000, P = 2^−3000
    let lik = Likelihood::new(&geometric(), Observations::Steps(vec![3000, 2])).unwrap();
    let (ll, grad) = lik.gradient(&[0.5]).unwrap();
    close(
        ll,
        3002.0 * f64::ln(0.5),
        1e-12,
        1.0,
        "geometric(½) at 3000 and 2",
    );
    // ∂/∂p ln(p(1 − p)^{k−1}) = 1/p − (k − 1)/(1 − p)
    close(
        grad[0],
        2.0 / 0.5 - 3000.0 / 0.5,
        1e-9,
        1.0,
        "geometric(½): ∂",
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
        let model = draw(RandomGraph::parameterized(vec![p], false), skip);
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
