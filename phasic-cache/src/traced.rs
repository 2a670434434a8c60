//! Recording a trace through the trace store: each subproblem's trace is
//! loaded by its content key when present, recorded (in parallel, each
//! distinct subproblem once) when not, and published atomically; the
//! whole-graph trace is then composed in memory (cheap: one pass over the
//! edges). The cache modes mean what they mean for graphs.

use std::sync::Arc;

use phasic_core::{ComponentTrace, GraphView, Trace, TraceOptions};
use rayon::prelude::*;

use crate::cached::CacheOptions;
use crate::error::{Error, Result};
use crate::mode::{CacheMode, cache_root};
use crate::store::{Lookup, TraceStore};

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
    let required = |e: Error| -> Result<()> {
        if mode == CacheMode::Required {
            Err(Error::Required(Box::new(e)))
        } else {
            tracing::warn!(error = %e, "trace store unusable; recording without it");
            Ok(())
        }
    };
    // a bad entry (already reported) is an error only when required
    let bad_entry = |path, reason| -> Result<()> {
        if mode == CacheMode::Required {
            Err(Error::Required(Box::new(Error::BadEntry { path, reason })))
        } else {
            Ok(())
        }
    };
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
            let lookup = if mode == CacheMode::ReadOnly {
                store.peek(key)
            } else {
                store.load(key)
            };
            match lookup {
                Lookup::Hit(t) if t.solves(sub) => found[k] = Some(Arc::new(t)),
                Lookup::Hit(_) => {
                    let path = store.path_of(key);
                    let reason = "the trace does not belong to its subproblem".to_string();
                    if mode == CacheMode::ReadOnly {
                        tracing::warn!(path = %path.display(), reason, "bad trace entry left in place (read-only); it is recorded again");
                    } else {
                        store.quarantine(&path, &reason);
                    }
                    bad_entry(path, reason)?;
                }
                Lookup::Bad { path, reason } if mode == CacheMode::ReadOnly => {
                    tracing::warn!(path = %path.display(), reason, "bad trace entry left in place (read-only); it is recorded again");
                }
                // moved aside with a warning by `load`
                Lookup::Bad { path, reason } => bad_entry(path, reason)?,
                Lookup::Miss => {}
            }
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
