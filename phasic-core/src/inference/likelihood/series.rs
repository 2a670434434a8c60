//! The series of one group of θs: the uniformized (or discrete) chain
//! stepped on dual numbers from the start's distribution, its values
//! `g_k = π_k·s` mixed with Poisson weights into densities and scores.

use super::affine_rows::{Chain, Scaling};
use crate::distribution::poisson;
use crate::distribution::poisson::MAX_JUMPS;
use crate::error::{Error, Result};
use crate::graph::csr::{START, weight};
use crate::validate::check_theta;

use super::{EXIT, Likelihood};

/// θ-dependent quantities of one evaluation.
pub(super) struct SeriesSetup {
    pub(super) theta: Vec<f64>,
    /// The parameter whose score Euler's identity gives here, if any.
    pub(super) scaled: Option<usize>,
    /// Total rate out of every transient vertex.
    pub(super) rate: Vec<f64>,
    /// The largest total rate into absorption (a bound of the exit flow).
    pub(super) g_bound: f64,
    /// Weights of the start's edges.
    pub(super) ws: Vec<f64>,
    /// `Σ ws`.
    pub(super) total: f64,
    /// The uniformization rate (1 for a discrete model).
    pub(super) lambda: f64,
    /// Steps of the series.
    pub(super) steps: usize,
}

impl Likelihood {
    /// Edge weights at θ (transient edges, start edges), checked.
    pub(super) fn weights(&self, theta: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        check_theta(theta, self.param_dim)?;
        let p = self.param_dim;
        let at = |base: &[f64], coeffs: &[f64]| -> Vec<f64> {
            base.iter()
                .enumerate()
                .map(|(e, &b)| weight(b, &coeffs[e * p..(e + 1) * p], theta))
                .collect()
        };
        let w = at(&self.base, &self.coeffs);
        let ws = at(&self.start_base, &self.start_coeffs);
        let bad = |x: &f64| !(x.is_finite() && *x >= 0.0);
        if let Some(e) = w.iter().position(bad) {
            let from = self.transient[self.offsets.partition_point(|&o| o <= e) - 1] as usize;
            return Err(Error::InvalidWeight {
                from,
                from_state: self.state(from),
                to_state: self.state(self.edge_to[e] as usize),
                weight: w[e],
            });
        }
        if let Some(e) = ws.iter().position(bad) {
            return Err(Error::InvalidWeight {
                from: START,
                from_state: self.state(START),
                to_state: self.state(self.start_to[e] as usize),
                weight: ws[e],
            });
        }
        Ok((w, ws))
    }

