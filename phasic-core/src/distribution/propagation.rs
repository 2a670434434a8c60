//! The transient distribution of a homogeneous chain from any distribution
//! over its vertices, and its time integrals, by uniformization
//! (docs/ALGORITHMS.md §5.7).
//!
//! [`Uniformization`](super::Uniformization) follows a chain from its start
//! vertex and counts absorbed mass as a whole. A [`Propagator`] keeps the
//! mass of every vertex, absorbing ones included (they hold it), so that a
//! time-inhomogeneous chain made of homogeneous pieces — a demographic
//! history — hands the distribution at the end of one piece to the next.
//!
//! With `Λ ≥ max λ_v` and `p_{n+1} = p_n·(I + S/Λ)`, the distribution at
//! `s` is `P(s) = Σ_n π_n(Λs)·p_n` (`π_n` the Poisson probabilities), and
//!
//! `∫₀^h sⁱ π_n(Λs) ds = (n+1)⋯(n+i)/Λ^{i+1} · P(N(Λh) > n+i)`.
//!
//! The sum over `n` stops at the Poisson right end (tail below the
//! tolerance) or as soon as the mass on vertices that can move is below a
//! thousandth of it: that mass is dropped, the rest no longer changes, and
//! the rest of the weights goes to it in closed form, so a long piece in
//! which every lineage has coalesced costs a few jumps.

use crate::distribution::poisson::{MAX_JUMPS, weights as poisson_weights};
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_times;

/// A homogeneous chain prepared for [`Propagator::advance`].
///
/// ```
/// use phasic_core::{Graph, Initial, distribution::Propagator};
/// // [2] → [1] at rate 2, absorbing at [1]
/// let g = Graph::from_rule(&Initial::state(&[2]), |s, out| {
///     if s[0] > 1 { out.add(&[s[0] - 1], 2.0) }
/// }).unwrap();
/// let p = Propagator::new(&g, 1e-14).unwrap();
/// let out = p.advance(&[0.0, 1.0, 0.0], 0.0, 0.5, 2).unwrap();
/// let e = (-1.0f64).exp(); // P([2] at 0.5) = e^{-2·0.5}
/// assert!((out.end[1] - e).abs() < 1e-14);
/// assert!((out.end[2] - (1.0 - e)).abs() < 1e-14);
/// // ∫₀^½ e^{-2s} ds and ∫₀^½ s·e^{-2s} ds
/// assert!((out.integrals[0][1] - (1.0 - e) / 2.0).abs() < 1e-14);
/// assert!((out.integrals[1][1] - (1.0 - 2.0 * e) / 4.0).abs() < 1e-14);
/// ```
#[derive(Debug, Clone)]
pub struct Propagator {
    vertices: usize,
    tolerance: f64,
    lambda: f64,
    /// Out-edges of every vertex but the start, CSR: `(target, w/Λ)`.
    offsets: Vec<usize>,
    edges: Vec<(u32, f64)>,
    /// `1 − λ_v/Λ` (1 for absorbing vertices, which hold their mass).
    stay: Vec<f64>,
    /// The vertices with out-edges, other than the start.
    moving: Vec<u32>,
}

/// The result of [`Propagator::advance`] over `[a, a + h]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Propagated {
    /// `P(a + h)`, per vertex.
    pub end: Vec<f64>,
    /// `integrals[j][v] = ∫_a^{a+h} tʲ·P_v(t) dt`.
    pub integrals: Vec<Vec<f64>>,
}

