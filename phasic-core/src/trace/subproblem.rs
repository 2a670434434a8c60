//! SCC subproblems (docs/ALGORITHMS.md §3.8): one strongly connected component of
//! a graph, cut out with its fan-out, in a form that depends on nothing
//! else — the unit of work whose elimination is recorded once as a
//! [`ComponentTrace`](crate::trace::ComponentTrace), stored by content and shared
//! by every model that contains an identical component.
//!
//! * **Canonical order.** The members are numbered breadth-first from
//!   the lowest vertex id along out-edges in edge order, then put in a
//!   fill-reducing order by AMD on that numbering
//!   (`elimination::ordering`, the order direct elimination uses too).
//!   Exits (targets outside the component) are numbered in order of first
//!   appearance along a sweep of the members in that order. The local
//!   form therefore depends on the component's structure and edge order,
//!   never on where it sits in the graph.
//! * **Portable encoding.** [`Subproblem::encode`] writes little-endian
//!   bytes; [`Subproblem::decode`] validates them and never panics.
//! * **Content key.** [`Subproblem::key`] is SHA-256 over the trace
//!   format version, the discrete flag and the encoding: the structure,
//!   every base weight and every coefficient, and the θ dimension.

use std::collections::HashMap;

use crate::elimination::ordering::canonical_order;
use crate::error::Result;
use crate::graph::view::GraphView;
use crate::key::encoding::{KeyHasher, ModelKey};
use crate::trace::wire::{Reader, Writer};

/// Version of the trace encodings (subproblems and component traces);
/// part of every content key.
pub const TRACE_FORMAT_VERSION: u32 = 2;

/// Flag of the kind of elimination a subproblem is for (part of its key):
/// 0 for continuous time, the only kind traced so far.
const CONTINUOUS: u8 = 0;

/// One strongly connected component with its fan-out, in local canonical
/// order: vertices `0..size`, exits `size..size + exits`.
///
/// ```
/// use phasic_core::{Graph, Initial, trace::Trace, trace::TraceOptions};
/// // a two-vertex cycle 1 ⇄ 2 with exit from 2; θ scales the cycle
/// let g = Graph::from_rule_with_params(&Initial::state(&[1]), 1, |s, out| match s[0] {
///     1 => out.add_param(&[2], 0.0, &[1.0]),
///     2 => { out.add_param(&[1], 0.0, &[2.0]); out.add(&[3], 1.0) }
///     _ => {}
/// }).unwrap();
/// let plan = Trace::plan(&g, TraceOptions { min_subproblem: 2 }).unwrap();
/// let sub = &plan.subproblems()[0];
/// assert_eq!((sub.size(), sub.exits(), sub.edge_count()), (2, 1, 3));
/// // the encoding round-trips and names the same content
/// let again = phasic_core::trace::Subproblem::decode(&sub.encode()).unwrap();
/// assert_eq!(again.key(), sub.key());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Subproblem {
    size: u32,
    exits: u32,
    param_dim: u32,
    /// Local CSR: edges of local vertex `j` are `offsets[j]..offsets[j + 1]`.
    offsets: Vec<u32>,
    /// Local targets: `< size` inside, `size + k` for exit `k`.
    targets: Vec<u32>,
    /// Base weight of every edge.
    base: Vec<f64>,
    /// `param_dim` coefficients per edge.
    coeffs: Vec<f64>,
}

/// A subproblem cut out of a graph, with the map back to the graph.
pub(crate) struct Extracted {
    pub sub: Subproblem,
    /// Graph vertex of every local vertex (canonical order).
    pub members: Vec<u32>,
    /// Graph vertex of every exit.
    pub exits: Vec<u32>,
}

impl Subproblem {
    /// Cuts the component `members` (any order) out of `view`, keeping the
    /// edges marked `live`. `local` is scratch of one entry per vertex,
    /// `u32::MAX` everywhere on entry and on return.
    pub(crate) fn extract<G: GraphView + ?Sized>(
        view: &G,
        live: &[bool],
        (base, coeffs): (&[f64], &[f64]),
        members: &[u32],
        local: &mut [u32],
    ) -> Extracted {
        let p = view.param_dim();
        let mut order = members.to_vec();
        canonical_order(view, &mut order, |e| live[e], local);
        for (i, &v) in order.iter().enumerate() {
            local[v as usize] = i as u32;
        }
        let size = order.len() as u32;
        let mut exit_of: HashMap<u32, u32> = HashMap::new();
        let mut exits = Vec::new();
        let mut sub = Subproblem {
            size,
            exits: 0,
            param_dim: p as u32,
            offsets: vec![0],
            targets: Vec::new(),
            base: Vec::new(),
            coeffs: Vec::new(),
        };
        for &v in &order {
            for e in view.edge_range(v as usize).filter(|&e| live[e]) {
                let t = view.targets()[e];
                let lt = match local[t as usize] {
                    u32::MAX => {
                        let k = *exit_of.entry(t).or_insert_with(|| {
                            exits.push(t);
                            exits.len() as u32 - 1
                        });
                        size + k
                    }
                    l => l,
                };
                sub.targets.push(lt);
                // `+ 0.0` turns −0.0 into 0.0: equal weights, equal keys
                sub.base.push(base[e] + 0.0);
                sub.coeffs
                    .extend(coeffs[e * p..(e + 1) * p].iter().map(|c| c + 0.0));
            }
            sub.offsets.push(sub.targets.len() as u32);
        }
        sub.exits = exits.len() as u32;
        for &v in &order {
            local[v as usize] = u32::MAX;
        }
        Extracted {
            sub,
            members: order,
            exits,
        }
    }

