//! The recorded elimination of one [`Subproblem`] (ALGORITHMS §6.3): a
//! straight-line program of operations on the subproblem's edge weights
//! whose results are the multipliers of its elimination commands and the
//! probabilities of its final edges (to later local vertices and to the
//! exits).
//!
//! The recorder is the elimination itself (the same sweep and bypass code
//! as [`Program`](crate::elimination::Program), run over [`Arith`] with operations
//! instead of numbers), so it is correct on cyclic graphs in any vertex
//! order — unlike the peer's (§6.2).
//!
//! Evaluation works on `L` values of θ at once (structure of arrays: each
//! operation holds `L` consecutive values, so the inner loops vectorize).

use std::ops::Range;

use crate::elimination::bypass::{Arith, Children};
use crate::elimination::program::{Command, eliminate_component};
use crate::error::{Error, Result};
use crate::graph::csr::weight;
use crate::trace::subproblem::{Subproblem, TRACE_FORMAT_VERSION};
use crate::trace::wire::{Reader, Writer};

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

/// Records operations.
#[derive(Default)]
struct Recorder {
    ops: Vec<Op>,
    args: Vec<u32>,
}

impl Recorder {
    fn push(&mut self, op: Op) -> u32 {
        self.ops.push(op);
        (self.ops.len() - 1) as u32
    }
}

impl Arith for Recorder {
    type V = u32;
    fn mul(&mut self, a: u32, b: u32) -> u32 {
        self.push(Op::Mul(a, b))
    }
    fn add(&mut self, a: u32, b: u32) -> u32 {
        self.push(Op::Add(a, b))
    }
    fn sum(&mut self, xs: impl Iterator<Item = u32>) -> u32 {
        let start = self.args.len() as u32;
        self.args.extend(xs);
        let len = self.args.len() as u32 - start;
        self.push(Op::Sum(start, len))
    }
    fn inv(&mut self, a: u32) -> u32 {
        self.push(Op::Inv(a))
    }
    fn usable(&self, _: u32) -> bool {
        true
    }
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
pub(crate) struct Bad {
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
    /// Records the elimination of `sub` in its canonical order.
    pub fn record(sub: &Subproblem) -> Result<ComponentTrace> {
        let n = sub.size();
        let mut rec = Recorder::default();
        let mut rate = Vec::with_capacity(n);
        let mut inv = Vec::with_capacity(n);
        let mut children: Vec<Children<u32>> = Vec::with_capacity(n);
        for j in 0..n {
            let edges = sub.edge_range(j);
            let w: Vec<u32> = edges
                .clone()
                .map(|e| rec.push(Op::Weight(e as u32)))
                .collect();
            let r = rec.sum(w.iter().copied());
            let i = rec.inv(r);
            let mut c: Children<u32> = edges
                .zip(&w)
                .map(|(e, &we)| (sub.target(e), rec.mul(we, i)))
                .collect();
            c.sort_unstable_by_key(|&(t, _)| t);
            rate.push(r);
            inv.push(i);
            children.push(c);
        }
        let mut elim = Vec::new();
        // the recorder never rejects a step: closed classes show at evaluation
        eliminate_component(&mut rec, 0, n, &mut children, &mut elim, |u| {
            Error::NoPathToAbsorption {
                vertex: u,
                state: Vec::new(),
            }
        })?;
        let mut child_offsets = vec![0u32];
        let (mut child_targets, mut child_ops) = (Vec::new(), Vec::new());
        for c in children {
            for (t, q) in c {
                child_targets.push(t);
                child_ops.push(q);
            }
            child_offsets.push(child_targets.len() as u32);
        }
        let (base, coeffs) = sub.weights();
        let (edge_offsets, edge_targets) = sub.structure();
        Ok(ComponentTrace {
            size: n as u32,
            exits: sub.exits() as u32,
            param_dim: sub.param_dim() as u32,
            edge_offsets: edge_offsets.to_vec(),
            edge_targets: edge_targets.to_vec(),
            base: base.to_vec(),
            coeffs: coeffs.to_vec(),
            ops: rec.ops,
            args: rec.args,
            rate,
            inv,
            elim,
            child_offsets,
            child_targets,
            child_ops,
        })
    }

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

