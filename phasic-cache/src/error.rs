//! The one error type of `phasic-cache`.

use std::path::PathBuf;

use crate::defect::Defect;

/// Everything that can go wrong in `phasic-cache`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A cache entry failed a check (and was moved aside).
    #[error("cache entry {path} is invalid: {reason}")]
    BadEntry {
        /// The entry.
        path: PathBuf,
        /// Which check failed.
        reason: Defect,
    },
    /// A cache entry this user may not read (left alone).
    #[error("cache entry {path} cannot be read by this user: {reason}")]
    Denied {
        /// The entry.
        path: PathBuf,
        /// The refused access.
        reason: Defect,
    },
    /// A path below the cache root that phasic will not follow or touch:
    /// a symbolic link inside the root, or a path outside it.
    #[error("{path} is not used: {reason}")]
    Escape {
        /// The offending path.
        path: PathBuf,
        /// Why it is not used.
        reason: String,
    },
    /// No cache root could be determined.
    #[error(
        "no cache directory: set PHASIC_CACHE_DIR or pass --cache-dir (no home directory found)"
    )]
    NoRoot,
    /// A cache operation failed in `Required` mode.
    #[error("the cache is required but failed: {0}")]
    Required(Box<Error>),
    /// A cache mode name that does not exist.
    #[error("unknown cache mode `{0}`: expected off, read-only, read-write, refresh or required")]
    UnknownMode(String),
    /// A work session that cannot be used (manifest, pending list, task index).
    #[error("work session {path}: {reason}")]
    Session {
        /// The session folder or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A scheduler variable that is set but is not a valid task index or
    /// count (`SLURM_ARRAY_TASK_ID=abc`).
    #[error("{variable}={value:?} {reason}")]
    Scheduler {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Workers could not be started.
    #[error("cannot run {what}: {reason}")]
    Executor {
        /// What was started.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// Units still without output after every attempt; the session is kept.
    #[error(
        "{} unit(s) failed after {attempts} attempt(s) (units {}); see the logs in {}/logs",
        units.len(),
        units.iter().take(8).map(|u| format!("{u:06}")).collect::<Vec<_>>().join(", "),
        session.display()
    )]
    UnitsFailed {
        /// The session folder (kept, with its logs).
        session: PathBuf,
        /// The unit ids without output.
        units: Vec<u32>,
        /// Attempts made.
        attempts: usize,
    },
    /// Building the graph failed.
    #[error(transparent)]
    Core(#[from] phasic_core::Error),
}

impl Error {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

/// Result alias of `phasic-cache`.
pub type Result<T> = std::result::Result<T, Error>;
