//! Reference values: every worked example of docs/ALGORITHMS.md §9 and the
//! models of docs/MODELS.md §1–3 and §7, built here from rules or by hand.
//!
//! Tolerances: relative 1e-12 for moments and other expectations, absolute
//! 1e-12 for probabilities and densities computed by exact uniformization
//! (its documented error bound), exact equality where the arithmetic is
//! exact (dyadic probabilities of the geometric DPH, counts, states).
//! Sampling checks allow four standard errors with a fixed seed.

mod common;

use common::{rel, rel_all};
use phasic_core::PhaseTypeDistribution;
use phasic_core::{
    DiscretePhaseType, Graph, GraphBuilder, GraphView, Initial, Method, PhaseType, START,
    distribution::DiscreteContext, distribution::GranularityContext, distribution::Sampler,
    distribution::Uniformization, distribution::reward_transform,
    distribution::reward_transform_discrete,
};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

const REL: f64 = 1e-12;

// ---------------------------------------------------------------------------
// Comparisons

/// `|got − want| ≤ tol`.
#[track_caller]
fn abs(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e}, diff {:e} > {tol:e}",
        (got - want).abs()
    );
}

/// `|mean − want| ≤ 4·sd/√n` for a sample mean.
#[track_caller]
fn within_se(mean: f64, want: f64, sd: f64, n: usize, what: &str) {
    let bound = 4.0 * sd / (n as f64).sqrt();
    assert!(
        (mean - want).abs() <= bound,
        "{what}: sample mean {mean}, exact {want}, diff {} > 4 SE = {bound}",
        (mean - want).abs()
    );
}

// ---------------------------------------------------------------------------
// Graphs

/// Vertices `1..=n` with states `[1]..[n]` (so vertex `i` has state `[i]`),
/// then the edges `(from, to, weight)`, `0` being the start.
fn graph_from_edges(n: usize, edges: &[(usize, usize, f64)]) -> Graph {
    let mut b = GraphBuilder::new(1);
    for i in 1..=n {
        assert_eq!(b.find_or_create(&[i as i32]).unwrap(), i);
    }
    for &(from, to, w) in edges {
        b.add_edge(from, to, w).unwrap();
    }
    b.build()
}

/// `S → v (1)`, `v → a (rate)`: Exp(rate), or the geometric DPH when
/// `rate ≤ 1` is read as a probability.
fn exponential(rate: f64) -> Graph {
    graph_from_edges(2, &[(START, 1, 1.0), (1, 2, rate)])
}

/// Erlang(k, λ): states `[k] → [k−1] → … → [0]`, each at rate λ.
fn erlang(k: i32, rate: f64) -> Graph {
    Graph::from_rule(&Initial::state(&[k]), |s, out| {
        if s[0] > 0 {
            out.add(&[s[0] - 1], rate)
        }
    })
    .unwrap()
}

/// docs/ALGORITHMS.md §9.3: `S→v₁ (1)`, `v₁→v₂ (4)`, `v₂→a (10)`.
fn hypoexponential() -> Graph {
    graph_from_edges(3, &[(START, 1, 1.0), (1, 2, 4.0), (2, 3, 10.0)])
}

/// docs/ALGORITHMS.md §3.5 / §9.4 (paper Fig. 3): A=1, B=2, C=3, D=4.
fn fig3() -> Graph {
    graph_from_edges(
        4,
        &[
            (START, 1, 1.0),
            (1, 2, 0.6),
            (1, 4, 0.4),
            (2, 3, 0.5),
            (2, 4, 0.5),
            (3, 1, 1.0),
        ],
    )
}

/// docs/ALGORITHMS.md §9.6: A=1, B=2, C=3, D=4.
fn reward_loop() -> Graph {
    graph_from_edges(
        4,
        &[
            (START, 1, 1.0),
            (1, 2, 2.0),
            (1, 4, 1.0),
            (2, 1, 3.0),
            (2, 3, 1.0),
            (3, 4, 4.0),
        ],
    )
}

/// Two absorbing vertices and a cycle: `S→A 1`, `A→B 2`, `A→a₁ 1`,
/// `B→A 1`, `B→a₂ 3` (A=1, B=2, a₁=3, a₂=4). From A, `P(a₁) = 2/5`.
fn two_exits() -> Graph {
    graph_from_edges(
        4,
        &[
            (START, 1, 1.0),
            (1, 2, 2.0),
            (1, 3, 1.0),
            (2, 1, 1.0),
            (2, 4, 3.0),
        ],
    )
}

/// docs/MODELS.md §1: `[k] → [k−1]` at rate `C(k, 2)`.
fn kingman(n: i32) -> Graph {
    Graph::from_rule(&Initial::state(&[n]), |s, out| {
        let k = s[0];
        if k > 1 {
            out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0)
        }
    })
    .unwrap()
}

/// docs/MODELS.md §2: the block-counting coalescent, emission order `i ≤ j` upward.
fn block_counting(n: usize) -> Graph {
    let mut init = vec![0; n];
    init[0] = n as i32;
    let mut child = vec![0; n];
    Graph::from_rule(&Initial::state(&init), |a, out| {
        for i in 0..a.len() {
            for j in i..a.len() {
                let rate = if i == j {
                    f64::from(a[i] * (a[i] - 1)) / 2.0
                } else {
                    f64::from(a[i] * a[j])
                };
                if rate > 0.0 {
                    child.copy_from_slice(a);
                    child[i] -= 1;
                    child[j] -= 1;
                    child[i + j + 1] += 1;
                    out.add(&child, rate);
                }
            }
        }
    })
    .unwrap()
}

/// docs/MODELS.md §3 with J = 1, F_L = 2, F_R = 4.
fn rabbits(k: i32) -> Graph {
    Graph::from_rule(&Initial::state(&[k, 0]), |s, out| {
        let (l, r) = (s[0], s[1]);
        if l > 0 {
            out.add(&[l - 1, r + 1], 1.0);
            out.add(&[0, r], 2.0);
        }
        if r > 0 {
            out.add(&[l + 1, r - 1], 1.0);
            out.add(&[l, 0], 4.0);
        }
    })
    .unwrap()
}

/// docs/MODELS.md §7: the Kingman graph with one auxiliary (mutation) vertex per
/// transient vertex, appended in index order, every vertex's out-weights
/// normalised to probabilities. Returns the DPH and the reward vector
/// (1 on auxiliaries).
fn segregating_sites(n: i32, theta: f64) -> (Graph, Vec<f64>) {
    let king = kingman(n);
    let nv = king.vertex_count();
    let mut b = GraphBuilder::new(1);
    for v in 1..nv {
        assert_eq!(b.find_or_create(king.state(v)).unwrap(), v);
    }
    let transient: Vec<usize> = (1..nv).filter(|&v| !king.is_absorbing(v)).collect();
    let aux: Vec<usize> = transient.iter().map(|_| b.create(&[0]).unwrap()).collect();
    for v in 0..nv {
        let mutation = transient
            .iter()
            .position(|&t| t == v)
            .map(|i| (aux[i], theta / 2.0 * f64::from(king.state(v)[0])));
        let total = king.rate(v) + mutation.map_or(0.0, |m| m.1);
        for (&t, &w) in king.out_targets(v).iter().zip(king.out_weights(v)) {
            b.add_edge(v, t as usize, w / total).unwrap();
        }
        if let Some((a, mu)) = mutation {
            b.add_edge(v, a, mu / total).unwrap();
            b.add_edge(a, v, 1.0).unwrap();
        }
    }
    let mut rewards = vec![0.0; nv + aux.len()];
    for &a in &aux {
        rewards[a] = 1.0;
    }
    (b.build(), rewards)
}

