//! Graph elimination into a reusable command program (docs/ALGORITHMS.md §3).
//!
//! The program works in *position space*: vertices are renumbered in
//! elimination order (strongly connected components in topological order,
//! absorbing vertices last). It has three phases:
//!
//! 1. per position, `x_i ← x_i / λ_i` (0 for the start and absorbing vertices);
//! 2. the elimination commands of the cyclic components (§3.3);
//! 3. back-substitution over the final acyclic graph, last position first (§3.4).
//!
//! Applied to a reward vector it yields the expected accumulated reward
//! from every vertex; applied backwards (transposed) it yields the expected
//! sojourn times. Acyclic graphs need no phase-2 command at all.

use std::sync::Arc;

use rayon::prelude::*;

use crate::elimination::bypass::{Arith, Children, PlainArithmetic, bypass};
use crate::elimination::ordering::canonical_order;
use crate::elimination::reachability::{Support, analyse};
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_rewards;

/// Positions per parallel task when filling the acyclic graph.
const FILL_BLOCK: usize = 4096;

/// One elimination command, in position space; the multiplier is a
/// number, or the operation that computes it in a trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Command<V = f64> {
    /// `x[v] ← m · x[v]`
    Scale { v: u32, m: V },
    /// `x[v] ← x[v] + m · x[u]`
    AddScaled { v: u32, u: u32, m: V },
}

const EXCLUDED: u32 = u32::MAX;

/// The elimination of a graph, reusable for any number of reward vectors.
///
/// ```
/// use phasic_core::{Graph, Initial, elimination::Program};
/// // S -> v (1), v -> absorbing (2): Exp(2)
/// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| {
///     if s[0] == 1 { out.add(&[2], 2.0) }
/// }).unwrap();
/// let p = Program::new(&g).unwrap();
/// assert_eq!(p.expected_waiting_time(&g, None).unwrap(), vec![0.5, 0.5, 0.0]);
/// assert_eq!(p.sojourn_times(&g).unwrap(), vec![0.0, 0.5, 0.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Program {
    /// Position → vertex, for the vertices from which absorption is certain.
    order: Arc<[u32]>,
    /// Vertex → position, `EXCLUDED` for the others.
    pos: Arc<[u32]>,
    /// Phase 1 multipliers, per position.
    scale: Vec<f64>,
    /// Phase 2.
    elim: Vec<Command>,
    /// Phase 3.
    dag: Dag,
    /// Edge count of the graph (to check that a view matches).
    edges: usize,
}

/// The final acyclic graph of phase 3.
#[derive(Debug, Clone)]
enum Dag {
    /// CSR by position: `(target position, probability)`.
    Explicit {
        offsets: Arc<[usize]>,
        edges: Vec<(u32, f64)>,
    },
    /// The graph itself: positions are vertices (every edge already goes to
    /// a higher index and every vertex is absorbed for sure), probabilities
    /// are `w · inv_rate[v]`. Nothing is copied, which matters for large
    /// graphs and memory-mapped ones.
    Graph { inv_rate: Vec<f64> },
}

