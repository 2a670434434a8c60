//! The recorded elimination of one [`Subproblem`] (docs/ALGORITHMS.md §6.3): a
//! straight-line program of operations on the subproblem's edge weights
//! whose results are the multipliers of its elimination commands and the
//! probabilities of its final edges (to later local vertices and to the
//! exits).
//!
//! The recorder is the elimination itself (the same sweep and bypass code
//! as [`Program`](crate::elimination::Program), run over [`Arith`](crate::elimination::bypass::Arith) with operations
//! instead of numbers), so it is correct on cyclic graphs in any vertex
//! order — unlike the trace recorders of the Python/C phasic 0.32.1
//! (docs/ALGORITHMS.md §6.2).
//!
//! Evaluation works on `L` values of θ at once (structure of arrays: each
//! operation holds `L` consecutive values, so the inner loops vectorize).
//!
//! Files: [`record`] (the recorder), [`evaluate`] (values, checks and
//! replays for `L` θs) and [`encoding`] (the portable bytes, validated).

use crate::elimination::program::Command;
use crate::trace::subproblem::Subproblem;

mod encoding;
mod evaluate;
mod record;

/// One operation; operands are indices of earlier operations.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// The weight `b + c·θ` of edge `e`.
    Weight(u32),
    Add(u32, u32),
    Mul(u32, u32),
    Inv(u32),
    /// `Σ args[start..start + len]`
    Sum(u32, u32),
}

/// Why the values at some θ are unusable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unusable {
    /// A total rate is zero.
    ZeroRate,
    /// A total rate is not finite.
    NonFiniteRate,
    /// An elimination result is not finite: no way out of the component
    /// is left at this θ (a live edge is zero), or overflow.
    Closed,
    /// An edge weight `b + c·θ` is negative (`target` local, exits after
    /// the vertices).
    NegativeWeight { target: usize, weight: f64 },
}

/// A local vertex whose values at some θ are unusable, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UnusableVertex {
    pub vertex: usize,
    pub why: Unusable,
}

/// The recorded elimination of one [`Subproblem`].
///
/// ```
/// use phasic_core::{trace::ComponentTrace, Graph, Initial, trace::Trace, trace::TraceOptions};
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| match s[0] {
///     1 => out.add_param(&[2], 0.0, &[1.0]),
///     2 => { out.add_param(&[1], 0.0, &[2.0]); out.add(&[3], 1.0) }
///     _ => {}
/// }).unwrap();
/// let plan = Trace::plan(&g, TraceOptions { min_subproblem: 2 }).unwrap();
/// let ct = ComponentTrace::record(&plan.subproblems()[0]).unwrap();
/// // portable bytes, validated when read back
/// let bytes = ct.encode();
/// assert_eq!(ComponentTrace::decode(&bytes).unwrap(), ct);
/// assert!(ComponentTrace::decode(&bytes[..bytes.len() - 1]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentTrace {
    size: u32,
    exits: u32,
    param_dim: u32,
    /// The subproblem's edges: local CSR offsets and targets.
    edge_offsets: Vec<u32>,
    edge_targets: Vec<u32>,
    base: Vec<f64>,
    coeffs: Vec<f64>,
    ops: Vec<Op>,
    args: Vec<u32>,
    /// Op of the total rate of every local vertex.
    rate: Vec<u32>,
    /// Op of `1 / rate` of every local vertex (the phase-1 multiplier).
    inv: Vec<u32>,
    /// Elimination commands in local positions.
    elim: Vec<Command<u32>>,
    /// Final edges of local vertex `j`: `child_offsets[j]..child_offsets[j + 1]`.
    child_offsets: Vec<u32>,
    /// Their local targets (later vertices, or `size + k` for exit `k`).
    child_targets: Vec<u32>,
    /// Ops of their probabilities.
    child_ops: Vec<u32>,
}

impl ComponentTrace {
    /// Number of local vertices.
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// Number of exits.
    pub fn exits(&self) -> usize {
        self.exits as usize
    }

    /// Number of recorded operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no operation was recorded (never for a valid trace).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Dimension of θ.
    pub fn param_dim(&self) -> usize {
        self.param_dim as usize
    }

    /// Whether this is the trace of `sub` (same shape and weights).
    pub fn solves(&self, sub: &Subproblem) -> bool {
        let (base, coeffs) = sub.weights();
        let (offsets, targets) = sub.structure();
        self.size() == sub.size()
            && self.exits() == sub.exits()
            && self.param_dim() == sub.param_dim()
            && self.edge_offsets == offsets
            && self.edge_targets == targets
            && self.base == base
            && self.coeffs == coeffs
    }
}