impl Propagator {
    /// Prepares the chain of `graph` at its current weights; `tolerance`
    /// bounds the Poisson mass left out (the absolute error of each
    /// probability). The weights are checked like every algorithm's.
    pub fn new<G: GraphView + ?Sized>(graph: &G, tolerance: f64) -> Result<Self> {
        crate::validate::check_tolerance(tolerance)?;
        crate::validate::check_weights(graph)?;
        let n = graph.vertex_count();
        let rates: Vec<f64> = (0..n)
            .map(|v| if v == START { 0.0 } else { graph.rate(v) })
            .collect();
        let max_rate = rates.iter().copied().fold(0.0, f64::max);
        let lambda = if max_rate > 0.0 { max_rate } else { 1.0 };
        let (targets, weights) = (graph.targets(), graph.weights());
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut edges = Vec::new();
        let mut moving = Vec::new();
        for (v, &rate) in rates.iter().enumerate() {
            if v != START && rate > 0.0 {
                moving.push(v as u32);
                for e in graph.edge_range(v) {
                    if weights[e] > 0.0 {
                        edges.push((targets[e], weights[e] / lambda));
                    }
                }
            }
            offsets.push(edges.len());
        }
        Ok(Propagator {
            vertices: n,
            tolerance,
            lambda,
            offsets,
            edges,
            stay: rates.iter().map(|r| 1.0 - r / lambda).collect(),
            moving,
        })
    }

    /// The uniformization rate `Λ` (the largest total rate of a vertex).
    pub fn rate(&self) -> f64 {
        self.lambda
    }

    /// One uniformized jump `next = p·(I + S/Λ)` (vertices without mass skipped).
    fn jump(&self, p: &[f64], next: &mut [f64]) {
        next.fill(0.0);
        for (u, &pu) in p.iter().enumerate() {
            if pu == 0.0 {
                continue;
            }
            next[u] += pu * self.stay[u];
            for &(t, q) in &self.edges[self.offsets[u]..self.offsets[u + 1]] {
                next[t as usize] += pu * q;
            }
        }
    }

    /// Advances the distribution `p` (one entry per vertex, none on the
    /// start vertex, which takes no time) from time `from` for `duration`,
    /// returning `P(from + duration)` and the integrals
    /// `∫ tʲ·P(t) dt` over the piece for `j < powers`.
    ///
    /// Fails with [`Error::TooManyJumps`] where the piece needs more than a
    /// million jumps and mass still moves after them.
    pub fn advance(
        &self,
        p: &[f64],
        from: f64,
        duration: f64,
        powers: usize,
    ) -> Result<Propagated> {
        self.check_entry(p)?;
        check_times(&[from, duration])?;
        let mut lanes = self.run(vec![p.to_vec()], &[], duration, powers)?;
        let sums = lanes.pop().expect("one lane");
        Ok(Propagated {
            end: sums.end,
            integrals: shift(&sums.integrals, from),
        })
    }

