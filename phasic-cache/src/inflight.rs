//! The temporary files this process is writing, so that they can be
//! removed when it is interrupted (SIGINT, SIGTERM) before it renames
//! them into place. What a kill leaves behind anyway is collected by age
//! (`Store::gc`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static WRITING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn writing() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    WRITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary file registered as being written; unregistered on drop.
pub(crate) struct Writing(PathBuf);

impl Writing {
    /// Registers `path` until the returned guard is dropped.
    pub(crate) fn register(path: &Path) -> Writing {
        writing().insert(path.to_path_buf());
        Writing(path.to_path_buf())
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        writing().remove(&self.0);
    }
}

/// Removes every temporary file this process is writing; returns how many
/// it removed. For a signal handler, just before the process exits: the
/// interrupted writes never reach their place, and nothing is left behind.
///
/// ```
/// assert_eq!(phasic_cache::remove_partial_writes(), 0);
/// ```
pub fn remove_partial_writes() -> usize {
    let paths = std::mem::take(&mut *writing());
    paths
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_writes_are_removed_and_unregistered_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            dir.path().join(".tmp-aaaaaa"),
            dir.path().join(".tmp-bbbbbb"),
        );
        std::fs::write(&a, b"partial").unwrap();
        std::fs::write(&b, b"finished").unwrap();
        let writing_a = Writing::register(&a);
        drop(Writing::register(&b)); // renamed into place: no longer ours to remove
        assert_eq!(remove_partial_writes(), 1);
        assert!(!a.exists() && b.exists());
        drop(writing_a);
        assert_eq!(remove_partial_writes(), 0);
    }
}
