//! Recording: the elimination sweep of [`Program`](crate::elimination::Program)
//! run over [`Arith`] with operations instead of numbers.

use crate::elimination::bypass::{Arith, Children};
use crate::elimination::program::eliminate_component;
use crate::error::{Error, Result};
use crate::trace::subproblem::Subproblem;

use super::{ComponentTrace, Op};

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
}
