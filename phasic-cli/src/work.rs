//! `phasic worker` (one task of a work session) and `phasic work gc`, and
//! the `--shard` choice of `phasic model`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use phasic::cache::{Executor, Processes, Slurm, Threads, cache_root, gc_sessions, work_root};

use crate::cache::duration;
use crate::command::{MAX_PROCESSES, bounded};

/// Arguments of `phasic worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The session folder (`<work dir>/work/<uuid>`)
    #[arg(long, value_name = "DIR")]
    pub session: PathBuf,
    /// This task's index (default: SLURM_ARRAY_TASK_ID or SLURM_PROCID, else 0)
    #[arg(long, value_name = "I")]
    pub task: Option<usize>,
    /// Number of tasks (default: SLURM_ARRAY_TASK_COUNT or SLURM_NTASKS, else 1)
    #[arg(long, value_name = "T", value_parser = crate::command::positive)]
    pub tasks: Option<usize>,
}

/// Failures of `phasic worker` and `phasic work`.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// The session or the store failed.
    #[error(transparent)]
    Cache(#[from] phasic::cache::Error),
    /// Some units failed (their ids and reasons are in the task's log).
    #[error("task {task} of {tasks}: {} unit(s) failed, first {}: {}", failed.len(), failed[0].0, failed[0].1)]
    UnitsFailed {
        /// The task.
        task: usize,
        /// The task count.
        tasks: usize,
        /// `(unit id, reason)`.
        failed: Vec<(u32, String)>,
    },
    /// The task index and count, from the options or the scheduler, do not fit.
    #[error(
        "task {task} of {tasks}: the task index (from {task_from}) must be below the task count (from {tasks_from})"
    )]
    TaskIndex {
        /// The index.
        task: usize,
        /// Where it came from (an option, a variable, the default).
        task_from: &'static str,
        /// The count.
        tasks: usize,
        /// Where it came from.
        tasks_from: &'static str,
    },
    /// The result could not be serialised.
    #[error("cannot serialise the output: {0}")]
    Output(#[from] serde_json::Error),
}

/// Runs one worker task; fails (exit code 2) if any unit failed, or if
/// the task is not one of the tasks (a scheduler variable that is not a
/// number, an index not below the count).
pub fn run_worker(args: &WorkerArgs) -> Result<String, WorkError> {
    let env = match (args.task, args.tasks) {
        (Some(_), Some(_)) => None,
        _ => phasic::cache::task_from_env(|k| {
            std::env::var_os(k).map(|v| v.to_string_lossy().into_owned())
        })?,
    };
    let (task, task_from) = args
        .task
        .map(|t| (t, "--task"))
        .or(env.map(|e| (e.task, e.task_variable)))
        .unwrap_or((0, "the default"));
    let (tasks, tasks_from) = args
        .tasks
        .map(|n| (n, "--tasks"))
        .or(env.and_then(|e| e.tasks))
        .unwrap_or((1, "the default"));
    if task >= tasks {
        return Err(WorkError::TaskIndex {
            task,
            task_from,
            tasks,
            tasks_from,
        });
    }
    let report = phasic::cache::run_worker(&args.session, task, tasks)?;
    if !report.failed.is_empty() {
        return Err(WorkError::UnitsFailed {
            task,
            tasks,
            failed: report.failed,
        });
    }
    Ok(serde_json::to_string(&report)?)
}

/// Arguments of `phasic work`.
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// What to do
    #[command(subcommand)]
    pub action: WorkAction,
    /// Work dir (default: PHASIC_WORK_DIR, else the cache root)
    #[arg(long, value_name = "DIR", global = true)]
    pub work_dir: Option<PathBuf>,
    /// Cache root, the default work dir (default: PHASIC_CACHE_DIR, else the platform cache directory)
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
}

/// Work-dir maintenance.
#[derive(Debug, Subcommand)]
pub enum WorkAction {
    /// Remove sessions not modified for a while (failed runs keep theirs)
    Gc {
        /// Remove sessions older than this (e.g. 7d, 12h, 90m, 45s)
        #[arg(long, value_name = "DURATION", value_parser = duration)]
        older_than: Duration,
    },
}

/// Runs `phasic work`.
pub fn run_work(args: &WorkArgs) -> Result<String, WorkError> {
    let root = match &args.work_dir {
        Some(d) => d.clone(),
        None => work_root(None, &cache_root(args.cache_dir.as_deref())?),
    };
    match args.action {
        WorkAction::Gc { older_than } => {
            let removed = gc_sessions(&root, older_than)?;
            Ok(serde_json::to_string(&serde_json::json!({
                "work_dir": root,
                "removed": removed,
            }))?)
        }
    }
}

/// How `phasic model --via-trace` computes the subproblems of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shard {
    /// This process's threads.
    Threads,
    /// `N` local worker processes.
    Processes(usize),
    /// A SLURM job array, at most `K` tasks at once.
    Slurm(Option<usize>),
}

/// Parses `threads`, `processes:N` or `slurm[:K]`.
pub fn shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("`{s}` is not threads, processes:N or slurm[:K] (N, K ≥ 1)");
    let count = |n: &str, max: usize| {
        bounded(n, 1, max as u64)
            .map(|n| n as usize)
            .map_err(|e| format!("{}: {e}", bad()))
    };
    match s.split_once(':') {
        None if s == "threads" => Ok(Shard::Threads),
        None if s == "slurm" => Ok(Shard::Slurm(None)),
        Some(("processes", n)) => Ok(Shard::Processes(count(n, MAX_PROCESSES)?)),
        Some(("slurm", k)) => Ok(Shard::Slurm(Some(count(k, usize::MAX)?))),
        _ => Err(bad()),
    }
}

/// SLURM options of `phasic model --shard slurm`.
#[derive(Debug, Clone, Args)]
pub struct SlurmArgs {
    /// sbatch --partition
    #[arg(long, value_name = "NAME")]
    pub partition: Option<String>,
    /// sbatch --time (e.g. 00:30:00)
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// sbatch --mem (e.g. 4G)
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// sbatch --cpus-per-task
    #[arg(long, value_name = "N")]
    pub cpus_per_task: Option<usize>,
    /// At most this many array tasks
    #[arg(long, value_name = "T", default_value_t = 64)]
    pub max_tasks: usize,
    /// A further sbatch argument, as on an #SBATCH line (repeatable)
    #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// Print the batch script instead of submitting it
    #[arg(long)]
    pub dry_run: bool,
}

/// The SLURM executor with at most `k` tasks at once; tasks run this very
/// executable.
pub fn slurm(k: Option<usize>, args: &SlurmArgs) -> Result<Slurm, std::io::Error> {
    Ok(Slurm {
        exe: std::env::current_exe()?,
        max_tasks: args.max_tasks,
        concurrent: k,
        partition: args.partition.clone(),
        time: args.time.clone(),
        mem: args.mem.clone(),
        cpus_per_task: args.cpus_per_task,
        extra: args.sbatch_args.clone(),
    })
}

/// The executor for `shard`; worker processes run this very executable.
pub fn executor(shard: &Shard, args: &SlurmArgs) -> Result<Box<dyn Executor>, std::io::Error> {
    Ok(match *shard {
        Shard::Threads => Box::new(Threads),
        Shard::Processes(n) => Box::new(Processes {
            n,
            exe: std::env::current_exe()?,
        }),
        Shard::Slurm(k) => Box::new(slurm(k, args)?),
    })
}
