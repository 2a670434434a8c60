//! Random graphs as logical edge lists, built through `GraphBuilder` in a
//! (possibly shuffled) vertex numbering and read as dense matrices
//! straight from the edge list (see [`super::dense`]), so the reference
//! never goes through the library's own conversion.
//!
//! Two generators: [`RandomGraph::constant`] (constant rates spanning
//! orders of magnitude, parallel and zero-weight edges, up to
//! [`MAX_ABSORBING`] absorbing nodes, with a discrete reading) and
//! [`RandomGraph::parameterized`] / [`RandomGraph::homogeneous`] (every
//! edge `base + c·θ`, weights non-negative for θ up to [`THETA_HI`], or
//! [`D_THETA_HI`] for discrete graphs).

use nalgebra::{DMatrix, DVector};
use phasic_core::{Graph, GraphBuilder, START};
use proptest::prelude::*;
use proptest::sample::Index;

use super::dense::Dense;

/// Marks the start vertex in a logical edge list.
pub const FROM_START: usize = usize::MAX;
/// Largest number of absorbing nodes of a [`RandomGraph::constant`] graph.
pub const MAX_ABSORBING: usize = 3;
/// θ of the continuous parameterized graphs lies in `[THETA_LO, THETA_HI]`.
pub const THETA_LO: f64 = 0.2;
pub const THETA_HI: f64 = 3.0;
/// θ of the discrete parameterized graphs lies in `[D_THETA_LO,
/// D_THETA_HI]`; the row totals are at most 0.95 at `D_THETA_HI`.
pub const D_THETA_LO: f64 = 0.05;
pub const D_THETA_HI: f64 = 1.0;

/// An edge `base + coeffs·θ` between logical nodes (`coeffs` empty for a
/// constant graph).
#[derive(Debug, Clone)]
pub struct Edge {
    /// Logical source (`FROM_START` for the start vertex).
    pub from: usize,
    /// Logical target: transient `0..m`, absorbing `m..m + k`.
    pub to: usize,
    pub base: f64,
    pub coeffs: Vec<f64>,
}

impl Edge {
    pub fn weight(&self, theta: &[f64]) -> f64 {
        self.coeffs
            .iter()
            .zip(theta)
            .fold(self.base, |s, (c, t)| s + c * t)
    }

    /// Whether the weight is not zero for every θ.
    pub fn live(&self) -> bool {
        self.base != 0.0 || self.coeffs.iter().any(|&c| c != 0.0)
    }
}

/// A random graph in logical numbering: transient nodes `0..m`, absorbing
/// nodes `m..m + k`; node `l` becomes vertex `perm[l]`.
#[derive(Debug, Clone)]
pub struct RandomGraph {
    /// Parameters (0 for a constant graph).
    pub p: usize,
    pub m: usize,
    pub k: usize,
    pub perm: Vec<usize>,
    /// May contain parallel edges and zero weights.
    pub edges: Vec<Edge>,
    /// Whether θ enters the start's edges.
    pub param_start: bool,
    /// Total out-probability of every transient node in the discrete
    /// reading of a constant graph ([`RandomGraph::discrete`]).
    pub row_total: Vec<f64>,
}

impl RandomGraph {
    pub fn n(&self) -> usize {
        self.m + self.k
    }

    pub fn vertex(&self, l: usize) -> usize {
        if l == FROM_START { START } else { self.perm[l] }
    }

    /// The graph, through `GraphBuilder` (`add_edge` for a constant graph,
    /// `add_param_edge` otherwise).
    pub fn graph(&self) -> Graph {
        let mut b = if self.p == 0 {
            GraphBuilder::new(1)
        } else {
            GraphBuilder::with_params(1, self.p)
        };
        for v in 1..=self.n() {
            assert_eq!(b.find_or_create(&[v as i32]).unwrap(), v);
        }
        for e in &self.edges {
            let (from, to) = (self.vertex(e.from), self.vertex(e.to));
            if self.p == 0 {
                b.add_edge(from, to, e.base)
            } else {
                b.add_param_edge(from, to, e.base, &e.coeffs)
            }
            .unwrap();
        }
        b.build()
    }

