//! Random graphs cross-checked against dense linear algebra
//! (docs/ALGORITHMS.md §2, §4, §5, §9.11).
//!
//! Every random graph is built twice: once through the library
//! (`GraphBuilder`, or `Graph::from_*matrices`) and once as dense matrices
//! straight from the generated edge list, so the reference never goes
//! through the library's own conversion. Tolerances: relative 1e-9 for
//! moments and other expectations (differences such as variances and
//! covariances are measured against the size of the terms that cancel),
//! absolute 1e-10 for probabilities.

mod common;

use common::dense::{Dense, MFactor};
use common::random_graph::{Layout, MAX_ABSORBING, RandomGraph};
use common::rng::Rng;
use common::{close, close_all, config, rel, rel_all};
use nalgebra::{DMatrix, DVector};
use phasic_core::PhaseTypeDistribution;
use phasic_core::{
    DiscretePhaseType, Graph, GraphBuilder, GraphView, Method, PhaseType, START,
    distribution::DEFAULT_TOLERANCE, distribution::DiscreteContext, distribution::Uniformization,
    distribution::reward_transform, distribution::reward_transform_discrete, graph::to_matrices,
};
use proptest::prelude::*;

const REL: f64 = 1e-9;
const ABS_P: f64 = 1e-10;
/// Largest number of transient vertices of a random graph.
const MAX_TRANSIENT: usize = 30;
/// Length of the generated value arrays that [`place`] spreads over
/// vertices: transient values first, absorbing and start junk at the end.
const VALS: usize = MAX_TRANSIENT + MAX_ABSORBING + 1;

// ---------------------------------------------------------------------------
// Rewards

/// Transient rewards: zero about a third of the time.
fn real_rewards() -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(prop_oneof![Just(0.0), 0.1f64..3.0, 0.1f64..3.0], VALS)
}

fn int_rewards() -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec((0u32..=3).prop_map(f64::from), VALS)
}

/// A vertex-indexed vector: transient node `l` gets `vals[l]`; the start
/// and absorbing vertices get other entries of `vals`, from its end (junk
/// the library must ignore).
fn place(lay: &Layout, vals: &[f64]) -> Vec<f64> {
    lay.place(vals, |i| vals[VALS - 1 - i])
}

// ---------------------------------------------------------------------------
// Dense series

/// `Σ_k p_k·k^j`, `j = 1..=4`, for a pmf produced term by term:
/// `next(k)` returns `p_k` and an upper bound on `P(X > k)`. Stops once
/// a geometric-tail estimate of the omitted fourth moment is negligible.
fn series(mut next: impl FnMut(usize) -> (f64, f64)) -> (Vec<f64>, [f64; 4]) {
    let mut pmf = Vec::new();
    let mut mom = [0.0; 4];
    let mut last_rem = 1.0f64;
    for k in 0..5_000_000usize {
        let (p, rem) = next(k);
        pmf.push(p);
        let kf = k as f64;
        for (j, m) in mom.iter_mut().enumerate() {
            *m += p * kf.powi(j as i32 + 1);
        }
        let ratio = if last_rem > 0.0 {
            (rem / last_rem).min(0.999_999)
        } else {
            0.0
        };
        last_rem = rem;
        let spread = 1.0 / (1.0 - ratio);
        let tail4 = rem * 16.0 * ((kf + 1.0).powi(4) + 24.0 * spread.powi(4));
        if k > 2 && (rem == 0.0 || tail4 < 1e-13 * mom[3].max(1e-300) && rem < 1e-15) {
            return (pmf, mom);
        }
    }
    panic!("series did not converge (chain too slow)");
}

/// Row vector times matrix, on plain slices (fast in debug builds).
fn vec_mat(v: &[f64], m: &DMatrix<f64>, out: &mut [f64]) {
    let n = m.ncols();
    out.fill(0.0);
    for (i, &vi) in v.iter().enumerate() {
        if vi != 0.0 {
            for j in 0..n {
                out[j] += vi * m[(i, j)];
            }
        }
    }
}

