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
//! Observed accumulated rewards use the reward transform (ALGORITHMS
//! §4.1): with rewards `r_v > 0`, the reward accumulated until absorption
//! is the absorption time of the chain whose rates out of `v` are divided
//! by `r_v` — still linear in θ, so the same code gives value and gradient.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::graph::{START, check_theta, weight};
use crate::linear_rows::{Chain, LinearRows, Scaling};
use crate::uniformization::check_times;
use crate::view::GraphView;

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
/// ```
/// use phasic_core::{Graph, Initial, Likelihood, Observations};
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
        crate::program::check_rewards(rewards, view.vertex_count())?;
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
                (true, k.iter().map(|&k| k as f64).collect())
            }
        };
        if data.is_empty() {
            return Err(Error::InvalidSetting {
                name: "observations",
                value: 0.0,
                reason: "at least one observation is needed",
            });
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

    /// `log L(θ)` for every θ of `thetas`, in order: [`LANES`] θs evaluated
    /// together (structure of arrays), groups in parallel. Each value is
    /// bit-identical to [`log_likelihood`](Self::log_likelihood) at its θ,
    /// whatever the thread count.
    pub fn log_likelihoods(&self, thetas: &[Vec<f64>]) -> Result<Vec<f64>> {
        self.batch(thetas, false, |f, _| Ok(f.iter().map(|d| d[0]).sum()))
    }

    /// `(log L(θ), ∂ log L/∂θ)`. An observation with zero density at θ is
    /// an error (the log-likelihood is `−∞` there and has no gradient).
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
        // longest lane's steps); a θ's result does not depend on its group
        let mut order: Vec<usize> = (0..ats.len()).collect();
        order.sort_by_key(|&i| (ats[i].steps, i));
        let mut slots: Vec<Option<At>> = ats.into_iter().map(Some).collect();
        let sorted: Vec<At> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let groups = sorted
            .par_chunks(LANES)
            .map(|group| {
                self.densities(group, derivatives)
                    .iter()
                    .map(|f| each(f, self))
                    .collect::<Result<Vec<T>>>()
            })
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
                return Err(Error::InvalidSetting {
                    name: "observation",
                    value: x,
                    reason: "has zero probability at this θ: the log-likelihood is −∞",
                });
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
    /// derivatives are carried in passes of at most [`PASS`] parameters.
    fn densities(&self, ats: &[At], derivatives: bool) -> Vec<Vec<Vec<f64>>> {
        let p = self.param_dim;
        let width = if derivatives { p + 1 } else { 1 };
        let mut f = vec![vec![vec![0.0; width]; self.data.len()]; ats.len()];
        let passes: Vec<std::ops::Range<usize>> = if derivatives {
            (0..p).step_by(PASS).map(|a| a..(a + PASS).min(p)).collect()
        } else {
            std::iter::once(0..0).collect()
        };
        for params in passes {
            macro_rules! run {
                ($($d:literal)*) => {
                    match (params.len() + 1, ats.len()) {
                        $(($d, 1) => self.series::<$d, 1>(ats, params.clone(), &mut f),)*
                        $(($d, _) => self.series::<$d, LANES>(ats, params.clone(), &mut f),)*
                        _ => unreachable!("passes carry at most {PASS} parameters"),
                    }
                };
            }
            run!(1 2 3 4 5 6 7 8);
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
        let mut ln_fact = vec![0.0];
        let steps = if self.discrete {
            t_max as usize
        } else {
            // the series reaches the right end of the largest time's window
            let mean = lambda * t_max;
            let mut k = 0usize;
            loop {
                k += 1;
                let l = ln_fact[k - 1] + (k as f64).ln();
                ln_fact.push(l);
                let ln_p = -mean + k as f64 * mean.ln() - l;
                let kf = k as f64;
                if kf > mean
                    && ln_p.exp() * mean / (kf + 1.0) / (1.0 - mean / (kf + 2.0))
                        < self.tolerance * 1e-3
                {
                    break k;
                }
            }
        };
        Ok(At {
            theta: theta.to_vec(),
            rate,
            g_bound,
            ws,
            total,
            lambda,
            steps,
            ln_fact,
        })
    }

    /// Runs the series `g_k = π_k·s` (`k = 0..=steps`) with the
    /// derivatives along `params` (`D = params.len() + 1` values) for the
    /// θs of `ats` side by side (`L` lanes; lanes beyond `ats` repeat the
    /// last), then mixes it into the densities `f[lane][observation]`.
    /// Every lane runs the same operations as it would alone.
    fn series<const D: usize, const L: usize>(
        &self,
        ats: &[At],
        params: std::ops::Range<usize>,
        f: &mut [Vec<Vec<f64>>],
    ) {
        let p = self.param_dim;
        let m = self.transient.len();
        let lane = |l: usize| &ats[l.min(ats.len() - 1)];
        // `(b + c·θ)·scale` and its derivatives along the pass, per lane
        let dual = |w: &dyn Fn(&At) -> f64, coeffs: &[f64], scale: &dyn Fn(&At) -> f64| {
            let mut x = [[0.0; L]; D];
            let cs = &coeffs[params.clone()];
            let (value, partials) = x.split_at_mut(1);
            for (l, v) in value[0].iter_mut().enumerate() {
                let sc = scale(lane(l));
                *v = w(lane(l)) * sc;
                for (xj, c) in partials.iter_mut().zip(cs) {
                    xj[l] = c * sc;
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
            move_scaling: Scaling::new(thetas, inv, params.clone()),
            exits: &self.exits,
            exit_scaling: Scaling::new(thetas, [1.0; L], params.clone()),
            stay: (0..m)
                .map(|t| std::array::from_fn(|l| 1.0 - lane(l).rate[t] * inv[l]))
                .collect(),
            rate_partials: (0..m)
                .map(|t| {
                    let mut o = [0.0; D];
                    for (oj, q) in o.iter_mut().skip(1).zip(params.clone()) {
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
                let (ln_f, sum) = if self.discrete {
                    let v = lane_g(t as usize - 1);
                    (v[0].ln(), v)
                } else {
                    poisson_mix(at.lambda * t, &at.ln_fact, g_bound, self.tolerance, lane_g)
                };
                fi[0] = ln_f;
                for (fj, sj) in fi[1 + params.start..1 + params.end]
                    .iter_mut()
                    .zip(&sum[1..])
                {
                    *fj = sj / sum[0];
                }
            }
        }
    }
}

/// θs evaluated side by side by the batch methods.
pub const LANES: usize = 8;

/// Parameters whose derivatives one pass of the series carries.
const PASS: usize = 7;

/// θ-dependent quantities of one evaluation.
struct At {
    theta: Vec<f64>,
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
    /// `ln k!` for `k = 0..=steps` (continuous).
    ln_fact: Vec<f64>,
}

/// `acc += x` componentwise.
fn add<const D: usize, const L: usize>(acc: &mut [[f64; L]; D], x: &[[f64; L]; D]) {
    acc.iter_mut()
        .flatten()
        .zip(x.iter().flatten())
        .for_each(|(a, x)| *a += x);
}

/// `(ln Σ_k P(N = k)·g_k[0], Σ_k r_k·g_k)` for `N ~ Poisson(mean)`, where
/// `r_k` is `P(N = k)` relative to the mode's (in a unit that moves down
/// the left tail while nothing has been summed), so that densities far in
/// a tail keep their logarithm instead of underflowing. To the right of the
/// mode the sum stops when the remaining Poisson tail times `g_bound` (a
/// bound of `g_k[0]`) is below `tolerance` relative to the sum, or at the
/// end of the series (`ln_fact.len() − 1`, with `ln_fact[k] = ln k!`); to
/// the left when the weights are negligible next to the sum. The ratio of
/// a derivative component to component 0 of the sum is the score.
fn poisson_mix<const D: usize>(
    mean: f64,
    ln_fact: &[f64],
    g_bound: f64,
    tolerance: f64,
    g: impl Fn(usize) -> [f64; D],
) -> (f64, [f64; D]) {
    let last = ln_fact.len() - 1;
    let mut acc = [0.0; D];
    let add = |acc: &mut [f64; D], r: f64, k: usize| {
        for (a, gk) in acc.iter_mut().zip(g(k)) {
            *a += r * gk;
        }
    };
    if mean == 0.0 {
        add(&mut acc, 1.0, 0);
        return (acc[0].ln(), acc);
    }
    let mode = (mean.floor() as usize).min(last);
    let ln_p_mode = -mean + mode as f64 * mean.ln() - ln_fact[mode];
    add(&mut acc, 1.0, mode);
    let mut r = 1.0;
    for k in mode + 1..=last {
        r *= mean / k as f64;
        add(&mut acc, r, k);
        let kf = k as f64;
        if kf > mean
            && r * mean / (kf + 1.0) / (1.0 - mean / (kf + 2.0)) * g_bound <= tolerance * acc[0]
        {
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
    (ln_p_mode + shift + acc[0].ln(), acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mixtures_keep_tails_in_log_space() {
        let mut ln_fact = vec![0.0];
        for k in 1..6000 {
            ln_fact.push(ln_fact[k - 1] + (k as f64).ln());
        }
        for mean in [0.3, 1.0, 7.5, 120.0, 2500.0] {
            // g ≡ 1: the weights sum to one (up to the rounding of ln k!,
            // a sum of k logarithms)
            let (ln_total, _) = poisson_mix::<1>(mean, &ln_fact, 1.0, 1e-15, |_| [1.0]);
            assert!(
                ln_total.abs() < 1e-14 * mean.max(100.0),
                "mean {mean}: {ln_total}"
            );
            // g = [1 only at k = 0]: P(N = 0) = e^{-mean}, far below the mode's weight
            let (ln_p0, _) = poisson_mix::<1>(mean, &ln_fact, 1.0, 1e-15, |k| {
                [if k == 0 { 1.0 } else { 0.0 }]
            });
            assert!(
                (ln_p0 + mean).abs() < 1e-9 * mean.max(1.0),
                "mean {mean}: {ln_p0}"
            );
        }
        // the score is the weighted mean of the derivative component
        let (_, s) = poisson_mix::<2>(3.0, &ln_fact, 1.0, 1e-15, |k| [1.0, k as f64]);
        assert!((s[1] / s[0] - 3.0).abs() < 1e-12);
    }
}
