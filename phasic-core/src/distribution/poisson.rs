//! Poisson probabilities for uniformization, accurate for large means.
//!
//! `ln P(N = k)` for `N ~ Poisson(μ)` written as `−μ + k ln μ − ln k!`
//! cancels terms of size `k ln k` down to a few units, losing about
//! `k ln k · 1e-16` absolutely (1e-9 relative at `μ = 10⁴`, 1e-7 at
//! `10⁶`). Here the mode's probability comes from Loader's saddle-point
//! form `−½ ln(2πk) − δ(k) − bd0(k, μ)` (the form of R's `dpois`), where
//! `δ` is Stirling's error term and `bd0(k, μ) = k ln(k/μ) + μ − k` is
//! summed without cancellation; the other weights follow from the mode by
//! the ratios `P(k+1)/P(k) = μ/(k+1)`.

use crate::elimination::wide::{scale_by_power_of_two, split_exponent};

/// The most jumps of a uniformized chain (or steps of a series) computed:
/// past them an evaluation is an error, not hours of work or memory.
pub(crate) const MAX_JUMPS: usize = 1_000_000;
/// `ln P(N = k)` for `N ~ Poisson(mean)`, `mean > 0`, to a few ulps.
pub(crate) fn ln_pmf(k: usize, mean: f64) -> f64 {
    if k == 0 {
        return -mean;
    }
    let x = k as f64;
    -0.5 * (std::f64::consts::TAU * x).ln() - stirling_error(k) - bd0(x, mean)
}

/// `δ(n) = ln n! − (n + ½) ln n + n − ½ ln 2π`, `n ≥ 1`.
fn stirling_error(n: usize) -> f64 {
    const HALF_LN_TAU: f64 = 0.918_938_533_204_672_8;
    if n <= 15 {
        let ln_fact: f64 = (2..=n).map(|i| (i as f64).ln()).sum();
        let x = n as f64;
        return ln_fact - (x + 0.5) * x.ln() + x - HALF_LN_TAU;
    }
    // the asymptotic series: its next term is below 1e-16 from n = 16
    const S: [f64; 5] = [
        1.0 / 12.0,
        1.0 / 360.0,
        1.0 / 1260.0,
        1.0 / 1680.0,
        1.0 / 1188.0,
    ];
    let x = n as f64;
    let nn = x * x;
    (S[0] - (S[1] - (S[2] - (S[3] - S[4] / nn) / nn) / nn) / nn) / x
}

/// `x ln(x/μ) + μ − x` without cancellation when `x ≈ μ`.
fn bd0(x: f64, mean: f64) -> f64 {
    if (x - mean).abs() < 0.1 * (x + mean) {
        // x ln(x/μ) + μ − x = (x − μ)·v + 2x Σ_{j≥1} v^{2j+1}/(2j+1),
        // v = (x − μ)/(x + μ)
        let v = (x - mean) / (x + mean);
        let mut s = (x - mean) * v;
        let mut term = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..1000 {
            term *= v2;
            let next = s + term / (2 * j + 1) as f64;
            if next == s {
                break;
            }
            s = next;
        }
        s
    } else {
        x * (x / mean).ln() + mean - x
    }
}

/// Whether the Poisson tail past `k` (`k > mean`, `P(N = k) = w`) is
/// below `tolerance`: `P(N > k) ≤ w·mean/(k+1) / (1 − mean/(k+2))`.
pub(crate) fn tail_below(k: usize, w: f64, mean: f64, tolerance: f64) -> bool {
    let x = k as f64;
    x > mean && w * mean / (x + 1.0) / (1.0 - mean / (x + 2.0)) < tolerance
}

/// Walks `P(N = k)` up from `k = min(mode, last)` (`mean > 0`), handing
/// each `(k, P(N = k))` to `visit`, until the tail past `k` is below
/// `tolerance` (returning that `k`) or `k = last` (returning `None`).
fn climb(
    mean: f64,
    tolerance: f64,
    last: usize,
    mut visit: impl FnMut(usize, f64),
) -> Option<usize> {
    let mut k = (mean.floor() as usize).min(last); // the mode (saturating)
    let mut w = ln_pmf(k, mean).exp();
    loop {
        visit(k, w);
        if tail_below(k, w, mean, tolerance) {
            return Some(k);
        }
        if k >= last {
            return None;
        }
        k += 1;
        w *= mean / k as f64;
    }
}

