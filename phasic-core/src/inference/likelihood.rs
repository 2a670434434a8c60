//! Log-likelihoods of observed absorption times (continuous: the density,
//! by exact uniformization) or absorption steps (discrete: the pmf) of a
//! parameterized graph at θ, with their exact gradients.
//!
//! The gradient is forward-mode: every state probability carries its `p`
//! partial derivatives through the uniformized (or discrete) steps,
//! `dπ_{k+1} = dπ_k P + π_k dP`, with `dP` from the edge coefficients. The
//! uniformization rate Λ is held fixed while differentiating: the density
//! does not depend on it, so the derivative of the series at fixed Λ is
//! the derivative of the density.
//!
//! A homogeneous model — every rate linear in θ with no fixed part, and
//! a start that does not depend on θ's scale — only changes its time
//! scale when θ is scaled: `f(t; cθ) = c·f(ct; θ)`. Differentiating at
//! `c = 1` gives Euler's identity `Σ_q θ_q ∂ln f/∂θ_q = 1 + t·f'(t)/f(t)`,
//! and `t·f'(t) = Σ_k Poisson(k; Λt)·(k − Λt)·g_k` comes from the series of
//! values alone. So one parameter's score (the one carrying most of the
//! rates) follows from the others' and needs no dual component: a pass
//! carries one derivative less (none at all for a single parameter).
//!
//! Observed accumulated rewards use the reward transform (ALGORITHMS
//! §4.1): with rewards `r_v > 0`, the reward accumulated until absorption
//! is the absorption time of the chain whose rates out of `v` are divided
//! by `r_v` — still linear in θ, so the same code gives value and gradient.

use rayon::prelude::*;

use crate::distribution::poisson;
use crate::distribution::poisson::MAX_JUMPS;
use crate::error::{Error, Result};
use crate::graph::csr::{START, weight};
use crate::graph::view::GraphView;
use crate::inference::linear_rows::{Chain, LinearRows, Scaling};
use crate::validate::check_theta;
use crate::validate::check_times;

/// Target of an edge into an absorbing vertex.
const EXIT: u32 = u32::MAX;

/// What was observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// Absorption times (or accumulated rewards) of a continuous model, each finite and ≥ 0.
    Times(Vec<f64>),
    /// Absorption steps of a discrete model, each ≥ 1.
    Steps(Vec<u64>),
}

/// The likelihood of observations under a parameterized graph, for any θ.
///
/// A density costs `Λ·t_max` steps of the uniformized chain (the fastest
/// total rate at θ times the largest observation; a discrete model: the
/// largest observed step); beyond a million steps an evaluation fails
/// with [`Error::InvalidSetting`] instead of running for hours.
///
/// ```
/// use phasic_core::{Graph, Initial, inference::Likelihood, inference::Observations};
/// // Exp(θ): log L = n log θ − θ Σ t, ∂/∂θ = n/θ − Σ t
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| {
///     if s[0] == 1 { out.add_param(&[0], 0.0, &[1.0]) }
/// }).unwrap();
/// let lik = Likelihood::new(&g, Observations::Times(vec![0.5, 1.0, 2.0])).unwrap();
/// let (ll, grad) = lik.gradient(&[2.0]).unwrap();
/// assert!((ll - (3.0 * 2f64.ln() - 2.0 * 3.5)).abs() < 1e-10);
/// assert!((grad[0] - (3.0 / 2.0 - 3.5)).abs() < 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct Likelihood {
    param_dim: usize,
    discrete: bool,
    /// Graph vertex of every transient (compact) index.
    transient: Vec<u32>,
    /// Edges out of transient vertices, CSR by compact source; targets
    /// compact or [`EXIT`].
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// The moves between transient vertices by target (`x·S` without
    /// its diagonal), the flows into absorption (one row), and every
    /// transient vertex's `∂λ_u/∂θ_q` (row-major).
    moves: LinearRows,
    exits: LinearRows,
    out_coeffs: Vec<f64>,
    /// `frontier[k]`: one more than the largest transient index reachable
    /// from the start in at most `k` moves.
    frontier: Vec<usize>,
    /// The parameter whose score Euler's identity gives, if the model is
    /// homogeneous (see the module's documentation).
    scale_param: Option<usize>,
    base: Vec<f64>,
    coeffs: Vec<f64>,
    /// Edges out of the start vertex (the initial distribution).
    start_targets: Vec<u32>,
    start_base: Vec<f64>,
    start_coeffs: Vec<f64>,
    /// Observed times (continuous) or steps (discrete), ascending.
    data: Vec<f64>,
    /// Absolute error bound of the uniformization series.
    tolerance: f64,
    /// The graph's states (to name vertices in errors).
    states: Vec<i32>,
    state_len: usize,
    /// Graph target of every transient and start edge (for errors).
    edge_to: Vec<u32>,
    start_to: Vec<u32>,
}

