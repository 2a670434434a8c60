//! Executors: who runs the workers. One trait; the coordinator reads
//! completion from the outputs whatever the executor says.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::work::session::Session;
use crate::work::worker::{log_line, process_unit};

/// How often executors that wait on other processes call `poll`.
const POLL: Duration = Duration::from_millis(200);

/// Runs the pending units of a session.
pub trait Executor: Sync {
    /// A short description for logs and reports.
    fn describe(&self) -> String;
    /// Runs `pending` (unit ids) of `session`, calling `poll` now and then
    /// while waiting. Failing units are not an error here (the coordinator
    /// reads the outputs); failing to start the workers is.
    fn run(&self, session: &Session, pending: &[u32], poll: &(dyn Fn() + Sync)) -> Result<()>;
}

/// This process's threads (rayon): every thread is a device.
#[derive(Debug, Clone, Copy, Default)]
pub struct Threads;

impl Executor for Threads {
    fn describe(&self) -> String {
        format!("{} threads", rayon::current_num_threads())
    }

    fn run(&self, session: &Session, pending: &[u32], poll: &(dyn Fn() + Sync)) -> Result<()> {
        let store = session.store();
        let log = session.logs().join("threads.log");
        pending.par_iter().for_each(|&u| {
            if let Err(reason) = process_unit(session, &store, u as usize) {
                tracing::error!(unit = u, reason, "unit failed");
                log_line(&log, &format!("unit {u:06} FAILED: {reason}"));
            }
            poll();
        });
        Ok(())
    }
}

/// Waits for `children` (named for the log), calling `poll` every
/// [`POLL`]; logs the ones that exit non-zero.
fn wait_all(session: &Session, mut children: Vec<(String, Child)>, poll: &(dyn Fn() + Sync)) {
    let log = session.logs().join("coordinator.log");
    while !children.is_empty() {
        std::thread::sleep(POLL);
        poll();
        children.retain_mut(|(name, child)| match child.try_wait() {
            Ok(None) => true,
            Ok(Some(status)) => {
                if !status.success() {
                    tracing::warn!(worker = %name, %status, "worker failed; its units will be retried");
                    log_line(&log, &format!("{name} exited with {status}"));
                }
                false
            }
            Err(e) => {
                tracing::warn!(worker = %name, error = %e, "cannot wait for worker");
                false
            }
        });
    }
    poll();
}

/// Opens `logs/<name>` for a child's output.
fn log_file(session: &Session, name: &str) -> Result<std::fs::File> {
    let path = session.logs().join(name);
    std::fs::File::create(&path).map_err(Error::io("create", path))
}

/// `n` local `phasic worker` processes.
#[derive(Debug, Clone)]
pub struct Processes {
    /// Number of processes.
    pub n: usize,
    /// The `phasic` executable.
    pub exe: PathBuf,
}

impl Executor for Processes {
    fn describe(&self) -> String {
        format!("{} local processes", self.n)
    }

    fn run(&self, session: &Session, _pending: &[u32], poll: &(dyn Fn() + Sync)) -> Result<()> {
        let n = self.n.max(1);
        let mut children = Vec::with_capacity(n);
        for task in 0..n {
            let out = log_file(session, &format!("process-{task:04}.out"))?;
            let err = out.try_clone().map_err(Error::io("open", session.logs()))?;
            let child = Command::new(&self.exe)
                .arg("worker")
                .arg("--session")
                .arg(session.dir())
                .args(["--task", &task.to_string(), "--tasks", &n.to_string()])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| Error::Executor {
                    what: format!("worker process {}", self.exe.display()),
                    reason: e.to_string(),
                })?;
            children.push((format!("process {task}"), child));
        }
        wait_all(session, children, poll);
        Ok(())
    }
}

