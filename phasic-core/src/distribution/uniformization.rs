//! Exact density and distribution function by uniformization
//! (docs/ALGORITHMS.md §5.3, done right).
//!
//! With `Λ ≥ max λ_v` and `P = I + S/Λ`, the state distribution at time `t`
//! is `Σ_k Pois(k; Λt)·α Pᵏ`. One forward pass over `k` serves every time
//! point: per jump `k` it records the absorbed mass `A_k` and the
//! absorption flux `φ_k = Σ_v p_k[v]·exit_v`; then
//! `F(t) = Σ_k Pois(k; Λt) A_k` and `f(t) = Σ_k Pois(k; Λt) φ_k`.
//! The sum over `k` stops where the Poisson tail is below the tolerance,
//! so the absolute error of `F` is at most the tolerance. The initial
//! distribution is applied at time 0 (the start vertex takes no time).

use rayon::prelude::*;

use crate::distribution::poisson::MAX_JUMPS;
use crate::distribution::poisson::{right_end, weights as poisson_weights};
use crate::distribution::stepping::Forward;
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_times;

/// Default absolute error bound on the distribution function.
pub const DEFAULT_TOLERANCE: f64 = 1e-12;

/// The uniformized chain of a continuous graph, ready for many time points.
///
/// ```
/// use phasic_core::{Graph, Initial, distribution::Uniformization};
/// // Erlang(3, 2) (docs/ALGORITHMS.md §9.2): f(1) = 0.5413411329…, F(1) = 0.3233235838…
/// let g = Graph::from_rule(&Initial::state(&[3]), |s, out| {
///     if s[0] > 0 { out.add(&[s[0] - 1], 2.0) }
/// }).unwrap();
/// let u = Uniformization::new(&g, 1e-13).unwrap();
/// let (pdf, cdf) = u.pdf_cdf(&[1.0]).unwrap();
/// assert!((pdf[0] - 0.5413411329464508).abs() < 1e-13);
/// assert!((cdf[0] - 0.3233235838169366).abs() < 1e-13);
/// ```
#[derive(Debug, Clone)]
pub struct Uniformization {
    /// Number of vertices of the graph.
    vertices: usize,
    tolerance: f64,
    lambda: f64,
    /// Compact index → vertex, for the transient vertices.
    transient: Vec<u32>,
    /// Out-edges among transient vertices, CSR by compact source:
    /// `(compact target, w/Λ)`.
    out_offsets: Vec<usize>,
    out_edges: Vec<(u32, f64)>,
    /// `1 − λ_v/Λ`.
    stay: Vec<f64>,
    /// Rate into absorbing vertices.
    exit: Vec<f64>,
    /// Initial mass per compact index, and the defect.
    alpha: Vec<f64>,
    defect: f64,
}

impl Uniformization {
    /// Prepares `graph`; `tolerance` bounds the absolute error of the cdf.
    pub fn new<G: GraphView + ?Sized>(graph: &G, tolerance: f64) -> Result<Self> {
        crate::validate::check_tolerance(tolerance)?;
        // validates weights (finite, non-negative) like every algorithm
        crate::validate::check_weights(graph)?;
        let n = graph.vertex_count();
        let targets = graph.targets();
        let weights = graph.weights();
        let transient: Vec<u32> = (1..n as u32)
            .filter(|&v| !graph.is_absorbing(v as usize))
            .collect();
        let mut compact = vec![u32::MAX; n];
        for (i, &v) in transient.iter().enumerate() {
            compact[v as usize] = i as u32;
        }
        let rates: Vec<f64> = transient.iter().map(|&v| graph.rate(v as usize)).collect();
        let max_rate = rates.iter().copied().fold(0.0, f64::max);
        let lambda = if max_rate > 0.0 { max_rate } else { 1.0 };
        let m = transient.len();
        let mut out_offsets = Vec::with_capacity(m + 1);
        out_offsets.push(0);
        let mut out_edges = Vec::new();
        let mut exit = vec![0.0; m];
        for (i, &v) in transient.iter().enumerate() {
            for e in graph.edge_range(v as usize) {
                match compact[targets[e] as usize] {
                    u32::MAX => exit[i] += weights[e],
                    t => out_edges.push((t, weights[e] / lambda)),
                }
            }
            out_offsets.push(out_edges.len());
        }
        let start = Forward::start(graph);
        let alpha = transient.iter().map(|&v| start.p[v as usize]).collect();
        Ok(Uniformization {
            vertices: n,
            tolerance,
            lambda,
            stay: rates.iter().map(|r| 1.0 - r / lambda).collect(),
            transient,
            out_offsets,
            out_edges,
            exit,
            alpha,
            defect: start.absorbed,
        })
    }

    /// The uniformization rate `Λ` (the largest total rate of a transient vertex).
    pub fn rate(&self) -> f64 {
        self.lambda
    }

    /// One uniformized jump, `next = p·P` on the transient vertices,
    /// pushing mass from the vertices that hold any (in a fixed order).
    fn jump(&self, p: &[f64], next: &mut [f64]) {
        next.fill(0.0);
        for (u, &pu) in p.iter().enumerate() {
            if pu == 0.0 {
                continue;
            }
            next[u] += pu * self.stay[u];
            for &(t, q) in &self.out_edges[self.out_offsets[u]..self.out_offsets[u + 1]] {
                next[t as usize] += pu * q;
            }
        }
    }

