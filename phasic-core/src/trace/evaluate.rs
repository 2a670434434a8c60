//! Evaluating a trace at θ: expected accumulated rewards for one θ or
//! many (lanes of [`LANES`] θs side by side, each bit-identical to its
//! single evaluation), the elimination program at θ, and the errors that
//! name the vertex whose values are unusable at θ.

use rayon::prelude::*;

use super::{Block, Trace};
use crate::elimination::program::{Command, Program};
use crate::error::{Error, Result};
use crate::graph::csr::{START, weight};
use crate::trace::component::{Unusable, UnusableVertex};
use crate::validate::check_rewards;
use crate::validate::check_theta;

/// θs evaluated together by [`Trace::expectations`] (lanes of one chunk).
const LANES: usize = 8;
/// Reachability at the θ of each lane, computed when first needed (only
/// on the rare path where some value at θ is unusable).
#[derive(Default)]
struct LaneReachability(Vec<Option<Vec<bool>>>);

impl LaneReachability {
    fn get(&mut self, trace: &Trace, lane: usize, theta: &[f64]) -> &[bool] {
        if self.0.len() <= lane {
            self.0.resize(lane + 1, None);
        }
        self.0[lane].get_or_insert_with(|| trace.reachable(theta))
    }

    /// Whether values unusable for `why` at `positions` may be ignored at
    /// this lane's θ: a zero rate or a class with no way out that the start
    /// cannot reach at θ (direct elimination prunes it too). Negative
    /// weights and overflow are errors wherever they are.
    fn ignorable(
        &mut self,
        trace: &Trace,
        lane: usize,
        theta: &[f64],
        why: Unusable,
        positions: std::ops::Range<usize>,
    ) -> bool {
        matches!(why, Unusable::ZeroRate | Unusable::Closed)
            && !self.get(trace, lane, theta)[positions].contains(&true)
    }
}

/// Why a single position's lowest weight and total rate are unusable, if they are.
fn single_why(lowest: f64, rate: f64) -> Option<Unusable> {
    if lowest < 0.0 {
        Some(Unusable::NegativeWeight {
            target: 0,
            weight: lowest,
        })
    } else if rate == 0.0 {
        Some(Unusable::ZeroRate)
    } else if !(rate.is_finite() && rate > 0.0) {
        Some(Unusable::NonFiniteRate)
    } else {
        None
    }
}

impl Trace {
    /// The state of the vertex at position `i`.
    fn state_at(&self, i: usize) -> Vec<i32> {
        let v = self.order[i] as usize;
        self.states[v * self.state_len..(v + 1) * self.state_len].to_vec()
    }

    /// The error for position `i` whose values are unusable at θ
    /// (`target`: the position an offending edge leads to).
    fn unusable(&self, i: usize, why: Unusable, target: usize) -> Error {
        let vertex = self.order[i] as usize;
        match why {
            Unusable::ZeroRate => Error::ZeroRate {
                vertex,
                state: self.state_at(i),
            },
            Unusable::NonFiniteRate => Error::NonFinite {
                what: "total rate",
                vertex,
            },
            Unusable::Closed => Error::NoPathToAbsorption {
                vertex,
                state: self.state_at(i),
            },
            Unusable::NegativeWeight { weight, .. } => Error::InvalidWeight {
                from: vertex,
                from_state: self.state_at(i),
                to_state: self.state_at(target),
                weight,
            },
        }
    }

    /// The error at single position `i`, whose weights or rates are
    /// unusable in some lane: the first negative weight, else the rate.
    #[cold]
    fn single_error<const L: usize>(&self, i: usize, tt: &[f64], rates: &[f64; L]) -> Error {
        let p = self.param_dim;
        for e in self.offsets[i]..self.offsets[i + 1] {
            for l in 0..L {
                let w = self.coeffs[e * p..(e + 1) * p]
                    .iter()
                    .enumerate()
                    .fold(self.base[e], |s, (k, c)| s + c * tt[k * L + l]);
                if w < 0.0 {
                    let why = Unusable::NegativeWeight {
                        target: 0,
                        weight: w,
                    };
                    return self.unusable(i, why, self.targets[e] as usize);
                }
            }
        }
        let why = if rates.contains(&0.0) {
            Unusable::ZeroRate
        } else {
            Unusable::NonFiniteRate
        };
        self.unusable(i, why, i)
    }

