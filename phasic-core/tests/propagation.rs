//! `Propagator` against dense matrix exponentials: the distribution after
//! `h` and the integrals `∫ tʲ P(t) dt` from any starting distribution, by
//! Van Loan's block exponential (`exp(h·[[S, I, 0], [0, 0, I], [0, 0, 0]])`
//! holds `∫₀ʰ e^{sS} ds` and `∫₀ʰ (h−s)·e^{sS} ds`), on random graphs with
//! absorbing vertices that hold their mass; then the early stop of a chain
//! absorbed long before a huge time, and the error of one never absorbed.
//! The tangents of `advance_tangents` against a fourth-order central
//! difference of the dense exponential, along random directions of the
//! weights, the entry and the duration.

mod common;

use common::{close, config};
use nalgebra::DMatrix;
use phasic_core::distribution::{Propagator, Tangents};
use phasic_core::{Error, Graph, GraphBuilder, GraphView, Initial, START};
use proptest::prelude::*;

/// The generator of every vertex but the start (index `v − 1`).
fn generator(g: &Graph) -> DMatrix<f64> {
    let n = g.vertex_count() - 1;
    let mut s = DMatrix::zeros(n, n);
    for v in 1..=n {
        for e in g.edge_range(v) {
            let (t, w) = (g.targets()[e] as usize, g.weights()[e]);
            s[(v - 1, t - 1)] += w;
            s[(v - 1, v - 1)] -= w;
        }
    }
    s
}

/// `(p·e^{hS}, p·∫₀ʰ e^{sS} ds, p·∫₀ʰ s·e^{sS} ds)` by one block exponential.
fn dense(g: &Graph, p: &[f64], h: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let s = generator(g);
    let n = s.nrows();
    let mut m = DMatrix::zeros(3 * n, 3 * n);
    m.view_mut((0, 0), (n, n)).copy_from(&s);
    for i in 0..n {
        m[(i, n + i)] = 1.0;
        m[(n + i, 2 * n + i)] = 1.0;
    }
    let e = (m * h).exp();
    let row = |block: usize| -> Vec<f64> {
        (0..n)
            .map(|j| (0..n).map(|i| p[i + 1] * e[(i, block * n + j)]).sum())
            .collect()
    };
    let (end, j1, j2) = (row(0), row(1), row(2));
    // ∫ s e^{sS} = h·J1 − J2
    let first = j1.iter().zip(&j2).map(|(a, b)| h * a - b).collect();
    (end, j1, first)
}

fn random_graph(n: usize, edges: &[(usize, usize, f64)], absorbing: usize) -> Graph {
    let mut b = GraphBuilder::new(1);
    let v: Vec<usize> = (0..n)
        .map(|i| b.find_or_create(&[i as i32 + 1]).unwrap())
        .collect();
    b.add_edge(START, v[0], 1.0).unwrap();
    for &(from, to, w) in edges {
        // the last `absorbing` vertices have no out-edges
        if from < n - absorbing && from != to {
            b.add_edge(v[from], v[to], w).unwrap();
        }
    }
    b.build()
}

proptest! {
    #![proptest_config(config(64))]
    #[test]
    fn propagation_matches_the_dense_exponential(
        n in 3usize..8,
        raw in prop::collection::vec((0usize..8, 0usize..8, 0.05f64..5.0), 4..24),
        absorbing in 0usize..3,
        mass in prop::collection::vec(0.0f64..1.0, 8),
        h in 0.01f64..4.0,
        from in 0.0f64..3.0,
    ) {
        let edges: Vec<(usize, usize, f64)> = raw.iter().map(|&(a, b, w)| (a % n, b % n, w)).collect();
        let g = random_graph(n, &edges, absorbing.min(n - 1));
        let mut p = vec![0.0; n + 1];
        p[1..].copy_from_slice(&mass[..n]);
        let prop = Propagator::new(&g, 1e-15).unwrap();
        let out = prop.advance(&p, from, h, 2).unwrap();
        let (end, i0, i1) = dense(&g, &p, h);
        let scale = p.iter().sum::<f64>();
        for v in 1..=n {
            close(out.end[v], end[v - 1], 1e-11, scale, "P(h)");
            close(out.integrals[0][v], i0[v - 1], 1e-11, scale * h, "∫P");
            // ∫_a^{a+h} t P = a·∫P + ∫ s P(a+s) ds
            let want = from * i0[v - 1] + i1[v - 1];
            close(out.integrals[1][v], want, 1e-11, scale * h * (from + h), "∫tP");
        }
        prop_assert_eq!(out.end[START], 0.0);
    }
}

/// One block of `(P(h), ∫P)`.
type Pick = fn(&(Vec<f64>, Vec<f64>)) -> &Vec<f64>;

/// `random_graph` with every raw weight `w_i` made `w_i·(1 + t·c_i)`.
fn moved_graph(n: usize, raw: &[(usize, usize, f64, f64)], absorbing: usize, t: f64) -> Graph {
    let edges: Vec<(usize, usize, f64)> = raw
        .iter()
        .map(|&(a, b, w, c)| (a % n, b % n, w * (1.0 + t * c)))
        .collect();
    random_graph(n, &edges, absorbing)
}