/// Reward `f(state)` per vertex, 0 at the start.
fn state_rewards(g: &Graph, f: impl Fn(&[i32]) -> f64) -> Vec<f64> {
    (0..g.vertex_count())
        .map(|v| if v == START { 0.0 } else { f(g.state(v)) })
        .collect()
}

/// The states of all vertices after the start, in vertex order.
fn states(g: &Graph) -> Vec<Vec<i32>> {
    (1..g.vertex_count()).map(|v| g.state(v).to_vec()).collect()
}

/// Weight of the edge `from → to` (vertices named by state, `None` = start).
fn edge(g: &Graph, from: Option<&[i32]>, to: &[i32]) -> Option<f64> {
    let u = match from {
        None => START,
        Some(s) => g.find_vertex(s)?,
    };
    let z = g.find_vertex(to)?;
    let i = g.out_targets(u).iter().position(|&t| t as usize == z)?;
    Some(g.out_weights(u)[i])
}

// ---------------------------------------------------------------------------
// Closed forms

fn harmonic(n: u32) -> f64 {
    (1..=n).map(|i| 1.0 / f64::from(i)).sum()
}

fn sum_inv_sq(n: u32) -> f64 {
    (1..=n).map(|i| 1.0 / f64::from(i * i)).sum()
}

/// `(1 − 1/g)^k`, computed accurately.
fn decay(g: f64, k: f64) -> f64 {
    (k * (-1.0 / g).ln_1p()).exp()
}

/// `P(S = 0..=kmax)` for `S = Σ_{k=2..n} G_k`, `G_k` geometric on `{0, 1, …}`
/// with success probability `(k−1)/(k−1+θ)`, by convolution.
fn segregating_sites_pmf(n: i32, theta: f64, kmax: usize) -> Vec<f64> {
    let mut pmf = vec![0.0; kmax + 1];
    pmf[0] = 1.0;
    for k in 2..=n {
        let q = f64::from(k - 1) / (f64::from(k - 1) + theta);
        let g: Vec<f64> = (0..=kmax).map(|i| q * (1.0 - q).powi(i as i32)).collect();
        pmf = (0..=kmax)
            .map(|i| (0..=i).map(|j| pmf[j] * g[i - j]).sum())
            .collect();
    }
    pmf
}

// ===========================================================================
// docs/ALGORITHMS.md §9.1 — exponential

#[test]
fn exponential_moments_and_vectors() {
    let g = exponential(2.0);
    let ph = PhaseType::new(&g).unwrap();
    rel_all(
        &ph.moments(3, None).unwrap(),
        &[0.5, 0.5, 0.75],
        REL,
        "moments",
    );
    rel(ph.expectation(None).unwrap(), 0.5, REL, "E");
    rel(ph.variance(None).unwrap(), 0.25, REL, "Var");
    rel_all(
        &ph.expected_waiting_time(None).unwrap(),
        &[0.5, 0.5, 0.0],
        REL,
        "expected_waiting_time",
    );
    rel_all(&ph.sojourn_times(), &[0.0, 0.5, 0.0], REL, "sojourn");
    // general λ
    for lambda in [0.5, 1.0, 3.0, 10.0] {
        let g = exponential(lambda);
        let m = PhaseType::new(&g).unwrap().moments(3, None).unwrap();
        let l: f64 = lambda;
        rel_all(
            &m,
            &[1.0 / l, 2.0 / l.powi(2), 6.0 / l.powi(3)],
            REL,
            "moments(λ)",
        );
    }
}

#[test]
fn exponential_exact_pdf_cdf() {
    let lambda = 2.0;
    let g = exponential(lambda);
    let ph = PhaseType::new(&g).unwrap();
    let times = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0];
    let (pdf, cdf) = ph.pdf_cdf(&times, Method::default()).unwrap();
    for (i, &t) in times.iter().enumerate() {
        let e = (-lambda * t).exp();
        abs(pdf[i], lambda * e, 1e-12, &format!("pdf({t})"));
        abs(cdf[i], -(-lambda * t).exp_m1(), 1e-12, &format!("cdf({t})"));
    }
    // times need not be sorted
    let (pdf2, cdf2) = ph.pdf_cdf(&[1.0, 0.0, 0.5], Method::default()).unwrap();
    assert_eq!(pdf2, vec![pdf[4], pdf[0], pdf[3]]);
    assert_eq!(cdf2, vec![cdf[4], cdf[0], cdf[3]]);
}

#[test]
fn exponential_granularity_table() {
    let g = exponential(1.0);
    let ph = PhaseType::new(&g).unwrap();
    let q = |k: f64| decay(1024.0, k);
    let (pdf, cdf) = ph
        .pdf_cdf(&[0.0, 0.5, 1.0], Method::Granularity(1024.0))
        .unwrap();
    rel(pdf[0], 1.0, REL, "pdf(0)");
    assert_eq!(cdf[0], 0.0, "cdf(0)");
    rel(pdf[1], q(511.0), REL, "pdf(0.5)");
    rel(cdf[1], 1.0 - q(512.0), REL, "cdf(0.5)");
    rel(pdf[2], q(1023.0), REL, "pdf(1)");
    rel(cdf[2], 1.0 - q(1024.0), REL, "cdf(1)");
    // the truncated decimals of the table
    abs(pdf[1], 0.6069752518296, 1e-12, "pdf(0.5) table");
    abs(cdf[1], 0.3936174974397, 1e-12, "cdf(0.5) table");
    abs(pdf[2], 0.3680591721966, 1e-12, "pdf(1) table");
    abs(cdf[2], 0.6323002605887, 1e-12, "cdf(1) table");
    for (gran, pdf1, cdf1) in [
        (100.0, 0.3697296376, 0.6339676587),
        (10000.0, 0.3678978362, 0.6321389536),
    ] {
        let (pdf, cdf) = ph.pdf_cdf(&[1.0], Method::Granularity(gran)).unwrap();
        rel(
            pdf[0],
            decay(gran, gran - 1.0),
            REL,
            &format!("pdf(1), g = {gran}"),
        );
        rel(
            cdf[0],
            1.0 - decay(gran, gran),
            REL,
            &format!("cdf(1), g = {gran}"),
        );
        abs(pdf[0], pdf1, 1e-10, &format!("pdf(1) table, g = {gran}"));
        abs(cdf[0], cdf1, 1e-10, &format!("cdf(1) table, g = {gran}"));
    }
}

#[test]
fn exponential_granularity_context() {
    let g = exponential(1.0);
    let mut ctx = GranularityContext::new(&g, 1024.0).unwrap();
    assert_eq!(ctx.time(), 0.0);
    assert_eq!(ctx.steps(), 0);
    rel(ctx.pdf(), 1.0, REL, "pdf at 0");
    assert_eq!(ctx.cdf(), 0.0);
    assert_eq!(ctx.stop_probabilities(), &[0.0, 1.0, 0.0]);
    while ctx.time() < 1.0 {
        ctx.step(&g).unwrap();
    }
    assert_eq!(ctx.steps(), 1024);
    assert_eq!(ctx.time(), 1.0);
    let q = decay(1024.0, 1024.0);
    let stop = ctx.stop_probabilities();
    rel(stop[1], q, REL, "stop probability at v");
    abs(stop[1], 0.3676997394, 1e-10, "stop probability table");
    assert_eq!(stop[START], 0.0);
    assert_eq!(stop[2], 0.0);
    // Σ_{j=0}^{1024} (1 − 1/1024)^j / 1024 = 1 − (1 − 1/1024)^1025
    let acc = ctx.accumulated_visiting_time();
    rel(
        acc[1],
        1.0 - decay(1024.0, 1025.0),
        REL,
        "accumulated visiting time",
    );
    abs(
        acc[1],
        0.6326593424,
        1e-10,
        "accumulated visiting time table",
    );
    assert_eq!(acc[START], 0.0);
    rel(ctx.cdf(), 1.0 - q, REL, "cdf(1)");
    rel(ctx.pdf(), decay(1024.0, 1023.0), REL, "pdf(1)");
}

