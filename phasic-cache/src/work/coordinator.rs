//! The coordinator: plans the trace, writes the missing subproblems as
//! units, has an executor run them, retries what is still missing, and
//! composes the trace from the store.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use phasic_core::{
    GraphView, ModelKey, trace::ComponentTrace, trace::Subproblem, trace::Trace,
    trace::TraceOptions, trace::TracePlan,
};

use crate::cached::CacheOptions;
use crate::defect::Defect;
use crate::error::{Error, Result};
use crate::mode::{CacheMode, cache_root};
use crate::store::TraceStore;
use crate::traced::solves;
use crate::work::executor::Executor;
use crate::work::session::Session;

/// Where sessions live and how often to retry.
#[derive(Debug, Clone)]
pub struct ShardOptions {
    /// The work dir (else `PHASIC_WORK_DIR`, else the cache root).
    pub work_dir: Option<PathBuf>,
    /// Attempts after the first for units whose output is still missing.
    pub retries: usize,
}

impl Default for ShardOptions {
    fn default() -> Self {
        ShardOptions {
            work_dir: None,
            retries: 2,
        }
    }
}

/// What a sharded computation did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ShardReport {
    /// Distinct keyed subproblems of the trace.
    pub subproblems: usize,
    /// Already in the store.
    pub in_store: usize,
    /// Units written (the missing ones).
    pub units: usize,
    /// Attempts the executor needed (0 if nothing was missing).
    pub attempts: usize,
    /// The session folder (removed on success).
    pub session: Option<PathBuf>,
    /// Wall time of the executor runs.
    pub seconds: f64,
}

/// The work root: `explicit`, else `PHASIC_WORK_DIR`, else the cache root.
pub fn work_root(explicit: Option<&Path>, cache_root: &Path) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("PHASIC_WORK_DIR").map(PathBuf::from))
        .unwrap_or_else(|| cache_root.to_path_buf())
}

/// The valid trace of `sub` in the store, if any (a bad or foreign entry
/// is moved aside).
fn stored(store: &TraceStore, key: &ModelKey, sub: &Subproblem) -> Option<Arc<ComponentTrace>> {
    // never an error in `ReadWrite`: a bad entry is a miss
    store
        .lookup(key, CacheMode::ReadWrite, |t| solves(t, sub))
        .ok()
        .flatten()
        .map(Arc::new)
}

/// Fails unless the store's folder can take new files.
fn check_writable(store: &TraceStore) -> Result<()> {
    let dir = store.dir();
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            tempfile::Builder::new()
                .prefix(".tmp-")
                .tempfile_in(dir)
                .map(drop)
        })
        .map_err(|source| Error::Io {
            op: "write to the trace store",
            path: dir.to_path_buf(),
            source,
        })
}

/// What the coordinator knows before running anything.
struct Prepared {
    plan: TracePlan,
    store: TraceStore,
    /// The trace of every subproblem found in the store.
    found: Vec<Option<Arc<ComponentTrace>>>,
    /// The subproblems without one.
    missing: Vec<u32>,
    /// The session of the missing ones (none if nothing is missing).
    session: Option<Session>,
}

fn prepare<G: GraphView + ?Sized>(
    view: &G,
    cache: &CacheOptions,
    options: TraceOptions,
    shard: &ShardOptions,
) -> Result<Prepared> {
    if cache.mode == CacheMode::Off || cache.mode == CacheMode::ReadOnly {
        return Err(Error::Executor {
            what: "sharding".into(),
            reason: format!(
                "the workers publish into the trace store, which cache mode {:?} does not allow",
                cache.mode
            ),
        });
    }
    let root = cache_root(cache.root.as_deref())?;
    let store = TraceStore::new(&root);
    check_writable(&store)?;
    let plan = Trace::plan(view, options)?;
    let (subs, keys) = (plan.subproblems(), plan.keys());
    let refresh = cache.mode == CacheMode::Refresh;
    if refresh {
        for k in keys {
            store.remove(k)?;
        }
    }
    let found: Vec<Option<Arc<ComponentTrace>>> = keys
        .iter()
        .zip(subs)
        .map(|(k, s)| stored(&store, k, s))
        .collect();
    let missing: Vec<u32> = (0..subs.len() as u32)
        .filter(|&i| found[i as usize].is_none())
        .collect();
    let session = if missing.is_empty() {
        None
    } else {
        let work = work_root(shard.work_dir.as_deref(), &root);
        Some(Session::create(&work, &root, subs, keys, &missing)?)
    };
    Ok(Prepared {
        plan,
        store,
        found,
        missing,
        session,
    })
}

