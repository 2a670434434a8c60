//! Every model of the library (`phasic::models`) checked against the
//! reference numbers of docs/MODELS.md through the library API: vertex and
//! edge counts, discovery order, moments, SFS, parameterized variants and
//! keys.
//!
//! Tolerances: closed forms, exact rationals and peer values are compared
//! at 1e-12 relative (docs/MODELS.md §0: numbers of the Python/C phasic
//! 0.32.1 agree to about 1e-12). Values
//! of the IM model with a split time come from uniformization with error
//! bound 1e-14 and are compared at 1e-11 relative.

use phasic::core::distribution::reward_transform_discrete;
use phasic::models::*;
use phasic::prelude::*;

/// Closed, exact and peer values.
const TOL: f64 = 1e-12;
/// Values that go through uniformization (IM model with a split time).
const SPLIT_TOL: f64 = 1e-11;

/// `got` equals `want` to `tol` relative (absolute when `want` is 0).
fn close(got: f64, want: f64, tol: f64, what: &str) {
    let scale = if want == 0.0 { 1.0 } else { want.abs() };
    assert!(
        got.is_finite() && (got - want).abs() <= tol * scale,
        "{what}: got {got:?}, expected {want:?} (rel. error {:e})",
        (got - want).abs() / scale
    );
}

fn close_all(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, tol, &format!("{what}[{i}]"));
    }
}

fn close_matrix(got: &[Vec<f64>], want: &[Vec<f64>], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close_all(g, w, tol, &format!("{what} row {i}"));
    }
}

fn counts<G: GraphView>(g: &G) -> (usize, usize) {
    (g.vertex_count(), g.edge_count())
}

fn expectation<G: GraphView>(g: &G, r: Option<&[f64]>) -> f64 {
    PhaseType::new(g).unwrap().expectation(r).unwrap()
}

fn variance<G: GraphView>(g: &G, r: Option<&[f64]>) -> f64 {
    PhaseType::new(g).unwrap().variance(r).unwrap()
}

/// One reward per vertex from its state.
fn reward<G: GraphView>(g: &G, f: impl Fn(&[i32]) -> f64) -> Vec<f64> {
    (0..g.vertex_count()).map(|v| f(g.state(v))).collect()
}

fn harmonic(n: u32) -> f64 {
    (1..=n).map(|i| 1.0 / f64::from(i)).sum()
}

fn inverse_squares(n: u32) -> f64 {
    (1..=n).map(|i| 1.0 / f64::from(i * i)).sum()
}

