//! Sharded trace computation (docs/CLUSTER.md): the subproblems of a trace are
//! written as work units into a session folder on a filesystem every
//! worker can see, computed by an [`Executor`] — threads of this process,
//! local worker processes, or a SLURM job array — and published into the
//! trace store. The coordinator reads completion from the outputs only.
//!
//! ```text
//! <work dir>/work/<uuid>/
//!   manifest          postcard: version, store root, every unit's id, file, checksum and key
//!   units/NNNNNN.unit one subproblem each (64-byte header + its LE encoding)
//!   pending           postcard: the unit ids of the current attempt
//!   logs/             one log per worker task (and the SLURM outputs)
//! ```

mod coordinator;
mod executor;
mod session;
mod worker;

pub use coordinator::{ShardOptions, ShardReport, prepare_session, sharded_trace, work_root};
pub use executor::{Executor, Processes, Slurm, Threads};
pub use session::{MANIFEST_VERSION, Session, UnitInfo, gc_sessions};
pub use worker::{SchedulerTask, WorkerReport, run_worker, task_from_env};