/// The first `k > mean` whose Poisson tail `P(N > k)` is below
/// `tolerance` (0 for `mean = 0`), if it is at most `last`.
pub(crate) fn right_end(mean: f64, tolerance: f64, last: usize) -> Option<usize> {
    if mean == 0.0 {
        return Some(0);
    }
    climb(mean, tolerance, last, |_, _| {})
}

/// `P(N = k)` for `k = 0..=K`, with `K` the [`right_end`] of the tail
/// below `tolerance`, and `true`; or, if `K` would pass `last`, the
/// weights up to `k = last` and `false`.
pub(crate) fn weights(mean: f64, tolerance: f64, last: usize) -> (Vec<f64>, bool) {
    if mean == 0.0 {
        return (vec![1.0], true);
    }
    // up from the mode (or `last`, if the mode lies past it), in the same
    // walk that finds the right end; then down to 0
    let mut w = Vec::new();
    let complete = climb(mean, tolerance, last, |k, wk| {
        w.resize(k, 0.0);
        w.push(wk);
    })
    .is_some();
    let anchor = (mean.floor() as usize).min(last);
    for k in (0..anchor).rev() {
        w[k] = w[k + 1] * (k + 1) as f64 / mean;
        if w[k] == 0.0 {
            break;
        }
    }
    (w, complete)
}

/// A left-tail weight below `2^−NEGLIGIBLE` (about 1e-250) relative to
/// the mode's is negligible next to a sum of larger terms.
const NEGLIGIBLE: i64 = 830;

/// A relative Poisson weight `r·2^exp` (`r` at most 1 and above `2^−600`,
/// or in `[½, 1)` once renormalised): walked from the mode by ratios
/// without ever underflowing (the weight `k` jumps past a
/// tiny mean's mode is `mean^k/k!`, e.g. 1e-2700).
#[derive(Clone, Copy)]
struct Weight {
    r: f64,
    exp: i64,
}

impl Weight {
    /// `self·ratio`, `ratio` positive: the plain product while it stays
    /// above `2^−600` (no rounding but the product's, no bookkeeping: the
    /// usual case), else renormalised to `r` in `[½, 1)`; a ratio below
    /// `2^−300` (a tiny mean) is split first, so the product never
    /// underflows. Every path rounds the product of the mantissas once, so
    /// all give the same weights.
    fn times(self, ratio: f64) -> Weight {
        const LOW: f64 = f64::from_bits((1023 - 600) << 52); // 2^−600
        const SPLIT: f64 = f64::from_bits((1023 - 300) << 52); // 2^−300
        if ratio >= SPLIT {
            let r = self.r * ratio;
            if r >= LOW {
                return Weight { r, exp: self.exp };
            }
        }
        let (m, e) = split_exponent(ratio);
        let (r, e2) = split_exponent(self.r * m);
        Weight {
            r,
            exp: self.exp + e + e2,
        }
    }
}

/// A sum of terms `w·g_k`, each with its own binary exponent, kept as
/// `acc·2^unit` (and the tilt in the same unit).
struct Mixed<const D: usize> {
    acc: [f64; D],
    tilt: f64,
    unit: i64,
}

impl<const D: usize> Mixed<D> {
    fn is_empty(&self) -> bool {
        self.acc.iter().all(|&a| a == 0.0)
    }

