//! Which vertices carry probability, and whether absorption is certain
//! (docs/ALGORITHMS.md §8.3), together with the component order every
//! elimination uses.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::scc::components;
use crate::graph::view::GraphView;
use crate::validate::check_weights;

/// The result of the support analysis of a graph.
#[derive(Debug, Clone)]
pub(crate) struct Support {
    /// Total out-weight of every vertex.
    pub rates: Vec<f64>,
    /// Vertices from which absorption is certain (they reach no vertex that
    /// cannot be absorbed). Algorithms run on these; per-vertex results of
    /// the others are NaN.
    pub good: Vec<bool>,
    /// Strongly connected components of the positive-weight edges among
    /// the good vertices, in topological order: `comp_vertices[comp_offsets[c]..comp_offsets[c + 1]]`.
    pub comp_vertices: Vec<u32>,
    /// Component boundaries.
    pub comp_offsets: Vec<usize>,
    /// Whether every positive edge goes to a higher vertex index.
    pub topological: bool,
}

/// Validates weights, orders the strongly connected components and checks
/// that every vertex reachable from the start (through positive-weight
/// edges) can reach an absorbing vertex.
///
/// Errors: [`Error::InvalidWeight`] for a negative or non-finite weight,
/// [`Error::ZeroRate`] for a reachable vertex whose out-edges sum to 0,
/// [`Error::NoPathToAbsorption`] for a reachable closed class.
pub(crate) fn analyse<G: GraphView + ?Sized>(view: &G) -> Result<Support> {
    let n = view.vertex_count();
    let csr = Csr::of(view);
    let (targets, weights) = (csr.targets, csr.weights);
    let edges = |v: usize| csr.edges(v);
    let positive = |v: usize| csr.positive(v);
    // One pass: validate weights, sum rates, and see whether every positive
    // edge goes to a higher index. Rules often number vertices
    // topologically; then each vertex is its own component and no search
    // is needed.
    let scanned: Vec<(f64, bool, bool)> = (0..n)
        .into_par_iter()
        .map(|v| {
            let (mut rate, mut valid, mut forward) = (0.0, true, true);
            for e in edges(v) {
                let w = weights[e];
                valid &= w.is_finite() && w >= 0.0;
                rate += w;
                forward &= w == 0.0 || targets[e] as usize > v;
            }
            (rate, valid, forward)
        })
        .collect();
    if scanned.iter().any(|s| !s.1) {
        // names the first offending edge
        check_weights(view)?;
    }
    let topological = scanned.iter().all(|s| s.2);
    let rates: Vec<f64> = scanned.into_iter().map(|s| s.0).collect();
    if topological {
        // every vertex is its own component, in index order: liveness is
        // one backward pass over the vertices
        let mut live = vec![false; n];
        for v in (0..n).rev() {
            live[v] = edges(v).is_empty() || positive(v).any(|t| live[t]);
        }
        if live.iter().all(|&l| l) {
            return Ok(Support {
                rates,
                good: live,
                comp_vertices: (0..n as u32).collect(),
                comp_offsets: (0..=n).collect(),
                topological,
            });
        }
    }
    let (comp_vertices, comp_offsets) = if topological {
        ((0..n as u32).collect(), (0..=n).collect())
    } else {
        components(view)
    };
    let comp_of = {
        let mut c = vec![0u32; n];
        for k in 0..comp_offsets.len() - 1 {
            for &v in &comp_vertices[comp_offsets[k]..comp_offsets[k + 1]] {
                c[v as usize] = k as u32;
            }
        }
        c
    };
    let members = |k: usize| {
        comp_vertices[comp_offsets[k]..comp_offsets[k + 1]]
            .iter()
            .map(|&v| v as usize)
    };
    let comps = comp_offsets.len() - 1;

    // live: the component can reach an absorbing vertex (later components first)
    let mut live = vec![false; comps];
    for k in (0..comps).rev() {
        live[k] = members(k).any(|v| {
            edges(v).is_empty()
                || positive(v).any(|t| comp_of[t] as usize != k && live[comp_of[t] as usize])
        });
    }
    let good: Vec<bool> = if live.iter().all(|&l| l) {
        vec![true; n]
    } else {
        check_reachable(view, &rates, &comp_of, &live)?;
        // good: live and every successor good
        let mut good_comp = vec![false; comps];
        for k in (0..comps).rev() {
            good_comp[k] = live[k]
                && members(k).all(|v| {
                    positive(v).all(|t| comp_of[t] as usize == k || good_comp[comp_of[t] as usize])
                });
        }
        tracing::debug!(
            excluded = good_comp.iter().filter(|g| !**g).count(),
            "components outside the start's support cannot be absorbed; their results are NaN"
        );
        (0..n).map(|v| good_comp[comp_of[v] as usize]).collect()
    };
    let (comp_vertices, comp_offsets) = if good.iter().all(|&g| g) {
        (comp_vertices, comp_offsets)
    } else {
        let mut vs = Vec::new();
        let mut offs = vec![0];
        for k in 0..comps {
            if good[comp_vertices[comp_offsets[k]] as usize] {
                vs.extend(members(k).map(|v| v as u32));
                offs.push(vs.len());
            }
        }
        (vs, offs)
    };
    Ok(Support {
        rates,
        good,
        comp_vertices,
        comp_offsets,
        topological,
    })
}