    /// [`advance`](Self::advance) over `[0, duration]` with `powers = 1`
    /// (`P(h)` and `∫₀^h P`), and their derivatives along each direction
    /// of `tangents`, exactly: with `Λ` held fixed (the uniformized series
    /// is the same function of the generator for any `Λ` above the rates),
    /// `p_{n+1} = p_n(I + S/Λ)` has the tangent
    /// `ṗ_{n+1} = ṗ_n(I + S/Λ) + p_n·Ṡ/Λ`, summed with the same Poisson
    /// weights; the duration's derivative adds the flux `ḣ·P(h)·S` to the
    /// end and `ḣ·P(h)` to the integral (docs/ALGORITHMS.md §5.8).
    ///
    /// `graph` is the graph the propagator was made from.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, distribution::{Propagator, Tangents}};
    /// // [1] → absorbed at rate r = 2: P_1(h) = e^{−rh}, ∫₀^h P_1 = (1 − e^{−rh})/r
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
    ///     if s[0] == 1 { out.add(&[0], 2.0) }
    /// }).unwrap();
    /// let prop = Propagator::new(&g, 1e-15).unwrap();
    /// // directions: d/dr (the edge weight), d/dh
    /// let t = Tangents {
    ///     entry: vec![vec![0.0; 3]; 2],
    ///     weights: vec![vec![0.0, 1.0], vec![0.0, 0.0]],
    ///     duration: vec![0.0, 1.0],
    /// };
    /// let (value, d) = prop.advance_tangents(&g, &[0.0, 1.0, 0.0], 0.5, &t).unwrap();
    /// let (r, h) = (2.0f64, 0.5f64);
    /// let e = (-r * h).exp();
    /// assert!((value.end[1] - e).abs() < 1e-15);
    /// assert!((d[0].end[1] - (-h * e)).abs() < 1e-14);
    /// assert!((d[1].end[1] - (-r * e)).abs() < 1e-14);
    /// // ∂/∂r (1 − e^{−rh})/r = h·e^{−rh}/r − (1 − e^{−rh})/r²
    /// let want = h * e / r - (1.0 - e) / (r * r);
    /// assert!((d[0].integrals[0][1] - want).abs() < 1e-14);
    /// assert!((d[1].integrals[0][1] - e).abs() < 1e-15);
    /// ```
    pub fn advance_tangents<G: GraphView + ?Sized>(
        &self,
        graph: &G,
        p: &[f64],
        duration: f64,
        tangents: &Tangents,
    ) -> Result<(Propagated, Vec<Propagated>)> {
        self.check_entry(p)?;
        check_times(&[duration])?;
        let directions = tangents.entry.len();
        if tangents.weights.len() != directions || tangents.duration.len() != directions {
            return Err(Error::InvalidSetting {
                name: "tangent directions",
                value: directions as f64,
                reason: "entry, weight and duration tangents must have one entry per direction",
            });
        }
        if graph.vertex_count() != self.vertices {
            return Err(Error::RewardLength {
                expected: self.vertices,
                got: graph.vertex_count(),
            });
        }
        let edges = graph.targets().len();
        let mut lanes = vec![p.to_vec()];
        let mut cross = Vec::with_capacity(directions);
        for k in 0..directions {
            self.check_entry(&tangents.entry[k])?;
            if tangents.weights[k].len() != edges {
                return Err(Error::RewardLength {
                    expected: edges,
                    got: tangents.weights[k].len(),
                });
            }
            lanes.push(tangents.entry[k].clone());
            cross.push(Cross::new(graph, &tangents.weights[k], self.lambda));
        }
        let mut sums = self.run(lanes, &cross, duration, 1)?;
        let mut rest = sums.split_off(1);
        let value = sums.pop().expect("the distribution's lane");
        // the flux at the end: P(h)·S = Λ·(P(h)(I + S/Λ) − P(h))
        let mut flux = vec![0.0; self.vertices];
        self.jump(&value.end, &mut flux);
        for (f, e) in flux.iter_mut().zip(&value.end) {
            *f = self.lambda * (*f - e);
        }
        for (lane, &dh) in rest.iter_mut().zip(&tangents.duration) {
            if dh != 0.0 {
                add_scaled(&mut lane.end, dh, &flux);
                add_scaled(&mut lane.integrals[0], dh, &value.end);
            }
        }
        Ok((value, rest))
    }

    /// Checks an entry distribution: one finite value per vertex, none on the start.
    fn check_entry(&self, p: &[f64]) -> Result<()> {
        if p.len() != self.vertices {
            return Err(Error::RewardLength {
                expected: self.vertices,
                got: p.len(),
            });
        }
        if let Some(v) = p.iter().position(|x| !x.is_finite()) {
            return Err(Error::NonFinite {
                what: "the distribution to propagate",
                vertex: v,
            });
        }
        if p[START] != 0.0 {
            return Err(Error::InvalidSetting {
                name: "mass on the start vertex",
                value: p[START],
                reason: "the start vertex takes no time: put the mass on the states it leads to",
            });
        }
        Ok(())
    }

