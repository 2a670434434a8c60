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
use crate::elimination::iterative::Block;
use crate::elimination::ordering::canonical_order;
use crate::elimination::reachability::{Support, analyse};
use crate::error::{Error, Result};
use crate::graph::csr::START;
use crate::graph::view::GraphView;
use crate::validate::check_rewards;

mod parts;
pub use parts::{
    AcyclicParts, CommandParts, CsrParts, PROGRAM_FORMAT_VERSION, ProgramParts, SCALING,
};

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
    /// Cyclic components solved iteratively in phase 3, by position.
    blocks: Arc<[Block]>,
    /// Eliminated cyclic components, by position, with their commands and
    /// exits (empty for a program evaluated from a trace, whose commands
    /// all run before phase 3 and whose acyclic graph holds the exits).
    segments: Arc<[Segment]>,
    /// The original out-of-component edges of every position in a segment
    /// (CSR by position): folded in before the segment's commands run.
    exits: Exits,
    /// Edge count of the graph (to check that a view matches).
    edges: usize,
}

/// An eliminated cyclic component at positions `a..b`: its commands are
/// `elim[commands]`, its acyclic edges stay inside it, and its exits are
/// applied to the right-hand side first (docs/ALGORITHMS.md §3.3), so that
/// elimination never fills rows with exits.
#[derive(Debug, Clone)]
struct Segment {
    a: usize,
    b: usize,
    commands: std::ops::Range<usize>,
}

/// Out-of-component edges by position (CSR).
#[derive(Debug, Clone, Default)]
struct Exits {
    offsets: Vec<usize>,
    edges: Vec<(u32, f64)>,
}

impl Exits {
    fn of(&self, i: usize) -> &[(u32, f64)] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&s), Some(&e)) => &self.edges[s..e],
            _ => &[],
        }
    }
}

/// The target standing for every exit of a component while it is
/// eliminated: one pseudo-edge that carries the exit mass, so that the
/// renormalisations are those of the full rows.
const EXIT: u32 = u32::MAX - 1;

/// How a [`Program`] treats its cyclic components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Solver {
    /// Eliminate a component unless AMD predicts more than
    /// [`ITERATIVE_FLOPS_PER_EDGE`] multiply-adds per internal edge for a
    /// component of at least [`ITERATIVE_MIN_SIZE`] vertices; solve those
    /// iteratively.
    #[default]
    Auto,
    /// Eliminate every component (what traces record).
    Elimination,
    /// Solve every cyclic component of at least two vertices iteratively.
    Iterative,
}

