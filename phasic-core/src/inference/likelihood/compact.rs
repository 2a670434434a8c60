//! Building a likelihood: the observations checked, the transient
//! vertices compacted into CSR (targets compact or `EXIT`), the start's
//! edges, and the θ-free rows of the series ([`AffineRows`]: moves by
//! target, exits, rate coefficients) with the breadth-first frontier of
//! the start.

use super::affine_rows::AffineRows;
use crate::distribution::poisson::MAX_JUMPS;
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_times;

use super::{EXIT, Likelihood, Observations};

impl Likelihood {
    pub(super) fn build<G: GraphView + ?Sized>(
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
            moves: AffineRows::default(),
            exits: AffineRows::default(),
            out_coeffs: Vec::new(),
            frontier: Vec::new(),
            first_exit: 0,
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
    pub(super) fn link(&mut self) {
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
        let mut moves = AffineRows::default();
        for into in &incoming {
            moves.push_row(into.iter().flat_map(|&(e, u)| terms(e, u)));
        }
        let mut exits = AffineRows::default();
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
        self.first_exit = usize::MAX;
        let mut bound = 0;
        while !layer.is_empty() {
            let mut next = Vec::new();
            for &u in &layer {
                if seen[u] {
                    continue;
                }
                seen[u] = true;
                bound = bound.max(u + 1);
                if (self.offsets[u]..self.offsets[u + 1]).any(|e| self.targets[e] == EXIT) {
                    self.first_exit = self.first_exit.min(self.frontier.len());
                }
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
        if self.first_exit == usize::MAX {
            self.first_exit = 0;
        }
    }
}
