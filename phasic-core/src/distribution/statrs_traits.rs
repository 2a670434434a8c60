//! The distribution traits of [statrs]: [`PhaseType`] is `Continuous`,
//! `ContinuousCDF`, `Distribution`, `Min` and `Max` over `f64`;
//! [`DiscretePhaseType`] is `Discrete`, `DiscreteCDF`, `Distribution`,
//! `Min` and `Max` over `u64`.
//!
//! The traits return plain numbers, so a query that fails — a moment
//! outside `f64`'s range, a time or step count too far out to be reached
//! within a million jumps, a probability outside `[0, 1]` — returns NaN
//! (`Some(NaN)` for the moments); a discrete quantile, an integer, returns
//! `u64::MAX` instead. The inherent methods these delegate to say why:
//! [`PhaseType::pdf_cdf`], [`PhaseType::quantile`],
//! [`DiscretePhaseType::pmf_cdf`], [`DiscretePhaseType::quantile`] and
//! [`PhaseTypeDistribution::moments`]. Outside the support the answers
//! are exact: `pdf(−1) = cdf(−1) = 0`, `cdf(+∞) = 1`.
//!
//! ```
//! use phasic_core::{Graph, Initial, PhaseType};
//! use statrs::distribution::{Continuous, ContinuousCDF};
//! use statrs::statistics::Distribution;
//! // Erlang(2, 1): cdf(x) = 1 − e^{−x}(1 + x), mean 2, variance 2
//! let g = Graph::from_rule(&Initial::state(&[2]), |s, out| {
//!     if s[0] > 0 { out.add(&[s[0] - 1], 1.0) }
//! }).unwrap();
//! let ph = PhaseType::new(&g).unwrap();
//! assert!((ph.cdf(1.0) - (1.0 - 2.0 * (-1.0f64).exp())).abs() < 1e-12);
//! assert!((ph.pdf(1.0) - (-1.0f64).exp()).abs() < 1e-12);
//! assert_eq!((ph.mean(), ph.variance()), (Some(2.0), Some(2.0)));
//! assert!((ph.cdf(ph.inverse_cdf(0.9)) - 0.9).abs() < 1e-12);
//! assert!(ph.inverse_cdf(2.0).is_nan()); // p outside [0, 1]: ph.quantile(2.0) says so
//! ```

use statrs::distribution::{Continuous, ContinuousCDF, Discrete, DiscreteCDF};
use statrs::statistics::{Distribution, Max, Min};

use crate::distribution::continuous::{Method, PhaseType};
use crate::distribution::discrete::DiscretePhaseType;
use crate::distribution::quantile::DiscreteSupport;
use crate::distribution::queries::PhaseTypeDistribution;
use crate::error::Result;
use crate::graph::view::GraphView;

impl<G: GraphView + ?Sized> PhaseType<'_, G> {
    /// `(pdf, cdf)` at one point of the real line (0 below 0, NaN on failure).
    fn at_point(&self, x: f64) -> (f64, f64) {
        if x < 0.0 {
            return (0.0, 0.0);
        }
        if x == f64::INFINITY {
            return (0.0, 1.0);
        }
        self.pdf_cdf(&[x], Method::default())
            .map_or((f64::NAN, f64::NAN), |(pdf, cdf)| (pdf[0], cdf[0]))
    }
}

impl<G: GraphView + ?Sized> DiscretePhaseType<'_, G> {
    /// `(pmf, cdf)` at one step count (NaN on failure).
    fn at_count(&self, k: u64) -> (f64, f64) {
        self.pmf_cdf(&[k])
            .map_or((f64::NAN, f64::NAN), |(pmf, cdf)| (pmf[0], cdf[0]))
    }
}

