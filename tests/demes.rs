//! Demes models (`phasic::demes`) against closed forms and independent
//! computations: constant size (4N/i), piecewise-constant, exponential
//! and linear single-deme histories against the time-changed Kingman
//! coalescent (dense matrix exponentials and Gauss–Legendre quadrature,
//! written here), the library's isolation-with-migration model, limits
//! (a split at time → 0, pulses of proportion 0 and 1), ancient samples,
//! time units, the cache, and every rejection.

use nalgebra::DMatrix;
use phasic::cache::{CacheMode, CacheOptions, CacheStatus};
use phasic::demes::{DemesError, Model, Options, Query, Samples};
use phasic::prelude::*;

fn samples(s: &str) -> Samples {
    s.parse().unwrap()
}

fn model(yaml: &str, s: &str) -> Model {
    Model::from_yaml(yaml, &samples(s)).unwrap()
}

/// `got` equals `want` to `tol` relative (absolute when `want` is 0).
fn close(got: f64, want: f64, tol: f64, what: &str) {
    let scale = if want == 0.0 { 1.0 } else { want.abs() };
    assert!(
        got.is_finite() && (got - want).abs() <= tol * scale,
        "{what}: got {got:?}, expected {want:?} (rel. error {:e})",
        (got - want).abs() / scale
    );
}

/// One deme with piecewise size `N(t)` for the reference below: epochs
/// from the present backward, `(end of the epoch going back, size at its
/// young end, size at its old end, exponential?)`; the last is infinite
/// and constant.
struct History(Vec<(f64, f64, f64, bool)>);

impl History {
    /// `1/(2N(t))` inside epoch `e` starting (young end) at `a`.
    fn rate(&self, e: usize, a: f64, t: f64) -> f64 {
        let (b, young, old, exponential) = self.0[e];
        if young == old || b.is_infinite() {
            return 0.5 / young;
        }
        let x = (t - a) / (b - a);
        let n = if exponential {
            young * (old / young).powf(x)
        } else {
            young + (old - young) * x
        };
        0.5 / n
    }

    /// `E[T_k]`, `k = 2..=n` (index `k`), for the lineage-count chain under
    /// `N(t)`: `∫ exp(Λ(t)·Q)[n, k] dt` with `Λ(t) = ∫₀ᵗ 1/(2N)`, by
    /// 10-point Gauss–Legendre on 400 sub-intervals of each finite epoch
    /// and in closed form on the last (`Q` restricted to `k ≥ 2` is
    /// invertible).
    fn expected_times(&self, n: usize) -> Vec<f64> {
        // transient states k = 2..=n at index k − 2
        let m = n - 1;
        let mut q = DMatrix::<f64>::zeros(m, m);
        for k in 2..=n {
            let r = (k * (k - 1) / 2) as f64;
            q[(k - 2, k - 2)] = -r;
            if k > 2 {
                q[(k - 2, k - 3)] = r;
            }
        }
        let row = |lam: f64| {
            let e = (q.clone() * lam).exp();
            (0..m).map(|j| e[(n - 2, j)]).collect::<Vec<f64>>()
        };
        let (nodes, weights) = gauss_legendre_10();
        let mut out = vec![0.0; n + 1];
        let (mut a, mut lam) = (0.0, 0.0);
        for (e, &(b, young, _, _)) in self.0.iter().enumerate() {
            if b.is_infinite() {
                // ∫₀^∞ exp((Λ + c s)Q) ds = exp(ΛQ)·(−cQ)⁻¹
                let c = 0.5 / young;
                let inv = (q.clone() * -c).try_inverse().unwrap();
                let e0 = (q.clone() * lam).exp() * inv;
                for j in 0..m {
                    out[j + 2] += e0[(n - 2, j)];
                }
                break;
            }
            let pieces = 400;
            let h = (b - a) / pieces as f64;
            for piece in 0..pieces {
                let (u, v) = (a + piece as f64 * h, a + (piece + 1) as f64 * h);
                // Λ at each node: the piece's start plus ∫ from u, itself by quadrature
                let lam_u = lam + integral(|t| self.rate(e, a, t), a, u, &nodes, &weights);
                for (x, w) in nodes.iter().zip(&weights) {
                    let t = 0.5 * (u + v) + 0.5 * (v - u) * x;
                    let l = lam_u + integral(|s| self.rate(e, a, s), u, t, &nodes, &weights);
                    for (j, p) in row(l).iter().enumerate() {
                        out[j + 2] += 0.5 * (v - u) * w * p;
                    }
                }
            }
            lam += integral(|t| self.rate(e, a, t), a, b, &nodes, &weights);
            a = b;
        }
        out
    }

