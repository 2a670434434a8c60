//! Elimination traces (ALGORITHMS §6.3): the complete elimination of a
//! parameterized graph, recorded once as a straight-line program of
//! operations whose results are the multipliers of the numeric
//! [`Program`]; evaluated for any θ without redoing the sweep.
//!
//! The recorder is the elimination itself (the same sweep and bypass code,
//! run over [`Arith`] with operations instead of numbers), so it is correct
//! on cyclic graphs and in any vertex order — unlike the peer's (§6.2).

use std::sync::Arc;

use crate::bypass::{Arith, Children};
use crate::error::{Error, Result};
use crate::graph::{START, check_theta};
use crate::program::{Command, Program, eliminate_component, elimination_order};
use crate::support::analyse;
use crate::view::GraphView;

/// One operation; operands are indices of earlier operations.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// A constant.
    Const(f64),
    /// The weight `b + c·θ` of edge `e` of the graph.
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

/// A graph whose weights are replaced by their structure: 1 where an edge
/// can carry weight for some θ (a non-zero base or coefficient), else 0.
struct Structure<'a, G: ?Sized> {
    view: &'a G,
    weights: Vec<f64>,
}

impl<G: GraphView + ?Sized> GraphView for Structure<'_, G> {
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

/// The recorded elimination of a parameterized graph.
///
/// ```
/// use phasic_core::{Graph, Initial, PhaseType, Trace};
/// // a cycle 1 → 2 → 1 with exit from 2, rates θ₀ and θ₁
/// let mut g = Graph::from_rule_with_params(&Initial::state(&[1]), 2, |s, out| match s[0] {
///     1 => out.add_param(&[2], 0.0, &[1.0, 0.0]),
///     2 => { out.add_param(&[1], 0.0, &[0.0, 1.0]); out.add(&[3], 1.0) }
///     _ => {}
/// }).unwrap();
/// let trace = Trace::record(&g).unwrap();
/// for theta in [[1.0, 2.0], [0.5, 4.0]] {
///     g.update_weights(&theta).unwrap();
///     let direct = PhaseType::new(&g).unwrap().expectation(None).unwrap();
///     let replayed = trace.program(&theta).unwrap().expected_waiting_time(&g, None).unwrap()[0];
///     assert!((direct - replayed).abs() < 1e-12 * direct);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Trace {
    ops: Vec<Op>,
    args: Vec<u32>,
    param_dim: usize,
    /// Base weight and coefficients of every edge of the graph.
    base: Vec<f64>,
    coeffs: Vec<f64>,
    /// `(vertex, op of its total rate)` for every vertex with edges.
    rates: Vec<(u32, u32)>,
    states: Vec<i32>,
    state_len: usize,
    edges: usize,
    order: Arc<[u32]>,
    pos: Arc<[u32]>,
    /// Phase 1 multipliers (`None`: 0).
    scale: Vec<Option<u32>>,
    elim: Vec<Command<u32>>,
    dag_offsets: Arc<[usize]>,
    dag: Vec<(u32, u32)>,
}