impl Likelihood {
    /// The likelihood of `observations` under `view` (absorption times or steps).
    pub fn new<G: GraphView + ?Sized>(view: &G, observations: Observations) -> Result<Self> {
        Self::build(view, None, observations)
    }

    /// The likelihood of observed accumulated rewards (`rewards[v] > 0`
    /// for every transient `v`) under `view` (continuous).
    pub fn with_rewards<G: GraphView + ?Sized>(
        view: &G,
        rewards: &[f64],
        observations: Observations,
    ) -> Result<Self> {
        crate::validate::check_rewards(rewards, view.vertex_count())?;
        Self::build(view, Some(rewards), observations)
    }

    fn build<G: GraphView + ?Sized>(
        view: &G,
        rewards: Option<&[f64]>,
        observations: Observations,
    ) -> Result<Self> {
        let p = view.param_dim();
        if p == 0 {
            return Err(Error::NotParameterized);
        }
        let (discrete, mut data) = match observations {
            Observations::Times(t) => {
                check_times(&t)?;
                (false, t)
            }
            Observations::Steps(k) => {
                if let Some(&bad) = k.iter().find(|&&k| k == 0) {
                    return Err(Error::InvalidSetting {
                        name: "observed step",
                        value: bad as f64,
                        reason: "absorption steps of a discrete model are at least 1",
                    });
                }
                if let Some(&bad) = k.iter().find(|&&k| k > MAX_JUMPS as u64) {
                    return Err(Error::InvalidSetting {
                        name: "observed step",
                        value: bad as f64,
                        reason: "the pmf is computed step by step, at most a million steps",
                    });
                }
                (true, k.iter().map(|&k| k as f64).collect())
            }
        };
        if data.is_empty() {
            return Err(Error::NoObservations);
        }
        if discrete && rewards.is_some() {
            return Err(Error::InvalidSetting {
                name: "rewards",
                value: 0.0,
                reason: "reward likelihoods are for continuous models",
            });
        }
        data.sort_by(f64::total_cmp);
        let n = view.vertex_count();
        let transient: Vec<u32> = (0..n as u32)
            .filter(|&v| v as usize != START && !view.is_absorbing(v as usize))
            .collect();
        let mut compact = vec![EXIT; n];
        for (i, &v) in transient.iter().enumerate() {
            compact[v as usize] = i as u32;
        }
        if let Some(r) = rewards
            && let Some(&v) = transient
                .iter()
                .find(|&&v| r[v as usize].is_nan() || r[v as usize] <= 0.0)
        {
            return Err(Error::InvalidReward {
                vertex: v as usize,
                reward: r[v as usize],
                reason: "reward likelihoods need a positive reward at every transient vertex",
            });
        }
        let (base, coeffs) = (view.base_weights(), view.coefficients());
        let mut lik = Likelihood {
            param_dim: p,
            discrete,
            transient: Vec::new(),
            offsets: vec![0],
            targets: Vec::new(),
            moves: LinearRows::default(),
            exits: LinearRows::default(),
            out_coeffs: Vec::new(),
            frontier: Vec::new(),
            scale_param: None,
            base: Vec::new(),
            coeffs: Vec::new(),
            start_targets: Vec::new(),
            start_base: Vec::new(),
            start_coeffs: Vec::new(),
            data,
            tolerance: 1e-12,
            states: view.states().to_vec(),
            state_len: view.state_len(),
            edge_to: Vec::new(),
            start_to: Vec::new(),
        };
        for &v in &transient {
            let scale = rewards.map_or(1.0, |r| 1.0 / r[v as usize]);
            for e in view.edge_range(v as usize) {
                lik.targets.push(compact[view.targets()[e] as usize]);
                lik.edge_to.push(view.targets()[e]);
                lik.base.push(base[e] * scale);
                lik.coeffs
                    .extend(coeffs[e * p..(e + 1) * p].iter().map(|c| c * scale));
            }
            lik.offsets.push(lik.targets.len());
        }
        for e in view.edge_range(START) {
            lik.start_targets.push(compact[view.targets()[e] as usize]);
            lik.start_to.push(view.targets()[e]);
            lik.start_base.push(base[e]);
            lik.start_coeffs
                .extend_from_slice(&coeffs[e * p..(e + 1) * p]);
        }
        lik.link();
        lik.scale_param = lik.homogeneous_param();
        lik.transient = transient;
        Ok(lik)
    }