// ===========================================================================
// docs/ALGORITHMS.md §9.2 — Erlang

#[test]
fn erlang_moments() {
    let g = erlang(3, 2.0);
    let ph = PhaseType::new(&g).unwrap();
    rel_all(
        &ph.moments(3, None).unwrap(),
        &[1.5, 3.0, 7.5],
        REL,
        "moments",
    );
    rel(ph.variance(None).unwrap(), 0.75, REL, "Var");
    for (k, l) in [(1, 1.0), (2, 0.5), (5, 3.0)] {
        let g = erlang(k, l);
        let ph = PhaseType::new(&g).unwrap();
        let k = f64::from(k);
        let m = ph.moments(3, None).unwrap();
        rel_all(
            &m,
            &[
                k / l,
                k * (k + 1.0) / (l * l),
                k * (k + 1.0) * (k + 2.0) / (l * l * l),
            ],
            REL,
            "moments(k, λ)",
        );
        rel(ph.variance(None).unwrap(), k / (l * l), REL, "Var(k, λ)");
    }
}

#[test]
fn erlang_exact_pdf_cdf() {
    let g = erlang(3, 2.0);
    let e2 = (-2.0f64).exp();
    // f(1) = 2³·1²·e⁻²/2! = 4e⁻², F(1) = 1 − e⁻²(1 + 2 + 2)
    let (f1, cdf1) = (4.0 * e2, 1.0 - 5.0 * e2);
    abs(f1, 0.5413411329, 1e-10, "f(1) table");
    abs(cdf1, 0.3233235838, 1e-10, "F(1) table");

    let ph = PhaseType::new(&g).unwrap();
    let (pdf, cdf) = ph
        .pdf_cdf(&[1.0], Method::Exact { tolerance: 1e-14 })
        .unwrap();
    abs(pdf[0], f1, 1e-13, "pdf(1), Method::Exact");
    abs(cdf[0], cdf1, 1e-13, "cdf(1), Method::Exact");
    let (pdf, cdf) = ph.pdf_cdf(&[1.0], Method::default()).unwrap();
    abs(pdf[0], f1, 1e-12, "pdf(1), default");
    abs(cdf[0], cdf1, 1e-12, "cdf(1), default");

    let u = Uniformization::new(&g, 1e-14).unwrap();
    assert_eq!(u.rate(), 2.0);
    let times = [0.0, 0.5, 1.0, 3.0];
    let (pdf, cdf) = u.pdf_cdf(&times).unwrap();
    for (i, &t) in times.iter().enumerate() {
        let x = 2.0 * t;
        let e = (-x).exp();
        abs(pdf[i], 2.0 * x * x * e / 2.0, 1e-13, &format!("pdf({t})"));
        abs(
            cdf[i],
            1.0 - e * (1.0 + x + x * x / 2.0),
            1e-13,
            &format!("cdf({t})"),
        );
    }
    // stage j (state [3 − j]) is occupied with probability e^{−λt}(λt)^j/j!
    let p = u.state_probabilities(1.0).unwrap();
    abs(p[START], 0.0, 0.0, "start");
    for (j, want) in [e2, 2.0 * e2, 2.0 * e2].into_iter().enumerate() {
        let v = g.find_vertex(&[3 - j as i32]).unwrap();
        abs(p[v], want, 1e-13, &format!("P(X_1 = stage {j})"));
    }
    // ∫₀¹ P(stage 0) = (1 − e⁻²)/2
    let acc = u.accumulated_visiting_time(1.0).unwrap();
    abs(
        acc[g.find_vertex(&[3]).unwrap()],
        (1.0 - e2) / 2.0,
        1e-13,
        "∫ stage 0",
    );
    // far times, up to Λt = 2e300 (more Poisson weights than are ever
    // computed): the chain is absorbed within a few hundred jumps, so the
    // values are the limits f = 0, F = 1, P(X_t = v) = 0, and the whole
    // expected time 1/λ in every stage
    let far = [4e4, 1e10, 1e300];
    let (pdf, cdf) = u.pdf_cdf(&far).unwrap();
    for i in 0..far.len() {
        abs(pdf[i], 0.0, 1e-13, &format!("pdf({})", far[i]));
        abs(cdf[i], 1.0, 1e-13, &format!("cdf({})", far[i]));
        let p = u.state_probabilities(far[i]).unwrap();
        assert!(p.iter().all(|&p| p.abs() < 1e-13), "P(X_t) at {}", far[i]);
        let acc = u.accumulated_visiting_time(far[i]).unwrap();
        for j in 0..3 {
            let v = g.find_vertex(&[3 - j]).unwrap();
            abs(acc[v], 0.5, 1e-13, &format!("∫ stage {j} to {}", far[i]));
        }
    }
}

/// Erlang(1000, 1) around its mean, where uniformization mixes ~1000
/// Poisson weights of mean Λt = t: the density and cdf against the closed
/// forms `t^{k−1}e^{−t}/(k−1)!` and `1 − Σ_{j<k} e^{−t}t^j/j!`, evaluated
/// with 60-digit decimals (Python's `decimal`). Poisson weights from
/// `−μ + k ln μ − ln k!` were off by about 1e-11 relative here.
#[test]
fn erlang_1000_exact_pdf_cdf_at_large_means() {
    let g = erlang(1000, 1.0);
    let u = Uniformization::new(&g, 1e-15).unwrap();
    let (pdf, cdf) = u.pdf_cdf(&[900.0, 1000.0, 1100.0]).unwrap();
    let want_pdf = [
        6.585_503_650_465_444e-5,
        1.261_461_134_872_149_9e-2,
        1.053_702_856_423_435_9e-4,
    ];
    let want_cdf = [
        5.499_022_657_117_829e-4,
        5.042_052_441_802_155e-1,
        9.989_406_767_460_7e-1,
    ];
    for i in 0..3 {
        rel(pdf[i], want_pdf[i], 1e-13, &format!("pdf {i}"));
        abs(cdf[i], want_cdf[i], 1e-14, &format!("cdf {i}"));
    }
}

#[test]
fn erlang_granularity() {
    // micro-steps with success probability p = 2/1024: absorbed by step k
    // iff three successes among k trials
    let g = erlang(3, 2.0);
    let ph = PhaseType::new(&g).unwrap();
    let (pdf, cdf) = ph.pdf_cdf(&[1.0], Method::Granularity(1024.0)).unwrap();
    let (p, k): (f64, f64) = (2.0 / 1024.0, 1024.0);
    let q = |m: f64| (m * (-p).ln_1p()).exp();
    let pmf = (k - 1.0) * (k - 2.0) / 2.0 * p.powi(3) * q(k - 3.0);
    let survive = q(k) + k * p * q(k - 1.0) + k * (k - 1.0) / 2.0 * p * p * q(k - 2.0);
    rel(pdf[0], 1024.0 * pmf, REL, "pdf(1), g = 1024");
    rel(cdf[0], 1.0 - survive, REL, "cdf(1), g = 1024");
    abs(pdf[0], 0.54187, 1e-5, "pdf(1) table");
    abs(cdf[0], 0.32332350, 1e-8, "cdf(1) table");
}