    /// Values of every operation for `L` θs: `tt[k·L + l]` is `θ_l[k]`;
    /// result `x[op·L + l]`.
    pub(crate) fn values<const L: usize>(&self, tt: &[f64]) -> Vec<f64> {
        let p = self.param_dim as usize;
        let mut x = vec![0.0f64; self.ops.len() * L];
        for (k, op) in self.ops.iter().enumerate() {
            let (done, rest) = x.split_at_mut(k * L);
            let out: &mut [f64; L] = (&mut rest[..L]).try_into().expect("L lanes");
            let lane = |i: u32| -> &[f64; L] {
                done[i as usize * L..(i as usize + 1) * L]
                    .try_into()
                    .expect("L lanes")
            };
            match *op {
                Op::Weight(e) => {
                    let e = e as usize;
                    out.fill(self.base[e]);
                    for (c, t) in self.coeffs[e * p..(e + 1) * p]
                        .iter()
                        .zip(tt.chunks_exact(L))
                    {
                        for l in 0..L {
                            out[l] += c * t[l];
                        }
                    }
                }
                Op::Add(a, b) => {
                    let (a, b) = (lane(a), lane(b));
                    for l in 0..L {
                        out[l] = a[l] + b[l];
                    }
                }
                Op::Mul(a, b) => {
                    let (a, b) = (lane(a), lane(b));
                    for l in 0..L {
                        out[l] = a[l] * b[l];
                    }
                }
                Op::Inv(a) => {
                    let a = lane(a);
                    for l in 0..L {
                        out[l] = 1.0 / a[l];
                    }
                }
                Op::Sum(s, n) => {
                    out.fill(0.0);
                    for &i in &self.args[s as usize..(s + n) as usize] {
                        let a = lane(i);
                        for l in 0..L {
                            out[l] += a[l];
                        }
                    }
                }
            }
        }
        x
    }

    /// The first local vertex whose weights, rate or results are
    /// unusable in lanes `used` of `x`.
    pub(crate) fn check<const L: usize>(&self, x: &[f64], used: Range<usize>) -> Option<Bad> {
        let lanes = |op: usize| &x[op * L + used.start..op * L + used.end];
        for (k, op) in self.ops.iter().enumerate() {
            if let Op::Weight(e) = *op
                && let Some(&weight) = lanes(k).iter().find(|w| **w < 0.0)
            {
                let e = e as usize;
                return Some(Bad {
                    vertex: self.edge_offsets.partition_point(|&o| o as usize <= e) - 1,
                    why: Unusable::NegativeWeight {
                        target: self.edge_targets[e] as usize,
                        weight,
                    },
                });
            }
        }
        for (j, &r) in self.rate.iter().enumerate() {
            if let Some(&bad) = lanes(r as usize)
                .iter()
                .find(|r| !(r.is_finite() && **r > 0.0))
            {
                let why = if bad == 0.0 {
                    Unusable::ZeroRate
                } else {
                    Unusable::NonFiniteRate
                };
                return Some(Bad { vertex: j, why });
            }
        }
        let closed = |vertex: usize| Bad {
            vertex,
            why: Unusable::Closed,
        };
        let finite = |op: u32| lanes(op as usize).iter().all(|v| v.is_finite());
        for c in &self.elim {
            let (v, m) = match *c {
                Command::Scale { v, m } | Command::AddScaled { v, m, .. } => (v, m),
            };
            if !finite(m) {
                return Some(closed(v as usize));
            }
        }
        (0..self.size as usize)
            .find(|&j| {
                let r = self.child_offsets[j] as usize..self.child_offsets[j + 1] as usize;
                !self.child_ops[r].iter().all(|&q| finite(q))
            })
            .map(closed)
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

    /// Runs the elimination on rewards: `y` (`size·L`) holds the local
    /// rewards on entry and the expected accumulated rewards on return;
    /// `exits` (`exits·L`) holds the exits' expectations.
    pub(crate) fn apply<const L: usize>(&self, x: &[f64], y: &mut [f64], exits: &[f64]) {
        let val = |op: u32| -> &[f64; L] {
            x[op as usize * L..(op as usize + 1) * L]
                .try_into()
                .expect("L lanes")
        };
        let n = self.size as usize;
        for (yj, &i) in y.chunks_exact_mut(L).zip(&self.inv) {
            let m = val(i);
            for l in 0..L {
                yj[l] *= m[l];
            }
        }
        for c in &self.elim {
            match *c {
                Command::Scale { v, m } => {
                    let m = val(m);
                    let yv = &mut y[v as usize * L..(v as usize + 1) * L];
                    for l in 0..L {
                        yv[l] *= m[l];
                    }
                }
                Command::AddScaled { v, u, m } => {
                    let m = val(m);
                    let yu: [f64; L] = y[u as usize * L..(u as usize + 1) * L]
                        .try_into()
                        .expect("L lanes");
                    let yv = &mut y[v as usize * L..(v as usize + 1) * L];
                    for l in 0..L {
                        yv[l] += m[l] * yu[l];
                    }
                }
            }
        }
        for j in (0..n).rev() {
            let r = self.child_offsets[j] as usize..self.child_offsets[j + 1] as usize;
            let mut acc = [0.0f64; L];
            for (&t, &q) in self.child_targets[r.clone()].iter().zip(&self.child_ops[r]) {
                let t = t as usize;
                let yt = if t < n {
                    &y[t * L..(t + 1) * L]
                } else {
                    &exits[(t - n) * L..(t - n + 1) * L]
                };
                let q = val(q);
                for l in 0..L {
                    acc[l] += q[l] * yt[l];
                }
            }
            let yj = &mut y[j * L..(j + 1) * L];
            for l in 0..L {
                yj[l] += acc[l];
            }
        }
    }

    /// The edges `(local target, weight)` of local vertex `j` at θ.
    pub(crate) fn edges<'a>(
        &'a self,
        j: usize,
        theta: &'a [f64],
    ) -> impl Iterator<Item = (usize, f64)> + 'a {
        let p = self.param_dim as usize;
        (self.edge_offsets[j] as usize..self.edge_offsets[j + 1] as usize).map(move |e| {
            let w = weight(self.base[e], &self.coeffs[e * p..(e + 1) * p], theta);
            (self.edge_targets[e] as usize, w)
        })
    }

