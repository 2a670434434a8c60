//! Maintenance of a whole cache root: the graph and the trace stores
//! together, so that every file the cache creates is counted by `stats`
//! and collectable by `gc` and `clear`.

use std::path::Path;

use crate::collect::{Collected, Limits, collect};
use crate::error::Result;
use crate::store::{GraphStore, Stats, TraceStore, Verified};

/// Both stores under one cache root.
#[derive(Debug, Clone)]
pub struct Cache {
    /// Graph entries (`<root>/graphs`).
    pub graphs: GraphStore,
    /// Component-trace entries (`<root>/traces`).
    pub traces: TraceStore,
}

/// What [`Cache::stats`] reports, per store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// The graph store.
    pub graphs: Stats,
    /// The trace store.
    pub traces: Stats,
}

impl CacheStats {
    /// Both stores together.
    pub fn total(&self) -> Stats {
        self.graphs + self.traces
    }
}

impl Cache {
    /// The stores under `root` (nothing is created until needed).
    pub fn new(root: &Path) -> Cache {
        Cache {
            graphs: GraphStore::new(root),
            traces: TraceStore::new(root),
        }
    }

    /// Every file of both stores, by class, and their counters.
    pub fn stats(&self) -> Result<CacheStats> {
        Ok(CacheStats {
            graphs: self.graphs.stats()?,
            traces: self.traces.stats()?,
        })
    }

    /// Checks every entry of both stores.
    pub fn verify(&self) -> Result<Verified> {
        let mut out = self.graphs.verify()?;
        out.merge(self.traces.verify()?);
        Ok(out)
    }

    /// Collects garbage in both stores as one: `max_bytes` bounds the
    /// whole root, and the oldest files go first whichever store holds
    /// them.
    pub fn gc(&self, limits: &Limits) -> Result<Collected> {
        let mut files = self.graphs.listing()?;
        files.extend(self.traces.listing()?);
        let root = self.graphs.dir().parent().unwrap_or(self.graphs.dir());
        collect(root, files, limits)
    }

    /// Removes every file of ours in both stores.
    pub fn clear(&self) -> Result<Collected> {
        let mut out = self.graphs.clear()?;
        out.merge(self.traces.clear()?);
        Ok(out)
    }
}