    /// The discrete reading of a constant graph: every transient row scaled
    /// to its `row_total`.
    pub fn discrete(&self) -> RandomGraph {
        assert_eq!(self.p, 0, "the discrete reading is of constant graphs");
        let mut sum = vec![0.0; self.m];
        for e in &self.edges {
            if e.from != FROM_START {
                sum[e.from] += e.base;
            }
        }
        let mut out = self.clone();
        for e in out.edges.iter_mut().filter(|e| e.from != FROM_START) {
            e.base = e.base * self.row_total[e.from] / sum[e.from];
        }
        out
    }

    /// The dense form at θ (`&[]` for a constant graph), computed from the
    /// edge list alone.
    pub fn dense(&self, theta: &[f64]) -> Dense {
        let (m, k) = (self.m, self.k);
        let mut w = DMatrix::zeros(m, m);
        let mut exit = DMatrix::zeros(m, k);
        let mut start = vec![0.0; m + k];
        for e in &self.edges {
            let wt = e.weight(theta);
            assert!(wt >= 0.0, "generator made a negative weight {wt}");
            if e.from == FROM_START {
                start[e.to] += wt;
                continue;
            }
            if e.to < m {
                w[(e.from, e.to)] += wt;
            } else {
                exit[(e.from, e.to - m)] += wt;
            }
        }
        let total: f64 = start.iter().sum();
        Dense {
            alpha: DVector::from_iterator(m, start[..m].iter().map(|w| w / total)),
            alpha_abs: start[m..].iter().map(|w| w / total).collect(),
            w,
            exit,
        }
    }

    pub fn layout(&self) -> Layout {
        Layout {
            n: self.n() + 1,
            trans: self.perm[..self.m].to_vec(),
            abs: self.perm[self.m..].to_vec(),
        }
    }

    /// A vertex-indexed vector with `vals[l]` at transient node `l` and
    /// `junk` at the start and absorbing vertices.
    pub fn place(&self, vals: &[f64], junk: f64) -> Vec<f64> {
        self.layout().place(vals, |_| junk)
    }
}

/// Where the logical nodes of a dense model sit in a graph.
pub struct Layout {
    /// Vertex count, including the start.
    pub n: usize,
    pub trans: Vec<usize>,
    /// Absorbing node → vertex (several nodes may share one vertex).
    pub abs: Vec<usize>,
}

impl Layout {
    /// A vertex-indexed vector: transient node `l` gets `vals[l]`; the start
    /// gets `junk(0)` and absorbing node `a` gets `junk(1 + a)` (values the
    /// library must ignore).
    pub fn place(&self, vals: &[f64], junk: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        out[START] = junk(0);
        for (a, &v) in self.abs.iter().enumerate() {
            out[v] = junk(1 + a);
        }
        for (l, &v) in self.trans.iter().enumerate() {
            out[v] = vals[l];
        }
        out
    }

    /// The transient entries of a vertex-indexed vector, in logical order.
    pub fn logical(&self, r: &[f64]) -> DVector<f64> {
        DVector::from_iterator(self.trans.len(), self.trans.iter().map(|&v| r[v]))
    }