// ===========================================================================
// docs/ALGORITHMS.md §9.3 — two-stage hypoexponential

#[test]
fn hypoexponential_values() {
    let g = hypoexponential();
    let ph = PhaseType::new(&g).unwrap();
    let r = [0.0, 2.0, 1.0, 0.0];
    rel_all(
        &ph.expected_waiting_time(None).unwrap(),
        &[0.35, 0.35, 0.1, 0.0],
        REL,
        "expected_waiting_time()",
    );
    rel_all(
        &ph.expected_waiting_time(Some(&r)).unwrap(),
        &[0.6, 0.6, 0.1, 0.0],
        REL,
        "expected_waiting_time(r)",
    );
    rel_all(
        &ph.moments(3, None).unwrap(),
        &[0.35, 0.195, 0.15225],
        REL,
        "moments",
    );
    rel(ph.variance(None).unwrap(), 0.0725, REL, "Var");
    rel_all(
        &ph.moments(3, Some(&r)).unwrap(),
        &[0.6, 0.62, 0.936],
        REL,
        "moments(r)",
    );
    rel(ph.variance(Some(&r)).unwrap(), 0.26, REL, "Var(r)");
    rel(ph.expectation(Some(&r)).unwrap(), 0.6, REL, "E(r)");
    rel(
        ph.covariance(&r, &[0.0, 5.0, 2.0, 0.0]).unwrap(),
        0.645,
        REL,
        "covariance",
    );
    rel(
        0.645,
        10.0 / 16.0 + 2.0 / 100.0,
        REL,
        "covariance closed form",
    );
    rel_all(&ph.sojourn_times(), &[0.0, 0.25, 0.1, 0.0], REL, "sojourn");
    assert_eq!(ph.defect(), 0.0);
}

#[test]
fn hypoexponential_exact_cdf() {
    // F(t) = 1 − (10e^{−4t} − 4e^{−10t})/6, f(t) = 40(e^{−4t} − e^{−10t})/6
    let g = hypoexponential();
    let ph = PhaseType::new(&g).unwrap();
    let times = [0.0, 0.05, 0.3, 1.0, 2.5];
    let (pdf, cdf) = ph.pdf_cdf(&times, Method::default()).unwrap();
    for (i, &t) in times.iter().enumerate() {
        let (a, b) = ((-4.0 * t).exp(), (-10.0 * t).exp());
        abs(pdf[i], 40.0 * (a - b) / 6.0, 1e-12, &format!("pdf({t})"));
        abs(
            cdf[i],
            1.0 - (10.0 * a - 4.0 * b) / 6.0,
            1e-12,
            &format!("cdf({t})"),
        );
    }
}

// ===========================================================================
// docs/ALGORITHMS.md §9.4 — cyclic graph of paper Fig. 3

#[test]
fn fig3_values() {
    let g = fig3();
    let ph = PhaseType::new(&g).unwrap();
    rel(ph.expectation(None).unwrap(), 19.0 / 7.0, REL, "E");
    rel_all(
        &ph.expected_waiting_time(None).unwrap(),
        &[19.0 / 7.0, 19.0 / 7.0, 20.0 / 7.0, 26.0 / 7.0, 0.0],
        REL,
        "x",
    );
    let m = ph.moments(2, None).unwrap();
    rel(m[1], 776.0 / 49.0, REL, "E[T²]");
    rel(m[1], 15.836734693877, 1e-12, "E[T²] decimals");
    rel(ph.variance(None).unwrap(), 415.0 / 49.0, REL, "Var");
    rel_all(
        &ph.sojourn_times(),
        &[0.0, 10.0 / 7.0, 6.0 / 7.0, 3.0 / 7.0, 0.0],
        REL,
        "sojourn",
    );
    rel_all(
        &ph.expected_waiting_time(Some(&[0.0, 5.0, 2.0, 5.0, 0.0]))
            .unwrap(),
        &[11.0, 11.0, 10.0, 16.0, 0.0],
        REL,
        "x(r)",
    );
}

// ===========================================================================
// docs/ALGORITHMS.md §9.5 — defect

/// `S→v (0.7)`, `S→a (0.3)`, `v→a (2)`.
fn defect_graph() -> Graph {
    graph_from_edges(2, &[(START, 1, 0.7), (START, 2, 0.3), (1, 2, 2.0)])
}

#[test]
fn defect_values() {
    let g = defect_graph();
    let ph = PhaseType::new(&g).unwrap();
    rel(ph.defect(), 0.3, REL, "defect");
    rel(ph.expectation(None).unwrap(), 0.35, REL, "E");
    rel(ph.moments(2, None).unwrap()[1], 0.35, REL, "E[T²]");
    rel(ph.variance(None).unwrap(), 0.2275, REL, "Var");

    let (pdf, cdf) = ph.pdf_cdf(&[0.0, 1.0], Method::default()).unwrap();
    abs(cdf[0], 0.3, 1e-12, "F(0)");
    abs(pdf[0], 1.4, 1e-12, "f(0)");
    let f1 = 0.3 + 0.7 * -(-2.0f64).exp_m1();
    abs(f1, 0.9052653017, 1e-10, "F(1) table");
    abs(cdf[1], f1, 1e-12, "F(1)");
    abs(pdf[1], 1.4 * (-2.0f64).exp(), 1e-12, "f(1)");

    let mut ctx = GranularityContext::new(&g, 1024.0).unwrap();
    rel(ctx.cdf(), 0.3, REL, "granularity cdf(0)");
    abs(ctx.pdf(), 1.4, 2e-3, "granularity pdf(0)");
    while ctx.time() < 1.0 {
        ctx.step(&g).unwrap();
    }
    let (_, cdf) = ph.pdf_cdf(&[1.0], Method::Granularity(1024.0)).unwrap();
    let want = 0.3 + 0.7 * (1.0 - (1024.0 * (-2.0f64 / 1024.0).ln_1p()).exp());
    rel(cdf[0], want, REL, "granularity F(1)");
    rel(ctx.cdf(), want, REL, "granularity context F(1)");
    abs(want, 0.9054503907, 1e-10, "granularity F(1) table");
}

#[test]
fn defect_from_initial_distribution() {
    // the same law through Initial::weighted: the defect edge goes to a
    // dedicated absorbing vertex created last
    let init = Initial::weighted([(vec![1], 0.7)]).unwrap();
    rel(init.defect(), 0.3, REL, "Initial::defect");
    let g = Graph::from_rule(&init, |s, out| {
        if s[0] == 1 {
            out.add(&[2], 2.0)
        }
    })
    .unwrap();
    assert_eq!(states(&g), vec![vec![1], vec![2], vec![0]]);
    assert!(g.find_vertex(&[0]).is_none());
    let ph = PhaseType::new(&g).unwrap();
    rel(ph.defect(), 0.3, REL, "defect");
    rel(ph.expectation(None).unwrap(), 0.35, REL, "E");
    rel(ph.variance(None).unwrap(), 0.2275, REL, "Var");
    rel_all(
        &ph.absorption_probabilities(),
        &[0.0, 0.0, 0.7, 0.3],
        REL,
        "absorption",
    );
    let (_, cdf) = ph.pdf_cdf(&[0.0], Method::default()).unwrap();
    abs(cdf[0], 0.3, 1e-12, "F(0)");
    // Laplace transform with an atom at 0: 0.3 + 0.7·2/(2 + s)
    rel(
        ph.laplace_transform(1.0).unwrap(),
        0.3 + 0.7 * 2.0 / 3.0,
        REL,
        "L(1)",
    );
}

