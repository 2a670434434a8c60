//! Priors on positive parameters, for [`svgd`](crate::inference::svgd).

use rand::{Rng, RngExt};

use crate::error::{Error, Result};

/// A prior on one positive parameter θ > 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// Improper flat prior on θ > 0.
    Flat,
    /// Normal(`mean`, `sd`) truncated to θ > 0 (up to a constant).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// `ln θ ~ Normal(mu, sigma)`.
    LogNormal {
        /// Mean of `ln θ`.
        mu: f64,
        /// Standard deviation of `ln θ`.
        sigma: f64,
    },
    /// Half-Cauchy with scale `scale`.
    HalfCauchy {
        /// Scale.
        scale: f64,
    },
}

impl Prior {
    /// Fails unless the prior's parameters are valid (finite; scales positive).
    pub fn check(&self) -> Result<()> {
        let (location, scale) = match *self {
            Prior::Flat => return Ok(()),
            Prior::Normal { mean, sd } => (("prior mean", mean), ("prior sd", sd)),
            Prior::LogNormal { mu, sigma } => (("prior mu", mu), ("prior sigma", sigma)),
            Prior::HalfCauchy { scale } => (("prior location", 0.0), ("prior scale", scale)),
        };
        let bad = |(name, value): (&'static str, f64), reason| {
            Err(Error::InvalidSetting {
                name,
                value,
                reason,
            })
        };
        if !location.1.is_finite() {
            return bad(location, "must be finite");
        }
        if !(scale.1.is_finite() && scale.1 > 0.0) {
            return bad(scale, "must be finite and positive");
        }
        Ok(())
    }

    /// `ln p(θ)` up to a constant, and its derivative in θ.
    ///
    /// ```
    /// use phasic_core::inference::Prior;
    /// let p = Prior::LogNormal { mu: 0.0, sigma: 1.0 };
    /// let (l1, d1) = p.log_density(1.0);
    /// let (l2, _) = p.log_density(1.0 + 1e-6);
    /// assert!((d1 - (l2 - l1) / 1e-6).abs() < 1e-5);
    /// ```
    pub fn log_density(&self, theta: f64) -> (f64, f64) {
        match *self {
            Prior::Flat => (0.0, 0.0),
            Prior::Normal { mean, sd } => {
                let z = (theta - mean) / sd;
                (-0.5 * z * z, -z / sd)
            }
            Prior::LogNormal { mu, sigma } => {
                let l = theta.ln();
                let z = (l - mu) / sigma;
                (-0.5 * z * z - l, (-z / sigma - 1.0) / theta)
            }
            Prior::HalfCauchy { scale } => {
                let u = theta / scale;
                (-(1.0 + u * u).ln(), -2.0 * u / (scale * (1.0 + u * u)))
            }
        }
    }

    /// A draw of `ln θ` near the prior's bulk (for starting particles):
    /// `center` ± `spread` standard normal noise when the prior is flat or
    /// heavy-tailed, else from the prior itself.
    pub(crate) fn draw_log<R: Rng + ?Sized>(&self, rng: &mut R, center: f64, spread: f64) -> f64 {
        let z = standard_normal(rng);
        match *self {
            Prior::LogNormal { mu, sigma } => mu + sigma.min(spread) * z,
            _ => center + spread * z,
        }
    }
}

/// A standard normal draw (Box–Muller).
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
