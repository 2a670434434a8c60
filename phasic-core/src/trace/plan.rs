//! Planning a trace: the graph's structure (the edges that can carry
//! weight for some θ), its cyclic components in canonical order, cut out
//! as subproblems — keyed ones to be solved anywhere, small ones recorded
//! inline — and the completion of the plan with the subproblems' traces.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::{Block, Trace};
use crate::elimination::program::{Positions, elimination_order};
use crate::elimination::reachability::analyse;
use crate::error::{Error, Result};
use crate::graph::view::{GraphView, reweighted_view};
use crate::key::encoding::ModelKey;
use crate::trace::component::ComponentTrace;
use crate::trace::subproblem::Subproblem;

/// Default [`TraceOptions::min_subproblem`].
pub const DEFAULT_MIN_SUBPROBLEM: usize = 64;
/// How a trace is split into subproblems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOptions {
    /// Cyclic components with at least this many vertices become keyed
    /// subproblems; smaller ones are recorded inline. `usize::MAX`
    /// records everything inline (the monolithic trace).
    pub min_subproblem: usize,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            min_subproblem: DEFAULT_MIN_SUBPROBLEM,
        }
    }
}

/// A graph whose weights are replaced by their structure: 1 where an edge
/// can carry weight for some θ (a non-zero base or coefficient), else 0.
struct Structure<'a, G: ?Sized> {
    view: &'a G,
    weights: Vec<f64>,
}

reweighted_view!(Structure);

/// Where the trace of a cyclic component comes from.
enum Source {
    Inline(Subproblem),
    /// Index into the plan's distinct subproblems.
    Keyed(usize),
}

/// A trace before its subproblems are solved: what [`Trace::plan`]
/// returns. Solve [`subproblems`](Self::subproblems) (in process, from a
/// store, or elsewhere) and pass the results to
/// [`complete`](Self::complete).
pub struct TracePlan {
    skeleton: Trace,
    sources: Vec<Source>,
    subproblems: Vec<Subproblem>,
    keys: Vec<ModelKey>,
}

impl TracePlan {
    /// The distinct keyed subproblems, in order of first appearance.
    pub fn subproblems(&self) -> &[Subproblem] {
        &self.subproblems
    }

    /// Their content keys.
    pub fn keys(&self) -> &[ModelKey] {
        &self.keys
    }

    /// Number of cyclic components recorded inline.
    pub fn inline_count(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| matches!(s, Source::Inline(_)))
            .count()
    }

    /// The trace, given the trace of every subproblem (in the order of
    /// [`subproblems`](Self::subproblems)); inline components are recorded
    /// here, in parallel. Fails if a trace does not belong to its subproblem.
    pub fn complete(self, traces: Vec<Arc<ComponentTrace>>) -> Result<Trace> {
        if traces.len() != self.subproblems.len() {
            return Err(Error::ComponentTraceCount {
                expected: self.subproblems.len(),
                got: traces.len(),
            });
        }
        for (k, (t, s)) in traces.iter().zip(&self.subproblems).enumerate() {
            if !t.solves(s) {
                return Err(Error::ForeignTrace {
                    index: k,
                    key: self.keys[k].to_string(),
                });
            }
        }
        let components = self
            .sources
            .into_par_iter()
            .map(|s| match s {
                Source::Inline(sub) => ComponentTrace::record(&sub).map(Arc::new),
                Source::Keyed(k) => Ok(traces[k].clone()),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Trace {
            components,
            ..self.skeleton
        })
    }
}

impl Trace {
    /// Records the whole elimination in this process (subproblems in
    /// parallel, each distinct one once), with the default options.
    pub fn record<G: GraphView + ?Sized>(view: &G) -> Result<Trace> {
        Self::record_with(view, TraceOptions::default())
    }

