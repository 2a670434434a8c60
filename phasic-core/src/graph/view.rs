//! The narrow read-only interface every algorithm works on.
//!
//! A [`GraphView`] is a graph in compressed sparse row form: a flat arena of
//! `i32` states, per-vertex edge offsets, edge targets and current edge
//! weights, plus (for parameterized graphs) base weights and a flat
//! coefficient matrix. The in-memory [`Graph`](crate::Graph) and the
//! memory-mapped cache entry of `phasic-cache` both implement it, so they
//! share every algorithm.

use std::ops::Range;

/// Read-only access to a graph in CSR form.
///
/// Views are shared between threads by the parallel algorithms, hence `Sync`.
///
/// Vertex 0 is the start vertex `S`. Edges of vertex `v` occupy the range
/// `offsets()[v]..offsets()[v + 1]` of `targets()`, `weights()` and (times
/// the parameter dimension) `coefficients()`. A vertex without out-edges is
/// absorbing.
///
/// ```
/// use phasic_core::{Graph, GraphView, Initial};
/// let g = Graph::from_rule(&Initial::state(&[3]), |s, out| {
///     if s[0] > 1 { out.add(&[s[0] - 1], 1.5) }
/// }).unwrap();
/// assert_eq!(g.vertex_count(), 4);
/// assert_eq!(g.state(1), &[3]);
/// assert_eq!(g.rate(1), 1.5);
/// assert!(g.is_absorbing(3));
/// ```
pub trait GraphView: Sync {
    /// Length of every state vector.
    fn state_len(&self) -> usize;
    /// All states, vertex after vertex (`vertex_count() * state_len()` values).
    fn states(&self) -> &[i32];
    /// Edge offsets, `vertex_count() + 1` values, starting at 0.
    fn offsets(&self) -> &[u64];
    /// Edge targets.
    fn targets(&self) -> &[u32];
    /// Current edge weights (rates, or probabilities for discrete graphs).
    fn weights(&self) -> &[f64];
    /// Number of parameters θ (0 for a graph with constant weights).
    fn param_dim(&self) -> usize;
    /// Base weights `b` of `w(θ) = b + c·θ`; empty when `param_dim() == 0`.
    fn base_weights(&self) -> &[f64];
    /// Coefficients `c`, `param_dim()` per edge; empty when `param_dim() == 0`.
    fn coefficients(&self) -> &[f64];

    /// Number of vertices, including the start vertex.
    fn vertex_count(&self) -> usize {
        self.offsets().len().saturating_sub(1)
    }
    /// Number of edges, including those leaving the start vertex.
    fn edge_count(&self) -> usize {
        self.targets().len()
    }
    /// The state of vertex `v`.
    fn state(&self, v: usize) -> &[i32] {
        let l = self.state_len();
        &self.states()[v * l..(v + 1) * l]
    }
    /// The positions of `v`'s out-edges in the edge arrays.
    fn edge_range(&self, v: usize) -> Range<usize> {
        let o = self.offsets();
        o[v] as usize..o[v + 1] as usize
    }
    /// Targets of `v`'s out-edges.
    fn out_targets(&self, v: usize) -> &[u32] {
        &self.targets()[self.edge_range(v)]
    }
    /// Weights of `v`'s out-edges.
    fn out_weights(&self, v: usize) -> &[f64] {
        &self.weights()[self.edge_range(v)]
    }
    /// Total out-weight `λ_v`.
    fn rate(&self, v: usize) -> f64 {
        self.out_weights(v).iter().sum()
    }
    /// Whether `v` has no out-edges.
    fn is_absorbing(&self, v: usize) -> bool {
        self.edge_range(v).is_empty()
    }
}

/// Implements [`GraphView`] for a struct with fields `view: &G` (any
/// `GraphView`) and `weights: Vec<f64>`: the view's structure, borrowed,
/// with other weights.
macro_rules! reweighted_view {
    ($t:ident) => {
        impl<G: $crate::graph::view::GraphView + ?Sized> $crate::graph::view::GraphView
            for $t<'_, G>
        {
            fn state_len(&self) -> usize {
                self.view.state_len()
            }
            fn states(&self) -> &[i32] {
                self.view.states()
            }
            fn offsets(&self) -> &[u64] {
                self.view.offsets()
            }
            fn targets(&self) -> &[u32] {
                self.view.targets()
            }
            fn weights(&self) -> &[f64] {
                &self.weights
            }
            fn param_dim(&self) -> usize {
                self.view.param_dim()
            }
            fn base_weights(&self) -> &[f64] {
                self.view.base_weights()
            }
            fn coefficients(&self) -> &[f64] {
                self.view.coefficients()
            }
        }
    };
}
pub(crate) use reweighted_view;