/// The work session of `view`'s subproblems missing from the trace store
/// (created, or joined if another coordinator made it), without running
/// anything; `None` if nothing is missing. For dry runs and for running
/// workers by hand.
pub fn prepare_session<G: GraphView + ?Sized>(
    view: &G,
    cache: &CacheOptions,
    options: TraceOptions,
    shard: &ShardOptions,
) -> Result<Option<Session>> {
    Ok(prepare(view, cache, options, shard)?
        .session
        .map(Session::unlocked))
}

/// Records the trace of `view` with its subproblems computed by
/// `executor` through a work session, reusing and filling the trace
/// store. `progress(done, total)` is called as units complete.
///
/// Units whose output is still missing after an attempt are retried (their
/// unit files rewritten if bad) up to `shard.retries` times; then the
/// session is kept, with its logs, and [`Error::UnitsFailed`] names them.
/// On success the session folder is removed.
pub fn sharded_trace<G: GraphView + ?Sized>(
    view: &G,
    cache: &CacheOptions,
    options: TraceOptions,
    shard: &ShardOptions,
    executor: &dyn Executor,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Trace, ShardReport)> {
    let prepared = prepare(view, cache, options, shard)?;
    let Prepared {
        plan,
        store,
        mut found,
        missing,
        session,
    } = prepared;
    let (subs, keys) = (plan.subproblems(), plan.keys());
    let mut report = ShardReport {
        subproblems: subs.len(),
        in_store: subs.len() - missing.len(),
        units: missing.len(),
        ..ShardReport::default()
    };
    if let Some(session) = session {
        report.session = Some(session.dir().to_path_buf());
        let total = missing.len();
        let done = AtomicUsize::new(0);
        // executors may poll as often as they like; outputs are counted at
        // most every 100 ms
        let last = Mutex::new(None::<Instant>);
        let poll = || {
            {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
                    return;
                }
                *last = Some(Instant::now());
            }
            let n = missing
                .iter()
                .filter(|&&u| session.output_exists(&store, u as usize))
                .count();
            if done.swap(n, Ordering::Relaxed) != n {
                progress(n, total);
            }
        };
        let t0 = Instant::now();
        // unit `u` is subproblem `u`
        let mut pending = missing.clone();
        for attempt in 0..=shard.retries {
            report.attempts = attempt + 1;
            if attempt > 0 {
                tracing::warn!(
                    units = pending.len(),
                    attempt,
                    "retrying units whose output is missing"
                );
                for &u in &pending {
                    session.repair_unit(u as usize, &subs[u as usize])?;
                }
                session.set_pending(&pending)?;
            }
            tracing::info!(units = pending.len(), executor = %executor.describe(), session = %session.dir().display(), "running units");
            executor.run(&session, &pending, &poll)?;
            // the last count is never throttled away
            *last.lock().unwrap_or_else(|e| e.into_inner()) = None;
            poll();
            // read each new output once: done units leave `pending`
            pending.retain(|&u| {
                let i = u as usize;
                found[i] = stored(&store, &keys[i], &subs[i]);
                found[i].is_none()
            });
            if pending.is_empty() {
                break;
            }
        }
        report.seconds = t0.elapsed().as_secs_f64();
        if !pending.is_empty() {
            return Err(Error::UnitsFailed {
                session: session.dir().to_path_buf(),
                units: pending,
                attempts: report.attempts,
            });
        }
        session.remove()?;
    }
    let traces = found
        .into_iter()
        .zip(keys)
        .map(|(t, k)| {
            t.ok_or_else(|| Error::BadEntry {
                path: store.path_of(k),
                reason: Defect::Vanished,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let trace = plan.complete(traces)?;
    Ok((trace, report))
}
