//! The portable encoding of a component trace: little-endian, sealed with
//! a truncated SHA-256 of itself, and validated index by index on decoding
//! (operands refer to earlier operations, commands and edges to existing
//! vertices, final edges only forward). Operations, commands and the
//! index lists they use are varints, an operand as its distance back from
//! the operation that reads it (mostly one or two bytes instead of four).

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
        for (k, op) in self.ops.iter().enumerate() {
            let back = |a: u32| (k - a as usize) as u64;
            match *op {
                Op::Weight(e) => {
                    w.u8(0);
                    w.var(u64::from(e));
                }
                Op::Add(a, b) | Op::Mul(a, b) => {
                    w.u8(if matches!(op, Op::Add(..)) { 1 } else { 2 });
                    w.var(back(a));
                    w.var(back(b));
                }
                Op::Inv(a) => {
                    w.u8(3);
                    w.var(back(a));
                }
                Op::Sum(s, n) => {
                    w.u8(4);
                    w.var(u64::from(s));
                    w.var(u64::from(n));
                }
            }
        }
        w.vars(&self.args);
        w.vars(&self.rate);
        w.vars(&self.inv);
        w.u64(self.elim.len() as u64);
        for c in &self.elim {
            match *c {
                Command::Scale { v, m } => {
                    w.u8(0);
                    w.var(u64::from(v));
                    w.var(u64::from(m));
                }
                Command::AddScaled { v, u, m } => {
                    w.u8(1);
                    w.var(u64::from(v));
                    w.var(u64::from(u));
                    w.var(u64::from(m));
                }
            }
        }
        w.u32s(&self.child_offsets);
        w.vars(&self.child_targets);
        w.vars(&self.child_ops);
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
        if n_ops > (bytes.len() / 2) as u64 {
            return Err(r.error(format!("{n_ops} operations exceed the data")));
        }
        let mut ops = Vec::with_capacity(n_ops as usize);
        for k in 0..n_ops as usize {
            let kind = r.u8()?;
            // an operand `d` back from operation k: 1 ≤ d ≤ k
            let back = |r: &mut Reader<'_>| -> Result<u32> {
                let d = r.var()?;
                match usize::try_from(d) {
                    Ok(d) if (1..=k).contains(&d) => Ok((k - d) as u32),
                    _ => Err(r.error(format!("operation {k} refers to a missing operand"))),
                }
            };
            ops.push(match kind {
                0 => Op::Weight(r.var32()?),
                1 => Op::Add(back(&mut r)?, back(&mut r)?),
                2 => Op::Mul(back(&mut r)?, back(&mut r)?),
                3 => Op::Inv(back(&mut r)?),
                4 => Op::Sum(r.var32()?, r.var32()?),
                k => return Err(r.error(format!("unknown operation kind {k}"))),
            });
        }
        let args = r.vars()?;
        let rate = r.vars()?;
        let inv = r.vars()?;
        let n_elim = r.u64()?;
        if n_elim > (bytes.len() / 3) as u64 {
            return Err(r.error(format!("{n_elim} commands exceed the data")));
        }
        let mut elim = Vec::with_capacity(n_elim as usize);
        for _ in 0..n_elim {
            elim.push(match r.u8()? {
                0 => Command::Scale {
                    v: r.var32()?,
                    m: r.var32()?,
                },
                1 => Command::AddScaled {
                    v: r.var32()?,
                    u: r.var32()?,
                    m: r.var32()?,
                },
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
            child_targets: r.vars()?,
            child_ops: r.vars()?,
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
