//! The worker: computes the units assigned to one task and publishes their
//! traces. The same code serves every executor.

use std::fs;
use std::io::Write;
use std::path::Path;

use phasic_core::{ModelKey, trace::ComponentTrace};

use crate::error::{Error, Result};
use crate::store::TraceStore;
use crate::work::session::Session;

/// What one worker task did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorkerReport {
    /// This task's index.
    pub task: usize,
    /// Number of tasks.
    pub tasks: usize,
    /// Units assigned to this task.
    pub assigned: usize,
    /// Units whose output already existed.
    pub skipped: usize,
    /// Units computed and published.
    pub computed: usize,
    /// Units that failed, with the reason.
    pub failed: Vec<(u32, String)>,
}

/// What happened to one unit.
pub(crate) enum Outcome {
    Skipped,
    Computed,
}

/// Computes unit `u` unless its output exists; `Err` is the reason.
pub(crate) fn process_unit(
    session: &Session,
    store: &TraceStore,
    u: usize,
) -> std::result::Result<Outcome, String> {
    if session.is_done(store, u) {
        return Ok(Outcome::Skipped);
    }
    let sub = match session.read_unit(u) {
        Ok(s) => s,
        // another coordinator may have finished (and removed) the session
        Err(_) if session.is_done(store, u) => return Ok(Outcome::Skipped),
        Err(e) => return Err(e.to_string()),
    };
    let trace = ComponentTrace::record(&sub).map_err(|e| e.to_string())?;
    store
        .publish(&ModelKey(session.units()[u].key), &trace, false)
        .map_err(|e| e.to_string())?;
    Ok(Outcome::Computed)
}

/// Appends a line to a session log (best effort: a log failure is reported
/// through `tracing`, never fatal).
pub(crate) fn log_line(path: &Path, line: &str) {
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        writeln!(f, "{t:.3} pid {} {line}", std::process::id())
    };
    if let Err(e) = write() {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the work log");
    }
}

/// `(task, tasks)` from the scheduler's environment: a SLURM array task
/// (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`), else a SLURM step
/// task (`SLURM_PROCID`, `SLURM_NTASKS`).
pub fn task_from_env() -> Option<(usize, usize)> {
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
    };
    match (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
        (Some(i), Some(n)) => Some((i, n)),
        (Some(i), None) => Some((i, 0)),
        _ => var("SLURM_PROCID").map(|i| (i, var("SLURM_NTASKS").unwrap_or(0))),
    }
}

/// Runs task `task` of `tasks` on the session in `dir`: the pending units
/// whose position in the pending list is `task` modulo `tasks`, one after
/// the other. Each is skipped if its output exists, else computed and
/// published atomically. Failures are logged to `logs/task-NNNN.log`
/// with the unit id and reason, and returned in the report.
pub fn run_worker(dir: &Path, task: usize, tasks: usize) -> Result<WorkerReport> {
    if tasks == 0 || task >= tasks {
        return Err(Error::Session {
            path: dir.to_path_buf(),
            reason: format!("task {task} of {tasks}: the task index must be below the task count"),
        });
    }
    let session = Session::open(dir)?;
    let store = session.store();
    let log = session.logs().join(format!("task-{task:04}.log"));
    let mine: Vec<usize> = session
        .pending()?
        .iter()
        .enumerate()
        .filter(|(k, _)| k % tasks == task)
        .map(|(_, &u)| u as usize)
        .collect();
    let mut report = WorkerReport {
        task,
        tasks,
        assigned: mine.len(),
        ..WorkerReport::default()
    };
    log_line(&log, &format!("task {task}/{tasks}: {} units", mine.len()));
    for u in mine {
        match process_unit(&session, &store, u) {
            Ok(Outcome::Skipped) => report.skipped += 1,
            Ok(Outcome::Computed) => {
                report.computed += 1;
                log_line(&log, &format!("unit {u:06} done"));
            }
            Err(reason) => {
                tracing::error!(unit = u, reason, "unit failed");
                log_line(&log, &format!("unit {u:06} FAILED: {reason}"));
                report.failed.push((u as u32, reason));
            }
        }
    }
    log_line(
        &log,
        &format!(
            "task {task}/{tasks} finished: {} computed, {} skipped, {} failed",
            report.computed,
            report.skipped,
            report.failed.len()
        ),
    );
    Ok(report)
}