fn choose(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

/// `Σ_{k=2..n} C(k,2)^−2`.
fn kingman_var(n: u32) -> f64 {
    (2..=n).map(|k| 1.0 / (choose(k, 2) * choose(k, 2))).sum()
}

// ---------------------------------------------------------------- §1 Kingman

#[test]
fn kingman_size_and_numbering() {
    for n in [1, 2, 5, 10, 50] {
        let g = Graph::from_callback(kingman, n).unwrap();
        assert_eq!(counts(&g), (n as usize + 1, n as usize), "n = {n}");
        for v in 1..g.vertex_count() {
            assert_eq!(g.state(v), &[n + 1 - v as i32], "n = {n}, vertex {v}");
        }
    }
}

#[test]
fn kingman_table() {
    // (n, E[T], Var T, E[L], Var L) of docs/MODELS.md §1
    type Row = (i32, f64, f64, Option<(f64, f64)>);
    let rows: [Row; 3] = [
        (5, 1.6, 517.0 / 450.0, Some((25.0 / 6.0, 205.0 / 36.0))),
        (
            10,
            1.8,
            1.1581418493323268,
            Some((7129.0 / 1260.0, 6.159070924666146)),
        ),
        (50, 1.96, 1.1594618689722358, None),
    ];
    for (n, e, var, length) in rows {
        let g = Graph::from_callback(kingman, n).unwrap();
        let nu = n as u32;
        close(expectation(&g, None), e, TOL, &format!("E[T] n={n}"));
        close(variance(&g, None), var, TOL, &format!("Var T n={n}"));
        close(e, 2.0 * (1.0 - 1.0 / f64::from(n)), TOL, "closed E[T]");
        close(var, kingman_var(nu), TOL, "closed Var T");
        let k = reward(&g, |s| f64::from(s[0]));
        let (el, vl) = (expectation(&g, Some(&k)), variance(&g, Some(&k)));
        close(el, 2.0 * harmonic(nu - 1), TOL, &format!("E[L] n={n}"));
        close(
            vl,
            4.0 * inverse_squares(nu - 1),
            TOL,
            &format!("Var L n={n}"),
        );
        if let Some((e_l, var_l)) = length {
            close(el, e_l, TOL, &format!("E[L] n={n} (table)"));
            close(vl, var_l, TOL, &format!("Var L n={n} (table)"));
        }
    }
}

#[test]
fn kingman_n5_moments_and_remaining_time() {
    let g = Graph::from_callback(kingman, 5).unwrap();
    let ph = PhaseType::new(&g).unwrap();
    close_all(
        &ph.moments(4, None).unwrap(),
        &[1.6, 3.7088888888888882, 11.696, 47.5858074074074],
        TOL,
        "E[T^k] n=5",
    );
    close_all(
        &ph.expected_waiting_time(None).unwrap(),
        &[1.6, 1.6, 1.5, 4.0 / 3.0, 1.0, 0.0],
        TOL,
        "remaining time n=5",
    );
}

#[test]
fn kingman_theta_values() {
    // (n, θ₀, E, Var, E[T³])
    let rows: [(i32, f64, f64, f64, Option<f64>); 3] = [
        (5, 0.5, 3.2, 4.595555555555553, Some(93.568)),
        (5, 2.0, 0.8, 0.28722222222222205, None),
        (10, 0.5, 3.6, 4.632567397329307, None),
    ];
    for (n, t0, e, var, third) in rows {
        let mut g = Graph::from_callback(kingman_theta, n).unwrap();
        assert_eq!(counts(&g), (n as usize + 1, n as usize));
        g.update_weights(&[t0]).unwrap();
        let m = PhaseType::new(&g).unwrap().moments(3, None).unwrap();
        let what = format!("kingman_theta n={n} θ₀={t0}");
        close(m[0], e, TOL, &format!("{what} E"));
        close(m[1] - m[0] * m[0], var, TOL, &format!("{what} Var"));
        close(e, 2.0 * (1.0 - 1.0 / f64::from(n)) / t0, TOL, "closed E");
        close(var, kingman_var(n as u32) / (t0 * t0), TOL, "closed Var");
        if let Some(t) = third {
            close(m[2], t, TOL, &format!("{what} E[T³]"));
        }
    }
}

// ---------------------------------------------------------- §2 block counting

/// Reward `a[i−1]` for SFS class `i = 1..n−1`.
fn sfs_classes<G: GraphView>(g: &G) -> Vec<Vec<f64>> {
    (0..g.state_len() - 1)
        .map(|i| reward(g, |s| f64::from(s[i])))
        .collect()
}

#[test]
fn block_counting_sizes() {
    let table = [
        (4, 6, 6),
        (6, 12, 18),
        (10, 43, 115),
        (15, 177, 739),
        (20, 628, 3546),
        (25, 1959, 13991),
        (30, 5605, 48298),
        (35, 14884, 150488),
        (40, 37339, 432938),
    ];
    for (n, v, e) in table {
        let g = Graph::from_callback(block_counting, n).unwrap();
        assert_eq!(counts(&g), (v, e), "block counting n = {n}");
    }
}

#[test]
fn block_counting_order() {
    let expect: [(i32, &[&str]); 2] = [
        (4, &["4000", "2100", "0200", "1010", "0001"]),
        (
            6,
            &[
                "600000", "410000", "220000", "301000", "030000", "111000", "200100", "010100",
                "002000", "100010", "000001",
            ],
        ),
    ];
    for (n, states) in expect {
        let g = Graph::from_callback(block_counting, n).unwrap();
        assert_eq!(g.vertex_count(), states.len() + 1);
        assert!(g.state(START).iter().all(|&x| x == 0));
        for (v, s) in states.iter().enumerate() {
            let want: Vec<i32> = s.bytes().map(|b| i32::from(b - b'0')).collect();
            assert_eq!(g.state(v + 1), want.as_slice(), "n = {n}, vertex {}", v + 1);
        }
    }
}

#[test]
fn block_counting_sfs_is_two_over_i() {
    for n in [2, 3, 4, 6, 10, 15, 20] {
        let g = Graph::from_callback(block_counting, n).unwrap();
        let ph = PhaseType::new(&g).unwrap();
        let classes = sfs_classes(&g);
        assert_eq!(classes.len(), n as usize - 1);
        for (i, r) in classes.iter().enumerate() {
            let i1 = i as f64 + 1.0;
            close(
                ph.expectation(Some(r)).unwrap(),
                2.0 / i1,
                TOL,
                &format!("E[ξ_{}] n={n}", i + 1),
            );
        }
        close(
            ph.expectation(None).unwrap(),
            2.0 * (1.0 - 1.0 / f64::from(n)),
            TOL,
            &format!("E[T] n={n}"),
        );
    }
}

#[test]
fn block_counting_n4_reference() {
    let g = Graph::from_callback(block_counting, 4).unwrap();
    let ph = PhaseType::new(&g).unwrap();
    let c = sfs_classes(&g);
    let vars: Vec<f64> = c.iter().map(|r| ph.variance(Some(r)).unwrap()).collect();
    close_all(&vars, &[16.0 / 9.0, 7.0 / 3.0, 8.0 / 9.0], TOL, "Var ξ n=4");
    close(
        ph.covariance(&c[0], &c[1]).unwrap(),
        -2.0 / 9.0,
        TOL,
        "Cov(ξ1,ξ2) n=4",
    );
    close(
        ph.covariance(&c[0], &c[2]).unwrap(),
        8.0 / 9.0,
        TOL,
        "Cov(ξ1,ξ3) n=4",
    );
    close_all(
        &ph.sojourn_times(),
        &[0.0, 1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0, 0.0],
        TOL,
        "sojourn n=4",
    );
}

#[test]
fn block_counting_n6_reference() {
    let g = Graph::from_callback(block_counting, 6).unwrap();
    let ph = PhaseType::new(&g).unwrap();
    let c = sfs_classes(&g);
    let e: Vec<f64> = c.iter().map(|r| ph.expectation(Some(r)).unwrap()).collect();
    close_all(&e, &[2.0, 1.0, 2.0 / 3.0, 0.5, 0.4], TOL, "E[ξ] n=6");
    close(ph.variance(Some(&c[0])).unwrap(), 1.48, TOL, "Var ξ1 n=6");
    close(
        ph.covariance(&c[0], &c[1]).unwrap(),
        -0.52 / 3.0,
        TOL,
        "Cov(ξ1,ξ2) n=6",
    );
    close(
        ph.covariance(&c[0], &c[1]).unwrap(),
        -0.1733333,
        1e-6,
        "docs Cov",
    );
}

#[test]
fn block_counting_n10_reference() {
    let g = Graph::from_callback(block_counting, 10).unwrap();
    let ph = PhaseType::new(&g).unwrap();
    let c = sfs_classes(&g);
    close(
        ph.variance(Some(&c[0])).unwrap(),
        1.1432980599647253,
        TOL,
        "Var ξ1 n=10",
    );
    close(
        ph.variance(None).unwrap(),
        1.158141849332325,
        TOL,
        "Var T n=10",
    );
}

#[test]
fn block_counting_theta_values() {
    // (n, θ₀, vertices, E[T], SFS scale: E[ξ_i] = scale / i)
    let rows = [
        (6, 0.5, 12, 10.0 / 3.0, 4.0),
        (6, 2.0, 12, 5.0 / 6.0, 1.0),
        (15, 2.0, 177, 14.0 / 15.0, 1.0),
    ];
    for (n, t0, vertices, e, scale) in rows {
        let mut g = Graph::from_callback(block_counting_theta, n).unwrap();
        assert_eq!(g.vertex_count(), vertices, "n = {n}");
        g.update_weights(&[t0]).unwrap();
        let ph = PhaseType::new(&g).unwrap();
        let what = format!("block_counting_theta n={n} θ₀={t0}");
        close(
            ph.expectation(None).unwrap(),
            e,
            TOL,
            &format!("{what} E[T]"),
        );
        let sfs: Vec<f64> = sfs_classes(&g)
            .iter()
            .map(|r| ph.expectation(Some(r)).unwrap())
            .collect();
        let want: Vec<f64> = (1..n).map(|i| scale / f64::from(i)).collect();
        close_all(&sfs, &want, TOL, &format!("{what} SFS"));
    }
    // n = 6, θ₀ = 0.5 as printed: (4, 2, 4/3, 1, 0.8)
    let mut g = Graph::from_callback(block_counting_theta, 6).unwrap();
    g.update_weights(&[0.5]).unwrap();
    let ph = PhaseType::new(&g).unwrap();
    let sfs: Vec<f64> = sfs_classes(&g)
        .iter()
        .map(|r| ph.expectation(Some(r)).unwrap())
        .collect();
    close_all(
        &sfs,
        &[4.0, 2.0, 4.0 / 3.0, 1.0, 0.8],
        TOL,
        "SFS n=6 θ₀=0.5",
    );
}

// ------------------------------------------------------------------ §3 rabbits

const DOCS_RATES: RabbitRates = RabbitRates {
    jump: 1.0,
    flood_left: 2.0,
    flood_right: 4.0,
};

#[test]
fn rabbits_docs_values() {
    let g = Graph::from_callback(rabbits, (2, DOCS_RATES)).unwrap();
    assert_eq!(counts(&g), (7, 13));
    let order: [[i32; 2]; 7] = [[0, 0], [2, 0], [1, 1], [0, 0], [0, 2], [0, 1], [1, 0]];
    for (v, s) in order.iter().enumerate() {
        assert_eq!(g.state(v), s, "vertex {v}");
    }
    assert!(g.is_absorbing(3));
    let ph = PhaseType::new(&g).unwrap();
    let m = ph.moments(3, None).unwrap();
    close(m[0], 395.0 / 784.0, TOL, "E[T]");
    close(m[1], 21087.0 / 43904.0, TOL, "E[T²]");
    close(m[1] - m[0] * m[0], 139193.0 / 614656.0, TOL, "Var T");
    close(
        ph.variance(None).unwrap(),
        139193.0 / 614656.0,
        TOL,
        "Var T",
    );
    close(m[2], 0.6559101757731152, TOL, "E[T³]");
    let right = reward(&g, |s| f64::from(s[1]));
    assert_eq!(right, vec![0.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0]);
    close(
        ph.expectation(Some(&right)).unwrap(),
        37.0 / 392.0,
        TOL,
        "E right",
    );
    close(
        ph.variance(Some(&right)).unwrap(),
        0.04634787588504791,
        TOL,
        "Var right",
    );
}

#[test]
fn rabbits_other_k() {
    for (k, v, e, mean) in [
        (3, 11, 25, 182075.0 / 345744.0),
        (5, 22, 61, 0.5356455582764069),
    ] {
        let g = Graph::from_callback(rabbits, (k, DOCS_RATES)).unwrap();
        assert_eq!(counts(&g), (v, e), "k = {k}");
        let kk = k as usize;
        assert_eq!(g.vertex_count(), (kk + 1) * (kk + 2) / 2 + 1);
        close(expectation(&g, None), mean, TOL, &format!("E k={k}"));
    }
}

#[test]
fn rabbits_theta_values() {
    let mut g = Graph::from_callback(rabbits_theta, 2).unwrap();
    assert_eq!(g.vertex_count(), 7);
    for (theta, e) in [
        ([1.0, 2.0, 4.0], 153.0 / 301.0),
        ([2.0, 4.0, 18.0], 0.22709632268736477),
        ([8.0, 4.0, 18.0], 0.17719439369563442),
    ] {
        g.update_weights(&theta).unwrap();
        close(
            expectation(&g, None),
            e,
            TOL,
            &format!("rabbits_theta {theta:?}"),
        );
    }
    close(153.0 / 301.0, 0.5083056478405316, TOL, "153/301");
}

// ---------------------------------------------------------------- §4 two-locus

fn two_locus(s: i32, p: TwoLocus, rec: Recombination) -> Graph {
    Graph::from_callback(two_locus_two_island, (s, p, rec)).unwrap()
}

fn symmetric(m: f64, r: f64) -> TwoLocus {
    TwoLocus {
        n1: 1.0,
        n2: 1.0,
        m1: m,
        m2: m,
        r,
    }
}

use Recombination::{PerLineage, PerType};

/// (s, params, recombination, V, edges, E, Var)
type TwoLocusRow = (i32, TwoLocus, Recombination, usize, usize, f64, f64);

fn check_two_locus(rows: &[TwoLocusRow]) {
    for &(s, p, rec, v, e, mean, var) in rows {
        let what = format!("two-locus s={s} {p:?} {rec:?}");
        let g = two_locus(s, p, rec);
        assert_eq!(counts(&g), (v, e), "{what}");
        let m = PhaseType::new(&g).unwrap().moments(2, None).unwrap();
        close(m[0], mean, TOL, &format!("{what} E"));
        close(m[1] - m[0] * m[0], var, TOL, &format!("{what} Var"));
    }
}

#[test]
fn two_locus_no_migration() {
    let p = symmetric(0.0, 1.0);
    check_two_locus(&[
        (2, p, PerType, 10, 19, 45.0 / 34.0, 1.8140138408304494),
        (2, p, PerLineage, 10, 19, 35.0 / 24.0, 1.9565972222222219),
        (
            3,
            p,
            PerType,
            32,
            108,
            1.8325744497194645,
            2.068899566855932,
        ),
        (
            3,
            p,
            PerLineage,
            32,
            108,
            110609.0 / 58800.0,
            2.0539506649428483,
        ),
        (
            4,
            p,
            PerType,
            110,
            520,
            2.009144546646421,
            2.0644613482529897,
        ),
        (
            4,
            p,
            PerLineage,
            110,
            520,
            2.0779497027695153,
            2.0593974030780826,
        ),
    ]);
    close(45.0 / 34.0, 1.3235294117647058, TOL, "45/34");
    close(110609.0 / 58800.0, 1.88110544217687, TOL, "110609/58800");
}

#[test]
fn two_locus_no_migration_s6() {
    let p = symmetric(0.0, 1.0);
    check_two_locus(&[
        (
            6,
            p,
            PerType,
            1044,
            8099,
            2.220418478126378,
            2.072593178724299,
        ),
        (
            6,
            p,
            PerLineage,
            1044,
            8099,
            2.264904408844366,
            2.05318953464956,
        ),
    ]);
}

#[test]
fn two_locus_with_migration() {
    let p = symmetric(1.0, 1.0);
    check_two_locus(&[
        (
            2,
            p,
            PerType,
            47,
            181,
            3.2531996130630385,
            11.561831479092298,
        ),
        (
            2,
            p,
            PerLineage,
            47,
            181,
            743159.0 / 216194.0,
            11.593798863477055,
        ),
        (
            3,
            p,
            PerType,
            269,
            1575,
            4.388688376875357,
            12.236297610361301,
        ),
        (
            3,
            p,
            PerLineage,
            269,
            1575,
            4.463170200470564,
            12.078094500259247,
        ),
        (
            4,
            p,
            PerType,
            1432,
            10889,
            4.863609539380666,
            12.217318712652226,
        ),
        (
            4,
            p,
            PerLineage,
            1432,
            10889,
            4.945973287376289,
            12.018077685771797,
        ),
    ]);
    close(
        743159.0 / 216194.0,
        3.4374635743822677,
        TOL,
        "743159/216194",
    );
}

#[test]
fn two_locus_unequal_islands() {
    let p = TwoLocus {
        n1: 1.0,
        n2: 2.0,
        m1: 0.5,
        m2: 0.25,
        r: 0.5,
    };
    check_two_locus(&[
        (
            3,
            p,
            PerType,
            269,
            1575,
            5.661431869343613,
            30.815236880512487,
        ),
        (
            3,
            p,
            PerLineage,
            269,
            1575,
            5.759015786191229,
            30.714656511437582,
        ),
    ]);
}

#[test]
fn two_locus_reduces_to_kingman() {
    for rec in [PerLineage, PerType] {
        let g = two_locus(4, symmetric(0.0, 0.0), rec);
        assert_eq!(g.vertex_count(), 6, "{rec:?}");
        close(expectation(&g, None), 1.5, TOL, "R = M = 0, s = 4");
        close(
            variance(&g, None),
            kingman_var(4),
            TOL,
            "R = M = 0, s = 4 Var",
        );
    }
}

#[test]
fn two_locus_state_encoding() {
    // IPV: s lineages of type (1,1,1) in slot s+2; state length 2(s+1)².
    let g = two_locus(3, symmetric(1.0, 1.0), PerLineage);
    assert_eq!(g.state_len(), 32);
    let mut start = vec![0; 32];
    start[5] = 3;
    assert_eq!(g.state(1), start.as_slice());
    // two absorbing vertices (one per island) with migration
    let absorbing = (1..g.vertex_count()).filter(|&v| g.is_absorbing(v)).count();
    assert_eq!(absorbing, 2);
    let g = two_locus(3, symmetric(0.0, 1.0), PerLineage);
    let absorbing = (1..g.vertex_count()).filter(|&v| g.is_absorbing(v)).count();
    assert_eq!(absorbing, 1);
}

#[test]
fn two_locus_theta_values() {
    let mut g = Graph::from_callback(two_locus_two_island_theta, (2, PerType)).unwrap();
    assert_eq!(counts(&g), (47, 181));
    g.update_weights(&[1.0; 5]).unwrap();
    close(
        expectation(&g, None),
        3.2531996130630403,
        TOL,
        "per-type s=2 θ=1",
    );
    let mut g = Graph::from_callback(two_locus_two_island_theta, (2, PerLineage)).unwrap();
    assert_eq!(counts(&g), (47, 181));
    g.update_weights(&[1.0; 5]).unwrap();
    close(
        expectation(&g, None),
        743159.0 / 216194.0,
        TOL,
        "per-lineage s=2 θ=1",
    );
    for (rec, e) in [
        (PerType, 5.661431869343612),
        (PerLineage, 5.759015786191226),
    ] {
        let mut g = Graph::from_callback(two_locus_two_island_theta, (3, rec)).unwrap();
        assert_eq!(counts(&g), (269, 1575), "{rec:?}");
        g.update_weights(&[1.0, 0.5, 0.5, 0.25, 0.5]).unwrap();
        close(
            expectation(&g, None),
            e,
            TOL,
            &format!("s=3 θ=(1,.5,.5,.25,.5) {rec:?}"),
        );
    }
}

#[test]
fn two_locus_theta_full_structure_s6() {
    for rec in [PerLineage, PerType] {
        let g = Graph::from_callback(two_locus_two_island_theta, (6, rec)).unwrap();
        assert_eq!(counts(&g), (29920, 336509), "{rec:?}");
    }
}

#[test]
fn two_locus_theta_zero_migration_is_finite() {
    let mut g = Graph::from_callback(two_locus_two_island_theta, (3, PerLineage)).unwrap();
    assert_eq!(counts(&g), (269, 1575));
    g.update_weights(&[1.0, 1.0, 0.0, 0.0, 1.0]).unwrap();
    let ph = PhaseType::new(&g).expect("zero migration: a finite answer, not an error");
    let m = ph.moments(2, None).expect("zero migration moments");
    assert!(m.iter().all(|x| x.is_finite()), "not finite: {m:?}");
    close(m[0], 110609.0 / 58800.0, TOL, "θ=(1,1,0,0,1) E");
    close(
        m[1] - m[0] * m[0],
        2.0539506649428483,
        TOL,
        "θ=(1,1,0,0,1) Var",
    );
    let per_type = {
        let mut g = Graph::from_callback(two_locus_two_island_theta, (3, PerType)).unwrap();
        g.update_weights(&[1.0, 1.0, 0.0, 0.0, 1.0]).unwrap();
        expectation(&g, None)
    };
    close(
        per_type,
        1.8325744497194645,
        TOL,
        "θ=(1,1,0,0,1) per-type E",
    );
}

// ------------------------------------------------------ §5 isolation-migration

fn demes(p1: f64, p2: f64, m12: f64, m21: f64) -> Demes {
    Demes { p1, p2, m12, m21 }
}

fn im(n1: i32, n2: i32, d: Demes) -> Graph {
    Graph::from_callback(isolation_migration, (n1, n2, d)).unwrap()
}

/// `E[ξ_ij]` at T = 0: `(2·P_A/(i+j))·C(n1,i)·C(n2,j)/C(n1+n2,i+j)`.
fn panmictic(n1: u32, n2: u32, pa: f64) -> Vec<Vec<f64>> {
    (0..=n1)
        .map(|i| {
            (0..=n2)
                .map(|j| {
                    if (i, j) == (0, 0) || (i, j) == (n1, n2) {
                        0.0
                    } else {
                        2.0 * pa / f64::from(i + j) * choose(n1, i) * choose(n2, j)
                            / choose(n1 + n2, i + j)
                    }
                })
                .collect()
        })
        .collect()
}

/// The joint SFS of reference A (no split, n = (2,2), m = 0.5).
fn reference_a() -> Vec<Vec<f64>> {
    vec![
        vec![0.0, 161.0 / 66.0, 79.0 / 66.0],
        vec![161.0 / 66.0, 26.0 / 33.0, 17.0 / 22.0],
        vec![79.0 / 66.0, 17.0 / 22.0, 0.0],
    ]
}

#[test]
fn im_sizes() {
    let table = [
        ((1, 1), (7, 11), (3, 2)),
        ((2, 1), (17, 43), (5, 5)),
        ((2, 2), (47, 161), (10, 15)),
        ((3, 2), (109, 465), (17, 34)),
        ((3, 3), (269, 1379), (32, 83)),
        ((4, 4), (1432, 9541), (110, 412)),
        ((5, 5), (6771, 56107), (340, 1728)),
    ];
    for ((n1, n2), im_size, anc_size) in table {
        let g = im(n1, n2, demes(1.0, 1.0, 0.5, 0.5));
        assert_eq!(counts(&g), im_size, "IM ({n1},{n2})");
        let a = Graph::from_callback(im_ancestral, (n1, n2, 1.0)).unwrap();
        assert_eq!(counts(&a), anc_size, "ancestral ({n1},{n2})");
    }
}

#[test]
fn im_numbering_n11() {
    let g = im(1, 1, demes(1.0, 1.0, 0.5, 0.5));
    // m = 2: slot(i,j,p) = 4p + i + 2j
    let slot = |i: usize, j: usize, p: usize| 4 * p + i + 2 * j;
    let state = |lineages: &[(usize, usize, usize)]| {
        let mut s = vec![0; 8];
        for &(i, j, p) in lineages {
            s[slot(i, j, p)] += 1;
        }
        s
    };
    let want = [
        state(&[(1, 0, 0), (0, 1, 1)]),
        state(&[(1, 0, 0), (0, 1, 0)]),
        state(&[(1, 0, 1), (0, 1, 1)]),
        state(&[(0, 1, 0), (1, 0, 1)]),
        state(&[(1, 1, 0)]),
        state(&[(1, 1, 1)]),
    ];
    for (v, s) in want.iter().enumerate() {
        assert_eq!(g.state(v + 1), s.as_slice(), "vertex {}", v + 1);
    }
}

#[test]
fn im_two_lineages_closed_form() {
    for m in [0.5, 0.1] {
        let g = im(1, 1, demes(1.0, 1.0, m, m));
        let want = 2.0 + 1.0 / (2.0 * m);
        close(expectation(&g, None), want, TOL, &format!("E[T] m={m}"));
        let sfs = joint_sfs(&g, 1, 1, None).unwrap();
        close(sfs[1][0], want, TOL, &format!("ξ10 m={m}"));
        close(sfs[0][1], want, TOL, &format!("ξ01 m={m}"));
    }
    close(2.0 + 1.0 / 0.2, 7.0, TOL, "m = 0.1");
}

#[test]
fn im_reference_a() {
    let g = im(2, 2, demes(1.0, 1.0, 0.5, 0.5));
    close(expectation(&g, None), 131.0 / 33.0, TOL, "A E[T]");
    close(variance(&g, None), 7.645546372819098, TOL, "A Var T");
    close_matrix(
        &joint_sfs(&g, 2, 2, None).unwrap(),
        &reference_a(),
        TOL,
        "A joint SFS",
    );
}

#[test]
fn im_reference_b() {
    let g = im(2, 2, demes(2.0, 1.0, 0.25, 1.0));
    close(expectation(&g, None), 3.3296052913476655, TOL, "B E[T]");
    close_matrix(
        &joint_sfs(&g, 2, 2, None).unwrap(),
        &[
            vec![0.0, 1.8987624605467461, 0.8316559345827655],
            vec![3.0174468533987535, 0.7171619293712319, 1.0095772637416427],
            vec![0.5966924719633163, 0.3608197961285338, 0.0],
        ],
        TOL,
        "B joint SFS",
    );
}

/// The catalogue's IM model with these settings (split time included).
fn catalogue_im(pairs: &[(&str, &str)]) -> Built {
    let spec = find("isolation_migration").unwrap();
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = Settings::new(spec, &pairs).unwrap();
    (spec.build)(&settings).unwrap()
}

fn split_expectation(b: &Built) -> f64 {
    (b.split_expectation.as_ref().expect("a split model"))(&b.cached.graph).unwrap()
}

fn built_sfs(b: &Built) -> Vec<Vec<f64>> {
    let weighted = Weighted {
        graph: &b.cached.graph,
        program: None,
    };
    match (b.sfs.as_ref().expect("an SFS"))(&weighted).unwrap() {
        Spectrum::Joint(m) => m,
        other => panic!("not a joint SFS: {other:?}"),
    }
}

#[test]
fn im_reference_c() {
    let g = im(2, 2, demes(1.0, 1.0, 0.5, 0.5));
    let want = [
        vec![0.0, 1.712715619168614, 0.5838836745114596],
        vec![1.712715619168614, 0.3916813446091939, 0.3223118376154551],
        vec![0.5838836745114596, 0.3223118376154551, 0.0],
    ];
    close_matrix(
        &joint_sfs(&g, 2, 2, Some((1.0, 1.0))).unwrap(),
        &want,
        SPLIT_TOL,
        "C joint SFS",
    );
    let (_, cdf) = PhaseType::new(&g)
        .unwrap()
        .pdf_cdf(&[1.0], Method::Exact { tolerance: 1e-15 })
        .unwrap();
    close(cdf[0], 0.05370071185693304, SPLIT_TOL, "C P(absorbed by T)");
    let b = catalogue_im(&[("t", "1")]);
    assert_eq!(counts(&b.cached.graph), (47, 161));
    close(
        split_expectation(&b),
        2.119549912823546,
        SPLIT_TOL,
        "C E[T_MRCA]",
    );
    close_matrix(&built_sfs(&b), &want, SPLIT_TOL, "C joint SFS (catalogue)");
}

#[test]
fn im_reference_d() {
    let want = [
        vec![
            0.0,
            1.715959906091808,
            0.6000598020798098,
            0.2916434664168468,
        ],
        vec![
            2.7677808453955435,
            0.4997269956736275,
            0.3656331356220107,
            0.377717063266382,
        ],
        vec![
            0.6868764546929973,
            0.2675920326690764,
            0.2613977883490024,
            0.45709715501836373,
        ],
        vec![
            0.17301739579240044,
            0.1328260794564078,
            0.17534419293447473,
            0.0,
        ],
    ];
    let g = im(3, 3, demes(2.0, 1.0, 0.25, 1.0));
    close_matrix(
        &joint_sfs(&g, 3, 3, Some((1.0, 1.5))).unwrap(),
        &want,
        SPLIT_TOL,
        "D joint SFS",
    );
    let b = catalogue_im(&[
        ("n1", "3"),
        ("n2", "3"),
        ("p1", "2"),
        ("p2", "1"),
        ("m12", "0.25"),
        ("m21", "1"),
        ("pa", "1.5"),
        ("t", "1"),
    ]);
    close(
        split_expectation(&b),
        2.933449301988764,
        SPLIT_TOL,
        "D E[T_MRCA]",
    );
    close_matrix(&built_sfs(&b), &want, SPLIT_TOL, "D joint SFS (catalogue)");
}

#[test]
fn im_split_at_zero_is_panmictic() {
    // E: n = (2,2), P_A = 1
    let g = im(2, 2, demes(1.0, 1.0, 0.5, 0.5));
    let e = joint_sfs(&g, 2, 2, Some((0.0, 1.0))).unwrap();
    close(e[1][0], 1.0, TOL, "E ξ10");
    close(e[2][0], 1.0 / 6.0, TOL, "E ξ20");
    close(e[1][1], 2.0 / 3.0, TOL, "E ξ11");
    close(e[2][1], 1.0 / 3.0, TOL, "E ξ21");
    close_matrix(&e, &panmictic(2, 2, 1.0), TOL, "E closed form");
    // another n and P_A, with migration and unequal demes (irrelevant at T = 0)
    let g = im(3, 2, demes(2.0, 1.0, 0.25, 1.0));
    close_matrix(
        &joint_sfs(&g, 3, 2, Some((0.0, 1.5))).unwrap(),
        &panmictic(3, 2, 1.5),
        TOL,
        "T = 0, n = (3,2), P_A = 1.5",
    );
    let b = catalogue_im(&[("n1", "3"), ("n2", "2"), ("pa", "1.5"), ("t", "0")]);
    close(
        split_expectation(&b),
        1.5 * 2.0 * (1.0 - 1.0 / 5.0),
        TOL,
        "T = 0 E[T_MRCA] = P_A·2(1−1/n)",
    );
}

#[test]
fn im_theta_values() {
    let mut g = Graph::from_callback(isolation_migration_theta, (2, 2)).unwrap();
    assert_eq!(counts(&g), (47, 161));
    // θ = (1, 0.5, 0.5) reproduces A
    g.update_weights(&[1.0, 0.5, 0.5]).unwrap();
    close(expectation(&g, None), 131.0 / 33.0, TOL, "θ=(1,.5,.5) E[T]");
    close(
        variance(&g, None),
        7.645546372819098,
        TOL,
        "θ=(1,.5,.5) Var",
    );
    close_matrix(
        &joint_sfs(&g, 2, 2, None).unwrap(),
        &reference_a(),
        TOL,
        "θ=(1,.5,.5) SFS",
    );
    // θ = (0.5, 0.25, 1.0)
    g.update_weights(&[0.5, 0.25, 1.0]).unwrap();
    close(
        expectation(&g, None),
        5.277694002502187,
        TOL,
        "θ=(.5,.25,1) E[T]",
    );
    let sfs = joint_sfs(&g, 2, 2, None).unwrap();
    close(sfs[1][0], 4.110773795684282, TOL, "θ=(.5,.25,1) ξ10");
    close(sfs[1][1], 1.4998682476943352, TOL, "θ=(.5,.25,1) ξ11");
    // θ = (2, 1, 1) halves A
    g.update_weights(&[2.0, 1.0, 1.0]).unwrap();
    close(expectation(&g, None), 131.0 / 66.0, TOL, "θ=(2,1,1) E[T]");
    close(
        expectation(&g, None),
        1.9848,
        1e-4,
        "θ=(2,1,1) E[T] ≈ 1.9848",
    );
    let half: Vec<Vec<f64>> = reference_a()
        .iter()
        .map(|row| row.iter().map(|x| x / 2.0).collect())
        .collect();
    close_matrix(
        &joint_sfs(&g, 2, 2, None).unwrap(),
        &half,
        TOL,
        "θ=(2,1,1) SFS",
    );
}

// ------------------------------------------------------ §7 segregating sites

/// `P(S = k)` for `S = Σ_{k=2..n} G_k`, `P(G_k = g) = p_k (1−p_k)^g`,
/// `p_k = (k−1)/(k−1+θ)`: the convolution up to `kmax`.
fn sites_pmf(n: u32, theta: f64, kmax: usize) -> Vec<f64> {
    let mut pmf = vec![0.0; kmax + 1];
    pmf[0] = 1.0;
    for k in 2..=n {
        let p = f64::from(k - 1) / (f64::from(k - 1) + theta);
        let g: Vec<f64> = (0..=kmax).map(|x| p * (1.0 - p).powi(x as i32)).collect();
        pmf = (0..=kmax)
            .map(|s| (0..=s).map(|x| pmf[s - x] * g[x]).sum())
            .collect();
    }
    pmf
}

#[test]
fn segregating_sites_values() {
    let theta = 1.0;
    for (n, vertices) in [(2, 4), (5, 10), (10, 20)] {
        let (g, r) = segregating_sites(n, theta).unwrap();
        assert_eq!(g.vertex_count(), vertices, "n = {n}");
        assert_eq!(r.len(), vertices);
        let nu = n as u32;
        // pmf from the discrete reward transform and the forward recursion
        let ints: Vec<u32> = r.iter().map(|&x| x as u32).collect();
        let t = reward_transform_discrete(&g, &ints).unwrap();
        let ks: Vec<u64> = (0..=6).collect();
        let (pmf, cdf) = DiscretePhaseType::new(&t.graph)
            .unwrap()
            .pmf_cdf(&ks)
            .unwrap();
        let want = sites_pmf(nu, theta, 6);
        close_all(&pmf, &want, TOL, &format!("P(S=k) n={n}"));
        let mut acc = 0.0;
        for (k, c) in cdf.iter().enumerate() {
            acc += want[k];
            close(*c, acc, TOL, &format!("P(S≤{k}) n={n}"));
        }
        close(pmf[0], 1.0 / f64::from(n), TOL, &format!("P(S=0) n={n}"));
        close(
            pmf[1],
            pmf[0]
                * theta
                * (2..=nu)
                    .map(|k| 1.0 / (f64::from(k - 1) + theta))
                    .sum::<f64>(),
            TOL,
            &format!("P(S=1) n={n}"),
        );
        // rewarded DPH moments
        let d = DiscretePhaseType::new(&g).unwrap();
        let h = harmonic(nu - 1);
        close(
            d.expectation(Some(&r)).unwrap(),
            theta * h,
            TOL,
            &format!("E[S] n={n}"),
        );
        close(
            d.variance(Some(&r)).unwrap(),
            theta * h + theta * theta * inverse_squares(nu - 1),
            TOL,
            &format!("Var S n={n}"),
        );
        // the number of steps: P(τ = (n−1) + 2g) = P(S = g)
        let steps: Vec<u64> = (0..4).map(|x| (n as u64 - 1) + 2 * x).collect();
        let (tau, _) = d.pmf_cdf(&steps).unwrap();
        close_all(&tau, &want[..4], TOL, &format!("P(τ) n={n}"));
    }
}

#[test]
fn segregating_sites_reference() {
    let pmf_of = |n: i32, ks: &[u64]| {
        let (g, r) = segregating_sites(n, 1.0).unwrap();
        let ints: Vec<u32> = r.iter().map(|&x| x as u32).collect();
        let t = reward_transform_discrete(&g, &ints).unwrap();
        DiscretePhaseType::new(&t.graph)
            .unwrap()
            .pmf_cdf(ks)
            .unwrap()
            .0
    };
    close_all(
        &pmf_of(5, &[0, 1, 2, 3]),
        &[0.2, 77.0 / 300.0, 0.21105555555555558, 0.14232685185185187],
        TOL,
        "P(S=0..3) n=5",
    );
    close_all(
        &pmf_of(2, &[0, 1, 2, 3, 4]),
        &[0.5, 0.25, 0.125, 0.0625, 0.03125],
        TOL,
        "P(S=k) n=2",
    );
    close(pmf_of(10, &[0])[0], 0.1, TOL, "P(S=0) n=10");
    let moments = |n: i32| {
        let (g, r) = segregating_sites(n, 1.0).unwrap();
        let d = DiscretePhaseType::new(&g).unwrap();
        (
            d.expectation(Some(&r)).unwrap(),
            d.variance(Some(&r)).unwrap(),
        )
    };
    let (e, v) = moments(5);
    close(e, 25.0 / 12.0, TOL, "E n=5");
    close(v, 505.0 / 144.0, TOL, "Var n=5");
    let (e, v) = moments(2);
    close(e, 1.0, TOL, "E n=2");
    close(v, 2.0, TOL, "Var n=2");
    let (e, v) = moments(10);
    close(e, 2.8289682539682537, TOL, "E n=10");
    close(v, 4.368735985134794, TOL, "Var n=10");
    // P(τ = 4) = 0.2 for n = 5
    let (g, _) = segregating_sites(5, 1.0).unwrap();
    let (tau, _) = DiscretePhaseType::new(&g).unwrap().pmf_cdf(&[4]).unwrap();
    close(tau[0], 0.2, TOL, "P(τ=4) n=5");
}

#[test]
fn segregating_sites_numbering() {
    // auxiliaries follow the Kingman vertices: for n = 5, vertex 6 belongs to [5], 9 to [2]
    let (g, r) = segregating_sites(5, 1.0).unwrap();
    for v in 1..=5 {
        assert_eq!(g.state(v), &[6 - v as i32]);
    }
    assert_eq!(r, vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    for (aux, kv) in [(6, 1), (7, 2), (8, 3), (9, 4)] {
        assert_eq!(g.out_targets(aux), &[kv as u32], "auxiliary {aux}");
        assert!(g.out_targets(kv).contains(&(aux as u32)));
        // from [k]: mutation with probability θ/(k−1+θ)
        let k = f64::from(g.state(kv)[0]);
        let pos = g
            .out_targets(kv)
            .iter()
            .position(|&t| t == aux as u32)
            .unwrap();
        close(g.out_weights(kv)[pos], 1.0 / k, TOL, "mutation probability");
    }
}

// --------------------------------------------------------------------- keys

#[test]
fn keys() {
    assert_ne!(kingman.key(&5), kingman.key(&6));
    assert_eq!(kingman.key(&5), kingman.key(&5));
    assert_ne!(
        <kingman as Callback>::TOKEN_KEY,
        <kingman_theta as Callback>::TOKEN_KEY
    );
    assert_ne!(
        <kingman as Callback>::TOKEN_KEY,
        <block_counting as Callback>::TOKEN_KEY
    );
    assert_ne!(
        <rabbits as Callback>::TOKEN_KEY,
        <isolation_migration as Callback>::TOKEN_KEY
    );
    assert_eq!(
        rabbits.key(&(2, DOCS_RATES)),
        rabbits.key(&(
            2,
            RabbitRates {
                jump: 1.0,
                flood_left: 2.0,
                flood_right: 4.0
            }
        ))
    );
    assert_ne!(
        rabbits.key(&(2, DOCS_RATES)),
        rabbits.key(&(
            2,
            RabbitRates {
                jump: 2.0,
                ..DOCS_RATES
            }
        ))
    );
    let p = symmetric(1.0, 1.0);
    assert_ne!(
        two_locus_two_island.key(&(3, p, PerLineage)),
        two_locus_two_island.key(&(3, p, PerType))
    );
    // the same parameter value gives different keys for different models
    assert_ne!(kingman.key(&5), block_counting.key(&5));
}