    /// Whether the lowest weights and the rates of a single position are usable.
    fn usable<const L: usize>(lowest: &[f64; L], rates: &[f64; L]) -> bool {
        lowest
            .iter()
            .zip(rates)
            .all(|(w, r)| single_why(*w, *r).is_none())
    }

    /// The error for a component at positions `s..` whose local vertex is bad.
    fn component_error(&self, s: usize, size: usize, exits: &[u32], bad: UnusableVertex) -> Error {
        let target = match bad.why {
            Unusable::NegativeWeight { target, .. } if target >= size => {
                exits[target - size] as usize
            }
            Unusable::NegativeWeight { target, .. } => s + target,
            _ => s + bad.vertex,
        };
        self.unusable(s + bad.vertex, bad.why, target)
    }

    /// `tt[k·L + l] = θ_l[k]`; lanes beyond `thetas` repeat the last θ.
    fn transpose<const L: usize>(&self, thetas: &[&[f64]]) -> Vec<f64> {
        let p = self.param_dim;
        let mut tt = vec![0.0; p * L];
        for l in 0..L {
            let t = thetas[l.min(thetas.len() - 1)];
            for k in 0..p {
                tt[k * L + l] = t[k];
            }
        }
        tt
    }

    /// The total rate, the weighted sum `Σ w·x[t]` and the lowest weight
    /// of single position `i` for `L` θs (`x` in position space, `L`
    /// values per position).
    #[inline]
    fn single<const L: usize>(
        &self,
        i: usize,
        tt: &[f64],
        x: &[f64],
    ) -> ([f64; L], [f64; L], [f64; L]) {
        let p = self.param_dim;
        let (mut rate, mut acc, mut lowest) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
        for e in self.offsets[i]..self.offsets[i + 1] {
            let t = self.targets[e] as usize;
            let mut w = [self.base[e]; L];
            for (c, tk) in self.coeffs[e * p..(e + 1) * p]
                .iter()
                .zip(tt.chunks_exact(L))
            {
                for l in 0..L {
                    w[l] += c * tk[l];
                }
            }
            let xt = &x[t * L..(t + 1) * L];
            for l in 0..L {
                rate[l] += w[l];
                acc[l] += w[l] * xt[l];
                lowest[l] = lowest[l].min(w[l]);
            }
        }
        (rate, acc, lowest)
    }

    /// `E[Y]` for `L` θs at once (structure of arrays). `rp` holds the
    /// rewards in position space. Every lane runs the same operations, so
    /// a θ's result does not depend on its lane or on `L`.
    fn expect_lanes<const L: usize>(&self, thetas: &[&[f64]], rp: &[f64]) -> Result<[f64; L]> {
        let tt = self.transpose::<L>(thetas);
        let lane_theta = |l: usize| thetas[l.min(thetas.len() - 1)];
        let start = self.pos[START] as usize;
        let mut x = vec![0.0f64; self.order.len() * L];
        let mut reach = LaneReachability::default();
        for block in self.blocks.iter().rev() {
            match *block {
                Block::Singles { a, b } => {
                    for i in (a..b).rev() {
                        let (rate, acc, lowest) = self.single::<L>(i, &tt, &x);
                        let mut off = [false; L];
                        if !Self::usable(&lowest, &rate) {
                            // a zero rate the start cannot reach at θ is
                            // irrelevant; anything else is an error
                            for l in 0..L {
                                match single_why(lowest[l], rate[l]) {
                                    None => {}
                                    Some(why)
                                        if reach.ignorable(
                                            self,
                                            l,
                                            lane_theta(l),
                                            why,
                                            i..i + 1,
                                        ) =>
                                    {
                                        off[l] = true
                                    }
                                    Some(_) => return Err(self.single_error(i, &tt, &rate)),
                                }
                            }
                        }
                        let r = if i == start { 0.0 } else { rp[i] };
                        for l in 0..L {
                            x[i * L + l] = if off[l] { 0.0 } else { (r + acc[l]) / rate[l] };
                        }
                    }
                }
                Block::Component {
                    start: s,
                    size,
                    trace,
                    ref exits,
                } => {
                    let ct = &self.components[trace];
                    let vals = ct.values::<L>(&tt);
                    let mut off = [false; L];
                    if let Some(bad) = ct.check::<L>(&vals, 0..L) {
                        for (l, off_l) in off.iter_mut().enumerate() {
                            let Some(bad) = ct.check::<L>(&vals, l..l + 1) else {
                                continue;
                            };
                            if reach.ignorable(self, l, lane_theta(l), bad.why, s..s + size) {
                                *off_l = true;
                            } else {
                                return Err(self.component_error(s, size, exits, bad));
                            }
                        }
                        debug_assert!(off.contains(&true), "{bad:?} in no single lane");
                    }
                    let ex: Vec<f64> = exits
                        .iter()
                        .flat_map(|&t| x[t as usize * L..(t as usize + 1) * L].to_vec())
                        .collect();
                    let y = &mut x[s * L..(s + size) * L];
                    for (yj, &r) in y.chunks_exact_mut(L).zip(&rp[s..s + size]) {
                        yj.fill(r);
                    }
                    ct.apply::<L>(&vals, y, &ex);
                    for yj in y.chunks_exact_mut(L) {
                        for l in (0..L).filter(|&l| off[l]) {
                            yj[l] = 0.0;
                        }
                    }
                }
            }
        }
        let mut out = [0.0; L];
        out.copy_from_slice(&x[start * L..(start + 1) * L]);
        Ok(out)
    }