/// The pmf `P(τ = k)` of a discrete model (`k = 0, 1, …`) with its first
/// four raw moments.
fn dph_series(d: &Dense) -> (Vec<f64>, [f64; 4]) {
    let t = d.t();
    let exit = d.exit_total();
    let mut v: Vec<f64> = d.alpha.iter().copied().collect();
    let mut next = vec![0.0; v.len()];
    series(|k| {
        if k == 0 {
            return (d.defect(), v.iter().sum());
        }
        // v = αT^{k−1}
        let p: f64 = v.iter().zip(exit.iter()).map(|(a, b)| a * b).sum();
        vec_mat(&v, &t, &mut next);
        std::mem::swap(&mut v, &mut next);
        (p, v.iter().sum())
    })
}

/// `P(Y = y)` for `Y = Σ_k r(X_k)` with integer rewards, by a dynamic
/// program over (state, accumulated reward): `q_y[v]` is the expected
/// number of steps spent in `v` with reward `y` accumulated before the
/// step; `q_y = b_y (I − Δ(r = 0)T)⁻¹` with `b_0 = α` and
/// `b_y = Σ_{r_v ≥ 1} q_{y − r_v}[v]·T[v, ·]`.
fn reward_dp(d: &Dense, r: &[usize]) -> (Vec<f64>, [f64; 4]) {
    let m = d.m();
    let t = d.t();
    let exit = d.exit_total();
    // I − Δ(r = 0)T: rows of rewarded nodes are rows of I
    let mut w0 = d.w.clone();
    let mut sums: Vec<f64> = exit.iter().copied().collect();
    for i in 0..m {
        if r[i] != 0 {
            w0.row_mut(i).fill(0.0);
            sums[i] = 1.0;
        }
    }
    let stay = MFactor::new(&w0, sums);
    let mut q: Vec<Vec<f64>> = Vec::new();
    let mut b = vec![0.0; m];
    series(|y| {
        b.fill(0.0);
        if y == 0 {
            b.copy_from_slice(d.alpha.as_slice());
        }
        for v in 0..m {
            if r[v] >= 1 && r[v] <= y {
                let qv = q[y - r[v]][v];
                for j in 0..m {
                    b[j] += qv * t[(v, j)];
                }
            }
        }
        q.push(
            stay.solve_left(&DVector::from_column_slice(&b))
                .as_slice()
                .to_vec(),
        );
        let mut p = if y == 0 { d.defect() } else { 0.0 };
        let mut pending = 0.0;
        for v in 0..m {
            if r[v] <= y {
                p += q[y - r[v]][v] * exit[v];
            }
            // visits whose reward carries the total past y
            if r[v] > 0 {
                pending += q[y + 1 - r[v].min(y + 1)..]
                    .iter()
                    .map(|qy| qy[v])
                    .sum::<f64>();
            }
        }
        (p, pending)
    })
}

// ---------------------------------------------------------------------------
// Continuous checks

fn check_matrices(g: &Graph, spec: &RandomGraph, d: &Dense) {
    let mats = to_matrices(g);
    let ds = d.s();
    let mut verts: Vec<usize> = spec.perm[..spec.m].to_vec();
    verts.sort_unstable();
    assert_eq!(mats.vertices, verts, "to_matrices vertices");
    let row = |l: usize| verts.binary_search(&spec.perm[l]).unwrap();
    for i in 0..spec.m {
        close(
            mats.alpha[row(i)],
            d.alpha[i],
            1e-14,
            1.0,
            "to_matrices alpha",
        );
        let scale = ds[(i, i)].abs();
        for j in 0..spec.m {
            close(
                mats.matrix[row(i)][row(j)],
                ds[(i, j)],
                1e-14,
                scale,
                "to_matrices S",
            );
        }
    }
}