    /// `E[ξ_i] = Σ_k k·E[T_k]·C(n−i−1, k−2)/C(n−1, k−1)`.
    fn sfs(&self, n: usize) -> Vec<f64> {
        let t = self.expected_times(n);
        let c = |a: usize, b: usize| binomial(a as i64, b as i64);
        (0..=n)
            .map(|i| {
                if i == 0 || i == n {
                    return 0.0;
                }
                (2..=n)
                    .map(|k| k as f64 * t[k] * c(n - i - 1, k - 2) / c(n - 1, k - 1))
                    .sum()
            })
            .collect()
    }

    fn yaml(&self) -> String {
        let mut y = String::from("time_units: generations\ndemes:\n  - name: A\n    epochs:\n");
        for &(b, young, old, exponential) in self.0.iter().rev() {
            let end = self
                .0
                .iter()
                .map(|x| x.0)
                .filter(|&x| x < b)
                .fold(0.0, f64::max);
            let f = if exponential { "exponential" } else { "linear" };
            if young == old {
                y += &format!("      - {{start_size: {young}, end_time: {end}}}\n");
            } else {
                y += &format!(
                    "      - {{start_size: {old}, end_size: {young}, end_time: {end}, size_function: {f}}}\n"
                );
            }
        }
        y
    }
}

fn binomial(a: i64, b: i64) -> f64 {
    if b < 0 || b > a {
        return 0.0;
    }
    (0..b).fold(1.0, |acc, j| acc * (a - j) as f64 / (j + 1) as f64)
}

/// `∫_u^v f` by 10-point Gauss–Legendre.
fn integral(f: impl Fn(f64) -> f64, u: f64, v: f64, nodes: &[f64], weights: &[f64]) -> f64 {
    nodes
        .iter()
        .zip(weights)
        .map(|(x, w)| w * f(0.5 * (u + v) + 0.5 * (v - u) * x))
        .sum::<f64>()
        * 0.5
        * (v - u)
}

/// Nodes and weights of 10-point Gauss–Legendre on [−1, 1], by Newton on
/// the Legendre polynomial (to full precision).
fn gauss_legendre_10() -> (Vec<f64>, Vec<f64>) {
    let n = 10;
    let mut nodes = Vec::new();
    let mut weights = Vec::new();
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            let dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let dx = p1 / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                let w = 2.0 / ((1.0 - x * x) * dp * dp);
                nodes.push(x);
                weights.push(w);
                break;
            }
        }
    }
    (nodes, weights)
}

fn check_sfs(history: &History, n: usize, tol: f64) {
    let want = history.sfs(n);
    let got = model(&history.yaml(), &format!("A={n}")).sfs().unwrap();
    for (i, w) in want.iter().enumerate().take(n).skip(1) {
        close(got.get(&[i]).unwrap(), *w, tol, &format!("E[ξ_{i}]"));
    }
}

#[test]
fn constant_size_gives_4n_over_i() {
    let m = model(
        "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {start_size: 5000}\n",
        "A=10",
    );
    let sfs = m.sfs().unwrap();
    assert_eq!(sfs.shape(), &[11]);
    assert_eq!((sfs.get(&[0]), sfs.get(&[10])), (Some(0.0), Some(0.0)));
    for i in 1..10 {
        close(sfs.get(&[i]).unwrap(), 20000.0 / i as f64, 1e-12, "4N/i");
    }
    // T_MRCA in units of 2N: E[T] = 2(1 − 1/n), Var T = Σ_k C(k,2)⁻², 2N = 10⁴
    let m2 = m.tmrca_moments(2).unwrap();
    close(m2[0], 1.8e4, 1e-12, "E[T]");
    close(m2[1] - m2[0] * m2[0], 1.1581418493323268e8, 1e-11, "Var T");
}

#[test]
fn piecewise_constant_history_matches_the_time_changed_coalescent() {
    let h = History(vec![
        (300.0, 2000.0, 2000.0, false),
        (800.0, 150.0, 150.0, false),
        (3000.0, 5000.0, 5000.0, false),
        (f64::INFINITY, 1000.0, 1000.0, false),
    ]);
    check_sfs(&h, 10, 1e-9);
}