/// Components smaller than this are always eliminated (docs/ALGORITHMS.md §3.9).
pub const ITERATIVE_MIN_SIZE: usize = 2_000;
/// Above this many predicted multiply-adds per internal edge, `Auto`
/// solves a component iteratively (docs/ALGORITHMS.md §3.9).
pub const ITERATIVE_FLOPS_PER_EDGE: usize = 2_000;

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
        Program::with_solver(view, Solver::Auto)
    }

    /// Eliminates `view`, solving its cyclic components as `solver` says.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, elimination::{Program, Solver}};
    /// // a cycle 1 → 2 → 1 (rate 1 each way) with exit 1 from both
    /// let g = Graph::from_rule(&Initial::state(&[1]), |s, out| match s[0] {
    ///     1 => { out.add(&[2], 1.0); out.add(&[0], 1.0) }
    ///     2 => { out.add(&[1], 1.0); out.add(&[0], 1.0) }
    ///     _ => {}
    /// }).unwrap();
    /// for solver in [Solver::Elimination, Solver::Iterative] {
    ///     let p = Program::with_solver(&g, solver).unwrap();
    ///     let e = p.expected_waiting_time(&g, None).unwrap()[0];
    ///     assert!((e - 1.0).abs() < 1e-14);
    /// }
    /// ```
    pub fn with_solver<G: GraphView + ?Sized>(view: &G, solver: Solver) -> Result<Program> {
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
                blocks: Arc::new([]),
                segments: Arc::new([]),
                exits: Exits::default(),
                edges: view.edge_count(),
            });
        }
        let Positions {
            order,
            pos,
            comps,
            flops,
        } = elimination_order(view, &support);
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
        let mut solved = Vec::new();
        let mut segments = Vec::new();
        let mut exits = Exits {
            offsets: vec![0; order.len() + 1],
            edges: Vec::new(),
        };
        for (&(a, b), &flops) in comps.iter().zip(&flops).filter(|(c, _)| c.1 - c.0 > 1) {
            let iterative = match solver {
                Solver::Elimination => false,
                Solver::Iterative => true,
                // the internal edges are counted only where the size allows iteration
                Solver::Auto => {
                    b - a >= ITERATIVE_MIN_SIZE && {
                        let internal: usize = (a..b)
                            .map(|i| {
                                children_of(i)
                                    .iter()
                                    .filter(|&&(t, _)| (a..b).contains(&(t as usize)))
                                    .count()
                            })
                            .sum();
                        tracing::trace!(size = b - a, internal, flops, "cyclic component");
                        flops > ITERATIVE_FLOPS_PER_EDGE.saturating_mul(internal)
                    }
                }
            };
            if iterative {
                tracing::debug!(size = b - a, flops, "cyclic component solved iteratively");
                solved.push(Block::new(a, b, children_of));
                slot[a..b].fill(eliminated.len() as u32);
                eliminated.push(None);
                continue;
            }
            // internal edges, and every exit as one pseudo-edge of its mass
            let inside = |t: u32| (a..b).contains(&(t as usize));
            let mut children: Vec<Vec<(u32, f64)>> = Vec::with_capacity(b - a);
            for i in a..b {
                let (mut c, out): (Vec<_>, Vec<_>) =
                    children_of(i).into_iter().partition(|e| inside(e.0));
                let mass: f64 = out.iter().map(|e| e.1).sum();
                c.sort_unstable_by_key(|&(t, _)| t);
                if mass > 0.0 {
                    c.push((EXIT, mass));
                }
                exits.edges.extend(out);
                exits.offsets[i + 1] = exits.edges.len();
                children.push(c);
            }
            let start = elim.len();
            eliminate_component(&mut PlainArithmetic, a, b, &mut children, &mut elim, |u| {
                let vertex = order[u] as usize;
                Error::NoPathToAbsorption {
                    vertex,
                    state: view.state(vertex).to_vec(),
                }
            })?;
            segments.push(Segment {
                a,
                b,
                commands: start..elim.len(),
            });
            for (i, mut c) in (a..b).zip(children) {
                c.retain(|e| e.0 != EXIT);
                slot[i] = eliminated.len() as u32;
                eliminated.push(Some(c));
            }
        }
        for i in 1..exits.offsets.len() {
            exits.offsets[i] = exits.offsets[i].max(exits.offsets[i - 1]);
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
            iterative_components = solved.len(),
            "graph eliminated"
        );
        let mut program = Program::explicit(
            order.into(),
            pos.into(),
            scale,
            elim,
            dag_offsets.into(),
            dag,
            view.edge_count(),
        );
        program.blocks = solved.into();
        program.segments = segments.into();
        program.exits = exits;
        Ok(program)
    }

    /// A program with an explicit acyclic graph (built by elimination, or
    /// evaluated from a trace, which shares its position maps with every
    /// program it evaluates).
    pub(crate) fn explicit(
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
            blocks: Arc::new([]),
            segments: Arc::new([]),
            exits: Exits::default(),
            edges,
        }
    }

    /// Number of vertices of the graph the program was built from.
    pub fn vertex_count(&self) -> usize {
        self.pos.len()
    }

    /// Number of edges of the graph the program was built from.
    pub fn edge_count(&self) -> usize {
        self.edges
    }

    /// Whether the program holds work of its own: an elimination order,
    /// commands or an acyclic graph of its own. `false` for a graph whose
    /// vertices are numbered topologically: its program reads the graph
    /// itself and is computed in one pass over the edges.
    ///
    /// ```
    /// use phasic_core::{Graph, Initial, elimination::Program};
    /// let chain = Graph::from_rule(&Initial::state(&[3]), |s, out| {
    ///     if s[0] > 0 { out.add(&[s[0] - 1], 1.0) }
    /// }).unwrap();
    /// assert!(!Program::new(&chain).unwrap().holds_elimination());
    /// let cycle = Graph::from_rule(&Initial::state(&[1]), |s, out| match s[0] {
    ///     1 => { out.add(&[2], 1.0); out.add(&[0], 1.0) }
    ///     2 => out.add(&[1], 1.0),
    ///     _ => {}
    /// }).unwrap();
    /// assert!(Program::new(&cycle).unwrap().holds_elimination());
    /// ```
    pub fn holds_elimination(&self) -> bool {
        matches!(self.dag, Dag::Explicit { .. })
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
        if self.segments.is_empty() {
            run(&self.elim, x);
        }
        match &self.dag {
            Dag::Explicit { offsets, edges } => {
                let row = |i: usize| &edges[offsets[i]..offsets[i + 1]];
                let mut blocks = self.blocks.iter().rev().peekable();
                let mut segments = self.segments.iter().rev().peekable();
                let mut i = x.len();
                while i > 0 {
                    if let Some(block) = blocks.next_if(|k| k.b == i) {
                        block.solve(x);
                        i = block.a;
                        continue;
                    }
                    if let Some(seg) = segments.next_if(|k| k.b == i) {
                        for p in seg.a..seg.b {
                            x[p] += dot(self.exits.of(p), x);
                        }
                        run(&self.elim[seg.commands.clone()], x);
                        for p in (seg.a..seg.b).rev() {
                            x[p] += dot(row(p), x);
                        }
                        i = seg.a;
                        continue;
                    }
                    i -= 1;
                    x[i] += dot(row(i), x);
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
                let push = |y: &mut [f64], i: usize, row: &[(u32, f64)]| {
                    let yi = y[i];
                    if yi != 0.0 {
                        for &(t, q) in row {
                            y[t as usize] += q * yi;
                        }
                    }
                };
                let mut blocks = self.blocks.iter().peekable();
                let mut segments = self.segments.iter().peekable();
                let mut i = 0;
                while i < y.len() {
                    if let Some(block) = blocks.next_if(|k| k.a == i) {
                        block.solve_transposed(y);
                        i = block.b;
                        continue;
                    }
                    if let Some(seg) = segments.next_if(|k| k.a == i) {
                        for p in seg.a..seg.b {
                            push(y, p, &edges[offsets[p]..offsets[p + 1]]);
                        }
                        run_transposed(&self.elim[seg.commands.clone()], y);
                        for p in seg.a..seg.b {
                            push(y, p, self.exits.of(p));
                        }
                        i = seg.b;
                        continue;
                    }
                    push(y, i, &edges[offsets[i]..offsets[i + 1]]);
                    i += 1;
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
        if self.segments.is_empty() {
            run_transposed(&self.elim, y);
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

    /// Expected total time spent in every vertex when the chain starts from
    /// the distribution `entry` over the vertices (`entry·U`), by one
    /// backward pass: the sojourn times of a chain entered in the middle,
    /// as a piece of a time-inhomogeneous chain is.
    ///
    /// Fails if `entry` has the wrong length, a negative or non-finite
    /// entry, or mass on a vertex from which absorption is not certain.
    ///
    /// ```
    /// use phasic_core::{GraphBuilder, START, elimination::Program};
    /// // S → a (rate 1) → b (rate 2) → absorbed
    /// let mut b = GraphBuilder::new(1);
    /// let (a, c, z) = (b.find_or_create(&[1]).unwrap(), b.find_or_create(&[2]).unwrap(), b.find_or_create(&[3]).unwrap());
    /// b.add_edge(START, a, 1.0).unwrap();
    /// b.add_edge(a, c, 1.0).unwrap();
    /// b.add_edge(c, z, 2.0).unwrap();
    /// let g = b.build();
    /// let p = Program::new(&g).unwrap();
    /// // entered at b: only b's own time, 1/2
    /// assert_eq!(p.sojourn_times_from(&g, &[0.0, 0.0, 1.0, 0.0]).unwrap(), vec![0.0, 0.0, 0.5, 0.0]);
    /// ```
    pub fn sojourn_times_from<G: GraphView + ?Sized>(
        &self,
        view: &G,
        entry: &[f64],
    ) -> Result<Vec<f64>> {
        self.check_view(view)?;
        check_rewards(entry, self.vertex_count())?;
        self.solve_entry(view, entry.iter().copied().enumerate())
    }

    /// `x·U` for the entries `(vertex, x_v)`: each placed at its vertex's
    /// position (an error for a vertex without a path to absorption), then
    /// one backward pass.
    fn solve_entry<G: GraphView + ?Sized>(
        &self,
        view: &G,
        entry: impl Iterator<Item = (usize, f64)>,
    ) -> Result<Vec<f64>> {
        let mut y = vec![0.0; self.len()];
        for (v, m) in entry.filter(|&(_, m)| m != 0.0) {
            let p = self.position(v).ok_or_else(|| Error::NoPathToAbsorption {
                vertex: v,
                state: view.state(v).to_vec(),
            })?;
            y[p] += m;
        }
        self.apply_transposed(view, &mut y);
        Ok(self.to_vertices(&y))
    }

    /// The derivative of [`sojourn_times_from`](Self::sojourn_times_from)
    /// along a direction in which the entry moves by `entry_tangent` and
    /// the edge weights by `weight_tangent` (in the graph's edge order),
    /// given the sojourn times `tau` themselves: with `τ = p·U` and
    /// `U = (−S)⁻¹`, `τ̇ = (ṗ + τ·Ṡ)·U`, one more backward pass. Mass that
    /// `τ·Ṡ` sends into absorbing vertices spends no time and is left out.
    ///
    /// ```
    /// use phasic_core::{GraphBuilder, START, elimination::Program};
    /// // S → a (rate r = 2) → absorbed: τ_a = 1/r, ∂τ_a/∂r = −1/r²
    /// let mut b = GraphBuilder::new(1);
    /// let (a, z) = (b.find_or_create(&[1]).unwrap(), b.find_or_create(&[2]).unwrap());
    /// b.add_edge(START, a, 1.0).unwrap();
    /// b.add_edge(a, z, 2.0).unwrap();
    /// let g = b.build();
    /// let p = Program::new(&g).unwrap();
    /// let entry = [0.0, 1.0, 0.0];
    /// let tau = p.sojourn_times_from(&g, &entry).unwrap();
    /// let d = p.sojourn_times_tangent(&g, &tau, &[0.0; 3], &[0.0, 1.0]).unwrap();
    /// assert_eq!(d[1], -0.25);
    /// ```
    pub fn sojourn_times_tangent<G: GraphView + ?Sized>(
        &self,
        view: &G,
        tau: &[f64],
        entry_tangent: &[f64],
        weight_tangent: &[f64],
    ) -> Result<Vec<f64>> {
        self.check_view(view)?;
        let n = self.vertex_count();
        for (what, len, want) in [
            ("sojourn times", tau.len(), n),
            ("entry tangent", entry_tangent.len(), n),
            ("weight tangent", weight_tangent.len(), view.targets().len()),
        ] {
            if len != want {
                tracing::debug!(what, "tangent of the wrong length");
                return Err(Error::RewardLength {
                    expected: want,
                    got: len,
                });
            }
        }
        let mut x = entry_tangent.to_vec();
        let targets = view.targets();
        for (u, &t) in tau.iter().enumerate() {
            if t == 0.0 {
                continue;
            }
            for e in view.edge_range(u) {
                let dw = weight_tangent[e];
                x[targets[e] as usize] += t * dw;
                x[u] -= t * dw;
            }
        }
        if let Some(v) = x.iter().position(|m| !m.is_finite()) {
            return Err(Error::NonFinite {
                what: "the tangent of the entry",
                vertex: v,
            });
        }
        self.solve_entry(
            view,
            x.into_iter()
                .enumerate()
                .filter(|&(v, _)| !view.is_absorbing(v)),
        )
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

/// Runs elimination commands on `x`.
fn run(commands: &[Command], x: &mut [f64]) {
    for c in commands {
        match *c {
            Command::Scale { v, m } => x[v as usize] *= m,
            Command::AddScaled { v, u, m } => x[v as usize] += m * x[u as usize],
        }
    }
}

/// The transpose of [`run`].
fn run_transposed(commands: &[Command], y: &mut [f64]) {
    for c in commands.iter().rev() {
        match *c {
            Command::Scale { v, m } => y[v as usize] *= m,
            Command::AddScaled { v, u, m } => y[u as usize] += m * y[v as usize],
        }
    }
}

/// The elimination order (docs/ALGORITHMS.md §3.2): the non-absorbing components in
/// topological order, each cyclic one in its canonical, fill-reducing
/// order ([`canonical_order`]), then the absorbing vertices. Returns position →
/// vertex, vertex → position (`EXCLUDED` outside the support), and the
/// position range of every non-absorbing component with AMD's estimate of
/// the multiply-adds its elimination costs.
pub(crate) fn elimination_order<G: GraphView + ?Sized>(view: &G, support: &Support) -> Positions {
    let n = view.vertex_count();
    let (comp_vertices, comp_offsets) = (&support.comp_vertices, &support.comp_offsets);
    let mut order: Vec<u32> = Vec::with_capacity(comp_vertices.len());
    let mut comps: Vec<(usize, usize)> = Vec::new();
    let mut flops = Vec::new();
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
        flops.push(canonical_order(
            view,
            &mut order[a..],
            |e| weights[e] > 0.0,
            &mut local,
        ));
    }
    order.extend(
        (0..n as u32).filter(|&v| support.good[v as usize] && view.is_absorbing(v as usize)),
    );
    let mut pos = vec![EXCLUDED; n];
    for (i, &v) in order.iter().enumerate() {
        pos[v as usize] = i as u32;
    }
    Positions {
        order,
        pos,
        comps,
        flops,
    }
}

/// What [`elimination_order`] returns.
pub(crate) struct Positions {
    /// Position → vertex.
    pub(crate) order: Vec<u32>,
    /// Vertex → position (`EXCLUDED` outside the support).
    pub(crate) pos: Vec<u32>,
    /// The position range of every non-absorbing component.
    pub(crate) comps: Vec<(usize, usize)>,
    /// AMD's estimate of the multiply-adds of each component's elimination.
    pub(crate) flops: Vec<usize>,
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