fn check_continuous_moments(spec: &RandomGraph, r1: &[f64], r2: &[f64], r3: &[f64]) {
    let g = spec.graph();
    let d = spec.dense(&[]);
    let lay = spec.layout();
    check_matrices(&g, spec, &d);
    let u = d.green(0.0);
    let ph = PhaseType::new(&g).unwrap();
    let ones = DVector::from_element(d.m(), 1.0);

    // moments without and with rewards
    let want = d.moments(&u, &ones, 4);
    rel_all(&ph.moments(4, None).unwrap(), &want, REL, "moments");
    rel(ph.expectation(None).unwrap(), want[0], REL, "expectation");
    close(
        ph.variance(None).unwrap(),
        want[1] - want[0] * want[0],
        REL,
        want[1],
        "variance",
    );
    let (v1, v2, v3) = (place(&lay, r1), place(&lay, r2), place(&lay, r3));
    let (l1, l2, l3) = (lay.logical(&v1), lay.logical(&v2), lay.logical(&v3));
    let want1 = d.moments(&u, &l1, 4);
    rel_all(
        &ph.moments(4, Some(&v1)).unwrap(),
        &want1,
        REL,
        "rewarded moments",
    );
    close(
        ph.variance(Some(&v1)).unwrap(),
        want1[1] - want1[0] * want1[0],
        REL,
        want1[1],
        "rewarded variance",
    );

    // covariance: αUΔ(r1)UΔ(r2)e + αUΔ(r2)UΔ(r1)e − E1E2
    let mean = |r: &DVector<f64>| d.alpha.dot(&u.solve(r));
    let cross = |a: &DVector<f64>, b: &DVector<f64>| {
        d.alpha.dot(&u.solve(&a.component_mul(&u.solve(b))))
            + d.alpha.dot(&u.solve(&b.component_mul(&u.solve(a))))
    };
    let (e1, e2) = (mean(&l1), mean(&l2));
    let c12 = cross(&l1, &l2);
    close(
        ph.covariance(&v1, &v2).unwrap(),
        c12 - e1 * e2,
        REL,
        c12.abs().max(e1 * e2),
        "covariance",
    );

    // multivariate
    let cols = [&l1, &l2, &l3];
    let mv = ph.multivariate(&[&v1, &v2, &v3]).unwrap();
    for i in 0..3 {
        let ei = mean(cols[i]);
        rel(mv.mean[i], ei, REL, "multivariate mean");
        for j in 0..3 {
            let ej = mean(cols[j]);
            let second = cross(cols[i], cols[j]);
            rel(mv.second[i][j], second, REL, "multivariate second");
            close(
                mv.covariance[i][j],
                second - ei * ej,
                REL,
                second.abs().max(ei * ej),
                "multivariate covariance",
            );
        }
    }

    // expected waiting time per vertex: UΔ(r)e, 0 at absorbing, E at start
    for (r, lr) in [(None, &ones), (Some(&v1[..]), &l1)] {
        let x = u.solve(lr);
        let want = lay.to_vertices(d.alpha.dot(&x), &x, &vec![0.0; spec.k]);
        rel_all(&ph.expected_waiting_time(r).unwrap(), &want, REL, "ewt");
    }

    // sojourn αU, absorption α_a + αU s_a
    let occ = u.solve_left(&d.alpha);
    let want = lay.to_vertices(0.0, &occ, &vec![0.0; spec.k]);
    rel_all(&ph.sojourn_times(), &want, REL, "sojourn");
    close(ph.defect(), d.defect(), 1e-14, 1.0, "defect");
    let zero = DVector::zeros(d.m());
    let want = lay.to_vertices(0.0, &zero, &d.absorption(&u));
    close_all(
        &ph.absorption_probabilities(),
        &want,
        ABS_P,
        1.0,
        "absorption",
    );

    // reward transformation: unrewarded moments of the transform
    for (v, want) in [(&v1, &want1), (&v2, &d.moments(&u, &l2, 4))] {
        let t = reward_transform(&g, v).unwrap();
        let got = PhaseType::new(&t.graph).unwrap().moments(4, None).unwrap();
        rel_all(&got, want, REL, "moments of reward_transform");
    }

    // the same model through Graph::from_matrices
    let s_rows: Vec<Vec<f64>> = d
        .s()
        .row_iter()
        .map(|r| r.iter().copied().collect())
        .collect();
    let alpha: Vec<f64> = d.alpha.iter().copied().collect();
    let gm = Graph::from_matrices(&alpha, &s_rows).unwrap();
    let got = PhaseType::new(&gm).unwrap().moments(4, None).unwrap();
    rel_all(&got, &d.moments(&u, &ones, 4), REL, "from_matrices moments");
}

