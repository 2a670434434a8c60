//! Building a callback's graph through the cache.

use std::path::PathBuf;
use std::time::Instant;

use phasic_core::graph::BuildOptions;
use phasic_core::{Callback, Graph, GraphView};

use crate::archive::MappedGraph;
use crate::error::{Error, Result};
use crate::mode::{CacheMode, cache_root};
use crate::store::GraphStore;

/// A graph from the cache (mapped, used in place) or freshly built.
#[derive(Debug)]
pub enum CachedGraph {
    /// A validated cache entry.
    Mapped(MappedGraph),
    /// Built by the callback.
    Built(Graph),
}

impl CachedGraph {
    /// An owned, re-weightable graph (copies a mapped entry).
    pub fn into_graph(self) -> Result<Graph> {
        match self {
            CachedGraph::Mapped(m) => Ok(Graph::from_view(&m)?),
            CachedGraph::Built(g) => Ok(g),
        }
    }
}

/// Static dispatch to the variant (no virtual call per access).
macro_rules! delegate {
    ($($name:ident -> $ty:ty),* $(,)?) => {
        impl GraphView for CachedGraph {
            $(fn $name(&self) -> $ty {
                match self {
                    CachedGraph::Mapped(m) => m.$name(),
                    CachedGraph::Built(g) => g.$name(),
                }
            })*
        }
    };
}
delegate!(
    state_len -> usize,
    states -> &[i32],
    offsets -> &[u64],
    targets -> &[u32],
    weights -> &[f64],
    param_dim -> usize,
    base_weights -> &[f64],
    coefficients -> &[f64],
);

/// Whether the graph came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Served from an entry.
    Hit,
    /// Built (and published unless read-only).
    Miss,
    /// The cache was off.
    Off,
}

impl CacheStatus {
    /// `"hit"`, `"miss"` or `"off"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
            CacheStatus::Off => "off",
        }
    }
}

/// Where and how to cache.
#[derive(Debug, Clone, Default)]
pub struct CacheOptions {
    /// The mode (default `ReadWrite`).
    pub mode: CacheMode,
    /// An explicit root (else `PHASIC_CACHE_DIR`, else the platform cache dir).
    pub root: Option<PathBuf>,
}

/// A graph with its provenance.
#[derive(Debug)]
pub struct Cached {
    /// The graph.
    pub graph: CachedGraph,
    /// Hit, miss or off.
    pub status: CacheStatus,
    /// Time spent loading or building.
    pub seconds: f64,
}

/// Builds the graph of `callback` for `params`, through the cache.
///
/// A hit maps the entry and validates it once; nothing is rebuilt. A miss
/// builds and publishes atomically. A bad entry is moved aside with a
/// warning and rebuilt (`Required`: an error). An unusable cache root never
/// stops the build unless the mode is `Required`.
pub fn build_graph<C: Callback>(
    callback: C,
    params: C::Params,
    options: &CacheOptions,
) -> Result<Cached> {
    build_graph_with(callback, params, options, &BuildOptions::default())
}

/// As [`build_graph`], a miss built within the limit of `build` and
/// telling its observer of the progress (a hit is mapped, not built).
pub fn build_graph_with<C: Callback>(
    callback: C,
    params: C::Params,
    options: &CacheOptions,
    build: &BuildOptions,
) -> Result<Cached> {
    let t0 = Instant::now();
    let done = |graph, status| Cached {
        graph,
        status,
        seconds: t0.elapsed().as_secs_f64(),
    };
    let mode = options.mode;
    if mode == CacheMode::Off {
        return Ok(done(
            CachedGraph::Built(Graph::from_callback_with(callback, params, build)?),
            CacheStatus::Off,
        ));
    }
    let required = |e: Error| mode.tolerate(e, "graph cache");
    let root = match cache_root(options.root.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            required(e)?;
            return Ok(done(
                CachedGraph::Built(Graph::from_callback_with(callback, params, build)?),
                CacheStatus::Miss,
            ));
        }
    };
    let store = GraphStore::new(&root);
    let key = callback.key(&params);
    if mode != CacheMode::Refresh
        && let Some(g) = store.lookup(&key, mode, |_| Ok(()))?
    {
        if mode != CacheMode::ReadOnly {
            store.count(|c| c.hits += 1);
        }
        tracing::debug!(model = C::NAME, key = %key, "graph cache hit");
        return Ok(done(CachedGraph::Mapped(g), CacheStatus::Hit));
    }
    let graph = Graph::from_callback_with(callback, params, build)?;
    if mode != CacheMode::ReadOnly {
        store.count(|c| c.misses += 1);
        if let Err(e) = store.publish(&key, &graph, mode == CacheMode::Refresh) {
            required(e)?;
        }
    }
    tracing::debug!(model = C::NAME, key = %key, "graph cache miss");
    Ok(done(CachedGraph::Built(graph), CacheStatus::Miss))
}