    /// The edges `(target position, weight)` of position `i` at θ.
    fn edges_at(&self, i: usize, theta: &[f64]) -> Vec<(usize, f64)> {
        let p = self.param_dim;
        let k = self.blocks.partition_point(|b| b.start() <= i);
        match k.checked_sub(1).map(|k| &self.blocks[k]) {
            Some(Block::Component {
                start: s,
                size,
                trace,
                exits,
            }) if i < s + size => self.components[*trace]
                .edges(i - s, theta)
                .map(|(t, w)| {
                    let t = if t < *size {
                        s + t
                    } else {
                        exits[t - size] as usize
                    };
                    (t, w)
                })
                .collect(),
            _ => (self.offsets[i]..self.offsets[i + 1])
                .map(|e| {
                    let w = weight(self.base[e], &self.coeffs[e * p..(e + 1) * p], theta);
                    (self.targets[e] as usize, w)
                })
                .collect(),
        }
    }

    /// The positions the start reaches at θ (along edges of positive weight).
    fn reachable(&self, theta: &[f64]) -> Vec<bool> {
        let start = self.pos[START] as usize;
        let mut seen = vec![false; self.order.len()];
        seen[start] = true;
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for (t, w) in self.edges_at(i, theta) {
                if w > 0.0 && !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        seen
    }

    /// Rewards in position space (ones if `None`).
    fn rewards(&self, rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        match rewards {
            Some(r) => {
                check_rewards(r, self.pos.len())?;
                Ok(self.order.iter().map(|&v| r[v as usize]).collect())
            }
            None => Ok(vec![1.0; self.order.len()]),
        }
    }

    /// `E[Y]` at θ (`Y` = absorption time when `rewards` is `None`).
    ///
    /// Errors: θ of the wrong length or not finite; a vertex whose total
    /// rate is zero or not finite at θ, or a component left with no way
    /// out at θ (all named).
    pub fn expectation(&self, theta: &[f64], rewards: Option<&[f64]>) -> Result<f64> {
        check_theta(theta, self.param_dim)?;
        Ok(self.expect_lanes::<1>(&[theta], &self.rewards(rewards)?)?[0])
    }

    /// `E[Y]` for every θ of `thetas`, in order: chunks of θs evaluated
    /// lane by lane (structure of arrays), chunks in parallel. Each value
    /// is bit-identical to [`expectation`](Self::expectation) at its θ,
    /// whatever the thread count.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, trace::Trace};
    /// // Kingman n = 4 with coalescence scale θ: E[T] = 1.5/θ
    /// let g = Graph::from_rule_with_params(&Initial::state(&[4]), 1, |s, out| {
    ///     let k = s[0];
    ///     if k > 1 { out.add_param(&[k - 1], 0.0, &[f64::from(k * (k - 1)) / 2.0]) }
    /// }).unwrap();
    /// let trace = Trace::record(&g).unwrap();
    /// let e = trace.expectations(&[vec![1.0], vec![0.5], vec![3.0]], None).unwrap();
    /// for (e, theta) in e.iter().zip([1.0, 0.5, 3.0]) {
    ///     assert!((e - 1.5 / theta).abs() < 1e-14);
    /// }
    /// ```
    pub fn expectations(&self, thetas: &[Vec<f64>], rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        for t in thetas {
            check_theta(t, self.param_dim)?;
        }
        let rp = self.rewards(rewards)?;
        let chunks = thetas
            .par_chunks(LANES)
            .map(|c| {
                let refs: Vec<&[f64]> = c.iter().map(Vec::as_slice).collect();
                Ok(self.expect_lanes::<LANES>(&refs, &rp)?[..c.len()].to_vec())
            })
            .collect::<Result<Vec<Vec<f64>>>>()?;
        Ok(chunks.concat())
    }

    /// The numeric elimination program at θ, equal (up to rounding) to
    /// [`Program::new`] on the graph with these weights, without redoing
    /// the sweep. Errors as for [`expectation`](Self::expectation).
    /// Vertices the start cannot reach at θ whose rate is zero or whose
    /// component has no way out get NaN, as excluded vertices do.
    pub fn program(&self, theta: &[f64]) -> Result<Program> {
        check_theta(theta, self.param_dim)?;
        let tt = self.transpose::<1>(&[theta]);
        let m = self.order.len();
        let start = self.pos[START] as usize;
        let mut scale = vec![0.0; m];
        let mut elim = Vec::new();
        let mut dag_offsets = Vec::with_capacity(m + 1);
        dag_offsets.push(0);
        let mut dag = Vec::new();
        let mut reach = LaneReachability::default();
        let p = self.param_dim;
        for block in &self.blocks {
            match *block {
                Block::Singles { a, b } => {
                    for (i, scale_i) in scale.iter_mut().enumerate().take(b).skip(a) {
                        let edges = self.offsets[i]..self.offsets[i + 1];
                        let w: Vec<f64> = edges
                            .clone()
                            .map(|e| weight(self.base[e], &self.coeffs[e * p..(e + 1) * p], theta))
                            .collect();
                        let rate: f64 = w.iter().sum();
                        let lowest = w.iter().fold(0.0f64, |a, b| a.min(*b));
                        if let Some(why) = single_why(lowest, rate) {
                            if reach.ignorable(self, 0, theta, why, i..i + 1) {
                                *scale_i = f64::NAN;
                                dag_offsets.push(dag.len());
                                continue;
                            }
                            return Err(self.single_error(i, &tt, &[rate]));
                        }
                        let inv = 1.0 / rate;
                        if i != start {
                            *scale_i = inv;
                        }
                        // zero-weight edges are left out, as `Program::new` does
                        dag.extend(
                            self.targets[edges]
                                .iter()
                                .zip(&w)
                                .filter(|(_, w)| **w > 0.0)
                                .map(|(&t, w)| (t, w * inv)),
                        );
                        dag_offsets.push(dag.len());
                    }
                }
                Block::Component {
                    start: s,
                    size,
                    trace,
                    ref exits,
                } => {
                    let ct = &self.components[trace];
                    let vals = ct.values::<1>(&tt);
                    if let Some(bad) = ct.check::<1>(&vals, 0..1) {
                        if reach.ignorable(self, 0, theta, bad.why, s..s + size) {
                            scale[s..s + size].fill(f64::NAN);
                            dag_offsets.extend(std::iter::repeat_n(dag.len(), size));
                            continue;
                        }
                        return Err(self.component_error(s, size, exits, bad));
                    }
                    scale[s..s + size]
                        .iter_mut()
                        .zip(ct.scale(&vals))
                        .for_each(|(a, b)| *a = b);
                    let at = |v: u32| v + s as u32;
                    elim.extend(ct.commands(&vals).filter_map(|c| match c {
                        Command::Scale { v, m } => Some(Command::Scale { v: at(v), m }),
                        Command::AddScaled { m: 0.0, .. } => None,
                        Command::AddScaled { v, u, m } => Some(Command::AddScaled {
                            v: at(v),
                            u: at(u),
                            m,
                        }),
                    }));
                    for j in 0..size {
                        dag.extend(ct.children(&vals, j).filter(|&(_, q)| q > 0.0).map(
                            |(t, q)| {
                                let t = t as usize;
                                let t = if t < size {
                                    at(t as u32)
                                } else {
                                    exits[t - size]
                                };
                                (t, q)
                            },
                        ));
                        dag_offsets.push(dag.len());
                    }
                }
            }
        }
        dag_offsets.resize(m + 1, dag.len());
        Ok(Program::explicit(
            self.order.clone(),
            self.pos.clone(),
            scale,
            elim,
            dag_offsets.into(),
            dag,
            self.edges,
        ))
    }
}