fn check_continuous_transforms(spec: &RandomGraph) {
    let g = spec.graph();
    let d = spec.dense(&[]);
    let lay = spec.layout();
    let ph = PhaseType::new(&g).unwrap();
    let m = d.m();
    let exit = d.exit_total();
    let ds = d.s();

    // Laplace transform α(sI − S)⁻¹s_exit + defect
    for s in [0.0, 0.3, 2.5, 40.0] {
        let want = d.alpha.dot(&d.green(s).solve(&exit)) + d.defect();
        close(
            ph.laplace_transform(s).unwrap(),
            want,
            ABS_P,
            1.0,
            "laplace",
        );
    }

    // pdf/cdf, state probabilities and accumulated visiting time
    let times = [0.0, 0.1, 0.5, 1.3, 4.0];
    let (pdf, cdf) = ph.pdf_cdf(&times, Method::default()).unwrap();
    let unif = Uniformization::new(&g, DEFAULT_TOLERANCE).unwrap();
    let (upd, ucd) = unif.pdf_cdf(&times).unwrap();
    let u = d.green(0.0);
    let ident = DMatrix::<f64>::identity(m, m);
    for (i, &t) in times.iter().enumerate() {
        let e = (&ds * t).exp();
        let p = d.alpha_times(&e); // α exp(St)
        let want_pdf = p.dot(&exit);
        let want_cdf = 1.0 - p.sum();
        close(pdf[i], want_pdf, ABS_P, 1.0, &format!("pdf({t})"));
        close(cdf[i], want_cdf, ABS_P, 1.0, &format!("cdf({t})"));
        assert_eq!(
            (upd[i], ucd[i]),
            (pdf[i], cdf[i]),
            "Method::Exact = Uniformization"
        );
        let zeros = vec![0.0; spec.k];
        let want = lay.to_vertices(0.0, &p, &zeros);
        close_all(
            &unif.state_probabilities(t).unwrap(),
            &want,
            ABS_P,
            1.0,
            &format!("state_probabilities({t})"),
        );
        // α(exp(St) − I)S⁻¹ = (α − α exp(St))(−S)⁻¹
        let acc = u.solve_left(&(&d.alpha - &p));
        let want = lay.to_vertices(0.0, &acc, &zeros);
        let got = unif.accumulated_visiting_time(t).unwrap();
        for (v, (g, w)) in got.iter().zip(&want).enumerate() {
            close(*g, *w, ABS_P, t.max(1.0), &format!("accumulated({t})[{v}]"));
        }
    }

    // the discretisation: 1 − α(I + S/g)^{⌊gt⌋} e (docs/ALGORITHMS.md §5.2)
    let max_rate = (0..m).map(|i| -ds[(i, i)]).fold(0.0, f64::max);
    let gran = (max_rate * 2.0).max(256.0).log2().ceil().exp2();
    let times = [0.0, 0.25, 1.0];
    let (_, cdf) = ph.pdf_cdf(&times, Method::Granularity(gran)).unwrap();
    let step = ident + &ds / gran;
    let mut v: Vec<f64> = d.alpha.iter().copied().collect();
    let mut next = vec![0.0; m];
    let mut k = 0;
    for (i, &t) in times.iter().enumerate() {
        while (k as f64) < gran * t {
            vec_mat(&v, &step, &mut next);
            std::mem::swap(&mut v, &mut next);
            k += 1;
        }
        close(
            cdf[i],
            1.0 - v.iter().sum::<f64>(),
            ABS_P,
            1.0,
            &format!("granularity cdf({t})"),
        );
    }
}

// ---------------------------------------------------------------------------
// Discrete checks