impl Trace {
    /// Records the elimination of `view`'s structure: every edge that can
    /// carry weight for some θ. Constant graphs are traced too (their
    /// weights are constants).
    pub fn record<G: GraphView + ?Sized>(view: &G) -> Result<Trace> {
        let n = view.vertex_count();
        let p = view.param_dim();
        let m = view.edge_count();
        let (base, coeffs): (Vec<f64>, Vec<f64>) = if p == 0 {
            (view.weights().to_vec(), Vec::new())
        } else {
            (view.base_weights().to_vec(), view.coefficients().to_vec())
        };
        let structure = Structure {
            view,
            weights: (0..m)
                .map(|e| {
                    let live =
                        base[e] != 0.0 || coeffs[e * p..(e + 1) * p].iter().any(|c| *c != 0.0);
                    if live { 1.0 } else { 0.0 }
                })
                .collect(),
        };
        let support = analyse(&structure)?;
        let (order, pos, comps) = elimination_order(&structure, &support);
        let mut rec = Recorder::default();
        let zero = rec.push(Op::Const(0.0));
        let weights = &structure.weights;
        // rates, their inverses and the normalised out-edges, by vertex
        let mut rates = Vec::new();
        let mut inv = vec![zero; n];
        let mut probs: Vec<Children<u32>> = vec![Vec::new(); n];
        for &v in &order {
            let v = v as usize;
            let live: Vec<usize> = view.edge_range(v).filter(|&e| weights[e] > 0.0).collect();
            if live.is_empty() {
                continue;
            }
            let w: Vec<u32> = live
                .iter()
                .map(|&e| rec.push(Op::Weight(e as u32)))
                .collect();
            let rate = rec.sum(w.iter().copied());
            rates.push((v as u32, rate));
            inv[v] = rec.inv(rate);
            probs[v] = live
                .iter()
                .zip(&w)
                .map(|(&e, &we)| (pos[view.targets()[e] as usize], rec.mul(we, inv[v])))
                .collect();
            probs[v].sort_unstable_by_key(|&(t, _)| t);
        }
        let scale = order
            .iter()
            .map(|&v| {
                (v as usize != START && !view.is_absorbing(v as usize)).then_some(inv[v as usize])
            })
            .collect();
        let mut elim = Vec::new();
        let mut dag_offsets = vec![0];
        let mut dag = Vec::new();
        for &(a, b) in &comps {
            let mut children: Vec<Children<u32>> = order[a..b]
                .iter()
                .map(|&v| std::mem::take(&mut probs[v as usize]))
                .collect();
            if b - a > 1 {
                eliminate_component(&mut rec, a, b, &mut children, &mut elim, &order, view)?;
            }
            for c in children {
                dag.extend(c);
                dag_offsets.push(dag.len());
            }
        }
        dag_offsets.resize(order.len() + 1, dag.len());
        tracing::debug!(
            ops = rec.ops.len(),
            commands = elim.len(),
            dag_edges = dag.len(),
            "elimination recorded"
        );
        Ok(Trace {
            ops: rec.ops,
            args: rec.args,
            param_dim: p,
            base,
            coeffs,
            rates,
            states: view.states().to_vec(),
            state_len: view.state_len(),
            edges: m,
            order: order.into(),
            pos: pos.into(),
            scale,
            elim,
            dag_offsets: dag_offsets.into(),
            dag,
        })
    }

    /// Number of recorded operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was recorded (never: there is at least the constant 0).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Dimension of θ.
    pub fn param_dim(&self) -> usize {
        self.param_dim
    }

    /// The value of every operation at θ.
    fn evaluate(&self, theta: &[f64]) -> Result<Vec<f64>> {
        let p = self.param_dim;
        check_theta(theta, p)?;
        let mut x = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            let v = match *op {
                Op::Const(c) => c,
                Op::Weight(e) => {
                    let e = e as usize;
                    self.base[e]
                        + self.coeffs[e * p..(e + 1) * p]
                            .iter()
                            .zip(theta)
                            .map(|(c, t)| c * t)
                            .sum::<f64>()
                }
                Op::Add(a, b) => x[a as usize] + x[b as usize],
                Op::Mul(a, b) => x[a as usize] * x[b as usize],
                Op::Inv(a) => 1.0 / x[a as usize],
                Op::Sum(s, l) => self.args[s as usize..(s + l) as usize]
                    .iter()
                    .map(|&i| x[i as usize])
                    .sum(),
            };
            x.push(v);
        }
        for &(v, rate) in &self.rates {
            let r = x[rate as usize];
            if !(r.is_finite() && r > 0.0) {
                let vertex = v as usize;
                let state =
                    self.states[vertex * self.state_len..(vertex + 1) * self.state_len].to_vec();
                return Err(if r == 0.0 {
                    Error::ZeroRate { vertex, state }
                } else {
                    Error::NonFinite {
                        what: "total rate",
                        vertex,
                    }
                });
            }
        }
        Ok(x)
    }

    /// The numeric elimination program at θ: the same program
    /// [`Program::new`] builds from the graph with these weights, without
    /// redoing the sweep. Errors: θ of the wrong length or not finite, a
    /// vertex whose total rate is zero or not finite at θ (named).
    pub fn program(&self, theta: &[f64]) -> Result<Program> {
        let x = self.evaluate(theta)?;
        let val = |op: u32| x[op as usize];
        let scale = self.scale.iter().map(|s| s.map_or(0.0, val)).collect();
        let elim = self
            .elim
            .iter()
            .map(|c| match *c {
                Command::Scale { v, m } => Command::Scale { v, m: val(m) },
                Command::AddScaled { v, u, m } => Command::AddScaled { v, u, m: val(m) },
            })
            .collect();
        let dag = self.dag.iter().map(|&(t, q)| (t, val(q))).collect();
        Ok(Program::from_parts(
            self.order.clone(),
            self.pos.clone(),
            scale,
            elim,
            self.dag_offsets.clone(),
            dag,
            self.edges,
        ))
    }
}