    /// Number of vertices of the component.
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// Number of distinct targets outside the component.
    pub fn exits(&self) -> usize {
        self.exits as usize
    }

    /// Number of edges (inside and leaving).
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// Dimension of θ.
    pub fn param_dim(&self) -> usize {
        self.param_dim as usize
    }

    /// Edge range of local vertex `j`.
    pub(crate) fn edge_range(&self, j: usize) -> std::ops::Range<usize> {
        self.offsets[j] as usize..self.offsets[j + 1] as usize
    }

    /// Local target of edge `e`.
    pub(crate) fn target(&self, e: usize) -> u32 {
        self.targets[e]
    }

    /// Local CSR offsets and targets of the edges.
    pub(crate) fn structure(&self) -> (&[u32], &[u32]) {
        (&self.offsets, &self.targets)
    }

    /// Base weights and coefficients of the edges.
    pub(crate) fn weights(&self) -> (&[f64], &[f64]) {
        (&self.base, &self.coeffs)
    }

    /// The portable little-endian encoding, sealed with a truncated
    /// SHA-256 of itself.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::versioned(TRACE_FORMAT_VERSION);
        w.u32(self.size);
        w.u32(self.exits);
        w.u32(self.param_dim);
        w.u32s(&self.offsets);
        w.u32s(&self.targets);
        w.f64s(&self.base);
        w.f64s(&self.coeffs);
        w.seal()
    }

    /// Decodes and validates [`encode`](Self::encode)'s bytes: damage (the
    /// seal), a wrong version, truncation, inconsistent lengths, targets
    /// out of range, self-loops, unused exits, non-finite weights or a
    /// vertex without edges are errors.
    pub fn decode(bytes: &[u8]) -> Result<Subproblem> {
        let mut r = Reader::unseal_versioned(bytes, "subproblem", TRACE_FORMAT_VERSION)?;
        let sub = Subproblem {
            size: r.u32()?,
            exits: r.u32()?,
            param_dim: r.u32()?,
            offsets: r.u32s()?,
            targets: r.u32s()?,
            base: r.f64s()?,
            coeffs: r.f64s()?,
        };
        let bad = |reason: &str| Err(r.error(reason.to_string()));
        let (n, m) = (sub.size as usize, sub.targets.len());
        if sub.offsets.len() != n + 1
            || sub.offsets.first() != Some(&0)
            || sub.offsets.last().map(|&o| o as usize) != Some(m)
            || sub.offsets.windows(2).any(|w| w[0] >= w[1])
        {
            return bad("edge offsets do not describe every vertex with at least one edge");
        }
        if sub.base.len() != m || Some(sub.coeffs.len()) != m.checked_mul(sub.param_dim as usize) {
            return bad("weight arrays do not match the edge count");
        }
        let limit = u64::from(sub.size) + u64::from(sub.exits);
        if sub.targets.iter().any(|&t| u64::from(t) >= limit) {
            return bad("an edge target is out of range");
        }
        if (0..n).any(|j| sub.targets[sub.edge_range(j)].contains(&(j as u32))) {
            return bad("a vertex has an edge to itself");
        }
        let mut used = vec![false; sub.exits as usize];
        for &t in sub.targets.iter().filter(|&&t| t >= sub.size) {
            used[(t - sub.size) as usize] = true;
        }
        if used.contains(&false) {
            return bad("an exit is never used");
        }
        if sub.base.iter().chain(&sub.coeffs).any(|x| !x.is_finite()) {
            return bad("a weight is not finite");
        }
        r.finish()?;
        Ok(sub)
    }

    /// The content key: format version, discrete flag and encoding.
    pub fn key(&self) -> ModelKey {
        let mut h = KeyHasher::new("phasic-subproblem");
        h.bytes(&TRACE_FORMAT_VERSION.to_le_bytes());
        h.tag(CONTINUOUS);
        h.bytes(&self.encode());
        h.finish()
    }
}