    /// The phase-1 multiplier (`1/rate`) of every local vertex at one θ
    /// (values from `values::<1>`).
    pub(crate) fn scale<'a>(&'a self, x: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
        self.inv.iter().map(move |&i| x[i as usize])
    }

    /// The elimination commands at one θ, in local positions.
    pub(crate) fn commands<'a>(&'a self, x: &'a [f64]) -> impl Iterator<Item = Command> + 'a {
        self.elim.iter().map(move |c| match *c {
            Command::Scale { v, m } => Command::Scale {
                v,
                m: x[m as usize],
            },
            Command::AddScaled { v, u, m } => Command::AddScaled {
                v,
                u,
                m: x[m as usize],
            },
        })
    }

    /// The final edges `(local target, probability)` of local vertex `j` at one θ.
    pub(crate) fn children<'a>(
        &'a self,
        x: &'a [f64],
        j: usize,
    ) -> impl Iterator<Item = (u32, f64)> + 'a {
        let r = self.child_offsets[j] as usize..self.child_offsets[j + 1] as usize;
        self.child_targets[r.clone()]
            .iter()
            .zip(&self.child_ops[r])
            .map(move |(&t, &q)| (t, x[q as usize]))
    }

    /// The portable little-endian encoding, sealed with a truncated
    /// SHA-256 of itself (any damaged byte is detected on decoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::versioned(TRACE_FORMAT_VERSION);
        w.u32(self.size);
        w.u32(self.exits);
        w.u32(self.param_dim);
        w.u32s(&self.edge_offsets);
        w.u32s(&self.edge_targets);
        w.f64s(&self.base);
        w.f64s(&self.coeffs);
        w.u64(self.ops.len() as u64);
        for op in &self.ops {
            let (kind, a, b) = match *op {
                Op::Weight(e) => (0, e, 0),
                Op::Add(a, b) => (1, a, b),
                Op::Mul(a, b) => (2, a, b),
                Op::Inv(a) => (3, a, 0),
                Op::Sum(s, n) => (4, s, n),
            };
            w.u8(kind);
            w.u32(a);
            w.u32(b);
        }
        w.u32s(&self.args);
        w.u32s(&self.rate);
        w.u32s(&self.inv);
        w.u64(self.elim.len() as u64);
        for c in &self.elim {
            let (kind, v, u, m) = match *c {
                Command::Scale { v, m } => (0, v, 0, m),
                Command::AddScaled { v, u, m } => (1, v, u, m),
            };
            w.u8(kind);
            w.u32(v);
            w.u32(u);
            w.u32(m);
        }
        w.u32s(&self.child_offsets);
        w.u32s(&self.child_targets);
        w.u32s(&self.child_ops);
        w.seal()
    }

    /// Decodes and validates [`encode`](Self::encode)'s bytes. Every
    /// index is checked (operands refer to earlier operations, commands
    /// and edges to existing vertices), so evaluating a decoded trace
    /// never panics; bad bytes are an [`Error::Decode`].
    pub fn decode(bytes: &[u8]) -> Result<ComponentTrace> {
        let mut r = Reader::unseal_versioned(bytes, "component trace", TRACE_FORMAT_VERSION)?;
        let (size, exits, param_dim) = (r.u32()?, r.u32()?, r.u32()?);
        let edge_offsets = r.u32s()?;
        let edge_targets = r.u32s()?;
        let base = r.f64s()?;
        let coeffs = r.f64s()?;
        let n_ops = r.u64()?;
        if n_ops > (bytes.len() / 9) as u64 {
            return Err(r.error(format!("{n_ops} operations exceed the data")));
        }
        let mut ops = Vec::with_capacity(n_ops as usize);
        for _ in 0..n_ops {
            let (kind, a, b) = (r.u8()?, r.u32()?, r.u32()?);
            ops.push(match kind {
                0 => Op::Weight(a),
                1 => Op::Add(a, b),
                2 => Op::Mul(a, b),
                3 => Op::Inv(a),
                4 => Op::Sum(a, b),
                k => return Err(r.error(format!("unknown operation kind {k}"))),
            });
        }
        let args = r.u32s()?;
        let rate = r.u32s()?;
        let inv = r.u32s()?;
        let n_elim = r.u64()?;
        if n_elim > (bytes.len() / 13) as u64 {
            return Err(r.error(format!("{n_elim} commands exceed the data")));
        }
        let mut elim = Vec::with_capacity(n_elim as usize);
        for _ in 0..n_elim {
            let (kind, v, u, m) = (r.u8()?, r.u32()?, r.u32()?, r.u32()?);
            elim.push(match kind {
                0 => Command::Scale { v, m },
                1 => Command::AddScaled { v, u, m },
                k => return Err(r.error(format!("unknown command kind {k}"))),
            });
        }
        let trace = ComponentTrace {
            size,
            exits,
            param_dim,
            edge_offsets,
            edge_targets,
            base,
            coeffs,
            ops,
            args,
            rate,
            inv,
            elim,
            child_offsets: r.u32s()?,
            child_targets: r.u32s()?,
            child_ops: r.u32s()?,
        };
        if let Err(reason) = trace.validate() {
            return Err(r.error(reason));
        }
        r.finish()?;
        Ok(trace)
    }

    /// Checks every index of a decoded trace.
    fn validate(&self) -> std::result::Result<(), String> {
        let (n, m) = (self.size as usize, self.base.len());
        let n_ops = self.ops.len();
        if Some(self.coeffs.len()) != m.checked_mul(self.param_dim as usize)
            || self.edge_targets.len() != m
        {
            return Err("edge arrays do not match the edge count".into());
        }
        if self.edge_offsets.len() != n + 1
            || self.edge_offsets.first() != Some(&0)
            || self.edge_offsets.last().map(|&o| o as usize) != Some(m)
            || self.edge_offsets.windows(2).any(|w| w[0] >= w[1])
        {
            return Err("edge offsets do not describe every vertex with at least one edge".into());
        }
        if self
            .edge_targets
            .iter()
            .any(|&t| t as usize >= n + self.exits as usize)
        {
            return Err("an edge target is out of range".into());
        }
        if self.base.iter().chain(&self.coeffs).any(|x| !x.is_finite()) {
            return Err("a weight is not finite".into());
        }
        for (k, op) in self.ops.iter().enumerate() {
            let earlier = |i: u32| (i as usize) < k;
            let ok = match *op {
                Op::Weight(e) => (e as usize) < m,
                Op::Add(a, b) | Op::Mul(a, b) => earlier(a) && earlier(b),
                Op::Inv(a) => earlier(a),
                Op::Sum(s, l) => {
                    let end = s as usize + l as usize;
                    end <= self.args.len() && self.args[s as usize..end].iter().all(|&i| earlier(i))
                }
            };
            if !ok {
                return Err(format!("operation {k} refers to a missing operand"));
            }
        }
        let op_ok = |i: u32| (i as usize) < n_ops;
        if self.rate.len() != n || self.inv.len() != n {
            return Err("rates do not match the vertex count".into());
        }
        if !self.rate.iter().chain(&self.inv).all(|&i| op_ok(i)) {
            return Err("a rate refers to a missing operation".into());
        }
        for c in &self.elim {
            let ok = match *c {
                Command::Scale { v, m } => (v as usize) < n && op_ok(m),
                Command::AddScaled { v, u, m } => (v as usize) < n && (u as usize) < n && op_ok(m),
            };
            if !ok {
                return Err("an elimination command is out of range".into());
            }
        }
        let edges = self.child_targets.len();
        if self.child_offsets.len() != n + 1
            || self.child_offsets.first() != Some(&0)
            || self.child_offsets.last().map(|&o| o as usize) != Some(edges)
            || self.child_offsets.windows(2).any(|w| w[0] > w[1])
            || self.child_ops.len() != edges
        {
            return Err("final edge offsets are inconsistent".into());
        }
        let limit = n + self.exits as usize;
        for j in 0..n {
            let r = self.child_offsets[j] as usize..self.child_offsets[j + 1] as usize;
            // back-substitution reads later vertices and exits only
            if !self.child_targets[r.clone()]
                .iter()
                .all(|&t| (t as usize) > j && (t as usize) < limit)
                || !self.child_ops[r].iter().all(|&q| op_ok(q))
            {
                return Err(format!("a final edge of local vertex {j} is out of range"));
            }
        }
        Ok(())
    }
}