    /// Adds `w·g_k` and its tilt `(k − mean)·w·g_k[0]`, `g_k` given as a
    /// value and its binary exponent.
    fn add(&mut self, w: Weight, k: usize, mean: f64, (gk, g_exp): ([f64; D], i64)) {
        if gk.iter().all(|&x| x == 0.0) {
            return;
        }
        let u = w.exp + g_exp;
        if self.is_empty() {
            self.unit = u;
        } else if u > self.unit {
            let down = scale_by_power_of_two(1.0, (self.unit - u).max(-1100));
            self.acc.iter_mut().for_each(|a| *a *= down);
            self.tilt *= down;
            self.unit = u;
        }
        let r = if u == self.unit {
            w.r
        } else {
            scale_by_power_of_two(w.r, (u - self.unit).max(-1100))
        };
        self.tilt += r * (k as f64 - mean) * gk[0];
        for (a, gk) in self.acc.iter_mut().zip(gk) {
            *a += r * gk;
        }
    }

    /// `w·x` in the sum's unit (∞ where it overflows, which no bound
    /// passes).
    fn in_unit(&self, w: Weight, x: f64) -> f64 {
        scale_by_power_of_two(w.r * x, (w.exp - self.unit).clamp(-1100, 1100))
    }
}

/// `(ln Σ_k P(N = k)·g_k[0], Σ_k r_k·g_k, Σ_k r_k·(k − mean)·g_k[0])` for
/// `N ~ Poisson(mean)`, where `g(k)` gives `g_k` as a value and a binary
/// exponent (`g_k·2^e`), and the sums are in a unit of their own: `r_k` is
/// `P(N = k)` relative to the mode's, carried with a binary exponent, and
/// every term keeps its exponents, so that densities far in a tail — a
/// tiny time whose first possible absorption lies many jumps past the
/// mode, or a chain whose values fell below 1e-308 — keep their logarithm
/// instead of underflowing. To the right of the mode the sum stops when
/// the remaining Poisson tail times `g_bound` (a bound of `g_k[0]`) is
/// below `tolerance` relative to the sum, or at the end of the series
/// (`last`); to the left when the weights are negligible next to the sum.
/// The ratio of a derivative component to component 0 of the sum is the
/// score; the ratio of the third sum to component 0 is `t·f'(t)/f(t)` for
/// the density `f(t) = Σ_k Poisson(k; Λt)·g_k` at `mean = Λt`.
pub(crate) fn mix<const D: usize>(
    mean: f64,
    last: usize,
    g_bound: f64,
    tolerance: f64,
    g: impl Fn(usize) -> ([f64; D], i64),
) -> (f64, [f64; D], f64) {
    let mut sum = Mixed {
        acc: [0.0; D],
        tilt: 0.0,
        unit: 0,
    };
    let one = Weight { r: 1.0, exp: 0 };
    let result = |sum: Mixed<D>, ln_p: f64| {
        // in the plain unit where the sum is a normal number (scaling by
        // a power of two is exact), else with the unit's logarithm apart
        let plain = scale_by_power_of_two(sum.acc[0], sum.unit);
        let ln = if plain.is_normal() {
            ln_p + plain.ln()
        } else {
            ln_p + sum.unit as f64 * std::f64::consts::LN_2 + sum.acc[0].ln()
        };
        (ln, sum.acc, sum.tilt)
    };
    if mean == 0.0 {
        sum.add(one, 0, mean, g(0));
        return result(sum, 0.0);
    }
    let mode = (mean.floor() as usize).min(last);
    let ln_p_mode = ln_pmf(mode, mean);
    sum.add(one, mode, mean, g(mode));
    let mut w = one;
    for k in mode + 1..=last {
        w = w.times(mean / k as f64);
        sum.add(w, k, mean, g(k));
        if tail_below(k, sum.in_unit(w, g_bound), mean, tolerance * sum.acc[0]) {
            break;
        }
    }
    // left of the mode, last
    let mut w = one;
    let tiny = scale_by_power_of_two(1.0, -NEGLIGIBLE);
    for k in (0..mode).rev() {
        w = w.times((k + 1) as f64 / mean);
        if w.exp < -NEGLIGIBLE && !sum.is_empty() && sum.in_unit(w, g_bound) < tiny * sum.acc[0] {
            break;
        }
        sum.add(w, k, mean, g(k));
    }
    result(sum, ln_p_mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ln k!` summed exactly enough for small k.
    fn ln_fact(k: usize) -> f64 {
        (2..=k).map(|i| (i as f64).ln()).sum()
    }

    #[test]
    fn ln_pmf_matches_the_direct_formula_where_it_is_exact() {
        for (k, mean) in [
            (0, 0.5),
            (1, 0.5),
            (3, 2.0),
            (7, 7.5),
            (15, 3.0),
            (16, 20.0),
            (40, 35.5),
        ] {
            let direct = -mean + k as f64 * f64::ln(mean) - ln_fact(k);
            let got = ln_pmf(k, mean);
            assert!(
                (got - direct).abs() < 1e-13 * direct.abs().max(1.0),
                "{k} {mean}: {got} {direct}"
            );
        }
    }

    /// Far out, the sum of the weights is 1 to rounding (the direct log
    /// formula misses by 2e-7 at μ = 990,000) and the mean is μ.
    #[test]
    fn weights_of_large_means_sum_to_one() {
        for mean in [0.5, 3.0, 55.0, 2175.0, 123_456.7, 990_000.0] {
            let (w, complete) = weights(mean, 1e-20, 2_000_000);
            assert!(complete && w.len() as f64 > mean);
            let s: f64 = w.iter().sum();
            let m: f64 = w.iter().enumerate().map(|(k, w)| k as f64 * w).sum();
            assert!((s - 1.0).abs() < 1e-13, "μ = {mean}: Σ = {s}");
            assert!((m / mean - 1.0).abs() < 1e-13, "μ = {mean}: mean {m}");
        }
        assert_eq!(weights(0.0, 1e-12, 10), (vec![1.0], true));
    }

    /// The right end is where the tail drops below the tolerance: the
    /// tail past it is below, the tail past the one before is not.
    #[test]
    fn right_end_bounds_the_tail() {
        for mean in [0.3, 4.0, 170.3, 5000.0] {
            let k = right_end(mean, 1e-12, usize::MAX).unwrap();
            let (w, _) = weights(mean, 1e-30, usize::MAX);
            let tail = |j: usize| w[j + 1..].iter().sum::<f64>();
            assert!(tail(k) < 1e-12, "μ = {mean}");
            assert!(
                k as f64 <= mean + 1.0 || tail(k - 2) > 1e-13,
                "μ = {mean}: {k} is late"
            );
        }
        // cut at `last`
        assert_eq!(right_end(1e6, 1e-12, 999_999), None);
        let (w, complete) = weights(2e6, 1e-12, 1000);
        assert!(!complete && w.len() == 1001 && w.iter().all(|&w| w == 0.0));
    }

    #[test]
    fn poisson_mixtures_keep_tails_in_log_space() {
        let last = 6000;
        for mean in [0.3, 1.0, 7.5, 120.0, 2500.0] {
            // g ≡ 1: the weights sum to one
            let (ln_total, _, _) = mix::<1>(mean, last, 1.0, 1e-15, |_| ([1.0], 0));
            assert!(ln_total.abs() < 1e-14, "mean {mean}: {ln_total}");
            // g = [1 only at k = 0]: P(N = 0) = e^{-mean}, far below the
            // mode's weight (reached by `mean` ratios from the mode)
            let (ln_p0, _, _) = mix::<1>(mean, last, 1.0, 1e-15, |k| {
                ([if k == 0 { 1.0 } else { 0.0 }], 0)
            });
            assert!(
                (ln_p0 + mean).abs() < 1e-15 * mean.max(10.0),
                "mean {mean}: {ln_p0}"
            );
        }
        // the score is the weighted mean of the derivative component
        let (_, s, _) = mix::<2>(3.0, last, 1.0, 1e-15, |k| ([1.0, k as f64], 0));
        assert!((s[1] / s[0] - 3.0).abs() < 1e-12);
        // the tilt: g_k = k gives f = E N = m and Σ P(k)(k − m)k = Var N = m
        for mean in [0.5, 3.0, 40.0, 900.0] {
            let (_, s, tilt) = mix::<1>(mean, last, mean, 1e-15, |k| ([k as f64], 0));
            assert!(
                (tilt / s[0] - 1.0).abs() < 1e-12,
                "mean {mean}: {}",
                tilt / s[0]
            );
        }
    }
}