    /// [`record`](Self::record) with explicit options.
    pub fn record_with<G: GraphView + ?Sized>(view: &G, options: TraceOptions) -> Result<Trace> {
        let plan = Self::plan(view, options)?;
        let traces = plan
            .subproblems()
            .par_iter()
            .map(|s| ComponentTrace::record(s).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        plan.complete(traces)
    }

    /// Analyses `view`'s structure (the edges that can carry weight for
    /// some θ), orders every cyclic component canonically and cuts it out
    /// as a subproblem. Constant graphs are traced too.
    ///
    /// Errors: a reachable closed class or a vertex with no live edge, as
    /// for [`Program::new`](crate::elimination::Program::new).
    pub fn plan<G: GraphView + ?Sized>(view: &G, options: TraceOptions) -> Result<TracePlan> {
        let n = view.vertex_count();
        let p = view.param_dim();
        let m = view.edge_count();
        let (base, coeffs): (&[f64], &[f64]) = if p == 0 {
            (view.weights(), &[])
        } else {
            (view.base_weights(), view.coefficients())
        };
        let live: Vec<bool> = (0..m)
            .map(|e| base[e] != 0.0 || coeffs[e * p..(e + 1) * p].iter().any(|c| *c != 0.0))
            .collect();
        let structure = Structure {
            view,
            weights: live.iter().map(|&l| if l { 1.0 } else { 0.0 }).collect(),
        };
        let support = analyse(&structure)?;
        let Positions {
            mut order, comps, ..
        } = elimination_order(&structure, &support);

        // cut out the cyclic components, in canonical order
        let mut scratch = vec![u32::MAX; n];
        let mut cut = Vec::new();
        for &(a, b) in comps.iter().filter(|&&(a, b)| b - a > 1) {
            let ex = Subproblem::extract(view, &live, (base, coeffs), &order[a..b], &mut scratch);
            order[a..b].copy_from_slice(&ex.members);
            cut.push((a, ex.sub, ex.exits));
        }
        let mut pos = vec![u32::MAX; n];
        for (i, &v) in order.iter().enumerate() {
            pos[v as usize] = i as u32;
        }

        let mut blocks = Vec::new();
        let mut sources = Vec::new();
        let mut subproblems = Vec::new();
        let mut keys = Vec::new();
        let mut index: HashMap<ModelKey, usize> = HashMap::new();
        let mut cut = cut.into_iter().peekable();
        for &(a, b) in &comps {
            if b - a == 1 {
                match blocks.last_mut() {
                    Some(Block::Singles { b: end, .. }) if *end == a => *end = b,
                    _ => blocks.push(Block::Singles { a, b }),
                }
                continue;
            }
            let Some((start, sub, exits)) = cut.next() else {
                unreachable!("one cut per cyclic component");
            };
            debug_assert_eq!(start, a);
            let source = if sub.size() >= options.min_subproblem {
                let key = sub.key();
                let k = *index.entry(key).or_insert_with(|| {
                    subproblems.push(sub);
                    keys.push(key);
                    keys.len() - 1
                });
                Source::Keyed(k)
            } else {
                Source::Inline(sub)
            };
            blocks.push(Block::Component {
                start: a,
                size: b - a,
                trace: sources.len(),
                exits: exits.iter().map(|&t| pos[t as usize]).collect(),
            });
            sources.push(source);
        }

        // live edges of the single positions, in position space
        let mut in_component = vec![false; order.len()];
        for b in &blocks {
            if let Block::Component { start, size, .. } = *b {
                in_component[start..start + size].fill(true);
            }
        }
        let mut offsets = Vec::with_capacity(order.len() + 1);
        offsets.push(0);
        let (mut ptargets, mut pbase, mut pcoeffs) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &v) in order.iter().enumerate() {
            if !in_component[i] {
                for e in view.edge_range(v as usize).filter(|&e| live[e]) {
                    ptargets.push(pos[view.targets()[e] as usize]);
                    pbase.push(base[e]);
                    pcoeffs.extend_from_slice(&coeffs[e * p..(e + 1) * p]);
                }
            }
            offsets.push(ptargets.len());
        }
        tracing::debug!(
            positions = order.len(),
            cyclic_components = sources.len(),
            subproblems = subproblems.len(),
            "trace planned"
        );
        Ok(TracePlan {
            skeleton: Trace {
                param_dim: p,
                states: view.states().to_vec(),
                state_len: view.state_len(),
                edges: m,
                order: order.into(),
                pos: pos.into(),
                blocks,
                offsets,
                targets: ptargets,
                base: pbase,
                coeffs: pcoeffs,
                components: Vec::new(),
            },
            sources,
            subproblems,
            keys,
        })
    }
}