// ===========================================================================
// docs/ALGORITHMS.md §9.6 — reward transformation with a zero reward and a loop

#[test]
fn reward_transform_zero_reward_loop() {
    let g = reward_loop();
    let r = [0.0, 1.0, 0.0, 2.0, 0.0];
    let want = [5.0 / 6.0, 23.0 / 18.0, 101.0 / 36.0];
    let ph = PhaseType::new(&g).unwrap();
    rel_all(
        &ph.moments(3, Some(&r)).unwrap(),
        &want,
        REL,
        "moments(g, r)",
    );
    rel(ph.variance(Some(&r)).unwrap(), 7.0 / 12.0, REL, "Var Y");
    abs(want[2], 2.80555, 1e-5, "E[Y³] table");

    let t = reward_transform(&g, &r).unwrap();
    let tg = &t.graph;
    assert_eq!(tg.vertex_count(), 4);
    assert_eq!(tg.edge_count(), 4);
    assert_eq!(states(tg), vec![vec![1], vec![3], vec![4]]);
    assert_eq!(t.original, vec![Some(START), Some(1), Some(3), Some(4)]);
    assert_eq!(tg.find_vertex(&[2]), None, "B is removed");
    let (a, c, d) = ([1], [3], [4]);
    rel(edge(tg, None, &a).unwrap(), 1.0, REL, "S→A");
    rel(edge(tg, Some(&a), &d).unwrap(), 1.0, REL, "A→D");
    rel(edge(tg, Some(&a), &c).unwrap(), 0.5, REL, "A→C");
    rel(edge(tg, Some(&c), &d).unwrap(), 2.0, REL, "C→D");
    assert!(tg.is_absorbing(tg.find_vertex(&d).unwrap()));

    let tph = PhaseType::new(tg).unwrap();
    rel_all(
        &tph.moments(3, None).unwrap(),
        &want,
        REL,
        "moments(transform(g, r))",
    );
    rel(
        tph.variance(None).unwrap(),
        7.0 / 12.0,
        REL,
        "Var of transform",
    );

    // the input is untouched; unrewarded values of the original
    assert_eq!(g.vertex_count(), 5);
    rel(ph.expectation(None).unwrap(), 13.0 / 12.0, REL, "E[τ]");
    rel(ph.variance(None).unwrap(), 17.0 / 16.0, REL, "Var τ");
    rel_all(
        &ph.sojourn_times(),
        &[0.0, 2.0 / 3.0, 1.0 / 3.0, 1.0 / 12.0, 0.0],
        REL,
        "sojourn",
    );
}

// ===========================================================================
// docs/ALGORITHMS.md §9.7, docs/MODELS.md §3 — rabbit islands

#[test]
fn rabbits_two() {
    let g = rabbits(2);
    assert_eq!(
        states(&g),
        vec![
            vec![2, 0],
            vec![1, 1],
            vec![0, 0],
            vec![0, 2],
            vec![0, 1],
            vec![1, 0]
        ]
    );
    assert_eq!(g.state(START), &[0, 0]);
    assert_eq!(g.find_vertex(&[0, 0]), Some(3));
    assert!(g.is_absorbing(3));
    assert_eq!((g.vertex_count(), g.edge_count()), (7, 13));
    let ph = PhaseType::new(&g).unwrap();
    let m = ph.moments(3, None).unwrap();
    rel_all(
        &m,
        &[395.0 / 784.0, 21087.0 / 43904.0, 3225273.0 / 4917248.0],
        REL,
        "moments",
    );
    rel(m[2], 0.6559101757731152, REL, "E[T³] (peer)");
    rel(ph.variance(None).unwrap(), 139193.0 / 614656.0, REL, "Var");
    rel(
        ph.variance(None).unwrap(),
        0.22645674979,
        1e-10,
        "Var decimals",
    );

    let right = state_rewards(&g, |s| f64::from(s[1]));
    assert_eq!(right, vec![0.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0]);
    rel(
        ph.expectation(Some(&right)).unwrap(),
        37.0 / 392.0,
        REL,
        "E right island",
    );
    rel(
        ph.variance(Some(&right)).unwrap(),
        3561.0 / 76832.0,
        REL,
        "Var right island",
    );
    rel(
        ph.variance(Some(&right)).unwrap(),
        0.04634787588504791,
        REL,
        "Var right island (peer)",
    );
}

#[test]
fn rabbits_other_sizes() {
    for (k, vertices, edges, e) in [
        (3, 11, 25, 182075.0 / 345744.0),
        (5, 22, 61, 313865028107.0 / 585956558880.0),
    ] {
        let g = rabbits(k);
        assert_eq!(
            (g.vertex_count(), g.edge_count()),
            (vertices, edges),
            "k = {k}"
        );
        let kk = k as usize;
        assert_eq!(g.vertex_count(), (kk + 1) * (kk + 2) / 2 + 1);
        rel(
            PhaseType::new(&g).unwrap().expectation(None).unwrap(),
            e,
            REL,
            &format!("E, k = {k}"),
        );
    }
    let g = rabbits(5);
    rel(
        PhaseType::new(&g).unwrap().expectation(None).unwrap(),
        0.5356455582764069,
        REL,
        "E, k = 5 (peer)",
    );
}

// ===========================================================================
// docs/ALGORITHMS.md §9.8, docs/MODELS.md §2 — block-counting Kingman coalescent

#[test]
fn block_counting_four_structure() {
    let g = block_counting(4);
    assert_eq!(
        states(&g),
        vec![
            vec![4, 0, 0, 0],
            vec![2, 1, 0, 0],
            vec![0, 2, 0, 0],
            vec![1, 0, 1, 0],
            vec![0, 0, 0, 1]
        ]
    );
    assert_eq!(g.edge_count(), 6);
    assert_eq!(edge(&g, None, &[4, 0, 0, 0]), Some(1.0));
    for (from, to, w) in [
        ([4, 0, 0, 0], [2, 1, 0, 0], 6.0),
        ([2, 1, 0, 0], [0, 2, 0, 0], 1.0),
        ([2, 1, 0, 0], [1, 0, 1, 0], 2.0),
        ([0, 2, 0, 0], [0, 0, 0, 1], 1.0),
        ([1, 0, 1, 0], [0, 0, 0, 1], 1.0),
    ] {
        assert_eq!(edge(&g, Some(&from), &to), Some(w), "{from:?} → {to:?}");
    }
    assert!(g.is_absorbing(g.find_vertex(&[0, 0, 0, 1]).unwrap()));
    for (n, count) in [(2, 3), (3, 4), (4, 6), (5, 8), (6, 12)] {
        assert_eq!(block_counting(n).vertex_count(), count, "n = {n}");
    }
}