    /// The sums over the jumps of every lane: lane 0 is the distribution,
    /// lane `k + 1` its tangent along `cross[k]`. The sums stop when the
    /// chain stops moving (or at the Poisson right end); what the Poisson
    /// weights have not given out goes to the lanes' last states.
    fn run(
        &self,
        mut lanes: Vec<Vec<f64>>,
        cross: &[Cross],
        h: f64,
        powers: usize,
    ) -> Result<Vec<Propagated>> {
        let mean = self.lambda * h;
        let (w, complete) = poisson_weights(mean, self.tolerance, MAX_JUMPS);
        let tail = upper_tails(&w, complete, powers);
        let last = w.len() - 1;
        let n_vertices = self.vertices;
        let negligible = self.tolerance * 1e-3;
        let drop_below = negligible / ((last + 1) as f64 * n_vertices.max(1) as f64);
        // a tangent lane is negligible relative to the largest mass it had
        let mut scale: Vec<f64> = lanes.iter().map(|_| 0.0).collect();
        scale[0] = 1.0;
        for (s, lane) in scale.iter_mut().zip(&lanes).skip(1) {
            *s = lane.iter().map(|x| x.abs()).sum();
        }
        let mut next = vec![0.0; n_vertices];
        let mut sums: Vec<Propagated> = lanes
            .iter()
            .map(|_| Propagated {
                end: vec![0.0; n_vertices],
                integrals: vec![vec![0.0; n_vertices]; powers],
            })
            .collect();
        // the Poisson weight given out so far, to the end and to each integral
        let mut given_end = 0.0;
        let mut given_integrals = vec![0.0; powers];
        let mut n = 0;
        let stationary = loop {
            let moving = |x: &[f64]| {
                self.moving
                    .iter()
                    .map(|&v| x[v as usize].abs())
                    .sum::<f64>()
            };
            if lanes
                .iter()
                .zip(&scale)
                .all(|(lane, s)| moving(lane) < negligible * s.max(f64::MIN_POSITIVE))
            {
                break true;
            }
            if n == last {
                break false;
            }
            if w[n] != 0.0 {
                for (sum, lane) in sums.iter_mut().zip(&lanes) {
                    add_scaled(&mut sum.end, w[n], lane);
                }
                given_end += w[n];
            }
            // (n+1)⋯(n+i)/Λ^{i+1}·P(N > n+i), built up over i
            let mut factor = 1.0 / self.lambda;
            for i in 0..powers {
                if i > 0 {
                    factor *= (n + i) as f64 / self.lambda;
                }
                let c = factor * tail[n + i + 1];
                for (sum, lane) in sums.iter_mut().zip(&lanes) {
                    add_scaled(&mut sum.integrals[i], c, lane);
                }
                given_integrals[i] += c;
            }
            // tangents first: their cross terms read this jump's distribution
            for k in (0..lanes.len()).rev() {
                self.jump(&lanes[k], &mut next);
                if k > 0 {
                    cross[k - 1].add(&lanes[0], &mut next);
                }
                let threshold = drop_below * scale[k];
                let mut mass = 0.0;
                for x in next.iter_mut() {
                    if x.abs() < threshold {
                        *x = 0.0;
                    }
                    mass += x.abs();
                }
                if k > 0 {
                    scale[k] = scale[k].max(mass);
                }
                std::mem::swap(&mut lanes[k], &mut next);
            }
            n += 1;
        };
        if !stationary && !complete {
            return Err(Error::TooManyJumps {
                time: h,
                lambda: self.lambda,
            });
        }
        if stationary {
            // the little mass still moving would be given the rest of the
            // piece, which may be long: it is dropped instead (at most a
            // thousandth of the tolerance, and the time it has left)
            for lane in &mut lanes {
                for &v in &self.moving {
                    lane[v as usize] = 0.0;
                }
            }
        }
        // what the sums have not given out goes to p_N: 1 − Σ π_n in all,
        // and ∫₀^h sⁱ ds − Σ_n ∫₀^h sⁱ π_n(Λs) ds
        let rest_end = 1.0 - given_end;
        let rest: Vec<f64> = (0..powers)
            .map(|i| h.powi(i as i32 + 1) / (i + 1) as f64 - given_integrals[i])
            .collect();
        for (sum, lane) in sums.iter_mut().zip(&lanes) {
            add_scaled(&mut sum.end, rest_end, lane);
            for (int, &r) in sum.integrals.iter_mut().zip(&rest) {
                add_scaled(int, r, lane);
            }
        }
        Ok(sums)
    }
}