impl Program {
    /// Eliminates `view`.
    ///
    /// Fails if a weight is invalid or a vertex reachable from the start
    /// cannot reach absorption ([`Error::NoPathToAbsorption`],
    /// [`Error::ZeroRate`]). Zero-weight edges are ignored.
    pub fn new<G: GraphView + ?Sized>(view: &G) -> Result<Program> {
        let support = analyse(view)?;
        let n = view.vertex_count();
        if support.topological && support.good.iter().all(|&g| g) {
            let inv_rate: Vec<f64> = support
                .rates
                .iter()
                .map(|&r| if r > 0.0 { 1.0 / r } else { 0.0 })
                .collect();
            let scale = (0..n)
                .map(|v| {
                    if v == START || view.is_absorbing(v) {
                        0.0
                    } else {
                        inv_rate[v]
                    }
                })
                .collect();
            return Ok(Program {
                order: (0..n as u32).collect(),
                pos: (0..n as u32).collect(),
                scale,
                elim: Vec::new(),
                dag: Dag::Graph { inv_rate },
                edges: view.edge_count(),
            });
        }
        let (order, pos, comps) = elimination_order(view, &support);
        let scale: Vec<f64> = order
            .iter()
            .map(|&v| {
                let v = v as usize;
                if v == START || view.is_absorbing(v) {
                    0.0
                } else {
                    1.0 / support.rates[v]
                }
            })
            .collect();

        let targets = view.targets();
        let weights = view.weights();
        // normalised positive out-edges of position i, as (position, probability)
        let children_of = |i: usize| -> Vec<(u32, f64)> {
            let v = order[i] as usize;
            let rate = support.rates[v];
            view.edge_range(v)
                .filter(|&e| weights[e] > 0.0)
                .map(|e| (pos[targets[e] as usize], weights[e] / rate))
                .collect()
        };

        // Cyclic components are eliminated one after the other; their final
        // forward edges are kept by position.
        let mut elim = Vec::new();
        let mut eliminated: Vec<Option<Vec<(u32, f64)>>> = Vec::new();
        let mut slot = vec![u32::MAX; order.len()];
        for &(a, b) in comps.iter().filter(|&&(a, b)| b - a > 1) {
            let mut children: Vec<Vec<(u32, f64)>> = (a..b)
                .map(|i| {
                    let mut c = children_of(i);
                    c.sort_unstable_by_key(|&(t, _)| t);
                    c
                })
                .collect();
            eliminate_component(&mut PlainArithmetic, a, b, &mut children, &mut elim, |u| {
                let vertex = order[u] as usize;
                Error::NoPathToAbsorption {
                    vertex,
                    state: view.state(vertex).to_vec(),
                }
            })?;
            for (i, c) in (a..b).zip(children) {
                slot[i] = eliminated.len() as u32;
                eliminated.push(Some(c));
            }
        }
        // The final acyclic graph, filled in parallel by blocks of positions
        // (each position's edges are written by exactly one task, in order).
        let (order_ref, pos_ref, rates) = (&order, &pos, &support.rates);
        let singleton_edges = move |i: usize| {
            let v = order_ref[i] as usize;
            let inv = 1.0 / rates[v];
            view.edge_range(v)
                .filter(|&e| weights[e] > 0.0)
                .map(move |e| (pos_ref[targets[e] as usize], weights[e] * inv))
        };
        let counts: Vec<usize> = (0..order.len())
            .into_par_iter()
            .map(|i| match slot[i] {
                u32::MAX => singleton_edges(i).count(),
                k => eliminated[k as usize].as_ref().map_or(0, Vec::len),
            })
            .collect();
        let mut dag_offsets = Vec::with_capacity(order.len() + 1);
        dag_offsets.push(0);
        for c in &counts {
            dag_offsets.push(dag_offsets.last().copied().unwrap_or(0) + c);
        }
        let mut dag = vec![(0u32, 0.0f64); dag_offsets[order.len()]];
        let mut blocks = Vec::new();
        let mut rest: &mut [(u32, f64)] = &mut dag;
        for a in (0..order.len()).step_by(FILL_BLOCK) {
            let b = (a + FILL_BLOCK).min(order.len());
            let (head, tail) =
                std::mem::take(&mut rest).split_at_mut(dag_offsets[b] - dag_offsets[a]);
            blocks.push((a, b, head));
            rest = tail;
        }
        let eliminated = &eliminated;
        blocks.into_par_iter().for_each(|(a, b, out)| {
            let mut k = 0;
            for (i, &sl) in (a..b).zip(&slot[a..b]) {
                let mut put = |edge| {
                    out[k] = edge;
                    k += 1;
                };
                match sl {
                    u32::MAX => singleton_edges(i).for_each(&mut put),
                    c => eliminated[c as usize]
                        .iter()
                        .flatten()
                        .copied()
                        .for_each(&mut put),
                }
            }
        });
        tracing::debug!(
            vertices = n,
            positions = order.len(),
            components = comps.len(),
            elimination_commands = elim.len(),
            dag_edges = dag.len(),
            "graph eliminated"
        );
        Ok(Program::from_parts(
            order.into(),
            pos.into(),
            scale,
            elim,
            dag_offsets.into(),
            dag,
            view.edge_count(),
        ))
    }