#[test]
fn block_counting_four_moments() {
    let g = block_counting(4);
    let ph = PhaseType::new(&g).unwrap();
    rel_all(
        &ph.moments(3, None).unwrap(),
        &[1.5, 61.0 / 18.0, 127.0 / 12.0],
        REL,
        "moments",
    );
    rel(ph.variance(None).unwrap(), 41.0 / 36.0, REL, "Var");
    let total = state_rewards(&g, |s| f64::from(s.iter().sum::<i32>()));
    rel(
        ph.expectation(Some(&total)).unwrap(),
        11.0 / 3.0,
        REL,
        "E[L]",
    );
    rel(ph.variance(Some(&total)).unwrap(), 49.0 / 9.0, REL, "Var L");
    rel_all(
        &ph.sojourn_times(),
        &[0.0, 1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0, 0.0],
        REL,
        "sojourn",
    );

    let sfs: Vec<Vec<f64>> = (0..3)
        .map(|i| state_rewards(&g, |s| f64::from(s[i])))
        .collect();
    let e: Vec<f64> = sfs
        .iter()
        .map(|r| ph.expectation(Some(r)).unwrap())
        .collect();
    rel_all(&e, &[2.0, 1.0, 2.0 / 3.0], REL, "SFS");
    let var: Vec<f64> = sfs.iter().map(|r| ph.variance(Some(r)).unwrap()).collect();
    rel_all(&var, &[16.0 / 9.0, 7.0 / 3.0, 8.0 / 9.0], REL, "Var ξ");
    rel(
        ph.covariance(&sfs[0], &sfs[1]).unwrap(),
        -2.0 / 9.0,
        REL,
        "Cov(ξ₁, ξ₂)",
    );
    rel(
        ph.covariance(&sfs[0], &sfs[2]).unwrap(),
        8.0 / 9.0,
        REL,
        "Cov(ξ₁, ξ₃)",
    );

    let cols: Vec<&[f64]> = sfs.iter().map(Vec::as_slice).collect();
    let mv = ph.multivariate(&cols).unwrap();
    rel_all(&mv.mean, &[2.0, 1.0, 2.0 / 3.0], REL, "multivariate mean");
    for i in 0..3 {
        rel(
            mv.covariance[i][i],
            var[i],
            REL,
            &format!("multivariate Var ξ{}", i + 1),
        );
        rel(
            mv.second[i][i],
            var[i] + e[i] * e[i],
            REL,
            &format!("multivariate E[ξ{}²]", i + 1),
        );
        for j in 0..3 {
            rel(
                mv.covariance[i][j],
                mv.covariance[j][i],
                REL,
                "multivariate symmetry",
            );
        }
    }
    rel(
        mv.covariance[0][1],
        -2.0 / 9.0,
        REL,
        "multivariate Cov(ξ₁, ξ₂)",
    );
    rel(
        mv.covariance[0][2],
        8.0 / 9.0,
        REL,
        "multivariate Cov(ξ₁, ξ₃)",
    );
}

#[test]
fn block_counting_six_order_and_sfs() {
    let g = block_counting(6);
    let want: Vec<Vec<i32>> = [
        "600000", "410000", "220000", "301000", "030000", "111000", "200100", "010100", "002000",
        "100010", "000001",
    ]
    .iter()
    .map(|s| s.bytes().map(|b| i32::from(b - b'0')).collect())
    .collect();
    assert_eq!(states(&g), want);
    assert_eq!(g.edge_count(), 18);
    let ph = PhaseType::new(&g).unwrap();
    let sfs: Vec<Vec<f64>> = (0..5)
        .map(|i| state_rewards(&g, |s| f64::from(s[i])))
        .collect();
    let cols: Vec<&[f64]> = sfs.iter().map(Vec::as_slice).collect();
    let mv = ph.multivariate(&cols).unwrap();
    rel_all(&mv.mean, &[2.0, 1.0, 2.0 / 3.0, 0.5, 0.4], REL, "SFS");
    rel(mv.covariance[0][0], 1.48, REL, "Var ξ₁");
    rel(
        ph.variance(Some(&sfs[0])).unwrap(),
        1.48,
        REL,
        "Var ξ₁ (variance)",
    );
    rel(mv.covariance[0][1], -13.0 / 75.0, REL, "Cov(ξ₁, ξ₂)");
    rel(
        ph.covariance(&sfs[0], &sfs[1]).unwrap(),
        -13.0 / 75.0,
        REL,
        "Cov(ξ₁, ξ₂) (covariance)",
    );
    abs(mv.covariance[0][1], -0.1733333, 1e-7, "Cov docs");
}

#[test]
fn block_counting_ten() {
    let g = block_counting(10);
    let ph = PhaseType::new(&g).unwrap();
    for i in 1..10 {
        let r = state_rewards(&g, |s| f64::from(s[i - 1]));
        rel(
            ph.expectation(Some(&r)).unwrap(),
            2.0 / i as f64,
            REL,
            &format!("E[ξ{i}]"),
        );
    }
    let r1 = state_rewards(&g, |s| f64::from(s[0]));
    rel(
        ph.variance(Some(&r1)).unwrap(),
        2593.0 / 2268.0,
        REL,
        "Var ξ₁",
    );
    rel(
        ph.variance(Some(&r1)).unwrap(),
        1.1432980599647253,
        REL,
        "Var ξ₁ (peer)",
    );
    rel(
        ph.variance(None).unwrap(),
        919333.0 / 793800.0,
        REL,
        "Var T",
    );
    rel(
        ph.variance(None).unwrap(),
        1.158141849332325,
        REL,
        "Var T (peer)",
    );
    rel(ph.expectation(None).unwrap(), 1.8, REL, "E[T]");
}

#[test]
fn block_counting_sizes() {
    for (n, vertices, edges) in [
        (4, 6, 6),
        (6, 12, 18),
        (10, 43, 115),
        (15, 177, 739),
        (20, 628, 3546),
        (25, 1959, 13991),
        (30, 5605, 48298),
    ] {
        let g = block_counting(n);
        assert_eq!(
            (g.vertex_count(), g.edge_count()),
            (vertices, edges),
            "n = {n}"
        );
        if n == 30 {
            let e = PhaseType::new(&g).unwrap().expectation(None).unwrap();
            rel(e, 2.0 * (1.0 - 1.0 / 30.0), REL, "E[T_MRCA], n = 30");
        }
    }
}

// ===========================================================================
// docs/MODELS.md §1 — Kingman coalescent, state [k]

#[test]
fn kingman_table() {
    let var_t = |n: i32| -> f64 {
        (2..=n)
            .map(|k| (2.0 / f64::from(k * (k - 1))).powi(2))
            .sum()
    };
    for (n, e, var, e_l, var_l) in [
        (5, 1.6, 517.0 / 450.0, Some(25.0 / 6.0), Some(205.0 / 36.0)),
        (
            10,
            1.8,
            1.1581418493323268,
            Some(7129.0 / 1260.0),
            Some(6.159070924666146),
        ),
        (50, 1.96, 1.1594618689722358, None, None),
    ] {
        let g = kingman(n);
        assert_eq!(g.vertex_count(), n as usize + 1);
        assert_eq!(g.edge_count(), n as usize);
        let ph = PhaseType::new(&g).unwrap();
        rel(
            ph.expectation(None).unwrap(),
            e,
            REL,
            &format!("E[T], n = {n}"),
        );
        rel(
            ph.variance(None).unwrap(),
            var,
            REL,
            &format!("Var T, n = {n}"),
        );
        rel(
            ph.variance(None).unwrap(),
            var_t(n),
            REL,
            &format!("Var T closed, n = {n}"),
        );
        let l = state_rewards(&g, |s| f64::from(s[0]));
        let m = (n - 1) as u32;
        let (el, vl) = (
            ph.expectation(Some(&l)).unwrap(),
            ph.variance(Some(&l)).unwrap(),
        );
        rel(el, 2.0 * harmonic(m), REL, &format!("E[L] closed, n = {n}"));
        rel(
            vl,
            4.0 * sum_inv_sq(m),
            REL,
            &format!("Var L closed, n = {n}"),
        );
        if let (Some(e_l), Some(var_l)) = (e_l, var_l) {
            rel(el, e_l, REL, &format!("E[L], n = {n}"));
            rel(vl, var_l, REL, &format!("Var L, n = {n}"));
        }
    }
}

