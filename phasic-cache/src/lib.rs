//! On-disk stores of `phasic`.
//!
//! Every byte `phasic` reads from or writes to a disk goes through this
//! crate. Graphs are cached as rkyv archives behind a 64-byte header
//! (`docs/CACHE_FORMAT.md`), memory-mapped, validated once and used in
//! place through `GraphView`; entries are published atomically and never
//! modified; bad entries are moved aside and rebuilt.

mod archive;
mod atomic;
mod cached;
mod checksum;
mod confine;
mod defect;
mod error;
mod header;
mod mode;
mod store;
mod trace_entry;
mod traced;
mod work;

pub use archive::MappedGraph;
pub use cached::{CacheOptions, CacheStatus, Cached, CachedGraph, build_graph, build_graph_with};
pub use defect::{Defect, Rejection};
pub use error::{Error, Result};
pub use mode::{CacheMode, cache_root};
pub use store::{Counters, GraphStore, Graphs, Kind, Lookup, Stats, Store, TraceStore, Traces};
pub use traced::{TraceReport, record_trace};
pub use work::{
    Executor, MANIFEST_VERSION, Processes, SchedulerTask, Session, ShardOptions, ShardReport,
    Slurm, Threads, UnitInfo, WorkerReport, gc_sessions, prepare_session, run_worker,
    sharded_trace, task_from_env, work_root,
};