/// Everything `DiscretePhaseType` computes, against the dense model `d`
/// whose nodes sit in `g` as `lay` says. `ri` holds integer rewards.
fn check_discrete_graph(
    g: &Graph,
    d: &Dense,
    lay: &Layout,
    rr: [&[f64]; 3],
    ri: &[f64],
    what: &str,
) {
    let dp = DiscretePhaseType::new(g).unwrap();
    let u = d.green(0.0);
    let t = d.t();
    let m = d.m();
    let (pmf_ref, mom) = dph_series(d);

    // moments from the pmf
    rel_all(
        &dp.moments(4, None).unwrap(),
        &mom,
        REL,
        &format!("{what}: moments"),
    );
    close(
        dp.variance(None).unwrap(),
        mom[1] - mom[0] * mom[0],
        REL,
        mom[1],
        &format!("{what}: variance"),
    );

    // pmf/cdf: α T^{k−1} t_exit, 1 − α T^k e
    let ks = [7u64, 0, 1, 2, 3, 25, 5, 60, 10];
    let (pmf, cdf) = dp.pmf_cdf(&ks).unwrap();
    let exit = d.exit_total();
    for (i, &k) in ks.iter().enumerate() {
        let tk = t.pow(k as u32);
        let surv = d.alpha_times(&tk).sum();
        let want_pmf = if k == 0 {
            d.defect()
        } else {
            d.alpha_times(&t.pow(k as u32 - 1)).dot(&exit)
        };
        close(pmf[i], want_pmf, ABS_P, 1.0, &format!("{what}: pmf({k})"));
        let series_pmf = pmf_ref.get(k as usize).copied().unwrap_or(0.0);
        close(
            pmf[i],
            series_pmf,
            ABS_P,
            1.0,
            &format!("{what}: pmf({k}) series"),
        );
        close(cdf[i], 1.0 - surv, ABS_P, 1.0, &format!("{what}: cdf({k})"));
    }

    // stepping context: state probabilities αT^k, visits Σ_{j≤k} αT^j
    let mut ctx = DiscreteContext::new(g).unwrap();
    let mut p = d.alpha.clone();
    let mut acc = p.clone();
    for k in 0..6 {
        if k > 0 {
            ctx.step(g).unwrap();
            p = t.tr_mul(&p);
            acc += &p;
        }
        let zeros = vec![0.0; lay.abs.len()];
        close_all(
            ctx.stop_probabilities(),
            &lay.to_vertices(0.0, &p, &zeros),
            ABS_P,
            1.0,
            &format!("{what}: stop probabilities at {k}"),
        );
        let want = lay.to_vertices(0.0, &acc, &zeros);
        for (v, (g, w)) in ctx.accumulated_visits().iter().zip(&want).enumerate() {
            close(
                *g,
                *w,
                ABS_P,
                1.0 + k as f64,
                &format!("{what}: visits[{v}]"),
            );
        }
    }

    // generating function Σ z^k P(τ = k)
    for z in [0.0f64, 0.3, 0.9, 1.0] {
        let want: f64 = pmf_ref
            .iter()
            .enumerate()
            .map(|(k, p)| p * z.powi(k as i32))
            .sum();
        close(
            dp.generating_function(z).unwrap(),
            want,
            ABS_P,
            1.0,
            &format!("{what}: pgf({z})"),
        );
    }

    // first-order quantities
    let occ = u.solve_left(&d.alpha);
    let zeros = vec![0.0; lay.abs.len()];
    rel_all(
        &dp.sojourn_times(),
        &lay.to_vertices(0.0, &occ, &zeros),
        REL,
        &format!("{what}: sojourn"),
    );
    close_all(
        &dp.absorption_probabilities(),
        &lay.to_vertices(0.0, &DVector::zeros(m), &d.absorption(&u)),
        ABS_P,
        1.0,
        &format!("{what}: absorption"),
    );
    close(
        dp.defect(),
        d.defect(),
        1e-14,
        1.0,
        &format!("{what}: defect"),
    );

    // rewarded moments (docs/ALGORITHMS.md §2.4), written as sums over step pairs:
    // E[Y₁Y₂] = αUΔ(r₁r₂)e + αUΔ(r₁)TUΔ(r₂)e + αUΔ(r₂)TUΔ(r₁)e
    let vr: Vec<Vec<f64>> = rr.iter().map(|r| place(lay, r)).collect();
    let lr: Vec<DVector<f64>> = vr.iter().map(|v| lay.logical(v)).collect();
    let mean = |r: &DVector<f64>| d.alpha.dot(&u.solve(r));
    let second = |a: &DVector<f64>, b: &DVector<f64>| {
        mean(&a.component_mul(b))
            + d.alpha.dot(&u.solve(&a.component_mul(&(&t * u.solve(b)))))
            + d.alpha.dot(&u.solve(&b.component_mul(&(&t * u.solve(a)))))
    };
    let x = u.solve(&lr[0]);
    rel_all(
        &dp.expected_waiting_time(Some(&vr[0])).unwrap(),
        &lay.to_vertices(mean(&lr[0]), &x, &zeros),
        REL,
        &format!("{what}: ewt"),
    );
    let (e1, s11) = (mean(&lr[0]), second(&lr[0], &lr[0]));
    rel(
        dp.expectation(Some(&vr[0])).unwrap(),
        e1,
        REL,
        &format!("{what}: rewarded mean"),
    );
    rel_all(
        &dp.moments(2, Some(&vr[0])).unwrap(),
        &[e1, s11],
        REL,
        &format!("{what}: rewarded moments"),
    );
    close(
        dp.variance(Some(&vr[0])).unwrap(),
        s11 - e1 * e1,
        REL,
        s11,
        &format!("{what}: rewarded variance"),
    );
    let e2 = mean(&lr[1]);
    let s12 = second(&lr[0], &lr[1]);
    close(
        dp.covariance(&vr[0], &vr[1]).unwrap(),
        s12 - e1 * e2,
        REL,
        s12.max(e1 * e2),
        &format!("{what}: covariance"),
    );
    let mv = dp
        .multivariate(&[&vr[0][..], &vr[1][..], &vr[2][..]])
        .unwrap();
    for i in 0..3 {
        let ei = mean(&lr[i]);
        rel(mv.mean[i], ei, REL, &format!("{what}: multivariate mean"));
        for j in 0..3 {
            let ej = mean(&lr[j]);
            let sij = second(&lr[i], &lr[j]);
            rel(
                mv.second[i][j],
                sij,
                REL,
                &format!("{what}: multivariate second[{i}][{j}]"),
            );
            close(
                mv.covariance[i][j],
                sij - ei * ej,
                REL,
                sij.max(ei * ej),
                &format!("{what}: multivariate covariance[{i}][{j}]"),
            );
        }
    }

    // integer rewards: distribution by dynamic programming
    let vi = place(lay, ri);
    let r_int: Vec<usize> = lay.logical(&vi).iter().map(|&x| x as usize).collect();
    let (pmf_y, mom_y) = reward_dp(d, &r_int);
    rel_all(
        &dp.moments(4, Some(&vi)).unwrap(),
        &mom_y,
        REL,
        &format!("{what}: integer-rewarded moments"),
    );
    let int: Vec<u32> = vi.iter().map(|&x| x as u32).collect();
    let tr = reward_transform_discrete(g, &int).unwrap();
    let dt = DiscretePhaseType::new(&tr.graph).unwrap();
    let ys: Vec<u64> = (0..pmf_y.len().min(80) as u64).collect();
    let (pmf, cdf) = dt.pmf_cdf(&ys).unwrap();
    let mut c = 0.0;
    for (y, (p, cd)) in pmf.iter().zip(&cdf).enumerate() {
        c += pmf_y[y];
        close(
            *p,
            pmf_y[y],
            ABS_P,
            1.0,
            &format!("{what}: transformed pmf({y})"),
        );
        close(*cd, c, ABS_P, 1.0, &format!("{what}: transformed cdf({y})"));
    }
    rel_all(
        &dt.moments(4, None).unwrap(),
        &mom_y,
        REL,
        &format!("{what}: moments of reward_transform_discrete"),
    );
}