    /// Runs `jumps + 1` states `p_0 … p_jumps` through `visit(k, p_k, A_k, φ_k)`;
    /// stops early once the transient mass is negligible (returning the
    /// number of states visited).
    ///
    /// Masses below a threshold are dropped so that vertices the chain has
    /// left cost nothing; the threshold is chosen so that all mass dropped
    /// over the run stays below a thousandth of the tolerance (divided by `Λ`,
    /// which bounds its effect on the density too).
    fn run(&self, jumps: usize, mut visit: impl FnMut(usize, &[f64], f64, f64)) -> usize {
        let mut p = self.alpha.clone();
        let mut next = vec![0.0; p.len()];
        let mut absorbed = self.defect;
        let negligible = self.tolerance * 1e-3 / self.lambda.max(1.0);
        let drop_below = negligible / ((jumps + 1) as f64 * p.len().max(1) as f64);
        for k in 0..=jumps {
            let flux: f64 = p.iter().zip(&self.exit).map(|(a, b)| a * b).sum();
            visit(k, &p, absorbed, flux);
            let mass: f64 = p.iter().sum();
            if mass < negligible {
                return k + 1;
            }
            absorbed += flux / self.lambda;
            self.jump(&p, &mut next);
            for x in next.iter_mut() {
                if *x < drop_below {
                    *x = 0.0;
                }
            }
            std::mem::swap(&mut p, &mut next);
        }
        jumps + 1
    }

    /// Density and distribution function at every time point, by one pass.
    pub fn pdf_cdf(&self, times: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        check_times(times)?;
        let (lambda, tolerance) = (self.lambda, self.tolerance);
        // each time's right end (or none within the most jumps) sets the
        // jumps; its weights are then made only as far as the chain went
        let ends: Vec<Option<usize>> = times
            .par_iter()
            .map(|&t| right_end(lambda * t, tolerance, MAX_JUMPS))
            .collect();
        let jumps = ends
            .iter()
            .map(|e| e.unwrap_or(MAX_JUMPS))
            .max()
            .unwrap_or(0);
        let mut absorbed = Vec::with_capacity(jumps + 1);
        let mut flux = Vec::with_capacity(jumps + 1);
        let visited = self.run(jumps, |_, _, a, f| {
            absorbed.push(a);
            flux.push(f);
        });
        for (&t, end) in times.iter().zip(&ends) {
            self.reached(t, end.is_some(), visited, jumps)?;
        }
        let weights: Vec<Vec<f64>> = times
            .par_iter()
            .map(|&t| poisson_weights(lambda * t, tolerance, visited - 1).0)
            .collect();
        let last_absorbed = absorbed[visited - 1];
        let (pdf, cdf) = weights
            .par_iter()
            .map(|w| {
                let mut pdf = 0.0;
                let mut cdf = 0.0;
                let mut mass = 0.0;
                for (k, wk) in w.iter().enumerate().take(visited) {
                    pdf += wk * flux[k];
                    cdf += wk * absorbed[k];
                    mass += wk;
                }
                // the Poisson tail (and any jumps skipped once everything was
                // absorbed) sees at least the last absorbed mass
                cdf += (1.0 - mass).max(0.0) * last_absorbed;
                (pdf, cdf)
            })
            .unzip();
        Ok((pdf, cdf))
    }

    /// `P(X_t = v)` for every vertex (transient vertices only; 0 for the
    /// start, absorbing mass is in the cdf).
    pub fn state_probabilities(&self, t: f64) -> Result<Vec<f64>> {
        check_times(&[t])?;
        let (w, complete) = poisson_weights(self.lambda * t, self.tolerance, MAX_JUMPS);
        let mut acc = vec![0.0; self.transient.len()];
        let visited = self.run(w.len() - 1, |k, p, _, _| {
            for (a, x) in acc.iter_mut().zip(p) {
                *a += w[k] * x;
            }
        });
        self.reached(t, complete, visited, w.len() - 1)?;
        Ok(self.to_vertices(&acc))
    }

    /// `∫₀^t P(X_s = v) ds` for every vertex, using
    /// `∫₀^t Pois(k; Λs) ds = P(N(Λt) > k)/Λ`.
    pub fn accumulated_visiting_time(&self, t: f64) -> Result<Vec<f64>> {
        check_times(&[t])?;
        let (w, complete) = poisson_weights(self.lambda * t, self.tolerance, MAX_JUMPS);
        // tail[k] = P(N > k), summed from the top for accuracy (weights cut
        // at the most jumps leave the rest of the mass past the last)
        let mut tail = vec![0.0; w.len()];
        if let Some(last) = tail.last_mut()
            && !complete
        {
            *last = (1.0 - w.iter().sum::<f64>()).max(0.0);
        }
        for k in (0..w.len().saturating_sub(1)).rev() {
            tail[k] = tail[k + 1] + w[k + 1];
        }
        let mut acc = vec![0.0; self.transient.len()];
        let visited = self.run(w.len() - 1, |k, p, _, _| {
            let c = tail[k] / self.lambda;
            for (a, x) in acc.iter_mut().zip(p) {
                *a += c * x;
            }
        });
        self.reached(t, complete, visited, w.len() - 1)?;
        Ok(self.to_vertices(&acc))
    }

    /// Fails if time `t` needed more jumps than [`MAX_JUMPS`] (its weights
    /// are not `complete`) and the chain, run for `jumps`, still held mass
    /// at the end (`visited` all of them); where it was absorbed sooner,
    /// the jumps past it add nothing.
    fn reached(&self, t: f64, complete: bool, visited: usize, jumps: usize) -> Result<()> {
        if complete || visited <= jumps {
            return Ok(());
        }
        Err(Error::TooManyJumps {
            time: t,
            lambda: self.lambda,
        })
    }

    fn to_vertices(&self, compact: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.vertices];
        for (&v, &x) in self.transient.iter().zip(compact) {
            out[v as usize] = x;
        }
        out[START] = 0.0;
        out
    }
}
