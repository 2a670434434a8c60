//! The composite likelihood of an observed SFS under a model's expected
//! SFS, with its gradient from the SFS's derivatives (docs/MODELS.md §9.2).
//!
//! Entries are treated as independent Poisson counts (the Poisson random
//! field): `x_i ~ Poisson(λ_i)` with `λ_i = θ·E[ξ_i]`. Either `θ = μ·L`
//! (mutation rate per generation per site times the sequence length), or
//! `θ` is profiled out — the multinomial likelihood, `θ̂ = Σx/ΣE[ξ]`.
//! Masked entries and the two corners (monomorphic sites, which the
//! model does not count) are left out; a folded observation is compared
//! with the folded expectation.

use phasic_core::statrs::function::gamma::ln_gamma;

use super::data::Observed;
use super::error::DemesError;
use super::spectrum::{Spectrum, multi_index};

/// How expected branch lengths become expected counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
    /// `λ = μ·L·E[ξ]`.
    Poisson {
        /// Mutation rate per generation per site.
        mu: f64,
        /// Sequence length, in sites.
        length: f64,
    },
    /// `θ` profiled out: `λ = θ̂·E[ξ]` with `θ̂ = Σx/ΣE[ξ]`.
    Multinomial,
}

/// The likelihood of one observed spectrum.
///
/// ```
/// use phasic::demes::{Observed, Scaling, SfsLikelihood, Spectrum};
/// // n = 3: counts 10 and 4 where the expectation is 4N/i with N = 1000
/// let data = Observed::from_fs("4 unfolded\n0 10 4 0\n").unwrap();
/// let e = Spectrum::new(vec![4], vec![0.0, 4000.0, 2000.0, 0.0]).unwrap();
/// let poisson = SfsLikelihood::new(data.clone(), Scaling::Poisson { mu: 1e-3, length: 2.0 }).unwrap();
/// let (ll, _) = poisson.log_likelihood(&e, &[]).unwrap();
/// // λ = (8, 4): Σ x ln λ − λ − ln x!
/// let want = 10f64 * 8f64.ln() - 8.0 - 15.104412573075516 + 4.0 * 4f64.ln() - 4.0 - 24f64.ln();
/// assert!((ll - want).abs() < 1e-12);
/// // profiled: θ̂ = 14/6000, the expected counts sum to the data's
/// let multinomial = SfsLikelihood::new(data, Scaling::Multinomial).unwrap();
/// assert!((multinomial.theta(&e) - 14.0 / 6000.0).abs() < 1e-18);
/// ```
#[derive(Debug, Clone)]
pub struct SfsLikelihood {
    observed: Observed,
    scaling: Scaling,
    /// The offsets that count.
    entries: Vec<usize>,
}

impl SfsLikelihood {
    /// The likelihood of `observed` under `scaling` (checked: `μ` and `L`
    /// positive and finite).
    pub fn new(observed: Observed, scaling: Scaling) -> Result<SfsLikelihood, DemesError> {
        if let Scaling::Poisson { mu, length } = scaling {
            for (name, value) in [("mutation rate μ", mu), ("sequence length L", length)] {
                if !(value.is_finite() && value > 0.0) {
                    return Err(DemesError::BadScaling { name, value });
                }
            }
        }
        let last = observed.values.len().saturating_sub(1);
        let folded_away = folded_away(&observed.shape, observed.folded);
        let entries = (0..observed.values.len())
            .filter(|&o| o != 0 && o != last && !observed.masked[o] && !folded_away[o])
            .collect();
        Ok(SfsLikelihood {
            observed,
            scaling,
            entries,
        })
    }

    /// The same likelihood of other data (a bootstrap spectrum), which
    /// must have the same shape and folding.
    pub fn with_data(&self, observed: Observed) -> Result<SfsLikelihood, DemesError> {
        if observed.shape != self.observed.shape || observed.folded != self.observed.folded {
            return Err(DemesError::BadData {
                line: 1,
                what: format!(
                    "a spectrum of shape {:?}, {}, does not match the data's shape {:?}, {}",
                    observed.shape,
                    if observed.folded {
                        "folded"
                    } else {
                        "unfolded"
                    },
                    self.observed.shape,
                    if self.observed.folded {
                        "folded"
                    } else {
                        "unfolded"
                    },
                ),
            });
        }
        SfsLikelihood::new(observed, self.scaling)
    }