    /// The θ-free rows of the series (moves by target, exits), the
    /// coefficients of the total rates and the start's frontier, from the
    /// CSR edges of the transient vertices.
    fn link(&mut self) {
        let (m, p) = (self.offsets.len() - 1, self.param_dim);
        let terms = |e: usize, src: usize| {
            std::iter::once((src as u32, 0, self.base[e])).chain(
                self.coeffs[e * p..(e + 1) * p]
                    .iter()
                    .enumerate()
                    .map(move |(q, &c)| (src as u32, q + 1, c)),
            )
        };
        let mut incoming: Vec<Vec<(usize, usize)>> = vec![Vec::new(); m];
        let mut exiting = Vec::new();
        self.out_coeffs = vec![0.0; m * p];
        for u in 0..m {
            for e in self.offsets[u]..self.offsets[u + 1] {
                match self.targets[e] {
                    EXIT => exiting.push((e, u)),
                    t => incoming[t as usize].push((e, u)),
                }
                for (o, c) in self.out_coeffs[u * p..(u + 1) * p]
                    .iter_mut()
                    .zip(&self.coeffs[e * p..(e + 1) * p])
                {
                    *o += c;
                }
            }
        }
        let mut moves = LinearRows::default();
        for into in &incoming {
            moves.push_row(into.iter().flat_map(|&(e, u)| terms(e, u)));
        }
        let mut exits = LinearRows::default();
        exits.push_row(exiting.iter().flat_map(|&(e, u)| terms(e, u)));
        self.moves = moves;
        self.exits = exits;
        // breadth-first from the start's targets along every edge that
        // some θ may weigh
        let mut seen = vec![false; m];
        let mut layer: Vec<usize> = self
            .start_targets
            .iter()
            .filter(|&&t| t != EXIT)
            .map(|&t| t as usize)
            .collect();
        self.frontier.clear();
        let mut bound = 0;
        while !layer.is_empty() {
            let mut next = Vec::new();
            for &u in &layer {
                if seen[u] {
                    continue;
                }
                seen[u] = true;
                bound = bound.max(u + 1);
                next.extend(
                    (self.offsets[u]..self.offsets[u + 1])
                        .map(|e| self.targets[e])
                        .filter(|&t| t != EXIT && !seen[t as usize])
                        .map(|t| t as usize),
                );
            }
            self.frontier.push(bound);
            layer = next;
        }
    }