/// Mean, variance and skewness from the first three raw moments (NaN
/// where they failed).
fn summary(moments: Result<Vec<f64>>) -> (f64, f64, f64) {
    let Ok(m) = moments else {
        return (f64::NAN, f64::NAN, f64::NAN);
    };
    let mean = m[0];
    let variance = m[1] - mean * mean;
    let third = m[2] - 3.0 * mean * m[1] + 2.0 * mean.powi(3);
    (mean, variance, third / variance.powf(1.5))
}

impl<G: GraphView + ?Sized> Continuous<f64, f64> for PhaseType<'_, G> {
    /// The density (exact uniformization, absolute error below 1e-12 on
    /// the cdf); 0 below 0.
    fn pdf(&self, x: f64) -> f64 {
        self.at_point(x).0
    }

    /// `ln pdf(x)`: `−∞` where the density is 0.
    fn ln_pdf(&self, x: f64) -> f64 {
        self.pdf(x).ln()
    }
}

impl<G: GraphView + ?Sized> ContinuousCDF<f64, f64> for PhaseType<'_, G> {
    /// The distribution function; 0 below 0, the defect at 0.
    fn cdf(&self, x: f64) -> f64 {
        self.at_point(x).1
    }

    /// [`PhaseType::quantile`]: to 1e-10 relative, NaN on failure.
    fn inverse_cdf(&self, p: f64) -> f64 {
        self.quantile(p).unwrap_or(f64::NAN)
    }
}

impl<G: GraphView + ?Sized> Min<f64> for PhaseType<'_, G> {
    /// 0: every phase-type density is positive right above 0.
    fn min(&self) -> f64 {
        0.0
    }
}

impl<G: GraphView + ?Sized> Max<f64> for PhaseType<'_, G> {
    /// `+∞`: the support is unbounded.
    fn max(&self) -> f64 {
        f64::INFINITY
    }
}

/// Mean, variance and skewness from the first three raw moments, the same
/// for both distributions.
macro_rules! moments_summary {
    ($distribution:ident) => {
        impl<G: GraphView + ?Sized> Distribution<f64> for $distribution<'_, G> {
            /// `E[Y]`.
            fn mean(&self) -> Option<f64> {
                Some(summary(self.moments(3, None)).0)
            }

            /// `Var Y`.
            fn variance(&self) -> Option<f64> {
                Some(summary(self.moments(3, None)).1)
            }

            /// `E[(Y − μ)³]/σ³`.
            fn skewness(&self) -> Option<f64> {
                Some(summary(self.moments(3, None)).2)
            }
        }
    };
}

moments_summary!(PhaseType);
moments_summary!(DiscretePhaseType);

impl<G: GraphView + ?Sized> Discrete<u64, f64> for DiscretePhaseType<'_, G> {
    /// `P(τ = k)`.
    fn pmf(&self, k: u64) -> f64 {
        self.at_count(k).0
    }

    /// `ln P(τ = k)`: `−∞` outside the support.
    fn ln_pmf(&self, k: u64) -> f64 {
        self.pmf(k).ln()
    }
}

impl<G: GraphView + ?Sized> DiscreteCDF<u64, f64> for DiscretePhaseType<'_, G> {
    /// `P(τ ≤ k)`.
    fn cdf(&self, k: u64) -> f64 {
        self.at_count(k).1
    }

    /// [`DiscretePhaseType::quantile`]; `u64::MAX` on failure.
    fn inverse_cdf(&self, p: f64) -> u64 {
        self.quantile(p).unwrap_or(u64::MAX)
    }
}

impl<G: GraphView + ?Sized> Min<u64> for DiscretePhaseType<'_, G> {
    /// The fewest steps to absorption ([`DiscreteSupport`]).
    fn min(&self) -> u64 {
        DiscreteSupport::of(self.graph()).min
    }
}

