//! The forward recursion of state probabilities shared by the discrete
//! context and the granularity context (docs/ALGORITHMS.md §5.1, §5.2).

use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;

/// Probability mass per vertex, stepped forward one (micro-)step at a time.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    /// `P(X_k = v)` for transient `v` (0 for the start and absorbing vertices).
    pub p: Vec<f64>,
    /// `Σ_{j ≤ k} P(X_j = v)`.
    pub acc: Vec<f64>,
    /// Mass absorbed in the last step (at creation: the defect).
    pub absorbed_last: f64,
    /// Mass absorbed so far.
    pub absorbed: f64,
    /// Steps taken.
    pub steps: u64,
    /// Scratch for the next vector.
    next: Vec<f64>,
    shape: (usize, usize),
}

impl Forward {
    /// The distribution right after the instantaneous start: `p = α`, the
    /// defect absorbed.
    pub fn start<G: GraphView + ?Sized>(view: &G) -> Forward {
        let n = view.vertex_count();
        let mut p = vec![0.0; n];
        let rate = view.rate(START);
        let mut absorbed = 0.0;
        if rate > 0.0 {
            for e in view.edge_range(START) {
                let t = view.targets()[e] as usize;
                let q = view.weights()[e] / rate;
                if view.is_absorbing(t) {
                    absorbed += q;
                } else {
                    p[t] += q;
                }
            }
        } else {
            absorbed = 1.0;
        }
        Forward {
            acc: p.clone(),
            p,
            absorbed_last: absorbed,
            absorbed,
            steps: 0,
            next: vec![0.0; n],
            shape: (n, view.edge_count()),
        }
    }

    /// Checks that `view` has the structure this recursion was started on.
    pub fn check_shape<G: GraphView + ?Sized>(&self, view: &G) -> Result<()> {
        let shape = (view.vertex_count(), view.edge_count());
        if shape != self.shape {
            return Err(Error::GraphMismatch {
                what: "stepping context",
                expected_vertices: self.shape.0,
                expected_edges: self.shape.1,
                expected_param_dim: 0,
                vertices: shape.0,
                edges: shape.1,
                param_dim: view.param_dim(),
            });
        }
        Ok(())
    }

    /// One step in which every vertex moves `weight · scale` of its mass
    /// along each out-edge and keeps the rest.
    pub fn step<G: GraphView + ?Sized>(&mut self, view: &G, scale: f64) {
        let targets = view.targets();
        let weights = view.weights();
        self.next.copy_from_slice(&self.p);
        for (u, &pu) in self.p.iter().enumerate() {
            if pu == 0.0 {
                continue;
            }
            let range = view.edge_range(u);
            let mut out = 0.0;
            for e in range {
                let moved = pu * weights[e] * scale;
                self.next[targets[e] as usize] += moved;
                out += moved;
            }
            self.next[u] -= out;
        }
        std::mem::swap(&mut self.p, &mut self.next);
        let mut absorbed = 0.0;
        for (v, pv) in self.p.iter_mut().enumerate() {
            if view.is_absorbing(v) {
                absorbed += *pv;
                *pv = 0.0;
            }
        }
        self.p[START] = 0.0;
        for (a, p) in self.acc.iter_mut().zip(&self.p) {
            *a += p;
        }
        self.absorbed_last = absorbed;
        self.absorbed += absorbed;
        self.steps += 1;
    }
}

/// The (density or pmf, cdf) of a stepped chain `C` after every step
/// count of `targets` (any order; one pass up to the largest): `read(c,
/// true)` after exactly that many steps of `step` — or, once the chain
/// holds no mass (below the smallest normal number, 2.2e-308, where a
/// slowly emptying chain stalls at the smallest subnormals; checked every
/// 1024 steps), `read(c, false)` for every later count at once (the
/// density is then 0, the cdf final to 2.2e-308). A count
/// past [`MAX_JUMPS`](crate::distribution::poisson::MAX_JUMPS) while mass is
/// left is an error naming it as `what`.
pub(crate) fn at_step_counts<C>(
    c: &mut C,
    targets: &[u64],
    what: &'static str,
    mut step: impl FnMut(&mut C) -> Result<()>,
    forward: impl Fn(&C) -> &Forward,
    read: impl Fn(&C, bool) -> (f64, f64),
) -> Result<(Vec<f64>, Vec<f64>)> {
    let bound = crate::distribution::poisson::MAX_JUMPS as u64;
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| targets[i]);
    let (mut density, mut cdf) = (vec![0.0; targets.len()], vec![0.0; targets.len()]);
    let mut empty = false;
    for i in order {
        while !empty && forward(c).steps < targets[i] {
            let steps = forward(c).steps;
            if steps.is_multiple_of(1024) || steps >= bound {
                empty = forward(c).p.iter().sum::<f64>() < f64::MIN_POSITIVE;
                if empty {
                    break;
                }
                if steps >= bound {
                    return Err(Error::InvalidSetting {
                        name: what,
                        value: targets[i] as f64,
                        reason: "the chain is stepped one step at a time, and it still holds mass after a million steps",
                    });
                }
            }
            step(c)?;
        }
        (density[i], cdf[i]) = read(c, forward(c).steps == targets[i]);
    }
    Ok((density, cdf))
}