/// Bytes of operation values one chunk of θs may hold: the number of θs
/// evaluated together (lanes, 4 to 16) keeps a chunk about cache-sized;
/// it depends on the trace only, never on the threads.
const CHUNK_BYTES: usize = 16 << 20;

impl Trace {
    /// θs evaluated together, lane by lane (structure of arrays: every
    /// quantity holds `lanes` consecutive values, so inner loops vectorize).
    fn lanes(&self) -> usize {
        let fit = (CHUNK_BYTES / (self.ops.len().max(1) * 8)).clamp(4, 16);
        1 << (usize::BITS - 1 - fit.leading_zeros())
    }

    /// `E[Y]` (`Y` = absorption time when `rewards` is `None`) for every θ
    /// of `thetas`, in order. The θs are evaluated in chunks, in parallel;
    /// every value is computed by the same sequence of operations whatever
    /// the thread count, so results do not depend on it.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, Trace};
    /// // Kingman n = 4 with coalescence scale θ: E[T] = 1.5/θ
    /// let g = Graph::from_rule_with_params(&Initial::state(&[4]), 1, |s, out| {
    ///     let k = s[0];
    ///     if k > 1 { out.add_param(&[k - 1], 0.0, &[f64::from(k * (k - 1)) / 2.0]) }
    /// }).unwrap();
    /// let trace = Trace::record(&g).unwrap();
    /// let e = trace.expectations(&[vec![1.0], vec![0.5], vec![3.0]], None).unwrap();
    /// for (e, theta) in e.iter().zip([1.0, 0.5, 3.0]) {
    ///     assert!((e - 1.5 / theta).abs() < 1e-14);
    /// }
    /// ```
    pub fn expectations(&self, thetas: &[Vec<f64>], rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        use rayon::prelude::*;
        for t in thetas {
            check_theta(t, self.param_dim)?;
        }
        let n = self.pos.len();
        let rp: Vec<f64> = match rewards {
            Some(r) => {
                crate::program::check_rewards(r, n)?;
                self.order.iter().map(|&v| r[v as usize]).collect()
            }
            None => vec![1.0; self.order.len()],
        };
        let lanes = self.lanes();
        let chunks: Vec<Result<Vec<f64>>> = thetas
            .par_chunks(lanes)
            .map(|c| self.expect_chunk(c, &rp, lanes))
            .collect();
        let mut out = Vec::with_capacity(thetas.len());
        for c in chunks {
            out.extend(c?);
        }
        Ok(out)
    }

