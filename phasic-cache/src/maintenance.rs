//! Maintenance of a whole cache root: the graph, trace and program
//! stores together, so that every file the cache creates is counted by
//! `stats` and collectable by `gc` and `clear`.

use std::path::Path;

use crate::collect::{Collected, Limits, collect};
use crate::error::Result;
use crate::store::{GraphStore, ProgramStore, Stats, TraceStore, Verified};

/// Every store under one cache root.
#[derive(Debug, Clone)]
pub struct Cache {
    /// Graph entries (`<root>/graphs`).
    pub graphs: GraphStore,
    /// Component-trace entries (`<root>/traces`).
    pub traces: TraceStore,
    /// The programs of cached graphs (`<root>/programs`).
    pub programs: ProgramStore,
}

/// What [`Cache::stats`] reports, per store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// The graph store.
    pub graphs: Stats,
    /// The trace store.
    pub traces: Stats,
    /// The program store.
    pub programs: Stats,
}

impl CacheStats {
    /// Every store together.
    pub fn total(&self) -> Stats {
        self.graphs + self.traces + self.programs
    }
}

impl Cache {
    /// The stores under `root` (nothing is created until needed).
    pub fn new(root: &Path) -> Cache {
        Cache {
            graphs: GraphStore::new(root),
            traces: TraceStore::new(root),
            programs: ProgramStore::new(root),
        }
    }

    /// Every file of every store, by class, and their counters.
    pub fn stats(&self) -> Result<CacheStats> {
        Ok(CacheStats {
            graphs: self.graphs.stats()?,
            traces: self.traces.stats()?,
            programs: self.programs.stats()?,
        })
    }

    /// Checks every entry of every store.
    pub fn verify(&self) -> Result<Verified> {
        let mut out = self.graphs.verify()?;
        out.merge(self.traces.verify()?);
        out.merge(self.programs.verify()?);
        Ok(out)
    }

    /// Collects garbage in every store as one: `max_bytes` bounds the
    /// whole root, and the oldest files go first whichever store holds
    /// them.
    pub fn gc(&self, limits: &Limits) -> Result<Collected> {
        let mut files = self.graphs.listing()?;
        files.extend(self.traces.listing()?);
        files.extend(self.programs.listing()?);
        let root = self.graphs.dir().parent().unwrap_or(self.graphs.dir());
        collect(root, files, limits)
    }

    /// Removes every file of ours in every store.
    pub fn clear(&self) -> Result<Collected> {
        let mut out = self.graphs.clear()?;
        out.merge(self.traces.clear()?);
        out.merge(self.programs.clear()?);
        Ok(out)
    }
}