fn check_discrete(spec: &RandomGraph, rr: [&[f64]; 3], ri: &[f64]) {
    let discrete = spec.discrete();
    let g = discrete.graph();
    let d = discrete.dense(&[]);
    check_discrete_graph(&g, &d, &spec.layout(), rr, ri, "builder");

    // the same model through Graph::from_discrete_matrices: row i is vertex
    // i + 1, one absorbing vertex m + 1
    let t_rows: Vec<Vec<f64>> = d
        .t()
        .row_iter()
        .map(|r| r.iter().map(|x| x.clamp(0.0, 1.0)).collect())
        .collect();
    let alpha: Vec<f64> = d.alpha.iter().copied().collect();
    let gm = Graph::from_discrete_matrices(&alpha, &t_rows).unwrap();
    let lay = Layout {
        n: spec.m + 2,
        trans: (1..=spec.m).collect(),
        abs: vec![spec.m + 1; spec.k],
    };
    let gm_abs = gm.vertex_count() - 1;
    assert!(gm.is_absorbing(gm_abs));
    check_discrete_graph(&gm, &d, &lay, rr, ri, "from_discrete_matrices");
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn continuous_moments_match_dense(
        spec in RandomGraph::constant(MAX_TRANSIENT),
        r1 in real_rewards(),
        r2 in real_rewards(),
        r3 in real_rewards(),
    ) {
        check_continuous_moments(&spec, &r1, &r2, &r3);
    }

    #[test]
    fn continuous_transforms_match_dense(spec in RandomGraph::constant(MAX_TRANSIENT)) {
        check_continuous_transforms(&spec);
    }

    #[test]
    fn discrete_matches_dense(
        spec in RandomGraph::constant(MAX_TRANSIENT),
        r1 in real_rewards(),
        r2 in real_rewards(),
        r3 in real_rewards(),
        ri in int_rewards(),
    ) {
        check_discrete(&spec, [&r1, &r2, &r3], &ri);
    }
}