    /// Everything about θ the series needs.
    pub(super) fn setup(&self, theta: &[f64]) -> Result<SeriesSetup> {
        let (w, ws) = self.weights(theta)?;
        let m = self.transient.len();
        let mut rate = vec![0.0; m];
        let mut g_bound = 0.0f64;
        for (u, r) in rate.iter_mut().enumerate() {
            let out = self.offsets[u]..self.offsets[u + 1];
            *r = w[out.clone()].iter().sum();
            let exit: f64 = out.filter(|&e| self.targets[e] == EXIT).map(|e| w[e]).sum();
            g_bound = g_bound.max(exit);
        }
        let lambda = if self.discrete {
            if let Some(u) = (0..m).find(|&u| rate[u] > 1.0 + 1e-9) {
                let vertex = self.transient[u] as usize;
                return Err(Error::NotDiscrete {
                    vertex,
                    state: self.state(vertex),
                    rate: rate[u],
                });
            }
            1.0
        } else {
            rate.iter()
                .copied()
                .fold(0.0, f64::max)
                .max(f64::MIN_POSITIVE)
        };
        let total: f64 = ws.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Err(Error::ZeroRate {
                vertex: START,
                state: self.state(START),
            });
        }
        let t_max = self.data.last().copied().unwrap_or(0.0);
        let steps = if self.discrete {
            t_max as usize
        } else {
            // the series reaches the right end of the largest time's
            // window, and past the first possible absorption as far as the
            // smallest time's window reaches (a tiny time's density lies
            // there, however small)
            let mean = lambda * t_max;
            let too_far = Error::InvalidSetting {
                name: "Λ·t_max (the fastest total rate at θ times the largest observation)",
                value: mean,
                reason: "the series would need more than a million steps: θ is far from the data's time scale",
            };
            let end = poisson::right_end(mean, self.tolerance * 1e-3, MAX_JUMPS).ok_or(too_far)?;
            let t_min = self.data.first().copied().unwrap_or(0.0);
            let first = poisson::right_end(lambda * t_min, self.tolerance * 1e-3, MAX_JUMPS)
                .map_or(MAX_JUMPS, |e| e.saturating_add(self.first_exit));
            end.max(first.min(MAX_JUMPS))
        };
        Ok(SeriesSetup {
            theta: theta.to_vec(),
            rate,
            g_bound,
            ws,
            total,
            lambda,
            steps,
            // divided by, so positive
            scaled: self.scale_param.filter(|&q| theta[q] > 0.0),
        })
    }

    /// Runs the series `g_k = π_k·s` (`k = 0..=steps`) with the
    /// derivatives along `params` (`D = params.len() + 1` values) for the
    /// θs of `ats` side by side (`L` lanes; lanes beyond `ats` repeat the
    /// last), then mixes it into the densities `f[lane][observation]`,
    /// and `1 + t·f'(t)/f(t)` at the place of `time_score`'s score.
    /// Every lane runs the same operations as it would alone.
    pub(super) fn series<const D: usize, const L: usize>(
        &self,
        ats: &[SeriesSetup],
        params: &[usize],
        time_score: Option<usize>,
        f: &mut [Vec<Vec<f64>>],
    ) {
        let p = self.param_dim;
        let m = self.transient.len();
        let lane = |l: usize| &ats[l.min(ats.len() - 1)];
        // `(b + c·θ)·scale` and its derivatives along the pass, per lane
        let dual = |w: &dyn Fn(&SeriesSetup) -> f64,
                    coeffs: &[f64],
                    scale: &dyn Fn(&SeriesSetup) -> f64| {
            let mut x = [[0.0; L]; D];
            let (value, partials) = x.split_at_mut(1);
            for (l, v) in value[0].iter_mut().enumerate() {
                let sc = scale(lane(l));
                *v = w(lane(l)) * sc;
                for (xj, &q) in partials.iter_mut().zip(params) {
                    xj[l] = coeffs[q] * sc;
                }
            }
            x
        };
        let one = |_: &SeriesSetup| 1.0;
        // α (the start's weights normalised) with derivatives
        let mut dtotal = [[0.0; L]; D];
        for e in 0..self.start_targets.len() {
            let c = dual(&|at| at.ws[e], &self.start_coeffs[e * p..(e + 1) * p], &one);
            add(&mut dtotal, &c);
        }
        let mut x = vec![[[0.0; L]; D]; m];
        for (e, &t) in self.start_targets.iter().enumerate() {
            if t == EXIT {
                continue;
            }
            let c = dual(&|at| at.ws[e], &self.start_coeffs[e * p..(e + 1) * p], &one);
            let xt = &mut x[t as usize];
            for l in 0..L {
                let total = lane(l).total;
                xt[0][l] += c[0][l] / total;
                for j in 1..D {
                    xt[j][l] += (c[j][l] * total - c[0][l] * dtotal[j][l]) / (total * total);
                }
            }
        }
        // x_{k+1}[t] = x_k[t]·(1 − λ_t/Λ) + Σ_{u→t} x_k[u]·w/Λ, and
        // g_k = Σ_u x_k[u]·(exit rate of u), with derivatives
        let inv: [f64; L] = std::array::from_fn(|l| 1.0 / lane(l).lambda);
        let thetas: [&[f64]; L] = std::array::from_fn(|l| lane(l).theta.as_slice());
        let chain = Chain {
            moves: &self.moves,
            move_scaling: Scaling::new(thetas, inv, params),
            exits: &self.exits,
            exit_scaling: Scaling::new(thetas, [1.0; L], params),
            stay: (0..m)
                .map(|t| std::array::from_fn(|l| 1.0 - lane(l).rate[t] * inv[l]))
                .collect(),
            rate_partials: (0..m)
                .map(|t| {
                    let mut o = [0.0; D];
                    for (oj, &q) in o.iter_mut().skip(1).zip(params) {
                        *oj = self.out_coeffs[t * p + q];
                    }
                    o
                })
                .collect(),
            frontier: &self.frontier,
        };
        let steps = (0..L).map(|l| lane(l).steps).max().unwrap_or(0);
        let flows = chain.run(x, steps);
        // log-densities and scores: P(T = k) = g_{k−1} (discrete),
        // Σ_k Poisson(k; Λt) g_k (continuous), each g_k a lifted value and
        // a binary exponent, so a density far in a tail keeps its logarithm
        for (l, fl) in f.iter_mut().enumerate().take(ats.len()) {
            let at = &ats[l];
            let lane_g = |k: usize| flows.lane(k, l);
            let g_bound = at.g_bound;
            for (fi, &t) in fl.iter_mut().zip(&self.data) {
                let (ln_f, sum, tilt) = if self.discrete {
                    let (v, e) = lane_g(t as usize - 1);
                    (v[0].ln() + e as f64 * std::f64::consts::LN_2, v, 0.0)
                } else {
                    poisson::mix(at.lambda * t, at.steps, g_bound, self.tolerance, lane_g)
                };
                fi[0] = ln_f;
                for (&q, sj) in params.iter().zip(&sum[1..]) {
                    fi[1 + q] = sj / sum[0];
                }
                if let Some(q) = time_score {
                    fi[1 + q] = 1.0 + tilt / sum[0];
                }
            }
        }
    }
}

/// `acc += x` componentwise.
fn add<const D: usize, const L: usize>(acc: &mut [[f64; L]; D], x: &[[f64; L]; D]) {
    acc.iter_mut()
        .flatten()
        .zip(x.iter().flatten())
        .for_each(|(a, x)| *a += x);
}