#[test]
fn kingman_five_moments_and_numbering() {
    let g = kingman(5);
    assert_eq!(
        states(&g),
        vec![vec![5], vec![4], vec![3], vec![2], vec![1]]
    );
    let ph = PhaseType::new(&g).unwrap();
    let want = [1.6, 1669.0 / 450.0, 1462.0 / 125.0, 1606021.0 / 33750.0];
    let m = ph.moments(4, None).unwrap();
    rel_all(&m, &want, REL, "moments");
    rel_all(
        &m,
        &[1.6, 3.7088888888888882, 11.696, 47.5858074074074],
        REL,
        "moments (peer)",
    );
    rel_all(
        &ph.expected_waiting_time(None).unwrap(),
        &[1.6, 1.6, 1.5, 4.0 / 3.0, 1.0, 0.0],
        REL,
        "expected remaining time",
    );
}

// ===========================================================================
// docs/ALGORITHMS.md §9.9 — geometric DPH

#[test]
fn geometric_dph() {
    let g = exponential(0.25);
    let d = DiscretePhaseType::new(&g).unwrap();
    let ks: Vec<u64> = (0..=5).collect();
    let (pmf, cdf) = d.pmf_cdf(&ks).unwrap();
    assert_eq!(
        pmf,
        vec![0.0, 0.25, 0.1875, 0.140625, 0.10546875, 0.0791015625]
    );
    assert_eq!(
        cdf,
        vec![0.0, 0.25, 0.4375, 0.578125, 0.68359375, 0.7626953125]
    );
    // any order
    let (pmf2, cdf2) = d.pmf_cdf(&[5, 1, 3]).unwrap();
    assert_eq!(pmf2, vec![pmf[5], pmf[1], pmf[3]]);
    assert_eq!(cdf2, vec![cdf[5], cdf[1], cdf[3]]);

    let mut ctx = DiscreteContext::new(&g).unwrap();
    assert_eq!((ctx.jumps(), ctx.pmf(), ctx.cdf()), (0, 0.0, 0.0));
    assert_eq!(ctx.accumulated_visits(), &[0.0, 1.0, 0.0]);
    for k in 1..=5 {
        ctx.step(&g).unwrap();
        assert_eq!(ctx.jumps(), k);
        assert_eq!(ctx.pmf(), pmf[k as usize]);
        assert_eq!(ctx.cdf(), cdf[k as usize]);
    }
    assert_eq!(ctx.accumulated_visits(), &[0.0, 3.2880859375, 0.0]);
    assert_eq!(ctx.stop_probabilities(), &[0.0, 0.2373046875, 0.0]);

    rel_all(
        &d.moments(3, None).unwrap(),
        &[4.0, 28.0, 292.0],
        REL,
        "moments",
    );
    rel(d.expectation(None).unwrap(), 4.0, REL, "E");
    rel(d.variance(None).unwrap(), 12.0, REL, "Var");
    let unit = [0.0, 1.0, 0.0];
    rel(
        d.covariance(&unit, &unit).unwrap(),
        12.0,
        REL,
        "covariance(1, 1)",
    );
    rel(
        d.variance(Some(&unit)).unwrap(),
        12.0,
        REL,
        "Var(unit rewards)",
    );
    rel_all(
        &d.moments(2, Some(&unit)).unwrap(),
        &[4.0, 28.0],
        REL,
        "moments(unit)",
    );
    // the reward of the start (and of absorbing vertices) is ignored
    rel(
        d.variance(Some(&[1.0, 1.0, 1.0])).unwrap(),
        12.0,
        REL,
        "Var(all ones)",
    );
    rel_all(
        &d.expected_waiting_time(None).unwrap(),
        &[4.0, 4.0, 0.0],
        REL,
        "x",
    );
    rel_all(&d.sojourn_times(), &[0.0, 4.0, 0.0], REL, "sojourn");
    assert_eq!(d.defect(), 0.0);
    rel_all(
        &d.absorption_probabilities(),
        &[0.0, 0.0, 1.0],
        REL,
        "absorption",
    );
    let mv = d.multivariate(&[&unit, &unit]).unwrap();
    rel_all(&mv.mean, &[4.0, 4.0], REL, "multivariate mean");
    rel(mv.covariance[0][1], 12.0, REL, "multivariate covariance");
    // E[τ] for p general: 1/p, Var (1−p)/p²
    for p in [0.1, 0.5, 0.9] {
        let g = exponential(p);
        let d = DiscretePhaseType::new(&g).unwrap();
        rel(d.expectation(None).unwrap(), 1.0 / p, REL, "E(p)");
        rel(
            d.variance(None).unwrap(),
            (1.0 - p) / (p * p),
            REL,
            "Var(p)",
        );
        rel(
            d.moments(2, None).unwrap()[1],
            (2.0 - p) / (p * p),
            REL,
            "E[τ²](p)",
        );
    }
}

#[test]
fn geometric_generating_function() {
    let p = 0.25;
    let g = exponential(p);
    let d = DiscretePhaseType::new(&g).unwrap();
    for z in [0.1, 0.5, 0.9, 1.0] {
        rel(
            d.generating_function(z).unwrap(),
            p * z / (1.0 - (1.0 - p) * z),
            REL,
            &format!("G({z})"),
        );
    }
    assert_eq!(d.generating_function(0.0).unwrap(), 0.0);
}

// ===========================================================================
// docs/ALGORITHMS.md §9.10 — Laplace transform, absorption probabilities

#[test]
fn laplace_transform_values() {
    let g = exponential(2.0);
    let ph = PhaseType::new(&g).unwrap();
    rel(ph.laplace_transform(0.5).unwrap(), 0.8, REL, "L(0.5)");
    rel(ph.laplace_transform(0.0).unwrap(), 1.0, REL, "L(0)");
    for lambda in [0.5, 2.0, 7.0] {
        let g = exponential(lambda);
        let ph = PhaseType::new(&g).unwrap();
        for s in [0.1, 1.0, 3.0, 20.0] {
            rel(
                ph.laplace_transform(s).unwrap(),
                lambda / (lambda + s),
                REL,
                &format!("L({s}), λ = {lambda}"),
            );
        }
    }
    let g = hypoexponential();
    let ph = PhaseType::new(&g).unwrap();
    for s in [0.5, 2.0] {
        rel(
            ph.laplace_transform(s).unwrap(),
            4.0 / (4.0 + s) * 10.0 / (10.0 + s),
            REL,
            &format!("hypoexponential L({s})"),
        );
    }
}

#[test]
fn absorption_probability_values() {
    let g = hypoexponential();
    let p = PhaseType::new(&g).unwrap().absorption_probabilities();
    rel_all(&p, &[0.0, 0.0, 0.0, 1.0], REL, "single absorbing vertex");

    let g = two_exits();
    let p = PhaseType::new(&g).unwrap().absorption_probabilities();
    rel_all(
        &p,
        &[0.0, 0.0, 0.0, 0.4, 0.6],
        REL,
        "two absorbing vertices",
    );

    // no cycle: split by rates
    let g = graph_from_edges(3, &[(START, 1, 1.0), (1, 2, 1.0), (1, 3, 3.0)]);
    let p = PhaseType::new(&g).unwrap().absorption_probabilities();
    rel_all(&p, &[0.0, 0.0, 0.25, 0.75], REL, "rate split");
    let d = DiscretePhaseType::new(&graph_from_edges(
        3,
        &[(START, 1, 1.0), (1, 2, 0.1), (1, 3, 0.3)],
    ))
    .unwrap()
    .absorption_probabilities();
    rel_all(&d, &[0.0, 0.0, 0.25, 0.75], REL, "discrete split");
}

// ===========================================================================
// docs/MODELS.md §7 — segregating sites

