//! On-disk stores of `phasic`.
//!
//! Every byte `phasic` reads from or writes to a disk goes through this
//! crate. Graphs are cached as rkyv archives behind a 64-byte header
//! (`docs/CACHE_FORMAT.md`), memory-mapped, validated once and used in
//! place through `GraphView`; the elimination program of a graph with
//! constant weights is cached with it the same way; entries are published
//! atomically and never modified; bad entries are moved aside and rebuilt;
//! every file the cache creates is counted by `stats` and collectable by
//! `gc`.

mod archive;
mod atomic;
mod cached;
mod checksum;
mod collect;
mod confine;
mod counters;
mod defect;
mod error;
mod header;
mod inflight;
mod maintenance;
mod mode;
mod program_entry;
mod scan;
mod store;
mod trace_entry;
mod traced;
mod work;

pub use archive::MappedGraph;
pub use cached::{
    CacheOptions, CacheStatus, Cached, CachedGraph, CachedProgram, build_graph, build_graph_with,
};
pub use collect::{Collected, Limits, TEMPORARY_GRACE};
pub use counters::Counters;
pub use defect::{Defect, Rejection};
pub use error::{Error, Result};
pub use inflight::remove_partial_writes;
pub use maintenance::{Cache, CacheStats};
pub use mode::{CacheMode, cache_root};
pub use program_entry::StoredProgram;
pub use store::{
    After, Files, GraphStore, Graphs, Kind, Lookup, ProgramStore, Programs, Stats, Store,
    TraceStore, Traces, Verified,
};
pub use traced::{TraceReport, record_trace};
pub use work::{
    Executor, MANIFEST_VERSION, Processes, SchedulerTask, Session, ShardOptions, ShardReport,
    Slurm, Threads, UnitInfo, WorkerReport, gc_sessions, prepare_session, run_worker,
    sharded_trace, task_from_env, work_root,
};