#[test]
fn exponential_growth_matches_the_time_changed_coalescent() {
    // growth to the present: 20000 now, 1000 at generation 2000
    let h = History(vec![
        (2000.0, 20000.0, 1000.0, true),
        (f64::INFINITY, 1000.0, 1000.0, false),
    ]);
    check_sfs(&h, 8, 1e-8);
}

#[test]
fn linear_and_exponential_epochs_match_the_time_changed_coalescent() {
    let h = History(vec![
        (500.0, 3000.0, 3000.0, false),
        (1500.0, 3000.0, 600.0, false),
        (4000.0, 600.0, 8000.0, true),
        (f64::INFINITY, 8000.0, 8000.0, false),
    ]);
    check_sfs(&h, 7, 1e-8);
}

/// The library's isolation-with-migration model with a split, in its
/// coalescent units (a pair coalesces at rate 1/p per unit), against the
/// same history in generations with `N0 = 1000` (one unit = 2N0 generations).
#[test]
fn isolation_with_migration_matches_the_library_model() {
    let (n0, na, nb, nanc) = (1000.0, 1500.0, 700.0, 2000.0);
    let (t, m_ab, m_ba) = (1200.0, 2e-4, 5e-4); // m_ab: source A, dest B
    let yaml = format!(
        "time_units: generations
demes:
  - name: anc
    epochs:
      - {{start_size: {nanc}, end_time: {t}}}
  - name: A
    ancestors: [anc]
    epochs:
      - {{start_size: {na}}}
  - name: B
    ancestors: [anc]
    epochs:
      - {{start_size: {nb}}}
migrations:
  - {{source: A, dest: B, rate: {m_ab}}}
  - {{source: B, dest: A, rate: {m_ba}}}
"
    );
    let (n1, n2) = (3, 2);
    let got = model(&yaml, "A=3,B=2").sfs().unwrap();
    let unit = 2.0 * n0;
    // m12: a deme-2 (B) lineage moves to deme 1 (A): backward B → A is dest B, source A
    let d = phasic::models::Demes {
        p1: na / n0,
        p2: nb / n0,
        m12: m_ab * unit,
        m21: m_ba * unit,
    };
    let g = Graph::from_callback(phasic::models::isolation_migration, (n1, n2, d)).unwrap();
    let want = phasic::models::joint_sfs(&g, n1, n2, Some((t / unit, nanc / n0))).unwrap();
    assert_eq!(got.shape(), &[4, 3]);
    for (i, row) in want.iter().enumerate() {
        for (j, w) in row.iter().enumerate() {
            close(
                got.get(&[i, j]).unwrap(),
                w * unit,
                1e-9,
                &format!("ξ[{i}][{j}]"),
            );
        }
    }
}

/// A split an instant ago is panmixia: the joint SFS is the single-deme
/// SFS of n1 + n2 spread hypergeometrically.
#[test]
fn a_split_at_time_zero_is_panmixia() {
    let yaml = "time_units: generations
demes:
  - name: anc
    epochs:
      - {start_size: 1000, end_time: 0.001}
  - name: A
    ancestors: [anc]
    epochs:
      - {start_size: 1000}
  - name: B
    ancestors: [anc]
    epochs:
      - {start_size: 1000}
";
    let got = model(yaml, "A=3,B=2").sfs().unwrap();
    for i in 0..=3usize {
        for j in 0..=2usize {
            let k = i + j;
            let want = if k == 0 || k == 5 {
                0.0
            } else {
                4000.0 / k as f64 * binomial(3, i as i64) * binomial(2, j as i64)
                    / binomial(5, k as i64)
            };
            close(
                got.get(&[i, j]).unwrap(),
                want,
                1e-5,
                &format!("ξ[{i}][{j}]"),
            );
        }
    }
}

const TWO_DEMES: &str = "time_units: generations
demes:
  - name: anc
    epochs:
      - {start_size: 2000, end_time: 1000}
  - name: A
    ancestors: [anc]
    epochs:
      - {start_size: 1000}
  - name: B
    ancestors: [anc]
    epochs:
      - {start_size: 500}
";

fn same_spectra(a: &Model, b: &Model, tol: f64) {
    let (x, y) = (a.sfs().unwrap(), b.sfs().unwrap());
    assert_eq!(x.shape(), y.shape());
    for (k, (u, v)) in x.values().iter().zip(y.values()).enumerate() {
        close(*u, *v, tol, &format!("entry {k}"));
    }
}