    /// If the model is continuous and homogeneous (no rate has a fixed
    /// part; the start's weights are all fixed or all without a fixed
    /// part), the parameter with the largest coefficients in total, whose
    /// score Euler's identity will give.
    fn homogeneous_param(&self) -> Option<usize> {
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

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no observations (never: construction requires one).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Dimension of θ.
    pub fn param_dim(&self) -> usize {
        self.param_dim
    }

    /// `log L(θ)`; `−∞` if an observation is impossible at θ.
    pub fn log_likelihood(&self, theta: &[f64]) -> Result<f64> {
        let f = self.densities(&[self.at(theta)?], false).remove(0);
        Ok(f.iter().map(|d| d[0]).sum())
    }

    /// `log L(θ)` for every θ of `thetas`, in order: up to eight θs evaluated
    /// together (structure of arrays), groups in parallel. Each value is
    /// bit-identical to [`log_likelihood`](Self::log_likelihood) at its θ,
    /// whatever the thread count.
    pub fn log_likelihoods(&self, thetas: &[Vec<f64>]) -> Result<Vec<f64>> {
        self.batch(thetas, false, |f, _| Ok(f.iter().map(|d| d[0]).sum()))
    }

    /// `(log L(θ), ∂ log L/∂θ)`. An observation with zero density at θ is
    /// an error (the log-likelihood is `−∞` there and has no gradient).
    ///
    /// For a homogeneous model (see the module's documentation) the
    /// score of the parameter `θ_q` with the largest coefficients comes
    /// from Euler's identity whenever `θ_q > 0`: its error is absolute on
    /// the log scale (`θ_q·∂/∂θ_q` within about `1e-15` times the number
    /// of observations, as fits in `ln θ` use it), so `∂/∂θ_q` itself
    /// loses relative precision when `θ_q` is tiny.
    pub fn gradient(&self, theta: &[f64]) -> Result<(f64, Vec<f64>)> {
        self.log_gradient(&self.densities(&[self.at(theta)?], true)[0])
    }

    /// [`gradient`](Self::gradient) for every θ of `thetas`, batched and in
    /// parallel like [`log_likelihoods`](Self::log_likelihoods); each result
    /// bit-identical to the single evaluation.
    pub fn gradients(&self, thetas: &[Vec<f64>]) -> Result<Vec<(f64, Vec<f64>)>> {
        self.batch(thetas, true, |f, lik| lik.log_gradient(f))
    }

    /// Runs `thetas` in groups of [`LANES`], groups in parallel, and maps
    /// every θ's densities through `each`. Fails with the first bad θ in
    /// the order of `thetas`.
    fn batch<T: Send>(
        &self,
        thetas: &[Vec<f64>],
        derivatives: bool,
        each: impl Fn(&[Vec<f64>], &Self) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let ats = thetas
            .par_iter()
            .map(|t| self.at(t))
            .collect::<Result<Vec<At>>>()?;
        // θs needing similar numbers of steps share a group (lanes run the
        // longest lane's steps), and θs whose scores Euler's identity gives
        // only share one with each other; a θ's result does not depend on
        // its group
        let by_identity = |at: &At| derivatives && at.scaled.is_some();
        let mut order: Vec<usize> = (0..ats.len()).collect();
        order.sort_by_key(|&i| (!by_identity(&ats[i]), ats[i].steps, i));
        let mut slots: Vec<Option<At>> = ats.into_iter().map(Some).collect();
        let sorted: Vec<At> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let groups: Vec<&[At]> = sorted
            .chunk_by(|a, b| by_identity(a) == by_identity(b))
            .flat_map(|run| run.chunks(LANES))
            .collect();
        // the costliest groups first, each to the next free thread, so that
        // the threads finish together (a group's cost: its longest lane's
        // steps, the last, times its θs)
        let mut queue: Vec<usize> = (0..groups.len()).collect();
        queue.sort_by_key(|&g| {
            std::cmp::Reverse(groups[g].last().map_or(0, |at| at.steps) * groups[g].len())
        });
        let mut done: Vec<(usize, Result<Vec<T>>)> = queue
            .into_iter()
            .par_bridge()
            .map(|g| {
                let group = groups[g];
                let f = self.densities(group, derivatives);
                (g, f.iter().map(|f| each(f, self)).collect())
            })
            .collect();
        done.sort_by_key(|(g, _)| *g);
        let groups = done
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Result<Vec<_>>>()?;
        let mut out: Vec<Option<T>> = thetas.iter().map(|_| None).collect();
        for (&i, r) in order.iter().zip(groups.into_iter().flatten()) {
            out[i] = Some(r);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// `(Σ ln f, Σ ∇f/f)` from the log-densities and scores.
    fn log_gradient(&self, f: &[Vec<f64>]) -> Result<(f64, Vec<f64>)> {
        let mut ll = 0.0;
        let mut grad = vec![0.0; self.param_dim];
        for (d, &x) in f.iter().zip(&self.data) {
            if !d[0].is_finite() {
                return Err(Error::ZeroProbability { observation: x });
            }
            ll += d[0];
            for (g, score) in grad.iter_mut().zip(&d[1..]) {
                *g += score;
            }
        }
        Ok((ll, grad))
    }

    /// The state of vertex `v`.
    fn state(&self, v: usize) -> Vec<i32> {
        self.states[v * self.state_len..(v + 1) * self.state_len].to_vec()
    }

    /// Edge weights at θ (transient edges, start edges), checked.
    fn weights(&self, theta: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
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

    /// For every θ of `ats` (at most [`LANES`]) and every observation:
    /// the log-density (log-pmf; `−∞` if impossible) and, with
    /// `derivatives`, the scores `∂f/∂θ_j / f` (`[ln f, s_1, …]`). The
    /// derivatives are carried in passes of at most [`PASS`] parameters,
    /// except the one Euler's identity gives (the same for every θ of
    /// `ats`).
    fn densities(&self, ats: &[At], derivatives: bool) -> Vec<Vec<Vec<f64>>> {
        let p = self.param_dim;
        let width = if derivatives { p + 1 } else { 1 };
        let mut f = vec![vec![vec![0.0; width]; self.data.len()]; ats.len()];
        let scaled = ats[0].scaled.filter(|_| derivatives);
        debug_assert!(
            ats.iter()
                .all(|at| at.scaled.filter(|_| derivatives) == scaled)
        );
        let carried: Vec<usize> = (0..p)
            .filter(|&q| derivatives && Some(q) != scaled)
            .collect();
        let mut passes: Vec<&[usize]> = carried.chunks(PASS).collect();
        if passes.is_empty() {
            passes.push(&[]);
        }
        for (i, params) in passes.into_iter().enumerate() {
            let time_score = scaled.filter(|_| i == 0);
            macro_rules! run {
                ($($d:literal)*) => {
                    match (params.len() + 1, ats.len()) {
                        $(($d, 1) => self.series::<$d, 1>(ats, params, time_score, &mut f),)*
                        $(($d, 2..=4) => self.series::<$d, 4>(ats, params, time_score, &mut f),)*
                        $(($d, _) => self.series::<$d, LANES>(ats, params, time_score, &mut f),)*
                        _ => unreachable!("passes carry at most {PASS} parameters"),
                    }
                };
            }
            run!(1 2 3 4 5 6 7 8);
        }
        if let Some(q) = scaled {
            // the series left `1 + t·f'/f = Σ_j θ_j s_j` at `q`'s place
            for (fl, at) in f.iter_mut().zip(ats) {
                for fi in fl.iter_mut() {
                    let others: f64 = carried.iter().map(|&j| at.theta[j] * fi[1 + j]).sum();
                    fi[1 + q] = (fi[1 + q] - others) / at.theta[q];
                }
            }
        }
        f
    }

    /// Everything about θ the series needs.
    fn at(&self, theta: &[f64]) -> Result<At> {
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
            // the series reaches the right end of the largest time's window
            let mean = lambda * t_max;
            poisson::right_end(mean, self.tolerance * 1e-3, MAX_JUMPS).ok_or(
                Error::InvalidSetting {
                    name: "Λ·t_max (the fastest total rate at θ times the largest observation)",
                    value: mean,
                    reason: "the series would need more than a million steps: θ is far from the data's time scale",
                },
            )?
        };
        Ok(At {
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
    fn series<const D: usize, const L: usize>(
        &self,
        ats: &[At],
        params: &[usize],
        time_score: Option<usize>,
        f: &mut [Vec<Vec<f64>>],
    ) {
        let p = self.param_dim;
        let m = self.transient.len();
        let lane = |l: usize| &ats[l.min(ats.len() - 1)];
        // `(b + c·θ)·scale` and its derivatives along the pass, per lane
        let dual = |w: &dyn Fn(&At) -> f64, coeffs: &[f64], scale: &dyn Fn(&At) -> f64| {
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
        let one = |_: &At| 1.0;
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
        let g = chain.run(x, steps);
        // log-densities and scores: P(T = k) = g_{k−1} (discrete),
        // Σ_k Poisson(k; Λt) g_k (continuous)
        for (l, fl) in f.iter_mut().enumerate().take(ats.len()) {
            let at = &ats[l];
            let lane_g = |k: usize| -> [f64; D] {
                let mut v = [0.0; D];
                for (vj, gj) in v.iter_mut().zip(&g[k]) {
                    *vj = gj[l];
                }
                v
            };
            let g_bound = at.g_bound;
            for (fi, &t) in fl.iter_mut().zip(&self.data) {
                let (ln_f, sum, tilt) = if self.discrete {
                    let v = lane_g(t as usize - 1);
                    (v[0].ln(), v, 0.0)
                } else {
                    poisson_mix(at.lambda * t, at.steps, g_bound, self.tolerance, lane_g)
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

/// θs evaluated side by side by the batch methods (a group of at most
/// four, such as a batch's last, runs in four lanes).
const LANES: usize = 8;

/// Parameters whose derivatives one pass of the series carries.
const PASS: usize = 7;

/// θ-dependent quantities of one evaluation.
struct At {
    theta: Vec<f64>,
    /// The parameter whose score Euler's identity gives here, if any.
    scaled: Option<usize>,
    /// Total rate out of every transient vertex.
    rate: Vec<f64>,
    /// The largest total rate into absorption (a bound of the exit flow).
    g_bound: f64,
    /// Weights of the start's edges.
    ws: Vec<f64>,
    /// `Σ ws`.
    total: f64,
    /// The uniformization rate (1 for a discrete model).
    lambda: f64,
    /// Steps of the series.
    steps: usize,
}

/// `acc += x` componentwise.
fn add<const D: usize, const L: usize>(acc: &mut [[f64; L]; D], x: &[[f64; L]; D]) {
    acc.iter_mut()
        .flatten()
        .zip(x.iter().flatten())
        .for_each(|(a, x)| *a += x);
}

/// `(ln Σ_k P(N = k)·g_k[0], Σ_k r_k·g_k, Σ_k r_k·(k − mean)·g_k[0])` for
/// `N ~ Poisson(mean)`, where
/// `r_k` is `P(N = k)` relative to the mode's (in a unit that moves down
/// the left tail while nothing has been summed), so that densities far in
/// a tail keep their logarithm instead of underflowing. To the right of the
/// mode the sum stops when the remaining Poisson tail times `g_bound` (a
/// bound of `g_k[0]`) is below `tolerance` relative to the sum, or at the
/// end of the series (`last`); to
/// the left when the weights are negligible next to the sum. The ratio of
/// a derivative component to component 0 of the sum is the score; the
/// ratio of the third sum to component 0 is `t·f'(t)/f(t)` for the density
/// `f(t) = Σ_k Poisson(k; Λt)·g_k` at `mean = Λt`.
fn poisson_mix<const D: usize>(
    mean: f64,
    last: usize,
    g_bound: f64,
    tolerance: f64,
    g: impl Fn(usize) -> [f64; D],
) -> (f64, [f64; D], f64) {
    let mut acc = [0.0; D];
    let mut tilt = 0.0;
    let mut add = |acc: &mut [f64; D], r: f64, k: usize| {
        let gk = g(k);
        tilt += r * (k as f64 - mean) * gk[0];
        for (a, gk) in acc.iter_mut().zip(gk) {
            *a += r * gk;
        }
    };
    if mean == 0.0 {
        add(&mut acc, 1.0, 0);
        return (acc[0].ln(), acc, tilt);
    }
    let mode = (mean.floor() as usize).min(last);
    let ln_p_mode = poisson::ln_pmf(mode, mean);
    add(&mut acc, 1.0, mode);
    let mut r = 1.0;
    for k in mode + 1..=last {
        r *= mean / k as f64;
        add(&mut acc, r, k);
        if poisson::tail_below(k, r * g_bound, mean, tolerance * acc[0]) {
            break;
        }
    }
    // left of the mode, last: while nothing has been summed the unit of the
    // sum moves down with the weights (`shift`, in log), so a density whose
    // mass lies far in the left tail keeps its logarithm
    const TINY: f64 = 1e-250;
    let mut shift = 0.0;
    let mut r = 1.0;
    for k in (0..mode).rev() {
        r *= (k + 1) as f64 / mean;
        if r < TINY {
            if acc.iter().any(|&a| a != 0.0) {
                break; // negligible next to what was summed
            }
            r /= TINY;
            shift += TINY.ln();
        }
        add(&mut acc, r, k);
    }
    (ln_p_mode + shift + acc[0].ln(), acc, tilt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::csr::Graph;
    use crate::graph::rule::Initial;

    /// A population of `1..=k` starting at `k`, absorbed at 0: θ = (death
    /// per individual, immigration below `k`, catastrophe), every rate
    /// linear in θ; a catastrophe leaves one survivor from 3 up.
    fn population(k: i32) -> Graph {
        Graph::from_rule_with_params(&Initial::state(&[k]), 3, |s, out| {
            let n = s[0];
            if n > 0 {
                out.add_param(&[n - 1], 0.0, &[f64::from(n), 0.0, 0.0]);
                out.add_param(&[i32::from(n >= 3)], 0.0, &[0.0, 0.0, 1.0]);
                if n < k {
                    out.add_param(&[n + 1], 0.0, &[0.0, 1.0, 0.0]);
                }
            }
        })
        .unwrap()
    }

    /// A cycle `0 → 1 → … → 8 → 0` where edge `i` has rate `θ_i` (edge 4
    /// three times as much) and every state exits at rate `θ_{8−i}/2`.
    fn ring(start: &Initial) -> Graph {
        Graph::from_rule_with_params(start, 9, |s, out| {
            let i = s[0] as usize;
            if i < 9 {
                let mut c = [0.0; 9];
                c[i] = if i == 4 { 3.0 } else { 1.0 };
                out.add_param(&[(s[0] + 1) % 9], 0.0, &c);
                let mut c = [0.0; 9];
                c[8 - i] = 0.5;
                out.add_param(&[9], 0.0, &c);
            }
        })
        .unwrap()
    }

    /// The gradient of `lik` by Euler's identity against the one whose
    /// passes carry every parameter.
    #[track_caller]
    fn identity_matches_carried(lik: &Likelihood, thetas: &[Vec<f64>]) {
        let mut carried = lik.clone();
        carried.scale_param = None;
        for theta in thetas {
            let (ll, g) = lik.gradient(theta).unwrap();
            let (want_ll, want) = carried.gradient(theta).unwrap();
            // the same series, summed in another order (a key without a
            // derivative adds its terms straight into the rows)
            assert!(
                (ll - want_ll).abs() <= 1e-13 * want_ll.abs().max(1.0),
                "θ {theta:?}: log L {ll} vs {want_ll}"
            );
            for (q, (a, b)) in g.iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-10 * b.abs().max(1.0),
                    "θ {theta:?}, ∂/∂θ{q}: identity {a:e}, carried {b:e}"
                );
            }
        }
    }

    #[test]
    fn euler_identity_gives_the_carried_score() {
        let times = vec![0.02, 0.3, 0.9, 1.7, 3.5, 6.0];
        // the deaths carry most of the rates
        let lik = Likelihood::new(&population(12), Observations::Times(times.clone())).unwrap();
        assert_eq!(lik.scale_param, Some(0));
        let thetas = [
            vec![1.0, 2.0, 4.0],
            vec![0.05, 0.7, 3.0],
            vec![6.0, 0.2, 0.1],
        ];
        identity_matches_carried(&lik, &thetas);
        // with rewards
        let g = population(6);
        let rewards: Vec<f64> = (0..g.vertex_count())
            .map(|v| 0.5 + v as f64 * 0.1)
            .collect();
        let lik = Likelihood::with_rewards(&g, &rewards, Observations::Times(times.clone()));
        identity_matches_carried(&lik.unwrap(), &thetas);
        // nine parameters: the identity's (θ_4, the largest coefficients)
        // sits inside the first pass; the second pass carries one
        for start in [
            Initial::state(&[0]),
            Initial::weighted([([0], 0.5), ([3], 0.25)]).unwrap(),
        ] {
            let lik = Likelihood::new(&ring(&start), Observations::Times(times.clone())).unwrap();
            assert_eq!(lik.scale_param, Some(4));
            let thetas: Vec<Vec<f64>> = (0..3)
                .map(|i| {
                    (0..9)
                        .map(|q| 0.3 + ((q * 5 + i * 3) % 7) as f64 * 0.4)
                        .collect()
                })
                .collect();
            identity_matches_carried(&lik, &thetas);
        }
    }

    /// θs with no deaths (θ_0 = 0: no identity, the score is carried)
    /// among others: every result bit-identical to its single evaluation,
    /// for any thread count and batch size.
    #[test]
    fn batches_mixing_identity_and_carried_scores() {
        let times = Observations::Times(vec![0.1, 0.5, 1.2, 2.5]);
        let lik = Likelihood::new(&population(8), times).unwrap();
        let thetas: Vec<Vec<f64>> = (0..19)
            .map(|i| {
                let death = if i % 3 == 1 {
                    0.0
                } else {
                    0.2 + 0.3 * i as f64
                };
                vec![death, 0.5 + (i % 4) as f64, 1.0 + (i % 5) as f64 * 0.5]
            })
            .collect();
        let bits =
            |(l, g): &(f64, Vec<f64>)| (l.to_bits(), g.iter().map(|x| x.to_bits()).collect());
        let single: Vec<(u64, Vec<u64>)> = thetas
            .iter()
            .map(|t| bits(&lik.gradient(t).unwrap()))
            .collect();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for n in [19, 10, 2] {
                let got = pool.install(|| lik.gradients(&thetas[..n]).unwrap());
                let got: Vec<(u64, Vec<u64>)> = got.iter().map(bits).collect();
                assert_eq!(got, single[..n], "{threads} threads, {n} θs");
            }
        }
        // without deaths, the carried score is the identity's limit
        let (_, at_zero) = lik.gradient(&[0.0, 1.5, 2.0]).unwrap();
        let (_, near) = lik.gradient(&[1e-7, 1.5, 2.0]).unwrap();
        for (a, b) in at_zero.iter().zip(&near) {
            assert!(
                (a - b).abs() < 1e-5 * a.abs().max(1.0),
                "{at_zero:?} vs {near:?}"
            );
        }
    }

    #[test]
    fn identity_only_for_homogeneous_continuous_models() {
        let times = Observations::Times(vec![1.0]);
        let with = |rule: fn(&[i32], &mut crate::graph::rule::Transitions)| {
            let g = Graph::from_rule_with_params(&Initial::state(&[0]), 2, rule).unwrap();
            Likelihood::new(&g, times.clone()).unwrap().scale_param
        };
        // θ_1 carries more (2 + 1 against 1)
        assert_eq!(
            with(|s, out| if s[0] == 0 {
                out.add_param(&[1], 0.0, &[1.0, 2.0]);
            } else if s[0] == 1 {
                out.add_param(&[2], 0.0, &[0.0, 1.0]);
            }),
            Some(1)
        );
        // a fixed part in one rate
        assert_eq!(
            with(|s, out| if s[0] == 0 {
                out.add_param(&[1], 0.1, &[1.0, 2.0]);
            } else if s[0] == 1 {
                out.add_param(&[2], 0.0, &[0.0, 1.0]);
            }),
            None
        );
        // a start with a fixed and a θ-dependent edge changes with θ's scale
        let mut b = crate::graph::builder::GraphBuilder::with_params(1, 1);
        let a = b.find_or_create(&[1]).unwrap();
        let c = b.find_or_create(&[2]).unwrap();
        let x = b.find_or_create(&[3]).unwrap();
        b.add_param_edge(START, a, 1.0, &[0.0]).unwrap();
        b.add_param_edge(START, c, 0.0, &[1.0]).unwrap();
        b.add_param_edge(a, x, 0.0, &[1.0]).unwrap();
        b.add_param_edge(c, x, 0.0, &[2.0]).unwrap();
        let g = b.build();
        assert_eq!(
            Likelihood::new(&g, times.clone()).unwrap().scale_param,
            None
        );
        // discrete steps do not scale with θ
        let g = Graph::from_rule_with_params(&Initial::state(&[0]), 1, |s, out| {
            if s[0] == 0 {
                out.add_param(&[1], 0.0, &[0.5]);
            }
        })
        .unwrap();
        let lik = Likelihood::new(&g, Observations::Steps(vec![1, 2])).unwrap();
        assert_eq!(lik.scale_param, None);
    }

    #[test]
    fn poisson_mixtures_keep_tails_in_log_space() {
        let last = 6000;
        for mean in [0.3, 1.0, 7.5, 120.0, 2500.0] {
            // g ≡ 1: the weights sum to one
            let (ln_total, _, _) = poisson_mix::<1>(mean, last, 1.0, 1e-15, |_| [1.0]);
            assert!(ln_total.abs() < 1e-14, "mean {mean}: {ln_total}");
            // g = [1 only at k = 0]: P(N = 0) = e^{-mean}, far below the
            // mode's weight (reached by `mean` ratios from the mode)
            let (ln_p0, _, _) =
                poisson_mix::<1>(mean, last, 1.0, 1e-15, |k| [if k == 0 { 1.0 } else { 0.0 }]);
            assert!(
                (ln_p0 + mean).abs() < 1e-15 * mean.max(10.0),
                "mean {mean}: {ln_p0}"
            );
        }
        // the score is the weighted mean of the derivative component
        let (_, s, _) = poisson_mix::<2>(3.0, last, 1.0, 1e-15, |k| [1.0, k as f64]);
        assert!((s[1] / s[0] - 3.0).abs() < 1e-12);
        // the tilt: g_k = k gives f = E N = m and Σ P(k)(k − m)k = Var N = m
        for mean in [0.5, 3.0, 40.0, 900.0] {
            let (_, s, tilt) = poisson_mix::<1>(mean, last, mean, 1e-15, |k| [k as f64]);
            assert!(
                (tilt / s[0] - 1.0).abs() < 1e-12,
                "mean {mean}: {}",
                tilt / s[0]
            );
        }
    }
}
