//! Which vertices carry probability, and whether absorption is certain
//! (ALGORITHMS §8.3).

use crate::error::{Error, Result};
use crate::graph::START;
use crate::view::GraphView;

/// The result of the support analysis of a graph.
#[derive(Debug, Clone)]
pub(crate) struct Support {
    /// Total out-weight of every vertex.
    pub rates: Vec<f64>,
    /// Vertices from which absorption is certain (they reach no vertex that
    /// cannot be absorbed). Algorithms run on these; per-vertex results of
    /// the others are NaN.
    pub good: Vec<bool>,
}

/// Validates weights and checks that every vertex reachable from the start
/// (through positive-weight edges) can reach an absorbing vertex.
///
/// Errors: [`Error::InvalidWeight`] for a negative or non-finite weight,
/// [`Error::ZeroRate`] for a reachable vertex whose out-edges sum to 0,
/// [`Error::NoPathToAbsorption`] for a reachable closed class.
pub(crate) fn analyse<G: GraphView + ?Sized>(view: &G) -> Result<Support> {
    check_weights(view)?;
    let n = view.vertex_count();
    let targets = view.targets();
    let weights = view.weights();
    let rates: Vec<f64> = (0..n).map(|v| view.rate(v)).collect();
    // live: can reach an absorbing vertex through positive edges
    let (rev_off, rev_src) = reverse_positive(view);
    let mut live = vec![false; n];
    let mut queue: Vec<u32> = (0..n as u32)
        .filter(|&v| view.is_absorbing(v as usize))
        .collect();
    for &a in &queue {
        live[a as usize] = true;
    }
    while let Some(z) = queue.pop() {
        for &u in &rev_src[rev_off[z as usize]..rev_off[z as usize + 1]] {
            if !live[u as usize] {
                live[u as usize] = true;
                queue.push(u);
            }
        }
    }
    if live.iter().all(|&l| l) {
        return Ok(Support { rates, good: live });
    }
    // Is a dead vertex reachable from the start?
    let mut seen = vec![false; n];
    seen[START] = true;
    let mut queue = vec![START as u32];
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head] as usize;
        head += 1;
        if !live[v] {
            let state = view.state(v).to_vec();
            return Err(if rates[v] == 0.0 {
                Error::ZeroRate { vertex: v, state }
            } else {
                Error::NoPathToAbsorption { vertex: v, state }
            });
        }
        for e in view.edge_range(v) {
            let z = targets[e] as usize;
            if weights[e] > 0.0 && !seen[z] {
                seen[z] = true;
                queue.push(z as u32);
            }
        }
    }
    // good: cannot reach a dead vertex
    let mut good = vec![true; n];
    let mut queue: Vec<u32> = (0..n as u32).filter(|&v| !live[v as usize]).collect();
    for &d in &queue {
        good[d as usize] = false;
    }
    while let Some(z) = queue.pop() {
        for &u in &rev_src[rev_off[z as usize]..rev_off[z as usize + 1]] {
            if good[u as usize] {
                good[u as usize] = false;
                queue.push(u);
            }
        }
    }
    tracing::debug!(
        excluded = good.iter().filter(|g| !**g).count(),
        "vertices outside the start's support cannot be absorbed; their results are NaN"
    );
    Ok(Support { rates, good })
}

/// Sources of the positive-weight edges into each vertex, as CSR.
fn reverse_positive<G: GraphView + ?Sized>(view: &G) -> (Vec<usize>, Vec<u32>) {
    let n = view.vertex_count();
    let targets = view.targets();
    let weights = view.weights();
    let mut off = vec![0usize; n + 1];
    for (e, &t) in targets.iter().enumerate() {
        if weights[e] > 0.0 {
            off[t as usize + 1] += 1;
        }
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut fill = off.clone();
    let mut src = vec![0u32; off[n]];
    for v in 0..n {
        for e in view.edge_range(v) {
            if weights[e] > 0.0 {
                let t = targets[e] as usize;
                src[fill[t]] = v as u32;
                fill[t] += 1;
            }
        }
    }
    (off, src)
}

/// Rejects negative or non-finite weights.
pub(crate) fn check_weights<G: GraphView + ?Sized>(view: &G) -> Result<()> {
    let weights = view.weights();
    for v in 0..view.vertex_count() {
        for e in view.edge_range(v) {
            let w = weights[e];
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::InvalidWeight {
                    from: v,
                    from_state: view.state(v).to_vec(),
                    to_state: view.state(view.targets()[e] as usize).to_vec(),
                    weight: w,
                });
            }
        }
    }
    Ok(())
}
