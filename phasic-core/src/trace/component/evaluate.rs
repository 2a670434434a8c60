//! Evaluation for `L` θs at once (structure of arrays: each operation
//! holds `L` consecutive values, so the inner loops vectorize): the values
//! of every operation, the checks that name an unusable vertex, and the
//! replays that the composition needs (rewards, edges, commands).

use std::ops::Range;

use crate::elimination::program::Command;
use crate::graph::csr::weight;

use super::{ComponentTrace, Op, Unusable, UnusableVertex};

impl ComponentTrace {
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
    pub(crate) fn check<const L: usize>(
        &self,
        x: &[f64],
        used: Range<usize>,
    ) -> Option<UnusableVertex> {
        let lanes = |op: usize| &x[op * L + used.start..op * L + used.end];
        for (k, op) in self.ops.iter().enumerate() {
            if let Op::Weight(e) = *op
                && let Some(&weight) = lanes(k).iter().find(|w| **w < 0.0)
            {
                let e = e as usize;
                return Some(UnusableVertex {
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
                return Some(UnusableVertex { vertex: j, why });
            }
        }
        let closed = |vertex: usize| UnusableVertex {
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
}