/// Demes refuses a proportion of 0 (proportions lie in (0, 1], and above
/// about 1e-9); one of 1e-6 changes the spectrum by about as much.
#[test]
fn a_pulse_of_proportion_near_zero_changes_nothing() {
    let with = format!(
        "{TWO_DEMES}pulses:\n  - {{sources: [A], dest: B, time: 300, proportions: [1e-6]}}\n"
    );
    same_spectra(&model(&with, "A=2,B=2"), &model(TWO_DEMES, "A=2,B=2"), 1e-5);
    let zero = format!(
        "{TWO_DEMES}pulses:\n  - {{sources: [A], dest: B, time: 300, proportions: [0.0]}}\n"
    );
    assert!(matches!(rejected(&zero, "A=2"), DemesError::Invalid(_)));
}

/// A pulse of proportion 1 into B at 300 sends every B lineage to A, as if
/// B had begun at 300 as a branch of A.
#[test]
fn a_pulse_of_proportion_one_moves_every_lineage() {
    let with = format!(
        "{TWO_DEMES}pulses:\n  - {{sources: [A], dest: B, time: 300, proportions: [1.0]}}\n"
    );
    let branch = "time_units: generations
demes:
  - name: anc
    epochs:
      - {start_size: 2000, end_time: 1000}
  - name: A
    ancestors: [anc]
    epochs:
      - {start_size: 1000}
  - name: B
    ancestors: [A]
    start_time: 300
    epochs:
      - {start_size: 500}
";
    same_spectra(&model(&with, "A=2,B=2"), &model(branch, "A=2,B=2"), 1e-12);
}

#[test]
fn a_file_in_years_is_divided_by_its_generation_time() {
    let years = "time_units: years
generation_time: 25
demes:
  - name: anc
    epochs:
      - {start_size: 2000, end_time: 25000}
  - name: A
    ancestors: [anc]
    epochs:
      - {start_size: 1000}
  - name: B
    ancestors: [anc]
    epochs:
      - {start_size: 500}
";
    same_spectra(
        &model(years, "A=2,B=3"),
        &model(TWO_DEMES, "A=2,B=3"),
        1e-12,
    );
}

/// Two present lineages and one sampled `τ` generations ago, one deme of
/// size N (c = 1/(2N)): the pair has coalesced by τ with probability
/// `1 − e^{−cτ}` (then two lineages remain from τ), else three do.
#[test]
fn an_ancient_sample_joins_at_its_time() {
    let yaml =
        "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {start_size: 1000}\n";
    let (c, tau): (f64, f64) = (1.0 / 2000.0, 700.0);
    let m = model(yaml, "A=2,A=1@700");
    let s = (-c * tau).exp();
    let want = tau + (1.0 - s) / c + s * (1.0 / (3.0 * c) + 1.0 / c);
    close(m.tmrca_moments(1).unwrap()[0], want, 1e-10, "E[T_MRCA]");
    let e = m
        .evaluate(&Query {
            sfs: true,
            moments: 0,
            times: vec![500.0, 699.0, 700.0],
        })
        .unwrap();
    // the MRCA of all three cannot be reached before the ancient sample
    assert_eq!(e.cdf, vec![0.0, 0.0, 0.0]);
    let sfs = e.sfs.unwrap();
    assert_eq!(sfs.shape(), &[3, 2]);
    // present singletons: two while the pair lasts before τ; if it lasts,
    // two of three for 1/(3c), then one with prob. 2/3 for 1/c
    let singletons = 2.0 * (1.0 - s) / c + s * (2.0 / (3.0 * c) + 2.0 / 3.0 / c);
    close(sfs.get(&[1, 0]).unwrap(), singletons, 1e-10, "ξ[1][0]");
    // total branch length: 2·min(T2, τ), the lone lineage (τ − T2)⁺, then
    // 2/c after a coalescence before τ, or 3/(3c) + 2/c without one
    let total: f64 = sfs.values().iter().sum();
    let want = 2.0 * (1.0 - s) / c + (tau - (1.0 - s) / c) + (1.0 - s) * 2.0 / c + s * 3.0 / c;
    close(total, want, 1e-10, "total branch length");
}