    /// A program with an explicit acyclic graph (built by elimination, or
    /// evaluated from a trace, which shares its position maps with every
    /// program it evaluates).
    pub(crate) fn from_parts(
        order: Arc<[u32]>,
        pos: Arc<[u32]>,
        scale: Vec<f64>,
        elim: Vec<Command>,
        dag_offsets: Arc<[usize]>,
        dag: Vec<(u32, f64)>,
        edges: usize,
    ) -> Program {
        Program {
            order,
            pos,
            scale,
            elim,
            dag: Dag::Explicit {
                offsets: dag_offsets,
                edges: dag,
            },
            edges,
        }
    }

    /// Number of vertices of the graph the program was built from.
    pub fn vertex_count(&self) -> usize {
        self.pos.len()
    }

    /// Position of the start vertex.
    pub(crate) fn start(&self) -> usize {
        self.pos[START] as usize
    }

    /// Position of vertex `v` (`None` if absorption from it is not certain).
    pub(crate) fn position(&self, v: usize) -> Option<usize> {
        match self.pos[v] {
            EXCLUDED => None,
            p => Some(p as usize),
        }
    }

    /// Number of positions (vertices with certain absorption).
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Copies a per-vertex vector into position space.
    pub(crate) fn to_positions(&self, per_vertex: &[f64]) -> Vec<f64> {
        self.order.iter().map(|&v| per_vertex[v as usize]).collect()
    }

    /// Copies a position-space vector back to vertices (NaN where excluded).
    pub(crate) fn to_vertices(&self, per_pos: &[f64]) -> Vec<f64> {
        self.pos
            .iter()
            .map(|&p| {
                if p == EXCLUDED {
                    f64::NAN
                } else {
                    per_pos[p as usize]
                }
            })
            .collect()
    }

    /// Fails unless `view` has the shape of the graph this program was built from.
    pub(crate) fn check_view<G: GraphView + ?Sized>(&self, view: &G) -> Result<()> {
        if view.vertex_count() != self.pos.len() || view.edge_count() != self.edges {
            return Err(Error::GraphMismatch {
                what: "program",
                expected_vertices: self.pos.len(),
                expected_edges: self.edges,
                expected_param_dim: 0,
                vertices: view.vertex_count(),
                edges: view.edge_count(),
                param_dim: view.param_dim(),
            });
        }
        Ok(())
    }

    /// Runs the program on `x` (position space, holding rewards), leaving
    /// the expected accumulated rewards in it. `view` is the graph the
    /// program was built from.
    pub(crate) fn apply<G: GraphView + ?Sized>(&self, view: &G, x: &mut [f64]) {
        for (xi, s) in x.iter_mut().zip(&self.scale) {
            *xi *= s;
        }
        for c in &self.elim {
            match *c {
                Command::Scale { v, m } => x[v as usize] *= m,
                Command::AddScaled { v, u, m } => x[v as usize] += m * x[u as usize],
            }
        }
        match &self.dag {
            Dag::Explicit { offsets, edges } => {
                for i in (0..x.len()).rev() {
                    x[i] += dot(&edges[offsets[i]..offsets[i + 1]], x);
                }
            }
            Dag::Graph { inv_rate } => {
                let (offsets, targets, weights) = (view.offsets(), view.targets(), view.weights());
                for i in (0..x.len()).rev() {
                    let r = offsets[i] as usize..offsets[i + 1] as usize;
                    x[i] += inv_rate[i] * dot_split(&targets[r.clone()], &weights[r], x);
                }
            }
        }
    }

