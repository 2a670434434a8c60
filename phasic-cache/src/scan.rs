//! What a store's folders hold that is ours, by name and place: entries
//! (`<shard>/<64 hex>.<ext>`, a regular file in the shard of its key),
//! temporary files of interrupted writes (`<shard>/.tmp-XXXXXX`, a regular
//! file) and entries moved aside (`quarantine/<entry>.<pid>.<nanos>`, a
//! file or a link). Nothing else is ever listed, so nothing else is ever
//! counted, moved or removed; no link below the root is followed. A
//! folder this user may not read (another user's, in a shared cache) is
//! skipped with a warning.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::atomic::{TEMPORARY_PREFIX, TEMPORARY_RANDOM};
use crate::confine::confined;
use crate::error::{Error, Result};
use crate::store::{Kind, Store};

/// What a listed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Moved aside by a lookup or `verify`.
    Quarantined,
    /// Left by a write that never finished.
    Temporary,
    /// A published entry with its key.
    Entry([u8; 32]),
}

/// One listed file.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) class: Class,
    pub(crate) bytes: u64,
    pub(crate) modified: SystemTime,
}

/// The key of 64 lower-case hex digits.
pub(crate) fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn is_shard_name(name: &str) -> bool {
    name.len() == 2
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The key of an entry file's path: `<shard>/<64 hex digits>.<K::EXT>`,
/// where the shard is the key's first two digits.
fn entry_key<K: Kind>(path: &Path) -> Option<[u8; 32]> {
    if path.extension()?.to_str()? != K::EXT {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let shard = path.parent()?.file_name()?.to_str()?;
    (stem.get(..2) == Some(shard)).then(|| parse_hex(stem))?
}

/// Whether `name` is a temporary file of [`crate::atomic::write_atomic`].
fn is_temporary_name(name: &str) -> bool {
    name.strip_prefix(TEMPORARY_PREFIX).is_some_and(|rest| {
        rest.len() == TEMPORARY_RANDOM && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Whether `name` is what [`Store::quarantine`] names a moved entry:
/// `<64 hex>.<K::EXT>.<pid>.<nanos>`.
pub(crate) fn is_quarantined_name<K: Kind>(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(parts[..], [key, ext, pid, nanos]
        if parse_hex(key).is_some() && ext == K::EXT && digits(pid) && digits(nanos))
}

/// The files of `dir` (not followed if `dir` is a link: the caller checks
/// that), with their metadata, not following links.
fn list(dir: &Path) -> Result<Vec<(PathBuf, String, fs::Metadata)>> {
    let listing = match fs::read_dir(dir) {
        Ok(l) => l,
        // nothing there, or a file where a folder of ours would be: nothing of ours
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Vec::new());
        }
        // another user's folder in a shared cache: not ours to judge
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            tracing::warn!(path = %dir.display(), "cache folder not readable by this user: skipped");
            return Ok(Vec::new());
        }
        Err(e) => return Err(Error::io("list", dir)(e)),
    };
    let mut out = Vec::new();
    for f in listing.flatten() {
        let Some(name) = f.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let path = f.path();
        if let Ok(meta) = fs::symlink_metadata(&path) {
            out.push((path, name, meta));
        }
    }
    Ok(out)
}

impl<K: Kind> Store<K> {
    /// The real shard folders (links are skipped with a warning). The
    /// store's folder itself must not be a link.
    fn shards(&self) -> Result<Vec<PathBuf>> {
        confined(&self.root, &self.dir)?;
        let mut out = Vec::new();
        for (path, name, meta) in list(&self.dir)? {
            if !is_shard_name(&name) {
                continue;
            }
            if meta.file_type().is_symlink() {
                tracing::warn!(path = %path.display(), "symbolic link in the cache skipped: phasic follows no link inside its cache root");
            } else if meta.is_dir() {
                out.push(path);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Everything of ours in the store, in a stable order.
    pub(crate) fn listing(&self) -> Result<Vec<Found>> {
        let found = |path, class, meta: &fs::Metadata| Found {
            path,
            class,
            bytes: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        };
        let mut out = Vec::new();
        for shard in self.shards()? {
            for (path, name, meta) in list(&shard)? {
                if !meta.file_type().is_file() {
                    continue;
                }
                if let Some(key) = entry_key::<K>(&path) {
                    out.push(found(path, Class::Entry(key), &meta));
                } else if is_temporary_name(&name) {
                    out.push(found(path, Class::Temporary, &meta));
                }
            }
        }
        let q = self.quarantine_dir();
        if confined(&self.root, &q).is_ok() {
            for (path, name, meta) in list(&q)? {
                if is_quarantined_name::<K>(&name) && !meta.is_dir() {
                    out.push(found(path, Class::Quarantined, &meta));
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The shard folders left empty are removed (others are kept).
    pub(crate) fn remove_empty_folders(&self) -> Result<()> {
        for shard in self.shards()? {
            let _ = fs::remove_dir(shard); // fails if not empty: kept
        }
        if confined(&self.root, &self.quarantine_dir()).is_ok() {
            let _ = fs::remove_dir(self.quarantine_dir());
        }
        let _ = fs::remove_dir(&self.dir);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Graphs, Programs, Traces};

    #[test]
    fn names_are_recognised() {
        let key = "ab".repeat(32);
        assert!(is_quarantined_name::<Graphs>(&format!(
            "{key}.graph.12.345"
        )));
        assert!(!is_quarantined_name::<Traces>(&format!(
            "{key}.graph.12.345"
        )));
        assert!(!is_quarantined_name::<Graphs>(&format!("{key}.graph.12")));
        assert!(!is_quarantined_name::<Graphs>(&format!("{key}.graph.12.x")));
        assert!(!is_quarantined_name::<Graphs>("notes.graph.1.2"));
        assert!(!is_quarantined_name::<Graphs>(&format!(
            "{key}.graph.1.2.3"
        )));
        assert!(is_temporary_name(".tmp-a1B2c3"));
        assert!(!is_temporary_name(".tmp-a1B2c"));
        assert!(!is_temporary_name(".tmp-a1B2c3d"));
        assert!(!is_temporary_name(".tmp-a1B2-3"));
        assert!(!is_temporary_name("tmp-a1B2c3"));
        assert!(is_shard_name("0f") && !is_shard_name("0F") && !is_shard_name("0g"));
        let p = PathBuf::from(format!("/c/graphs/ab/{key}.graph"));
        assert_eq!(entry_key::<Graphs>(&p), Some([0xab; 32]));
        assert_eq!(entry_key::<Traces>(&p), None);
        let wrong_shard = PathBuf::from(format!("/c/graphs/cd/{key}.graph"));
        assert_eq!(entry_key::<Graphs>(&wrong_shard), None);
        let program = PathBuf::from(format!("/c/programs/ab/{key}.program"));
        assert_eq!(entry_key::<Programs>(&program), Some([0xab; 32]));
        assert_eq!(entry_key::<Graphs>(&program), None);
        assert!(is_quarantined_name::<Programs>(&format!(
            "{key}.program.12.345"
        )));
        let upper = PathBuf::from(format!("/c/graphs/AB/{}.graph", "AB".repeat(32)));
        assert_eq!(entry_key::<Graphs>(&upper), None);
    }
}
