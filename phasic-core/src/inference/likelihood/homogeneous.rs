//! Homogeneous models and Euler's identity: when every rate is linear in
//! θ without a fixed part, one parameter's score follows from the others'
//! and from `t·f'(t)`, so a pass of the series carries one derivative less.

use super::Likelihood;
use super::series::SeriesSetup;

impl Likelihood {
    /// If the model is continuous and homogeneous (no rate has a fixed
    /// part; the start's weights are all fixed or all without a fixed
    /// part), the parameter with the largest coefficients in total, whose
    /// score Euler's identity will give.
    pub(super) fn homogeneous_param(&self) -> Option<usize> {
        let p = self.param_dim;
        let fixed = |c: &[f64]| c.iter().all(|&c| c == 0.0);
        let start_fixed = self.start_coeffs.chunks(p).all(fixed);
        let start_linear = self.start_base.iter().all(|&b| b == 0.0);
        if self.discrete || self.base.iter().any(|&b| b != 0.0) || !(start_fixed || start_linear) {
            return None;
        }
        let mut mass = vec![0.0; p];
        for c in self.coeffs.chunks(p) {
            mass.iter_mut().zip(c).for_each(|(m, c)| *m += c.abs());
        }
        (0..p).rev().max_by(|&a, &b| mass[a].total_cmp(&mass[b]))
    }
}

/// Recovers the score of parameter `q` from Euler's identity: the series
/// left `1 + t·f'/f = Σ_j θ_j s_j` at `q`'s place, and `carried` holds the
/// parameters whose scores were carried.
pub(super) fn recover_score(
    f: &mut [Vec<Vec<f64>>],
    setups: &[SeriesSetup],
    carried: &[usize],
    q: usize,
) {
    for (fl, at) in f.iter_mut().zip(setups) {
        for fi in fl.iter_mut() {
            let others: f64 = carried.iter().map(|&j| at.theta[j] * fi[1 + j]).sum();
            fi[1 + q] = (fi[1 + q] - others) / at.theta[q];
        }
    }
}