proptest! {
    #![proptest_config(config(48))]
    #[test]
    fn tangents_match_differences_of_the_dense_exponential(
        n in 3usize..7,
        raw in prop::collection::vec((0usize..8, 0usize..8, 0.05f64..3.0, 0.1f64..2.0), 4..20),
        absorbing in 0usize..3,
        mass in prop::collection::vec(0.0f64..1.0, 8),
        dmass in prop::collection::vec(-1.0f64..1.0, 8),
        h in 0.01f64..3.0,
        dh in -1.0f64..1.0,
    ) {
        let absorbing = absorbing.min(n - 1);
        let g = moved_graph(n, &raw, absorbing, 0.0);
        // the weights' derivative: the graph of the w_i·c_i, edge for edge
        let scaled: Vec<(usize, usize, f64)> = raw.iter().map(|&(a, b, w, c)| (a % n, b % n, w * c)).collect();
        let dg = random_graph(n, &scaled, absorbing);
        prop_assert_eq!(dg.targets(), g.targets());
        let mut p = vec![0.0; n + 1];
        p[1..].copy_from_slice(&mass[..n]);
        let mut dp = vec![0.0; n + 1];
        dp[1..].copy_from_slice(&dmass[..n]);
        let tangents = Tangents {
            entry: vec![dp.clone()],
            weights: vec![dg.weights().to_vec()],
            duration: vec![dh],
        };
        let prop = Propagator::new(&g, 1e-15).unwrap();
        let (value, d) = prop.advance_tangents(&g, &p, h, &tangents).unwrap();
        let (end, i0, _) = dense(&g, &p, h);
        // f(t) along the direction, by the dense exponential
        let at = |t: f64| {
            let q: Vec<f64> = p.iter().zip(&dp).map(|(a, b)| a + t * b).collect();
            let (e, i, _) = dense(&moved_graph(n, &raw, absorbing, t), &q, h + t * dh);
            (e, i)
        };
        let eps = 1e-3 * h.min(1.0);
        let (a, b, c, e) = (at(2.0 * eps), at(eps), at(-eps), at(-2.0 * eps));
        let diff = |f: Pick, v: usize| {
            (-f(&a)[v] + 8.0 * f(&b)[v] - 8.0 * f(&c)[v] + f(&e)[v]) / (12.0 * eps)
        };
        for v in 1..=n {
            close(value.end[v], end[v - 1], 1e-11, 1.0, "P(h)");
            close(value.integrals[0][v], i0[v - 1], 1e-11, h, "∫P");
            close(d[0].end[v], diff(|x| &x.0, v - 1), 1e-9, 1.0, "∂P(h)");
            close(d[0].integrals[0][v], diff(|x| &x.1, v - 1), 1e-9, h, "∂∫P");
        }
    }
}

/// Kingman with 5 lineages at rate 1 per pair is absorbed after a few
/// jumps of mass; a time needing 10⁹ jumps stops early, every lineage
/// coalesced, and the integrals are the closed forms.
#[test]
fn a_chain_absorbed_early_needs_few_jumps() {
    let g = Graph::from_rule(&Initial::state(&[5]), |s, out| {
        if s[0] > 1 {
            out.add(&[s[0] - 1], f64::from(s[0] * (s[0] - 1) / 2));
        }
    })
    .unwrap();
    let prop = Propagator::new(&g, 1e-15).unwrap();
    assert_eq!(prop.rate(), 10.0);
    let h = 1e8;
    let out = prop
        .advance(&[0.0, 1.0, 0.0, 0.0, 0.0, 0.0], 0.0, h, 1)
        .unwrap();
    close(out.end[5], 1.0, 1e-12, 1.0, "absorbed");
    // time in [k] is 1/C(k,2); the absorbing vertex holds the rest of h
    for (v, k) in (1..5).zip([5.0f64, 4.0, 3.0, 2.0]) {
        close(
            out.integrals[0][v],
            2.0 / (k * (k - 1.0)),
            1e-12,
            1.0,
            "sojourn",
        );
    }
    close(out.integrals[0][5], h - 1.6, 1e-12, 1.0, "held");
}

/// A closed class never absorbed: past a million jumps it is an error,
/// not hours of work.
#[test]
fn mass_that_keeps_moving_past_a_million_jumps_is_an_error() {
    let g = Graph::from_rule(&Initial::state(&[0]), |s, out| out.add(&[1 - s[0]], 1.0)).unwrap();
    let prop = Propagator::new(&g, 1e-12).unwrap();
    let e = prop.advance(&[0.0, 1.0, 0.0], 0.0, 5e6, 0).unwrap_err();
    assert!(matches!(e, Error::TooManyJumps { .. }), "{e}");
    // within reach, the two states share the mass equally
    let out = prop.advance(&[0.0, 1.0, 0.0], 0.0, 100.0, 0).unwrap();
    close(out.end[1], 0.5, 1e-12, 1.0, "balanced");
}

#[test]
fn bad_entries_are_refused() {
    let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
        if s[0] == 1 {
            out.add(&[2], 1.0)
        }
    })
    .unwrap();
    let prop = Propagator::new(&g, 1e-12).unwrap();
    assert!(matches!(
        prop.advance(&[0.0, 1.0], 0.0, 1.0, 0),
        Err(Error::RewardLength { .. })
    ));
    assert!(matches!(
        prop.advance(&[1.0, 0.0, 0.0], 0.0, 1.0, 0),
        Err(Error::InvalidSetting { .. })
    ));
    assert!(matches!(
        prop.advance(&[0.0, f64::NAN, 0.0], 0.0, 1.0, 0),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        prop.advance(&[0.0, 1.0, 0.0], 0.0, -1.0, 0),
        Err(Error::InvalidTime(_))
    ));
    assert!(matches!(
        Propagator::new(&g, 0.0),
        Err(Error::InvalidSetting { .. })
    ));
}