    /// One chunk of at most `lanes` θs.
    fn expect_chunk(&self, thetas: &[Vec<f64>], rp: &[f64], lanes: usize) -> Result<Vec<f64>> {
        let b = thetas.len();
        let p = self.param_dim;
        let mut x = vec![0.0f64; self.ops.len() * lanes];
        for (k, op) in self.ops.iter().enumerate() {
            let (done, rest) = x.split_at_mut(k * lanes);
            let out = &mut rest[..lanes];
            let lane = |i: u32| &done[i as usize * lanes..(i as usize + 1) * lanes];
            match *op {
                Op::Const(c) => out.fill(c),
                Op::Weight(e) => {
                    let e = e as usize;
                    let c = &self.coeffs[e * p..(e + 1) * p];
                    for (o, t) in out.iter_mut().zip(thetas) {
                        *o = self.base[e] + c.iter().zip(t).map(|(c, t)| c * t).sum::<f64>();
                    }
                }
                Op::Add(a, bb) => lane(a)
                    .iter()
                    .zip(lane(bb))
                    .zip(out.iter_mut())
                    .for_each(|((a, b), o)| *o = a + b),
                Op::Mul(a, bb) => lane(a)
                    .iter()
                    .zip(lane(bb))
                    .zip(out.iter_mut())
                    .for_each(|((a, b), o)| *o = a * b),
                Op::Inv(a) => lane(a)
                    .iter()
                    .zip(out.iter_mut())
                    .for_each(|(a, o)| *o = 1.0 / a),
                Op::Sum(s, l) => {
                    out.fill(0.0);
                    for &i in &self.args[s as usize..(s + l) as usize] {
                        lane(i)
                            .iter()
                            .zip(out.iter_mut())
                            .for_each(|(a, o)| *o += a);
                    }
                }
            }
        }
        for &(v, rate) in &self.rates {
            let r = &x[rate as usize * lanes..rate as usize * lanes + b];
            if let Some(&bad) = r.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
                let vertex = v as usize;
                let state =
                    self.states[vertex * self.state_len..(vertex + 1) * self.state_len].to_vec();
                return Err(if bad == 0.0 {
                    Error::ZeroRate { vertex, state }
                } else {
                    Error::NonFinite {
                        what: "total rate",
                        vertex,
                    }
                });
            }
        }
        let val = |op: u32| &x[op as usize * lanes..(op as usize + 1) * lanes];
        // position-major rewards, lane by lane, then the three phases
        let m = self.order.len();
        let mut y = vec![0.0f64; m * lanes];
        for (i, s) in self.scale.iter().enumerate() {
            let yi = &mut y[i * lanes..(i + 1) * lanes];
            match s {
                Some(op) => yi
                    .iter_mut()
                    .zip(val(*op))
                    .for_each(|(y, s)| *y = rp[i] * s),
                None => yi.fill(0.0),
            }
        }
        for c in &self.elim {
            match *c {
                Command::Scale { v, m } => {
                    let v = v as usize;
                    y[v * lanes..(v + 1) * lanes]
                        .iter_mut()
                        .zip(val(m))
                        .for_each(|(y, m)| *y *= m);
                }
                Command::AddScaled { v, u, m } => {
                    let (v, u) = (v as usize, u as usize);
                    let (dst, src) = if v < u {
                        let (a, b) = y.split_at_mut(u * lanes);
                        (&mut a[v * lanes..(v + 1) * lanes], &b[..lanes])
                    } else {
                        let (a, b) = y.split_at_mut(v * lanes);
                        (&mut b[..lanes], &a[u * lanes..(u + 1) * lanes])
                    };
                    dst.iter_mut()
                        .zip(src.iter().zip(val(m)))
                        .for_each(|(y, (s, m))| *y += m * s);
                }
            }
        }
        for i in (0..m).rev() {
            let (head, tail) = y.split_at_mut((i + 1) * lanes);
            let yi = &mut head[i * lanes..];
            for &(t, q) in &self.dag[self.dag_offsets[i]..self.dag_offsets[i + 1]] {
                // targets come later in the order: they live in `tail`
                let off = (t as usize - i - 1) * lanes;
                let yt = &tail[off..off + lanes];
                yi.iter_mut()
                    .zip(yt.iter().zip(val(q)))
                    .for_each(|(y, (t, q))| *y += q * t);
            }
        }
        let start = self.pos[START] as usize;
        Ok(y[start * lanes..start * lanes + b].to_vec())
    }
}