    /// The transpose of [`apply`](Self::apply): `y ← Cᵀ y`.
    pub(crate) fn apply_transposed<G: GraphView + ?Sized>(&self, view: &G, y: &mut [f64]) {
        match &self.dag {
            Dag::Explicit { offsets, edges } => {
                for i in 0..y.len() {
                    let yi = y[i];
                    if yi != 0.0 {
                        for &(t, q) in &edges[offsets[i]..offsets[i + 1]] {
                            y[t as usize] += q * yi;
                        }
                    }
                }
            }
            Dag::Graph { inv_rate } => {
                let (offsets, targets, weights) = (view.offsets(), view.targets(), view.weights());
                for i in 0..y.len() {
                    let yi = y[i] * inv_rate[i];
                    if yi != 0.0 {
                        let r = offsets[i] as usize..offsets[i + 1] as usize;
                        for (&t, &w) in targets[r.clone()].iter().zip(&weights[r]) {
                            y[t as usize] += w * yi;
                        }
                    }
                }
            }
        }
        for c in self.elim.iter().rev() {
            match *c {
                Command::Scale { v, m } => y[v as usize] *= m,
                Command::AddScaled { v, u, m } => y[u as usize] += m * y[v as usize],
            }
        }
        for (yi, s) in y.iter_mut().zip(&self.scale) {
            *yi *= s;
        }
    }

    /// Checks a reward vector and moves it to position space (ones if `None`).
    pub(crate) fn rewards_to_positions(&self, rewards: Option<&[f64]>) -> Result<Vec<f64>> {
        match rewards {
            None => Ok(vec![1.0; self.len()]),
            Some(r) => {
                check_rewards(r, self.vertex_count())?;
                Ok(self.to_positions(r))
            }
        }
    }

    /// Expected accumulated reward until absorption from every vertex
    /// (`r = 1` if `None`); entry 0 is the expectation (docs/ALGORITHMS.md §2.1).
    /// Vertices from which absorption is not certain get NaN.
    pub fn expected_waiting_time<G: GraphView + ?Sized>(
        &self,
        view: &G,
        rewards: Option<&[f64]>,
    ) -> Result<Vec<f64>> {
        self.check_view(view)?;
        let mut x = self.rewards_to_positions(rewards)?;
        self.apply(view, &mut x);
        Ok(self.to_vertices(&x))
    }

    /// Expected total time spent in every vertex (`αU`, docs/ALGORITHMS.md §2.5), by
    /// one backward pass. For a discrete graph: expected number of steps.
    pub fn sojourn_times<G: GraphView + ?Sized>(&self, view: &G) -> Result<Vec<f64>> {
        self.check_view(view)?;
        Ok(self.sojourn(view))
    }

    /// [`sojourn_times`](Self::sojourn_times) for the graph the program was built from.
    pub(crate) fn sojourn<G: GraphView + ?Sized>(&self, view: &G) -> Vec<f64> {
        let mut y = vec![0.0; self.len()];
        y[self.start()] = 1.0;
        self.apply_transposed(view, &mut y);
        self.to_vertices(&y)
    }
}