#[test]
fn segregating_sites_structure() {
    let (g, r) = segregating_sites(5, 1.0);
    assert_eq!(g.vertex_count(), 10);
    // auxiliaries 6..=9 belong to [5], [4], [3], [2] and are not in the lookup
    for (a, v) in (6..=9).zip(1..=4) {
        assert_eq!(g.state(a), &[0]);
        assert_eq!(g.out_targets(a), &[v as u32]);
        assert_eq!(g.out_weights(a), &[1.0]);
    }
    assert_eq!(g.find_vertex(&[0]), None);
    // from [k]: [k−1] with probability (k−1)/(k−1+θ), a_[k] with θ/(k−1+θ)
    for k in 2..=5 {
        let v = g.find_vertex(&[k]).unwrap();
        let kf = f64::from(k - 1);
        rel(
            edge(&g, Some(&[k]), &[k - 1]).unwrap(),
            kf / (kf + 1.0),
            REL,
            "to [k−1]",
        );
        let i = g.out_targets(v).iter().position(|&t| t >= 6).unwrap();
        rel(g.out_weights(v)[i], 1.0 / (kf + 1.0), REL, "to a_[k]");
    }
    assert_eq!(r, vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(segregating_sites(2, 1.0).0.vertex_count(), 4);
    assert_eq!(segregating_sites(10, 1.0).0.vertex_count(), 20);
}

#[test]
fn segregating_sites_values() {
    let docs_pmf: [&[f64]; 3] = [
        &[0.5, 0.25, 0.125, 0.0625],
        &[0.2, 77.0 / 300.0, 0.21105555555555558, 0.14232685185185187],
        &[0.1],
    ];
    for ((n, e, var), docs) in [
        (2, 1.0, 2.0),
        (5, 25.0 / 12.0, 505.0 / 144.0),
        (10, 2.8289682539682537, 4.368735985134794),
    ]
    .into_iter()
    .zip(docs_pmf)
    {
        let theta = 1.0;
        let (g, r) = segregating_sites(n, theta);
        let m = (n - 1) as u32;
        rel(e, theta * harmonic(m), REL, "E closed form");
        rel(
            var,
            theta * harmonic(m) + theta * theta * sum_inv_sq(m),
            REL,
            "Var closed form",
        );

        let d = DiscretePhaseType::new(&g).unwrap();
        rel(
            d.expectation(Some(&r)).unwrap(),
            e,
            REL,
            &format!("E[S], n = {n}"),
        );
        rel(
            d.variance(Some(&r)).unwrap(),
            var,
            REL,
            &format!("Var S, n = {n}"),
        );

        let ri: Vec<u32> = r.iter().map(|&x| x as u32).collect();
        let t = reward_transform_discrete(&g, &ri).unwrap();
        let td = DiscretePhaseType::new(&t.graph).unwrap();
        let ks: Vec<u64> = (0..=6).collect();
        let (pmf, cdf) = td.pmf_cdf(&ks).unwrap();
        let want = segregating_sites_pmf(n, theta, 6);
        let mut acc = 0.0;
        for k in 0..=6 {
            acc += want[k];
            rel(pmf[k], want[k], REL, &format!("P(S = {k}), n = {n}"));
            rel(cdf[k], acc, REL, &format!("P(S ≤ {k}), n = {n}"));
        }
        rel_all(
            &pmf[..docs.len()],
            docs,
            REL,
            &format!("P(S = k) docs, n = {n}"),
        );
        rel(pmf[0], 1.0 / f64::from(n), REL, "P(S = 0) = 1/n");
        let p1 = pmf[0]
            * theta
            * (2..=n)
                .map(|k| 1.0 / (f64::from(k - 1) + theta))
                .sum::<f64>();
        rel(pmf[1], p1, REL, "P(S = 1) closed form");
        rel(td.defect(), pmf[0], REL, "defect = P(S = 0)");
        rel(td.expectation(None).unwrap(), e, REL, "E of transform");
        rel(td.variance(None).unwrap(), var, REL, "Var of transform");
    }
}

#[test]
fn segregating_sites_steps_and_third_moment() {
    let (g, r) = segregating_sites(5, 1.0);
    let d = DiscretePhaseType::new(&g).unwrap();
    // τ counts every transient visit: P(τ = 4 + 2g) = P(S = g)
    let (pmf, _) = d.pmf_cdf(&[3, 4, 5, 6, 7, 8]).unwrap();
    let want = segregating_sites_pmf(5, 1.0, 2);
    rel(pmf[1], 0.2, REL, "P(τ = 4)");
    rel(pmf[3], want[1], REL, "P(τ = 6)");
    rel(pmf[5], want[2], REL, "P(τ = 8)");
    for i in [0, 2, 4] {
        assert!(pmf[i].abs() < 1e-15, "odd/too few steps: {}", pmf[i]);
    }
    // E[S³] from the cumulants of the geometric summands: 11425/288
    let m = d.moments(3, Some(&r)).unwrap();
    rel_all(
        &m,
        &[
            25.0 / 12.0,
            505.0 / 144.0 + (25.0f64 / 12.0).powi(2),
            11425.0 / 288.0,
        ],
        REL,
        "moments(r)",
    );
}

// ===========================================================================
// Sampling

#[test]
fn sampling_rabbits_mean() {
    let g = rabbits(2);
    let ph = PhaseType::new(&g).unwrap();
    let (e, sd) = (
        ph.expectation(None).unwrap(),
        ph.variance(None).unwrap().sqrt(),
    );
    let s = Sampler::continuous(&g).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(20240601);
    let n = 100_000;
    let mean = s.times(&mut rng, n).iter().sum::<f64>() / n as f64;
    within_se(mean, e, sd, n, "rabbits time");
    assert!(
        (0..100).all(|_| s.outcome(&mut rng).vertex == 3),
        "absorbed in (0,0)"
    );
    let right = state_rewards(&g, |s| f64::from(s[1]));
    let (e, sd) = (
        ph.expectation(Some(&right)).unwrap(),
        ph.variance(Some(&right)).unwrap().sqrt(),
    );
    let mean = (0..n)
        .map(|_| s.reward(&mut rng, Some(&right)).unwrap())
        .sum::<f64>()
        / n as f64;
    within_se(mean, e, sd, n, "rabbits right-island reward");
}

#[test]
fn sampling_geometric_mean() {
    let g = exponential(0.25);
    let s = Sampler::discrete(&g).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    let n = 100_000;
    let draws = s.times(&mut rng, n);
    assert!(draws.iter().all(|&t| t >= 1.0 && t.fract() == 0.0));
    let mean = draws.iter().sum::<f64>() / n as f64;
    within_se(mean, 4.0, 12.0f64.sqrt(), n, "geometric steps");
    let ones = draws.iter().filter(|&&t| t == 1.0).count() as f64 / n as f64;
    within_se(ones, 0.25, (0.25f64 * 0.75).sqrt(), n, "P(τ = 1)");
}

#[test]
fn sampling_absorbing_vertex_frequencies() {
    let g = two_exits();
    let p = PhaseType::new(&g).unwrap().absorption_probabilities();
    let s = Sampler::continuous(&g).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let n = 100_000;
    let mut counts = vec![0usize; g.vertex_count()];
    for _ in 0..n {
        counts[s.outcome(&mut rng).vertex] += 1;
    }
    assert_eq!(counts[..3], [0, 0, 0]);
    for a in [3, 4] {
        let f = counts[a] as f64 / n as f64;
        within_se(
            f,
            p[a],
            (p[a] * (1.0 - p[a])).sqrt(),
            n,
            &format!("P(vertex {a})"),
        );
    }
}
