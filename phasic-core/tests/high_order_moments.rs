//! Moments of high order (issue 15, item 9): every moment whose value is
//! a normal `f64` is right to 1e-12 relative, against closed forms
//! computed here by products and sums of positive terms (no cancellation,
//! no intermediate outside the range of the result); a moment outside that
//! range is `Error::MomentRange` with its order and logarithm, and only
//! then.

mod common;

use common::rel;
use phasic_core::{DiscretePhaseType, Error, Graph, GraphView, PhaseType, PhaseTypeDistribution};

const REL: f64 = 1e-12;

/// `E[T^k] = k!/λ^k`, `k = 1..=n`, of an exponential: `Π_{i ≤ k} i/λ`.
fn exponential(lambda: f64, n: usize) -> Vec<f64> {
    (1..=n)
        .scan(1.0, |m, k| {
            *m *= k as f64 / lambda;
            Some(*m)
        })
        .collect()
}

/// Moments of a sum of independent exponentials with these rates,
/// `E[T^k] = k!·h_k(1/λ_1, …)` (`h_k` the complete homogeneous symmetric
/// polynomial), by adding one rate at a time:
/// `a_k ← a_k + k·a_{k−1}/λ` with `a_0 = 1`.
fn hypoexponential(rates: &[f64], n: usize) -> Vec<f64> {
    let mut a = vec![1.0; n + 1];
    a[1..].fill(0.0);
    for &lambda in rates {
        for k in 1..=n {
            a[k] += k as f64 * a[k - 1] / lambda;
        }
    }
    a[1..].to_vec()
}

/// A chain through `rates` in order, then absorbed.
fn chain(rates: &[f64]) -> Graph {
    let n = rates.len();
    let s: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut row = vec![0.0; n];
            row[i] = -rates[i];
            if i + 1 < n {
                row[i + 1] = rates[i];
            }
            row
        })
        .collect();
    let mut alpha = vec![0.0; n];
    alpha[0] = 1.0;
    Graph::from_matrices(&alpha, &s).unwrap()
}

#[track_caller]
fn all_rel(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            w.is_normal(),
            "{what}: the closed form of order {} is not normal",
            k + 1
        );
        rel(*g, *w, REL, &format!("{what}: E[T^{}]", k + 1));
    }
}

/// `{"alpha":[1],"S":[[-1000]]}`: orders 108–170 were 0, 106 off in the
/// sixth digit, 171–200 a false overflow. Every order up to 345 is a
/// normal number (E[T^345] = 2.4e-308); 346 is not.
#[test]
fn an_exponential_has_every_representable_moment() {
    let g = chain(&[1000.0]);
    let ph = PhaseType::new(&g).unwrap();
    all_rel(
        &ph.moments(345, None).unwrap(),
        &exponential(1000.0, 345),
        "Exp(1000)",
    );
    match ph.moments(346, None) {
        Err(Error::MomentRange { order, log10 }) => {
            assert_eq!(order, 346);
            // log₁₀(346!) − 3·346 = −308.0768279738…
            assert!((log10 + 308.076_827_973_8).abs() < 1e-9, "{log10}");
        }
        other => panic!("E[T^346] = 8.4e-309 is below f64's normal range: {other:?}"),
    }
    // slow: E[T^k] = k!·1000^k overflows from k = 70 (1.2e310), not before
    let g = chain(&[1e-3]);
    let ph = PhaseType::new(&g).unwrap();
    all_rel(
        &ph.moments(69, None).unwrap(),
        &exponential(1e-3, 69),
        "Exp(1e-3)",
    );
    assert!(matches!(
        ph.moments(70, None),
        Err(Error::MomentRange { order: 70, log10 }) if (log10 - 310.078).abs() < 1e-3
    ));
}

#[test]
fn erlang_and_hypoexponential_moments_hold_at_high_orders() {
    // Erlang(5, 1000): E[T^k] = Π_{i<k} (5 + i)/1000
    let g = chain(&[1000.0; 5]);
    let want: Vec<f64> = (0..200)
        .scan(1.0, |m, i| {
            *m *= (5 + i) as f64 / 1000.0;
            Some(*m)
        })
        .collect();
    all_rel(
        &PhaseType::new(&g).unwrap().moments(200, None).unwrap(),
        &want,
        "Erlang(5, 1000)",
    );
    let rates = [1000.0, 300.0, 2000.0, 50.0, 7.5];
    let g = chain(&rates);
    all_rel(
        &PhaseType::new(&g).unwrap().moments(250, None).unwrap(),
        &hypoexponential(&rates, 250),
        "hypoexponential",
    );
    // with a reward: time in the state of rate 50 counted 40 times over
    let mut r = vec![0.0; g.vertex_count()];
    r[1..=5].copy_from_slice(&[1.0, 1.0, 1.0, 40.0, 1.0]);
    let scaled = [1000.0, 300.0, 2000.0, 50.0 / 40.0, 7.5];
    all_rel(
        &PhaseType::new(&g).unwrap().moments(120, Some(&r)).unwrap(),
        &hypoexponential(&scaled, 120),
        "rewarded hypoexponential",
    );
}