    /// A vertex-indexed vector from transient and absorbing parts.
    pub fn to_vertices(&self, start: f64, trans: &DVector<f64>, abs: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        out[START] = start;
        for (a, &v) in self.abs.iter().enumerate() {
            out[v] += abs[a];
        }
        for (l, &v) in self.trans.iter().enumerate() {
            out[v] = trans[l];
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Generators

/// Log-uniform on `[e⁻⁴, e⁴]`: rates spanning more than three orders of
/// magnitude.
fn weight() -> impl Strategy<Value = f64> + Clone {
    (-4.0f64..4.0).prop_map(f64::exp)
}

/// A coefficient: zero, positive, or (less often) negative.
fn coeff() -> impl Strategy<Value = f64> {
    prop_oneof![2 => Just(0.0), 3 => 0.0f64..3.0, 1 => -0.5f64..0.0]
}

impl RandomGraph {
    /// Constant graphs with up to `max_m` transient states: every transient
    /// node has an "anchor" edge to a later transient node or to an
    /// absorbing one (so absorption is reachable from everywhere), plus
    /// random extra edges (cycles unless `acyclic`), parallel copies,
    /// zero-weight edges, start edges (possibly into absorbing nodes: a
    /// defect; their weights need not sum to 1), and either the identity
    /// or a shuffled vertex numbering. `row_total` is 1 or in `[0.3, 1)`.
    pub fn constant(max_m: usize) -> impl Strategy<Value = RandomGraph> {
        (1..=max_m, 1..=MAX_ABSORBING, any::<bool>(), any::<bool>()).prop_flat_map(
            move |(m, k, acyclic, shuffle)| {
                let n = m + k;
                let ids: Vec<usize> = (1..=n).collect();
                let perm = if shuffle {
                    Just(ids).prop_shuffle().boxed()
                } else {
                    Just(ids).boxed()
                };
                (
                    proptest::collection::vec((any::<Index>(), 0.5f64..10.0), m),
                    proptest::collection::vec((0..m, 0..n, weight()), 0..=3 * m),
                    proptest::collection::vec((any::<Index>(), weight()), 0..=m),
                    proptest::collection::vec((0..m, 0..n), 0..=2),
                    (0..m, weight()),
                    proptest::collection::vec((0..n, weight()), 0..=2),
                    proptest::option::of((0..k, 0.05f64..3.0)),
                    perm,
                    proptest::collection::vec(prop_oneof![Just(1.0), 0.3f64..1.0], m),
                )
                    .prop_map(
                        move |(anchors, extras, dups, zeros, first, starts, defect, perm, rows)| {
                            let mut edges = Vec::new();
                            edges.push((FROM_START, first.0, first.1));
                            for (t, w) in starts {
                                edges.push((FROM_START, t, w));
                            }
                            if let Some((a, w)) = defect {
                                edges.push((FROM_START, m + a, w));
                            }
                            let first_inner = edges.len();
                            for (i, (ix, w)) in anchors.into_iter().enumerate() {
                                let later = m - i - 1;
                                let c = ix.index(later + k);
                                let t = if c < later { i + 1 + c } else { m + c - later };
                                edges.push((i, t, w));
                            }
                            for (f, t, w) in extras {
                                if f != t && (!acyclic || f < t) {
                                    edges.push((f, t, w));
                                }
                            }
                            let inner = edges.len() - first_inner;
                            for (ix, w) in dups {
                                let (f, t, _) = edges[first_inner + ix.index(inner)];
                                edges.push((f, t, w));
                            }
                            for (f, t) in zeros {
                                if f != t && (!acyclic || f < t) {
                                    edges.push((f, t, 0.0));
                                }
                            }
                            let edges = edges
                                .into_iter()
                                .map(|(from, to, base)| Edge {
                                    from,
                                    to,
                                    base,
                                    coeffs: Vec::new(),
                                })
                                .collect();
                            RandomGraph {
                                p: 0,
                                m,
                                k,
                                perm,
                                edges,
                                param_start: false,
                                row_total: rows,
                            }
                        },
                    )
            },
        )
    }

    /// Parameterized graphs with `p` from `ps` parameters and 2–8
    /// transient nodes: a forward anchor edge out of every node (the last
    /// one into an absorbing node), an exit out of every node (so the
    /// density is positive at every t ≥ 0), random extra edges (cycles,
    /// parallel edges, exits), in a shuffled vertex numbering. The start
    /// either has one constant edge into node 0 or (`param_start`) 1–3
    /// parameterized edges and possibly a parameterized defect edge into an
    /// absorbing node.
    ///
    /// A negative coefficient `c` raises the base by `|c|·θ_max`, so every
    /// weight is non-negative for θ in `[0, θ_max]`. For a `discrete` graph
    /// every transient node's edges are then scaled so that its total
    /// out-weight is at most a random target in `[0.2, 0.95]` over that
    /// range.
    pub fn parameterized(ps: Vec<usize>, discrete: bool) -> impl Strategy<Value = RandomGraph> {
        let theta_max = if discrete { D_THETA_HI } else { THETA_HI };
        (
            proptest::sample::select(ps),
            2usize..=8,
            1usize..=2,
            any::<bool>(),
        )
            .prop_flat_map(move |(p, m, k, param_start)| {
                let n = m + k;
                let cs = move || proptest::collection::vec(coeff(), p);
                (
                    Just((1..=n).collect::<Vec<usize>>()).prop_shuffle(),
                    proptest::collection::vec((0.1f64..2.0, cs()), m),
                    proptest::collection::vec((0..k, 0.05f64..1.0, cs()), m),
                    proptest::collection::vec((0..m, 0..n, 0.0f64..2.0, cs()), 0..=2 * m),
                    proptest::collection::vec((0..m, 0.05f64..1.0, cs()), 1..=3),
                    proptest::option::of((0..k, 0.0f64..0.5, cs())),
                    proptest::collection::vec(0.2f64..0.95, m),
                )
                    .prop_map(
                        move |(perm, anchors, exits, extras, starts, defect, targets)| {
                            let mut edges = Vec::new();
                            let mut push = |from: usize, to: usize, base: f64, coeffs: Vec<f64>| {
                                let lift: f64 =
                                    coeffs.iter().map(|c| (-c).max(0.0) * theta_max).sum();
                                edges.push(Edge {
                                    from,
                                    to,
                                    base: base + lift,
                                    coeffs,
                                });
                            };
                            if param_start {
                                for (t, b, c) in starts {
                                    push(FROM_START, t, b, c);
                                }
                                if let Some((x, b, c)) = defect {
                                    push(FROM_START, m + x, b, c);
                                }
                            } else {
                                push(FROM_START, 0, 1.0, vec![0.0; p]);
                            }
                            for (i, (b, c)) in anchors.into_iter().enumerate() {
                                push(i, if i + 1 < m { i + 1 } else { m }, b, c);
                            }
                            for (i, (x, b, c)) in exits.into_iter().enumerate() {
                                push(i, m + x, b, c);
                            }
                            for (f, t, b, c) in extras {
                                if f != t {
                                    push(f, t, b, c);
                                }
                            }
                            if discrete {
                                let mut max_total = vec![0.0; m];
                                for e in edges.iter().filter(|e| e.from != FROM_START) {
                                    max_total[e.from] += e.base
                                        + e.coeffs
                                            .iter()
                                            .map(|c| c.max(0.0) * theta_max)
                                            .sum::<f64>();
                                }
                                for e in edges.iter_mut().filter(|e| e.from != FROM_START) {
                                    let scale = targets[e.from] / max_total[e.from];
                                    e.base *= scale;
                                    e.coeffs.iter_mut().for_each(|c| *c *= scale);
                                }
                            }
                            RandomGraph {
                                p,
                                m,
                                k,
                                perm,
                                edges,
                                param_start,
                                row_total: Vec::new(),
                            }
                        },
                    )
            })
    }

    /// [`RandomGraph::parameterized`]'s continuous graphs made homogeneous
    /// (every rate linear in θ with no fixed part, so the likelihood takes
    /// Euler's identity for one score): each edge's base moves into one of
    /// its coefficients and negative coefficients flip sign; a fixed start
    /// stays fixed, a parameterized one becomes linear too.
    pub fn homogeneous(ps: Vec<usize>) -> impl Strategy<Value = RandomGraph> {
        Self::parameterized(ps, false).prop_map(|mut g| {
            let p = g.p;
            for (i, e) in g.edges.iter_mut().enumerate() {
                if e.coeffs.iter().all(|&c| c == 0.0) && e.from == FROM_START && !g.param_start {
                    continue;
                }
                e.coeffs.iter_mut().for_each(|c| *c = c.abs());
                e.coeffs[i % p] += e.base;
                e.base = 0.0;
            }
            g
        })
    }
}