#[test]
fn the_graph_cache_serves_every_interval_on_a_second_build() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        cache: CacheOptions {
            mode: CacheMode::ReadWrite,
            root: Some(dir.path().to_path_buf()),
        },
        ..Options::default()
    };
    let s = samples("A=2,B=2");
    let first = Model::from_yaml_with(TWO_DEMES, &s, &options).unwrap();
    assert!(first.cache_status().iter().all(|&c| c == CacheStatus::Miss));
    let second = Model::from_yaml_with(TWO_DEMES, &s, &options).unwrap();
    assert!(second.cache_status().iter().all(|&c| c == CacheStatus::Hit));
    assert_eq!(first.cache_status().len(), 2);
    same_spectra(&first, &second, 0.0);
}

#[test]
fn folding_adds_complements_and_masks_the_upper_half() {
    let m = model(TWO_DEMES, "A=2,B=2");
    let (u, f) = (m.sfs().unwrap(), m.sfs().unwrap().fold());
    // N = 4: k = 1 gets itself and its complement, k = 2 the mean, k > 2 masked
    close(
        f.get(&[1, 0]).unwrap(),
        u.get(&[1, 0]).unwrap() + u.get(&[1, 2]).unwrap(),
        1e-15,
        "[1][0]",
    );
    close(
        f.get(&[1, 1]).unwrap(),
        u.get(&[1, 1]).unwrap(),
        1e-15,
        "[1][1] is its own complement",
    );
    close(
        f.get(&[2, 0]).unwrap(),
        0.5 * (u.get(&[2, 0]).unwrap() + u.get(&[0, 2]).unwrap()),
        1e-15,
        "[2][0]",
    );
    assert_eq!(f.get(&[2, 1]), None);
    assert_eq!(f.get(&[2, 2]), None);
}

fn rejected(yaml: &str, s: &str) -> DemesError {
    match Model::from_yaml(yaml, &samples(s)) {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn selfing_and_cloning_are_refused_naming_the_epoch() {
    for what in ["selfing_rate", "cloning_rate"] {
        let yaml = format!(
            "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {{start_size: 100, end_time: 50}}\n      - {{start_size: 100, {what}: 0.1}}\n"
        );
        let e = rejected(&yaml, "A=2");
        assert!(matches!(e, DemesError::Unsupported { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("deme `A`, epoch 1") && msg.contains(what),
            "{msg}"
        );
    }
}

#[test]
fn samples_of_unknown_or_absent_demes_are_refused() {
    let e = rejected(TWO_DEMES, "C=2");
    assert!(
        e.to_string().contains("`C`") && e.to_string().contains("anc, A, B"),
        "{e}"
    );
    // anc exists only before generation 1000
    let e = rejected(TWO_DEMES, "anc=2");
    assert!(
        matches!(e, DemesError::NotAlive { ref name, .. } if name == "anc"),
        "{e}"
    );
    let e = rejected(TWO_DEMES, "A=2,B=1@1000");
    assert!(
        matches!(e, DemesError::NotAlive { time, .. } if time == 1000.0),
        "{e}"
    );
    // but anc exists at 1000 itself
    assert!(Model::from_yaml(TWO_DEMES, &samples("A=2,anc=1@1000")).is_ok());
}

#[test]
fn bad_sample_texts_name_the_item() {
    for (text, part) in [
        ("A", "`A` is not NAME=n"),
        ("A=x", "`x` is not a count"),
        ("A=2@soon", "`soon` is not a time"),
        ("A=0,B=2", "no genomes"),
        ("A=1", "at least two genomes"),
        ("A=2,A=3", "sampled twice"),
        ("=2", "names no deme"),
        ("A=2@-5", "non-negative"),
    ] {
        let e = text.parse::<Samples>().unwrap_err();
        assert!(e.to_string().contains(part), "{text}: {e}");
    }
}

#[test]
fn lineages_that_can_never_meet_are_an_error() {
    let yaml = "time_units: generations
demes:
  - name: A
    epochs:
      - {start_size: 100}
  - name: B
    epochs:
      - {start_size: 100}
";
    let e = rejected(yaml, "A=1,B=1");
    assert!(
        matches!(e, DemesError::NeverCoalesce { ref demes, time } if demes == "`A`, `B`" && time == 0.0),
        "{e}"
    );
}

#[test]
fn an_invalid_file_is_the_demes_crate_error() {
    let e = rejected("time_units: generations\ndemes: []\n", "A=2");
    assert!(matches!(e, DemesError::Invalid(_)), "{e}");
}