/// `Σ q·x[t]` over `(t, q)` pairs, with four independent partial sums in
/// a fixed order (shorter dependency chains; no dependence on threads).
fn dot(edges: &[(u32, f64)], x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = edges.chunks_exact(4);
    for c in &mut chunks {
        for k in 0..4 {
            acc[k] += x[c[k].0 as usize] * c[k].1;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for &(t, q) in chunks.remainder() {
        s += x[t as usize] * q;
    }
    s
}

/// `Σ w·x[t]` over parallel target and weight slices, like [`dot`].
fn dot_split(targets: &[u32], weights: &[f64], x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut t4 = targets.chunks_exact(4);
    let mut w4 = weights.chunks_exact(4);
    for (t, w) in (&mut t4).zip(&mut w4) {
        for k in 0..4 {
            acc[k] += x[t[k] as usize] * w[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (&t, &w) in t4.remainder().iter().zip(w4.remainder()) {
        s += x[t as usize] * w;
    }
    s
}

/// The elimination order (docs/ALGORITHMS.md §3.2): the non-absorbing components in
/// topological order, each cyclic one in its canonical, fill-reducing
/// order ([`canonical_order`]), then the absorbing vertices. Returns position →
/// vertex, vertex → position (`EXCLUDED` outside the support), and the
/// position range of every non-absorbing component.
pub(crate) fn elimination_order<G: GraphView + ?Sized>(
    view: &G,
    support: &Support,
) -> (Vec<u32>, Vec<u32>, Vec<(usize, usize)>) {
    let n = view.vertex_count();
    let (comp_vertices, comp_offsets) = (&support.comp_vertices, &support.comp_offsets);
    let mut order: Vec<u32> = Vec::with_capacity(comp_vertices.len());
    let mut comps: Vec<(usize, usize)> = Vec::new();
    let mut local = vec![u32::MAX; n];
    for c in 0..comp_offsets.len() - 1 {
        let members = &comp_vertices[comp_offsets[c]..comp_offsets[c + 1]];
        if members.len() == 1 && view.is_absorbing(members[0] as usize) {
            continue;
        }
        let a = order.len();
        comps.push((a, a + members.len()));
        order.extend_from_slice(members);
        let weights = view.weights();
        canonical_order(view, &mut order[a..], |e| weights[e] > 0.0, &mut local);
    }
    order.extend(
        (0..n as u32).filter(|&v| support.good[v as usize] && view.is_absorbing(v as usize)),
    );
    let mut pos = vec![EXCLUDED; n];
    for (i, &v) in order.iter().enumerate() {
        pos[v as usize] = i as u32;
    }
    (order, pos, comps)
}

/// The elimination sweep (docs/ALGORITHMS.md §3.3) over the component at positions `a..b`.
/// `children[i - a]` holds position `i`'s normalised out-edges sorted by
/// target position; on return it holds the final forward edges.
/// `closed(u)` is the error for position `u` left with no way out.
pub(crate) fn eliminate_component<A: Arith>(
    ar: &mut A,
    a: usize,
    b: usize,
    children: &mut [Children<A::V>],
    elim: &mut Vec<Command<A::V>>,
    closed: impl Fn(usize) -> Error,
) -> Result<()> {
    let local = |p: u32| p as usize - a;
    let inside = |p: u32| (a..b).contains(&(p as usize));
    let mut parents: Vec<Vec<u32>> = vec![Vec::new(); b - a];
    for (i, c) in children.iter().enumerate() {
        for &(t, _) in c {
            if inside(t) {
                parents[local(t)].push((a + i) as u32);
            }
        }
    }
    let mut merged: Children<A::V> = Vec::new();
    for v in a..b {
        let vp = v as u32;
        let later_parents = std::mem::take(&mut parents[v - a]);
        let cv = std::mem::take(&mut children[v - a]);
        for u in later_parents.into_iter().filter(|&u| u > vp) {
            let Some(step) = bypass(ar, u, vp, &mut children[local(u)], &cv, &mut merged, |z| {
                if inside(z) {
                    parents[local(z)].push(u);
                }
            }) else {
                continue;
            };
            if !ar.usable(step.inv_total) {
                return Err(closed(u as usize));
            }
            elim.push(Command::AddScaled {
                v: u,
                u: vp,
                m: step.q_uv,
            });
            if step.self_loop {
                elim.push(Command::Scale {
                    v: u,
                    m: step.inv_total,
                });
            }
        }
        children[v - a] = cv;
    }
    Ok(())
}
