//! Traces (docs/ALGORITHMS.md §3.8, §6): the elimination of a
//! parameterized graph, recorded once and evaluated for any θ without
//! redoing the sweep.
//!
//! A [`Trace`] is a composition. The graph's strongly connected
//! components (of the edges that can carry weight for some θ) are cut out
//! as [`Subproblem`]s, whose eliminations are recorded as
//! [`ComponentTrace`]s; the vertices outside cyclic components need no
//! recording at all: at θ, their expectations follow from their edge
//! weights by back-substitution. One rule decides what is a subproblem
//! ([`TraceOptions::min_subproblem`]): components at least that large are
//! keyed by content, deduplicated and may be computed elsewhere (stored,
//! sharded); smaller ones are recorded inline when the trace is planned.
//! Either way, every component is eliminated by the same code in the same
//! canonical order.
//!
//! Files: `plan` (what is recorded where: [`TraceOptions`], [`TracePlan`],
//! [`Trace::plan`], [`Trace::record`]), `evaluate` (expectations and
//! programs at θ, many θ side by side), `at_theta` ([`AtTheta`]: the
//! graph at θ with its program), `subproblem` (one cyclic component, cut
//! out and keyed), `component` (its recorded elimination) and `wire`
//! (the little-endian encoding both use).

use std::sync::Arc;

pub(crate) mod at_theta;
pub(crate) mod component;
pub(crate) mod evaluate;
pub(crate) mod plan;
pub(crate) mod subproblem;
pub(crate) mod wire;

pub use at_theta::AtTheta;
pub use component::ComponentTrace;
pub use plan::{DEFAULT_MIN_SUBPROBLEM, TraceOptions, TracePlan};
pub use subproblem::{Subproblem, TRACE_FORMAT_VERSION};

/// The recorded elimination of a parameterized graph.
///
/// ```
/// use phasic_core::{Graph, GraphView, Initial, PhaseType, trace::Trace, PhaseTypeDistribution};
/// // a cycle 1 → 2 → 1 with exit from 2, rates θ₀ and θ₁
/// let mut g = Graph::from_rule_with_params(&Initial::state(&[1]), 2, |s, out| match s[0] {
///     1 => out.add_param(&[2], 0.0, &[1.0, 0.0]),
///     2 => { out.add_param(&[1], 0.0, &[0.0, 1.0]); out.add(&[3], 1.0) }
///     _ => {}
/// }).unwrap();
/// let trace = Trace::record(&g).unwrap();
/// for theta in [[1.0, 2.0], [0.5, 4.0]] {
///     let replayed = trace.expectation(&theta, None).unwrap();
///     g.update_weights(&theta).unwrap();
///     let direct = PhaseType::new(&g).unwrap().expectation(None).unwrap();
///     assert!((direct - replayed).abs() < 1e-12 * direct);
///     // everything else through the graph instantiated at θ
///     let at = trace.at(&g, &theta).unwrap();
///     let var = at.phase_type().variance(None).unwrap();
///     assert!((var - PhaseType::new(&g).unwrap().variance(None).unwrap()).abs() < 1e-12 * var);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Trace {
    param_dim: usize,
    states: Vec<i32>,
    state_len: usize,
    edges: usize,
    order: Arc<[u32]>,
    pos: Arc<[u32]>,
    /// Blocks of the non-absorbing positions, in order.
    blocks: Vec<Block>,
    /// Live edges of single positions, in position space (CSR).
    offsets: Vec<usize>,
    targets: Vec<u32>,
    base: Vec<f64>,
    coeffs: Vec<f64>,
    components: Vec<Arc<ComponentTrace>>,
}

/// A run of positions in the elimination order.
#[derive(Debug, Clone)]
enum Block {
    /// Positions `a..b`, each its own component: computed from its edges.
    Singles { a: usize, b: usize },
    /// A cyclic component at positions `start..start + size` (canonical
    /// order), evaluated by `components[trace]`; `exits` are positions.
    Component {
        start: usize,
        size: usize,
        trace: usize,
        exits: Vec<u32>,
    },
}

impl Block {
    /// Its first position.
    fn start(&self) -> usize {
        match *self {
            Block::Singles { a, .. } => a,
            Block::Component { start, .. } => start,
        }
    }
}

impl Trace {
    /// Number of recorded operations (over all cyclic components; the
    /// other vertices need none).
    pub fn len(&self) -> usize {
        self.components.iter().map(|c| c.len()).sum()
    }

    /// Whether no operation was recorded (an acyclic graph).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Dimension of θ.
    pub fn param_dim(&self) -> usize {
        self.param_dim
    }

    /// Number of vertices of the graph.
    pub fn vertex_count(&self) -> usize {
        self.pos.len()
    }

    /// Number of cyclic components.
    pub fn component_count(&self) -> usize {
        self.components.len()
    }
}