    /// The observed spectrum.
    pub fn observed(&self) -> &Observed {
        &self.observed
    }

    /// The row-major offsets of the entries that count.
    pub fn entries(&self) -> &[usize] {
        &self.entries
    }

    /// Whether expected spectra are folded before they are compared.
    pub fn folds(&self) -> bool {
        self.observed.folded
    }

    /// `θ`: `μ·L`, or the profiled `Σx/ΣE[ξ]` over the entries that count.
    pub fn theta(&self, expected: &Spectrum) -> f64 {
        self.theta_of(&self.compared(expected))
    }

    /// [`theta`](Self::theta) of an expectation already folded as the
    /// data are.
    fn theta_of(&self, e: &Spectrum) -> f64 {
        match self.scaling {
            Scaling::Poisson { mu, length } => mu * length,
            Scaling::Multinomial => {
                let x: f64 = self.entries.iter().map(|&o| self.observed.values[o]).sum();
                let s: f64 = self.entries.iter().map(|&o| e.values()[o]).sum();
                x / s
            }
        }
    }

    /// The expected counts `θ·E[ξ]` (folded if the data are).
    pub fn expected_counts(&self, expected: &Spectrum) -> Spectrum {
        let e = self.compared(expected);
        let theta = self.theta_of(&e);
        let values = e.values().iter().map(|v| theta * v).collect();
        Spectrum::new(e.shape().to_vec(), values).expect("the same shape")
    }

    /// `ln L` at the expected SFS `expected`, and its gradient from the
    /// derivatives of `expected` (one spectrum per parameter). Fails if the
    /// shapes differ, or where an entry has counts but no expectation.
    pub fn log_likelihood(
        &self,
        expected: &Spectrum,
        derivatives: &[Spectrum],
    ) -> Result<(f64, Vec<f64>), DemesError> {
        if expected.shape() != self.observed.shape.as_slice() {
            return Err(DemesError::BadData {
                line: 1,
                what: format!(
                    "the observed spectrum has shape {:?} but the model's samples give {:?}",
                    self.observed.shape,
                    expected.shape()
                ),
            });
        }
        let e = self.compared(expected);
        let d: Vec<Spectrum> = derivatives.iter().map(|s| self.compared(s)).collect();
        let theta = self.theta_of(&e);
        let mut ll = 0.0;
        // Σ x·Ė/E, and for the profiled θ the sums X, ΣE, ΣĖ
        let mut ratio = vec![0.0; d.len()];
        let mut dsum = vec![0.0; d.len()];
        let (mut xs, mut es) = (0.0, 0.0);
        for &o in &self.entries {
            let (x, ev) = (self.observed.values[o], e.values()[o]);
            let lambda = theta * ev;
            if lambda.is_nan() || lambda <= 0.0 {
                if x > 0.0 {
                    return Err(DemesError::Impossible {
                        entry: multi_index(&self.observed.shape, o),
                        count: x,
                    });
                }
                continue;
            }
            ll += x * lambda.ln() - lambda - ln_gamma(x + 1.0);
            xs += x;
            es += ev;
            for (k, dk) in d.iter().enumerate() {
                ratio[k] += x * dk.values()[o] / ev;
                dsum[k] += dk.values()[o];
            }
        }
        let gradient = match self.scaling {
            // ∂/∂θ_k Σ x ln λ − λ = Σ (x/E − θ)·Ė
            Scaling::Poisson { .. } => (0..d.len()).map(|k| ratio[k] - theta * dsum[k]).collect(),
            // profiled (envelope): Σ x·Ė/E − X·ΣĖ/ΣE
            Scaling::Multinomial => (0..d.len()).map(|k| ratio[k] - xs * dsum[k] / es).collect(),
        };
        Ok((ll, gradient))
    }

    /// `s` as it is compared with the data: folded if they are.
    fn compared(&self, s: &Spectrum) -> Spectrum {
        if self.observed.folded {
            s.fold()
        } else {
            s.clone()
        }
    }
}

/// The entries that folding masks (none if `folded` is false).
fn folded_away(shape: &[usize], folded: bool) -> Vec<bool> {
    let len = shape.iter().product();
    if !folded {
        return vec![false; len];
    }
    Spectrum::new(shape.to_vec(), vec![0.0; len])
        .expect("the shape's own length")
        .fold()
        .masked()
        .to_vec()
}