// ---------------------------------------------------------------------------
// Thread-count invariance

/// A few thousand transient states: forward edges within a window, local
/// backward edges (long cyclic components), sparse exits to three
/// absorbing vertices, a defect, vertex numbers shuffled.
fn large_graph(n: usize) -> Graph {
    let mut rng = Rng(0x5eed);
    let total = n + 3;
    let mut perm: Vec<usize> = (1..=total).collect();
    rng.shuffle(&mut perm);
    let mut b = GraphBuilder::new(1);
    for v in 1..=total {
        b.find_or_create(&[v as i32]).unwrap();
    }
    let absorbing = |rng: &mut Rng| perm[n + rng.below(3)];
    for &v in &perm[..5] {
        b.add_edge(START, v, 0.1 + rng.unit()).unwrap();
    }
    b.add_edge(START, perm[n], 0.05).unwrap();
    for i in 0..n {
        let forward = 1 + rng.below(3);
        for _ in 0..forward {
            let w = 0.2 + 3.0 * rng.unit();
            let j = i + 1 + rng.below(8);
            let to = if j < n { perm[j] } else { absorbing(&mut rng) };
            b.add_edge(perm[i], to, w).unwrap();
        }
        if i > 0 && rng.unit() < 0.4 {
            let j = i - 1 - rng.below(i.min(4));
            b.add_edge(perm[i], perm[j], 0.2 + 2.0 * rng.unit())
                .unwrap();
        }
        if rng.unit() < 0.05 {
            let a = absorbing(&mut rng);
            b.add_edge(perm[i], a, 0.5 * rng.unit()).unwrap();
        }
    }
    b.build()
}

/// Bits of every result whose value must not depend on the thread count.
fn results_bits(g: &Graph) -> Vec<u64> {
    let n = g.vertex_count();
    let cols: Vec<Vec<f64>> = (0..4)
        .map(|c| (0..n).map(|v| ((v * (c + 3)) % 5) as f64 * 0.5).collect())
        .collect();
    let ph = PhaseType::new(g).unwrap();
    let mut out = Vec::new();
    out.extend(ph.moments(4, None).unwrap());
    out.extend(ph.moments(4, Some(&cols[0])).unwrap());
    let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
    let mv = ph.multivariate(&refs).unwrap();
    out.extend(&mv.mean);
    out.extend(mv.second.iter().flatten());
    out.extend(mv.covariance.iter().flatten());
    out.extend(ph.expected_waiting_time(None).unwrap());
    out.extend(ph.sojourn_times());
    let times = [0.0, 1.0, 5.0, 20.0, 60.0, 0.5, 2.0, 10.0];
    let (pdf, cdf) = ph.pdf_cdf(&times, Method::default()).unwrap();
    out.extend(pdf);
    out.extend(cdf);
    assert!(out.iter().all(|x| x.is_finite()));
    out.into_iter().map(f64::to_bits).collect()
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let g = large_graph(3000);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| results_bits(&g))
    };
    let one = run(1);
    assert_eq!(one, run(2), "1 vs 2 threads");
    assert_eq!(one, run(3), "1 vs 3 threads");
}
