//! Recording a trace through the trace store: each subproblem's trace is
//! loaded by its content key when present, recorded (in parallel, each
//! distinct subproblem once) when not, and published atomically; the
//! whole-graph trace is then composed in memory (cheap: one pass over the
//! edges). The cache modes mean what they mean for graphs.

use std::sync::Arc;

use phasic_core::{
    GraphView, trace::ComponentTrace, trace::Subproblem, trace::Trace, trace::TraceOptions,
};
use rayon::prelude::*;

use crate::cached::CacheOptions;
use crate::defect::Defect;
use crate::error::{Error, Result};
use crate::mode::{CacheMode, cache_root};
use crate::store::TraceStore;

/// Where a trace's subproblems came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TraceReport {
    /// Distinct keyed subproblems.
    pub subproblems: usize,
    /// Loaded from the store.
    pub loaded: usize,
    /// Recorded here.
    pub recorded: usize,
    /// Published by this call.
    pub published: usize,
    /// Cyclic components recorded inline (below the subproblem size).
    pub inline: usize,
}

/// Accepts a stored trace only for the subproblem it was recorded from.
pub(crate) fn solves(trace: &ComponentTrace, sub: &Subproblem) -> std::result::Result<(), Defect> {
    if trace.solves(sub) {
        Ok(())
    } else {
        Err(Defect::OtherSubproblem)
    }
}

/// Records the trace of `view`, reusing and filling the trace store.
///
/// A bad entry is moved aside with a warning and recorded again
/// (`Required`: an error); an unusable cache root never stops the
/// recording unless the mode is `Required`.
pub fn record_trace<G: GraphView + ?Sized>(
    view: &G,
    cache: &CacheOptions,
    options: TraceOptions,
) -> Result<(Trace, TraceReport)> {
    let plan = Trace::plan(view, options)?;
    let mut report = TraceReport {
        subproblems: plan.subproblems().len(),
        inline: plan.inline_count(),
        ..TraceReport::default()
    };
    let mode = cache.mode;
    let required = |e: Error| mode.tolerate(e, "trace store");
    let store = match (mode, cache_root(cache.root.as_deref())) {
        (CacheMode::Off, _) => None,
        (_, Ok(root)) => Some(TraceStore::new(&root)),
        (_, Err(e)) => {
            required(e)?;
            None
        }
    };
    // look every subproblem up (none when off or refreshing)
    let mut found: Vec<Option<Arc<ComponentTrace>>> = vec![None; report.subproblems];
    if let Some(store) = store.as_ref().filter(|_| mode != CacheMode::Refresh) {
        for (k, (key, sub)) in plan.keys().iter().zip(plan.subproblems()).enumerate() {
            found[k] = store.lookup(key, mode, |t| solves(t, sub))?.map(Arc::new);
        }
    }
    report.loaded = found.iter().filter(|t| t.is_some()).count();
    let subproblems = plan.subproblems();
    let traces = found
        .into_par_iter()
        .zip(subproblems.par_iter())
        .map(|(t, sub)| match t {
            Some(t) => Ok((t, false)),
            None => Ok((Arc::new(ComponentTrace::record(sub)?), true)),
        })
        .collect::<Result<Vec<_>>>()?;
    report.recorded = traces.iter().filter(|(_, new)| *new).count();
    if let Some(store) = store.as_ref().filter(|_| mode != CacheMode::ReadOnly) {
        store.count(|c| {
            c.hits += report.loaded as u64;
            c.misses += report.recorded as u64;
        });
        for ((t, new), key) in traces.iter().zip(plan.keys()) {
            if !new {
                continue;
            }
            match store.publish(key, t, mode == CacheMode::Refresh) {
                Ok(created) => report.published += usize::from(created),
                Err(e) => required(e)?,
            }
        }
    }
    tracing::debug!(?report, "trace recorded through the store");
    let trace = plan.complete(traces.into_iter().map(|(t, _)| t).collect())?;
    Ok((trace, report))
}