/// Fails if a vertex reachable from the start through positive edges is
/// not live, naming a vertex of a closed class (a component without
/// positive edges to other components) that the start reaches.
fn check_reachable<G: GraphView + ?Sized>(
    view: &G,
    rates: &[f64],
    comp_of: &[u32],
    live: &[bool],
) -> Result<()> {
    let n = view.vertex_count();
    let csr = Csr::of(view);
    let positive = |v: usize| csr.positive(v);
    let mut leaves = vec![false; live.len()];
    for v in 0..n {
        let c = comp_of[v] as usize;
        leaves[c] |= positive(v).any(|t| comp_of[t] as usize != c);
    }
    for v in breadth_first(csr, n) {
        let v = v as usize;
        let c = comp_of[v] as usize;
        if !live[c] && !leaves[c] {
            let state = view.state(v).to_vec();
            return Err(if rates[v] == 0.0 {
                Error::ZeroRate { vertex: v, state }
            } else {
                Error::NoPathToAbsorption { vertex: v, state }
            });
        }
    }
    Ok(())
}

/// The vertices the start reaches through positive-weight edges, in
/// breadth-first order.
fn breadth_first(csr: Csr<'_>, n: usize) -> Vec<u32> {
    let mut seen = vec![false; n];
    seen[START] = true;
    let mut queue = vec![START as u32];
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head] as usize;
        head += 1;
        for z in csr.positive(v) {
            if !seen[z] {
                seen[z] = true;
                queue.push(z as u32);
            }
        }
    }
    queue
}

/// Whether the start reaches each vertex through positive-weight edges.
pub(crate) fn reachable_from_start<G: GraphView + ?Sized>(view: &G) -> Vec<bool> {
    let mut reached = vec![false; view.vertex_count()];
    for v in breadth_first(Csr::of(view), view.vertex_count()) {
        reached[v as usize] = true;
    }
    reached
}

/// A view's CSR slices, fetched once (views may be cheap, but not free, to ask).
#[derive(Clone, Copy)]
struct Csr<'a> {
    offsets: &'a [u64],
    targets: &'a [u32],
    weights: &'a [f64],
}

impl<'a> Csr<'a> {
    fn of<G: GraphView + ?Sized>(view: &'a G) -> Self {
        Csr {
            offsets: view.offsets(),
            targets: view.targets(),
            weights: view.weights(),
        }
    }

    fn edges(self, v: usize) -> std::ops::Range<usize> {
        self.offsets[v] as usize..self.offsets[v + 1] as usize
    }

    /// Targets of `v`'s positive-weight edges.
    fn positive(self, v: usize) -> impl Iterator<Item = usize> + 'a {
        let (targets, weights) = (self.targets, self.weights);
        self.edges(v)
            .filter(move |&e| weights[e] > 0.0)
            .map(move |e| targets[e] as usize)
    }
}
