//! The portable encoding of a component trace: little-endian, sealed with
//! a truncated SHA-256 of itself, and validated index by index on decoding
//! (operands refer to earlier operations, commands and edges to existing
//! vertices, final edges only forward).

use crate::elimination::program::Command;
use crate::error::Result;
use crate::trace::subproblem::TRACE_FORMAT_VERSION;
use crate::trace::wire::{Reader, Writer};

use super::{ComponentTrace, Op};

impl ComponentTrace {
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
    /// never panics; bad bytes are an [`Error::Decode`](crate::Error::Decode).
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