/// The derivatives of the edge weights along one direction, scaled by
/// `1/Λ`: the term `p·Ṡ/Λ` of a tangent's jump.
#[derive(Debug)]
struct Cross {
    /// `(from, to, ẇ/Λ)` for every edge whose weight moves.
    edges: Vec<(u32, u32, f64)>,
    /// `(v, λ̇_v/Λ)`: the derivative of each vertex's total rate.
    out: Vec<(u32, f64)>,
}

impl Cross {
    fn new<G: GraphView + ?Sized>(graph: &G, dw: &[f64], lambda: f64) -> Cross {
        let targets = graph.targets();
        let mut edges = Vec::new();
        let mut out = Vec::new();
        for v in (0..graph.vertex_count()).filter(|&v| v != START) {
            let mut total = 0.0;
            for e in graph.edge_range(v) {
                if dw[e] != 0.0 {
                    edges.push((v as u32, targets[e], dw[e] / lambda));
                    total += dw[e];
                }
            }
            if total != 0.0 {
                out.push((v as u32, total / lambda));
            }
        }
        Cross { edges, out }
    }

    /// `next += p·Ṡ/Λ`.
    fn add(&self, p: &[f64], next: &mut [f64]) {
        for &(u, t, q) in &self.edges {
            next[t as usize] += p[u as usize] * q;
        }
        for &(u, q) in &self.out {
            next[u as usize] -= p[u as usize] * q;
        }
    }
}

/// The derivatives that [`Propagator::advance_tangents`] carries, one
/// entry per direction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tangents {
    /// The derivative of the entry distribution (signed; none on the start).
    pub entry: Vec<Vec<f64>>,
    /// The derivative of every edge weight, in the graph's edge order.
    pub weights: Vec<Vec<f64>>,
    /// The derivative of the piece's duration.
    pub duration: Vec<f64>,
}

/// `acc += c·x`.
fn add_scaled(acc: &mut [f64], c: f64, x: &[f64]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a += c * v;
    }
}

/// `P(N ≥ m)` for `m = 0..len + powers + 1` from the Poisson weights `w`
/// (`P(N = k)`, `k ≤ K`): summed from the top when the weights are
/// complete (the tail past `K` is below the tolerance), else from the
/// bottom (`1 − P(N < m)`, accurate there since `m` is far below the mean).
fn upper_tails(w: &[f64], complete: bool, powers: usize) -> Vec<f64> {
    let len = w.len() + powers + 2;
    let mut tail = vec![0.0; len];
    if complete {
        for m in (0..w.len()).rev() {
            tail[m] = tail[m + 1] + w[m];
        }
    } else {
        let mut below = 0.0f64;
        for (m, t) in tail.iter_mut().enumerate() {
            *t = (1.0 - below).max(0.0);
            below += w.get(m).copied().unwrap_or(0.0);
        }
    }
    tail
}

/// `∫_a^{a+h} tʲ P dt = Σ_{i ≤ j} C(j, i)·a^{j−i}·∫₀^h sⁱ P(a+s) ds`.
fn shift(local: &[Vec<f64>], a: f64) -> Vec<Vec<f64>> {
    (0..local.len())
        .map(|j| {
            let mut out = vec![0.0; local.first().map_or(0, Vec::len)];
            let mut binom = 1.0;
            for i in (0..=j).rev() {
                // C(j, i) for i = j, j−1, …
                add_scaled(&mut out, binom * a.powi((j - i) as i32), &local[i]);
                binom = binom * i as f64 / (j - i + 1) as f64;
            }
            out
        })
        .collect()
}