impl<G: GraphView + ?Sized> Max<u64> for DiscretePhaseType<'_, G> {
    /// The most steps to absorption, `u64::MAX` when unbounded.
    fn max(&self) -> u64 {
        DiscreteSupport::of(self.graph()).max.unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::csr::Graph;
    use crate::graph::rule::Initial;

    /// Erlang(k, λ): k stages of rate λ.
    fn erlang(k: i32, lambda: f64) -> Graph {
        Graph::from_rule(&Initial::state(&[k]), |s, out| {
            if s[0] > 0 {
                out.add(&[s[0] - 1], lambda)
            }
        })
        .unwrap()
    }

    /// Erlang(k, λ) cdf in closed form.
    fn erlang_cdf(k: i32, lambda: f64, x: f64) -> f64 {
        let mut term = 1.0;
        let mut sum = 1.0;
        for j in 1..k {
            term *= lambda * x / f64::from(j);
            sum += term;
        }
        1.0 - (-lambda * x).exp() * sum
    }

    #[test]
    fn exponential_quantiles_are_the_closed_form_to_1e_10() {
        let g = erlang(1, 2.5);
        let ph = PhaseType::new(&g).unwrap();
        for p in [1e-6f64, 0.01, 0.25, 0.5, 0.9, 0.999, 0.999_999] {
            let exact = -(-p).ln_1p() / 2.5;
            let q = ph.inverse_cdf(p);
            assert!((q / exact - 1.0).abs() < 1e-10, "p = {p}: {q} vs {exact}");
        }
        // below 1e-6 the cdf's rounding (1e-16 absolute) is the limit
        let exact = -(-1e-9f64).ln_1p() / 2.5;
        assert!((ph.inverse_cdf(1e-9) / exact - 1.0).abs() < 1e-16 / 1e-9 * 20.0);
        assert_eq!(ph.inverse_cdf(0.0), 0.0);
        assert_eq!(ph.inverse_cdf(1.0), f64::INFINITY);
    }

    #[test]
    fn erlang_quantiles_invert_the_closed_form_cdf() {
        // no closed-form quantile: the closed-form cdf at the quantile is p,
        // and a point 1e-10 relative below it is under p
        let g = erlang(5, 0.3);
        let ph = PhaseType::new(&g).unwrap();
        for p in [0.001, 0.1, 0.5, 0.95, 0.9999] {
            let q = ph.inverse_cdf(p);
            let f = ph.pdf(q);
            // |q − x*| ≈ |F(q) − p| / f
            let error = (erlang_cdf(5, 0.3, q) - p).abs() / f;
            assert!(error < 1e-10 * q, "p = {p}: off by {error} at {q}");
            assert!(erlang_cdf(5, 0.3, q * (1.0 - 1e-9)) < p);
        }
    }

    #[test]
    fn moments_density_and_failures_through_the_traits() {
        let g = erlang(3, 2.0);
        let ph = PhaseType::new(&g).unwrap();
        // Erlang(3, 2): mean 3/2, variance 3/4, skewness 2/√3
        assert!((ph.mean().unwrap() - 1.5).abs() < 1e-14);
        assert!((Distribution::variance(&ph).unwrap() - 0.75).abs() < 1e-14);
        assert!((ph.std_dev().unwrap() - 0.75f64.sqrt()).abs() < 1e-14);
        assert!((ph.skewness().unwrap() - 2.0 / 3f64.sqrt()).abs() < 1e-12);
        // f(1) = λ³x²e^{−λx}/2 = 4e^{−2}
        assert!((ph.pdf(1.0) - 4.0 * (-2.0f64).exp()).abs() < 1e-12);
        assert!((ph.ln_pdf(1.0) - (4.0f64.ln() - 2.0)).abs() < 1e-12);
        assert!((ph.sf(1.0) - (1.0 - erlang_cdf(3, 2.0, 1.0))).abs() < 1e-12);
        assert_eq!((ph.pdf(-1.0), ph.cdf(-1.0)), (0.0, 0.0));
        assert_eq!(ph.ln_pdf(-1.0), f64::NEG_INFINITY);
        assert_eq!((ph.min(), ph.max()), (0.0, f64::INFINITY));
        // failures: NaN, the reason through the inherent method
        assert!(ph.cdf(f64::NAN).is_nan() && ph.pdf(f64::NAN).is_nan());
        assert!(ph.pdf_cdf(&[f64::NAN], Method::default()).is_err());
        assert_eq!((ph.pdf(f64::INFINITY), ph.cdf(f64::INFINITY)), (0.0, 1.0));
        assert!(ph.inverse_cdf(-0.5).is_nan());
        assert!(ph.quantile(-0.5).is_err());
    }

    #[test]
    fn a_defect_is_an_atom_at_zero() {
        // start absorbed with probability 0.3, else Exp(1)
        let initial = Initial::weighted([([1], 0.7), ([2], 0.3)]).unwrap();
        let g = Graph::from_rule(&initial, |s, out| {
            if s[0] == 1 {
                out.add(&[2], 1.0)
            }
        })
        .unwrap();
        let ph = PhaseType::new(&g).unwrap();
        assert!((ph.cdf(0.0) - 0.3).abs() < 1e-15);
        assert_eq!(ph.inverse_cdf(0.3), 0.0);
        let q = ph.inverse_cdf(0.65); // 0.3 + 0.7(1 − e^{−x}) = 0.65
        assert!((q / 2f64.ln() - 1.0).abs() < 1e-10);
    }

    #[test]
    fn discrete_traits_are_the_geometric_and_its_support() {
        // geometric with success 1/4 on {1, 2, …}
        let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
            if s[0] == 1 {
                out.add(&[2], 0.25)
            }
        })
        .unwrap();
        let d = DiscretePhaseType::new(&g).unwrap();
        assert_eq!(d.pmf(3), 0.75 * 0.75 * 0.25);
        assert!((d.ln_pmf(3) - (0.140625f64).ln()).abs() < 1e-15);
        assert_eq!(d.ln_pmf(0), f64::NEG_INFINITY);
        assert!((d.cdf(3) - (1.0 - 0.75f64.powi(3))).abs() < 1e-15);
        assert!((d.sf(3) - 0.75f64.powi(3)).abs() < 1e-15);
        // mean 4, variance 12, skewness (2 − p)/√(1 − p)
        assert_eq!(
            (d.mean(), Distribution::variance(&d)),
            (Some(4.0), Some(12.0))
        );
        assert!((d.skewness().unwrap() - 1.75 / 0.75f64.sqrt()).abs() < 1e-12);
        assert_eq!((d.min(), d.max()), (1, u64::MAX));
        // the smallest k with 1 − 0.75^k ≥ p
        for (p, k) in [(0.0, 1), (0.25, 1), (0.2500001, 2), (0.99, 17)] {
            assert_eq!(d.inverse_cdf(p), k, "p = {p}");
        }
        assert_eq!(d.inverse_cdf(1.5), u64::MAX);
        assert!(d.quantile(1.5).is_err());
    }

    #[test]
    fn a_bounded_discrete_support_ends_at_the_longest_path() {
        // 3 → 2 → 1 → 0 for sure, with a shortcut 3 → 0 of probability 1/2
        let g = Graph::from_rule(&Initial::state(&[3]), |s, out| match s[0] {
            3 => {
                out.add(&[2], 0.5);
                out.add(&[0], 0.5)
            }
            k if k > 0 => out.add(&[k - 1], 1.0),
            _ => {}
        })
        .unwrap();
        let d = DiscretePhaseType::new(&g).unwrap();
        assert_eq!((d.min(), d.max()), (1, 3));
        assert_eq!(d.inverse_cdf(1.0), 3);
        assert_eq!((d.pmf(1), d.pmf(2), d.pmf(3)), (0.5, 0.0, 0.5));
        assert_eq!((d.inverse_cdf(0.5), d.inverse_cdf(0.51)), (1, 3));
    }
}
