//! Building a callback's graph through the cache, and its elimination
//! program through the program store.

use std::path::PathBuf;
use std::time::Instant;

use phasic_core::elimination::Program;
use phasic_core::graph::BuildOptions;
use phasic_core::{Callback, Graph, GraphView, ModelKey};

use crate::archive::MappedGraph;
use crate::error::{Error, Result};
use crate::mode::{CacheMode, cache_root};
use crate::program_entry::StoredProgram;
use crate::store::{GraphStore, ProgramStore};

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
    /// Where its program is cached, if it is.
    programs: Option<ProgramSlot>,
}

/// Where the program of a cached graph lives: under the graph's key, for
/// the graph entry whose payload checksum is `graph_checksum`.
#[derive(Debug)]
struct ProgramSlot {
    store: ProgramStore,
    key: ModelKey,
    mode: CacheMode,
    graph_checksum: u64,
}

/// An elimination program with its provenance.
#[derive(Debug)]
pub struct CachedProgram {
    /// The program.
    pub program: Program,
    /// Hit, miss, or off (the graph's program is not cached).
    pub status: CacheStatus,
    /// Time spent loading or eliminating.
    pub seconds: f64,
}

impl Cached {
    /// A graph that did not come through the cache; its program is not
    /// cached either.
    pub fn uncached(graph: Graph) -> Cached {
        Cached {
            graph: CachedGraph::Built(graph),
            status: CacheStatus::Off,
            seconds: 0.0,
            programs: None,
        }
    }

    /// The elimination program of the graph ([`Program::new`]).
    ///
    /// A graph with constant weights that came through the cache (not
    /// read-only on a miss) has its program cached with it, under its key
    /// and bound to the graph entry's checksum: a hit maps the entry and
    /// builds the program from it without eliminating; a miss eliminates
    /// and publishes (not read-only). A bad entry, or one computed from
    /// another graph, is moved aside with a warning and computed again
    /// (`Required`: an error). Not cached (status `Off`): the programs of
    /// graphs with parameters, which depend on θ, and programs without an
    /// elimination of their own ([`Program::holds_elimination`]), which
    /// cost one pass over the edges.
    pub fn program(&self) -> Result<CachedProgram> {
        let t0 = Instant::now();
        let done = |program, status| CachedProgram {
            program,
            status,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let Some(slot) = &self.programs else {
            return Ok(done(Program::new(&self.graph)?, CacheStatus::Off));
        };
        let mode = slot.mode;
        let belongs = |p: &StoredProgram| p.belongs_to(&self.graph, slot.graph_checksum);
        if mode != CacheMode::Refresh
            && let Some(stored) = slot.store.lookup(&slot.key, mode, belongs)?
        {
            if mode != CacheMode::ReadOnly {
                slot.store.count(|c| c.hits += 1);
            }
            tracing::debug!(key = %slot.key, "program cache hit");
            return Ok(done(stored.program, CacheStatus::Hit));
        }
        let program = Program::new(&self.graph)?;
        if !program.holds_elimination() {
            return Ok(done(program, CacheStatus::Off));
        }
        if mode != CacheMode::ReadOnly {
            slot.store.count(|c| c.misses += 1);
            let replace = mode == CacheMode::Refresh;
            if let Err(e) = slot
                .store
                .publish(&slot.key, &program, slot.graph_checksum, replace)
            {
                mode.tolerate(e, "program cache")?;
            }
        }
        tracing::debug!(key = %slot.key, "program cache miss");
        Ok(done(program, CacheStatus::Miss))
    }
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
    let done = |graph, status, programs| Cached {
        graph,
        status,
        seconds: t0.elapsed().as_secs_f64(),
        programs,
    };
    let mode = options.mode;
    if mode == CacheMode::Off {
        return Ok(done(
            CachedGraph::Built(Graph::from_callback_with(callback, params, build)?),
            CacheStatus::Off,
            None,
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
                None,
            ));
        }
    };
    let store = GraphStore::new(&root);
    let key = callback.key(&params);
    // the program of a graph with constant weights is cached with it
    let slot = |graph_checksum| {
        (C::THETA_DIM == 0).then(|| ProgramSlot {
            store: ProgramStore::new(&root),
            key,
            mode,
            graph_checksum,
        })
    };
    if mode != CacheMode::Refresh
        && let Some(g) = store.lookup(&key, mode, |_| Ok(()))?
    {
        if mode != CacheMode::ReadOnly {
            store.count(|c| c.hits += 1);
        }
        tracing::debug!(model = C::NAME, key = %key, "graph cache hit");
        let programs = slot(g.checksum());
        return Ok(done(CachedGraph::Mapped(g), CacheStatus::Hit, programs));
    }
    let graph = Graph::from_callback_with(callback, params, build)?;
    let mut programs = None;
    if mode != CacheMode::ReadOnly {
        store.count(|c| c.misses += 1);
        match store.publish_graph(&key, &graph, mode == CacheMode::Refresh) {
            Ok((_, checksum)) => programs = slot(checksum),
            Err(e) => required(e)?,
        }
    }
    tracing::debug!(model = C::NAME, key = %key, "graph cache miss");
    Ok(done(CachedGraph::Built(graph), CacheStatus::Miss, programs))
}