/// A SLURM job array: one `sbatch` covering every pending unit, its tasks
/// striding over them by `SLURM_ARRAY_TASK_ID`.
#[derive(Debug, Clone)]
pub struct Slurm {
    /// The `phasic` executable (on a path every node sees).
    pub exe: PathBuf,
    /// At most this many array tasks (fewer when fewer units are pending).
    pub max_tasks: usize,
    /// At most this many tasks running at once (`%K`).
    pub concurrent: Option<usize>,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`.
    pub time: Option<String>,
    /// `--mem`.
    pub mem: Option<String>,
    /// `--cpus-per-task`.
    pub cpus_per_task: Option<usize>,
    /// Further `sbatch` arguments, one per `#SBATCH` line.
    pub extra: Vec<String>,
}

impl Default for Slurm {
    fn default() -> Self {
        Slurm {
            exe: PathBuf::from("phasic"),
            max_tasks: 64,
            concurrent: None,
            partition: None,
            time: None,
            mem: None,
            cpus_per_task: None,
            extra: Vec::new(),
        }
    }
}

/// `'s'`, safe in a POSIX shell.
fn quote(s: &Path) -> String {
    format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"))
}

impl Slurm {
    /// Number of array tasks for `pending` units.
    fn tasks(&self, pending: usize) -> usize {
        pending.clamp(1, self.max_tasks.max(1))
    }

    /// The batch script for `pending` units of `session`.
    ///
    /// ```
    /// use phasic_cache::Slurm;
    /// let s = Slurm { concurrent: Some(2), partition: Some("short".into()), ..Slurm::default() };
    /// let script = s.script_for(std::path::Path::new("/shared/work/x"), 5);
    /// assert!(script.contains("#SBATCH --array=0-4%2\n"));
    /// assert!(script.contains("#SBATCH --partition=short\n"));
    /// assert!(script.contains("worker --session '/shared/work/x' --tasks 5"));
    /// ```
    pub fn script_for(&self, session: &Path, pending: usize) -> String {
        let t = self.tasks(pending);
        let name: String = session
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(8).collect())
            .unwrap_or_default();
        let mut s = String::from("#!/bin/sh\n");
        s += &format!("#SBATCH --job-name=phasic-{name}\n");
        s += &format!("#SBATCH --array=0-{}", t - 1);
        if let Some(k) = self.concurrent {
            s += &format!("%{k}");
        }
        s += "\n";
        s += &format!(
            "#SBATCH --output={}/logs/slurm-%A_%a.out\n",
            session.display()
        );
        let opt = |name: &str, v: &Option<String>| {
            v.as_ref()
                .map(|v| format!("#SBATCH --{name}={v}\n"))
                .unwrap_or_default()
        };
        s += &opt("partition", &self.partition);
        s += &opt("time", &self.time);
        s += &opt("mem", &self.mem);
        s += &opt("cpus-per-task", &self.cpus_per_task.map(|c| c.to_string()));
        for e in &self.extra {
            s += &format!("#SBATCH {e}\n");
        }
        s += &format!(
            "exec {} worker --session {} --tasks {t}\n",
            quote(&self.exe),
            quote(session)
        );
        s
    }
}

impl Executor for Slurm {
    fn describe(&self) -> String {
        "a SLURM job array".into()
    }

    fn run(&self, session: &Session, pending: &[u32], poll: &(dyn Fn() + Sync)) -> Result<()> {
        let attempt = std::fs::read_dir(session.dir())
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("submit-"))
                    .count()
            })
            .unwrap_or(0);
        let script = session.dir().join(format!("submit-{attempt:02}.sh"));
        std::fs::write(&script, self.script_for(session.dir(), pending.len()))
            .map_err(Error::io("write", &script))?;
        let out = log_file(session, &format!("sbatch-{attempt:02}.out"))?;
        let err = out.try_clone().map_err(Error::io("open", session.logs()))?;
        // `--wait`: sbatch returns when every task has ended; the outputs,
        // not its exit status, say what was done
        let child = Command::new("sbatch")
            .args(["--parsable", "--wait"])
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| Error::Executor {
                what: "sbatch".into(),
                reason: format!("{e} (is SLURM installed and on PATH?)"),
            })?;
        tracing::info!(script = %script.display(), units = pending.len(), "job array submitted");
        wait_all(session, vec![("sbatch".into(), child)], poll);
        Ok(())
    }
}