/// A state the start never reaches does not set the scale: row 2 has mean
/// 1000 (its moments overflow from order 70) and takes no part.
#[test]
fn unreachable_states_do_not_disturb_the_moments() {
    let g = Graph::from_matrices(&[1.0, 0.0], &[vec![-1000.0, 0.0], vec![0.0, -1e-3]]).unwrap();
    all_rel(
        &PhaseType::new(&g).unwrap().moments(300, None).unwrap(),
        &exponential(1000.0, 300),
        "Exp(1000) beside a slow unreachable state",
    );
}

/// With α = 0 the time is 0 surely: every moment is exactly 0, at any
/// order (order 171 was "NaN, overflow").
#[test]
fn a_distribution_that_starts_absorbed_has_zero_moments() {
    let g = Graph::from_matrices(&[0.0], &[vec![-1000.0]]).unwrap();
    let m = PhaseType::new(&g).unwrap().moments(400, None).unwrap();
    assert!(m.iter().all(|&m| m == 0.0), "{m:?}");
    let g = Graph::from_discrete_matrices(&[0.0], &[vec![0.5]]).unwrap();
    let m = DiscretePhaseType::new(&g)
        .unwrap()
        .moments(300, None)
        .unwrap();
    assert!(m.iter().all(|&m| m == 0.0), "{m:?}");
}

/// Raw moments of a geometric number of steps `τ ≥ 1` with staying
/// probability `q`: `E[τ^k] = E[(1 + τ')^k]` with `τ' = 0` w.p. `1 − q`
/// and `τ' ~ τ` w.p. `q`, so `(1 − q)·m_k = 1 − q + q·Σ_{i<k} C(k, i)·m_i`.
fn geometric(q: f64, n: usize) -> Vec<f64> {
    let mut m = vec![1.0];
    for k in 1..=n {
        let mut c = 1.0; // C(k, i)
        let mut s = 0.0;
        for (i, mi) in m.iter().enumerate() {
            s += c * mi;
            c *= (k - i) as f64 / (i + 1) as f64;
        }
        m.push((1.0 - q + q * s) / (1.0 - q));
    }
    m[1..].to_vec()
}

/// The discrete raw moments came from a signed Stirling sum over rising
/// factorial moments, which cancelled every digit: with `q = 0.01`,
/// E[τ^20] was off by 2%, E[τ^25] negative. Now a sum of non-negative
/// terms over falling factorial moments.
#[test]
fn discrete_moments_do_not_cancel_at_high_orders() {
    for (q, n) in [(0.01, 60), (0.5, 100), (0.999, 60), (0.75, 136)] {
        let g = Graph::from_discrete_matrices(&[1.0], &[vec![q]]).unwrap();
        let d = DiscretePhaseType::new(&g).unwrap();
        all_rel(
            &d.moments(n, None).unwrap(),
            &geometric(q, n),
            &format!("geometric q = {q}"),
        );
    }
    // q = 3/4: E[τ^137] = 7.8e308 is beyond f64, E[τ^136] is not
    let g = Graph::from_discrete_matrices(&[1.0], &[vec![0.75]]).unwrap();
    assert!(matches!(
        DiscretePhaseType::new(&g).unwrap().moments(137, None),
        Err(Error::MomentRange { order: 137, log10 }) if log10 > 308.25
    ));
    // two geometric stages in a row: E[(X + Y)^k] = Σ C(k, i) E[X^i] E[Y^{k−i}]
    let (q1, q2, n) = (0.3, 0.9, 80);
    let g =
        Graph::from_discrete_matrices(&[1.0, 0.0], &[vec![q1, 1.0 - q1], vec![0.0, q2]]).unwrap();
    let (x, y) = (geometric(q1, n), geometric(q2, n));
    let moment = |i: usize, m: &[f64]| if i == 0 { 1.0 } else { m[i - 1] };
    let want: Vec<f64> = (1..=n)
        .map(|k| {
            let mut c = 1.0;
            let mut s = 0.0;
            for i in 0..=k {
                s += c * moment(i, &x) * moment(k - i, &y);
                c *= (k - i) as f64 / (i + 1) as f64;
            }
            s
        })
        .collect();
    let d = DiscretePhaseType::new(&g).unwrap();
    all_rel(&d.moments(n, None).unwrap(), &want, "two geometric stages");
    // the variance is unchanged in form: q = 1/2 gives 2
    assert_eq!(
        DiscretePhaseType::new(&Graph::from_discrete_matrices(&[1.0], &[vec![0.5]]).unwrap())
            .unwrap()
            .variance(None)
            .unwrap(),
        2.0
    );
}
