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

/// A task as the scheduler's environment gives it, with the variables it
/// was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerTask {
    /// This task's index.
    pub task: usize,
    /// Its variable (`SLURM_ARRAY_TASK_ID` or `SLURM_PROCID`).
    pub task_variable: &'static str,
    /// The number of tasks with its variable, if that is set.
    pub tasks: Option<(usize, &'static str)>,
}

/// The task of this process from the scheduler's environment: a SLURM
/// array task (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`), else a
/// SLURM step task (`SLURM_PROCID`, `SLURM_NTASKS`); `None` if neither
/// index is set.
///
/// A variable of the pair used that is set but not an integer (an index
/// from 0, a count from 1), or an index not below the count, is an
/// [`Error::Scheduler`] naming the variable and its value: a worker never
/// guesses its share of the work.
///
/// ```
/// use phasic_cache::{Error, SchedulerTask, task_from_env};
/// let task = |vars: &[(&str, &str)]| {
///     task_from_env(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
/// };
/// assert_eq!(
///     task(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "8")]).unwrap(),
///     Some(SchedulerTask {
///         task: 3,
///         task_variable: "SLURM_ARRAY_TASK_ID",
///         tasks: Some((8, "SLURM_ARRAY_TASK_COUNT")),
///     })
/// );
/// assert_eq!(task(&[]).unwrap(), None);
/// let e = task(&[("SLURM_ARRAY_TASK_ID", "-1")]).unwrap_err();
/// assert_eq!(e.to_string(), r#"SLURM_ARRAY_TASK_ID="-1" is not a task index (an integer from 0)"#);
/// ```
pub fn task_from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<SchedulerTask>> {
    let read = |variable: &'static str, min: usize, what: &str| -> Result<Option<usize>> {
        let Some(value) = var(variable) else {
            return Ok(None);
        };
        match value.trim().parse::<usize>() {
            Ok(n) if n >= min => Ok(Some(n)),
            _ => Err(Error::Scheduler {
                variable,
                value,
                reason: format!("is not a {what} (an integer from {min})"),
            }),
        }
    };
    let pair = |index: &'static str, count: &'static str| -> Result<Option<SchedulerTask>> {
        let Some(task) = read(index, 0, "task index")? else {
            return Ok(None);
        };
        let tasks = read(count, 1, "task count")?;
        if let Some(n) = tasks.filter(|&n| task >= n) {
            return Err(Error::Scheduler {
                variable: index,
                value: task.to_string(),
                reason: format!("is not below {count}={n}"),
            });
        }
        Ok(Some(SchedulerTask {
            task,
            task_variable: index,
            tasks: tasks.map(|n| (n, count)),
        }))
    };
    match pair("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT")? {
        Some(t) => Ok(Some(t)),
        None => pair("SLURM_PROCID", "SLURM_NTASKS"),
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
