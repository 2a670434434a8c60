//! A session folder: manifest, unit files, the pending list and logs.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use phasic_core::{KeyHasher, ModelKey, trace::Subproblem};

use crate::atomic::write_atomic;
use crate::checksum::checksum;
use crate::confine::confined;
use crate::defect::Defect;
use crate::error::{Error, Result};
use crate::header::{MAGIC_UNIT, check, entry, trace_flags};
use crate::store::{Lookup, TraceStore};

/// The lock file of a session folder.
const LOCK: &str = "lock";

/// What a session folder is renamed to (with a process id) while removed.
const REMOVING: &str = ".removing-";

/// Version of the manifest layout.
pub const MANIFEST_VERSION: u32 = 1;

/// One unit of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnitInfo {
    /// Its id (index in the manifest).
    pub id: u32,
    /// Its file, relative to the session folder.
    pub file: String,
    /// Checksum of the whole unit file.
    pub checksum: u64,
    /// The subproblem's content key: the key of the expected output.
    pub key: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Manifest {
    version: u32,
    /// Root of the trace store the outputs go to.
    store: PathBuf,
    units: Vec<UnitInfo>,
}

/// An open session.
///
/// A coordinator's session holds a shared lock on its `lock` file for as
/// long as it lives: [`Session::remove`] removes the folder only when no
/// other coordinator holds one, and [`gc_sessions`] skips locked sessions.
#[derive(Debug, Clone)]
pub struct Session {
    dir: PathBuf,
    manifest: Manifest,
    lock: Option<Arc<File>>,
}

/// The bytes of the unit file of `sub`.
fn unit_bytes(sub: &Subproblem, key: &ModelKey) -> Vec<u8> {
    entry(MAGIC_UNIT, trace_flags(), key.0, &sub.encode())
}

/// The session id of `keys` going to `store`: a UUID of version 8 (custom:
/// a content hash).
fn session_id(store: &Path, keys: &[ModelKey]) -> String {
    let mut h = KeyHasher::new("phasic-session");
    h.str(&store.to_string_lossy());
    h.len(keys.len());
    keys.iter().for_each(|k| h.bytes(&k.0));
    let id = h.finish().0;
    let hex: String = id[..16]
        .iter()
        .enumerate()
        .map(|(i, b)| match i {
            6 => format!("{:02x}", (b & 0x0f) | 0x80),
            8 => format!("{:02x}", (b & 0x3f) | 0x80),
            _ => format!("{b:02x}"),
        })
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Opens (creating it) the lock file of the session folder `dir`.
fn open_lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK);
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(Error::io("open", path))
}

/// Whether `file` is still the file at `path` (not removed or replaced).
fn still_at(file: &File, path: &Path) -> bool {
    let (Ok(open), Ok(there)) = (file.metadata(), fs::metadata(path)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        open.dev() == there.dev() && open.ino() == there.ino()
    }
    #[cfg(not(unix))]
    {
        open.len() == there.len()
    }
}

/// Takes a shared lock on the session folder `dir`, creating it; starts
/// again if a finishing coordinator removed the folder meanwhile.
fn lock_folder(dir: &Path) -> Result<File> {
    loop {
        fs::create_dir_all(dir.join("logs")).map_err(Error::io("create", dir.join("logs")))?;
        let lock = open_lock(dir)?;
        lock.lock_shared()
            .map_err(Error::io("lock", dir.join(LOCK)))?;
        if still_at(&lock, &dir.join(LOCK)) {
            return Ok(lock);
        }
        tracing::debug!(session = %dir.display(), "session removed while joining; creating it again");
    }
}

/// Removes the session folder `dir` whose lock is held exclusively (or
/// that has none): renamed aside first, so that a coordinator joining now
/// creates a fresh folder instead of writing into one being deleted.
fn remove_folder(dir: &Path) -> Result<()> {
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let aside = dir.with_file_name(format!("{name}{REMOVING}{}", std::process::id()));
    match fs::rename(dir, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("rename", dir)(e)),
    }
    fs::remove_dir_all(&aside).map_err(Error::io("remove", aside))
}

impl Session {
    /// Creates (or joins) the session of `subproblems` (every subproblem
    /// of a trace plan, unit `i` being subproblem `i`) under
    /// `<work_root>/work/`, with the units `needed` pending; only their
    /// unit files are written (existing ones are kept: a bad one is
    /// rewritten by [`Session::repair_unit`]). Its id is derived from the
    /// units' keys and the store, so coordinators of the same computation
    /// share one session whatever each found in the store. `keys` are the
    /// subproblems' keys, as the plan has them.
    pub fn create(
        work_root: &Path,
        store: &Path,
        subproblems: &[Subproblem],
        keys: &[ModelKey],
        needed: &[u32],
    ) -> Result<Session> {
        let dir = work_root.join("work").join(session_id(store, keys));
        let lock = lock_folder(&dir)?;
        let mut units = Vec::with_capacity(subproblems.len());
        let mut wanted = needed.iter().peekable();
        for (i, (sub, key)) in subproblems.iter().zip(keys).enumerate() {
            let file = format!("units/{i:06}.unit");
            let bytes = unit_bytes(sub, key);
            if wanted.next_if(|&&u| u as usize == i).is_some() {
                write_atomic(&dir.join(&file), &bytes, false)?;
            }
            units.push(UnitInfo {
                id: i as u32,
                file,
                checksum: checksum(&bytes),
                key: key.0,
            });
        }
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            store: store.to_path_buf(),
            units,
        };
        let mut bytes = postcard::to_allocvec(&manifest).map_err(|e| Error::Session {
            path: dir.clone(),
            reason: format!("cannot encode the manifest: {e}"),
        })?;
        bytes.extend_from_slice(&checksum(&bytes).to_le_bytes());
        let path = dir.join("manifest");
        write_atomic(&path, &bytes, false)?;
        // joined: the existing manifest must describe these units; a
        // damaged one is replaced (this coordinator knows the truth)
        let mut session = match Session::open(&dir) {
            Ok(s) if s.manifest == manifest => s,
            Ok(_) => {
                return Err(Error::Session {
                    path,
                    reason: "an existing manifest describes other units".into(),
                });
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "damaged manifest; rewriting it");
                write_atomic(&path, &bytes, true)?;
                Session::open(&dir)?
            }
        };
        session.set_pending(needed)?;
        session.lock = Some(Arc::new(lock));
        tracing::debug!(session = %session.dir.display(), units = subproblems.len(), pending = needed.len(), "work session ready");
        Ok(session)
    }

    /// This session without its lock: a concurrent coordinator may remove
    /// it once its units are done.
    pub fn unlocked(mut self) -> Session {
        self.lock = None;
        self
    }

    /// Opens the session in `dir` (reads and checks its manifest).
    pub fn open(dir: &Path) -> Result<Session> {
        let path = dir.join("manifest");
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        let Some((body, sum)) = bytes.split_last_chunk::<8>() else {
            return Err(Error::Session {
                path,
                reason: format!("{} bytes: truncated manifest", bytes.len()),
            });
        };
        if checksum(body) != u64::from_le_bytes(*sum) {
            return Err(Error::Session {
                path,
                reason: "manifest checksum mismatch (damaged file)".into(),
            });
        }
        let manifest: Manifest = postcard::from_bytes(body).map_err(|e| Error::Session {
            path: path.clone(),
            reason: format!("unreadable manifest: {e}"),
        })?;
        if manifest.version != MANIFEST_VERSION {
            return Err(Error::Session {
                path,
                reason: format!(
                    "manifest version {} (expected {MANIFEST_VERSION})",
                    manifest.version
                ),
            });
        }
        if let Some(u) = manifest.units.iter().enumerate().find(|(i, u)| {
            u.id as usize != *i || u.file.contains("..") || Path::new(&u.file).is_absolute()
        }) {
            return Err(Error::Session {
                path,
                reason: format!("unit entry {} is malformed", u.0),
            });
        }
        Ok(Session {
            dir: dir.to_path_buf(),
            manifest,
            lock: None,
        })
    }

    /// The session folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The units.
    pub fn units(&self) -> &[UnitInfo] {
        &self.manifest.units
    }

    /// The trace store the outputs go to.
    pub fn store(&self) -> TraceStore {
        TraceStore::new(&self.manifest.store)
    }

    /// The log folder.
    pub fn logs(&self) -> PathBuf {
        self.dir.join("logs")
    }

    /// Path of unit `i`'s file.
    pub fn unit_path(&self, i: usize) -> PathBuf {
        self.dir.join(&self.manifest.units[i].file)
    }

    /// Reads and checks unit `i`: its file's checksum against the manifest,
    /// the header, and that the subproblem has the expected key. Errors
    /// name the file.
    pub fn read_unit(&self, i: usize) -> Result<Subproblem> {
        let u = self.manifest.units.get(i).ok_or_else(|| Error::Session {
            path: self.dir.join("manifest"),
            reason: format!("no unit {i}"),
        })?;
        let path = self.unit_path(i);
        let bad = |reason: Defect| Error::BadEntry {
            path: path.clone(),
            reason,
        };
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        if checksum(&bytes) != u.checksum {
            return Err(bad(Defect::ManifestChecksum {
                len: bytes.len() as u64,
            }));
        }
        let payload = check(&bytes, MAGIC_UNIT, trace_flags(), u.key).map_err(&bad)?;
        let sub = Subproblem::decode(payload).map_err(|e| bad(Defect::Decode(e)))?;
        if sub.key().0 != u.key {
            return Err(bad(Defect::UnitKey));
        }
        Ok(sub)
    }

    /// Rewrites unit `i`'s file from `sub` if it fails its check.
    pub fn repair_unit(&self, i: usize, sub: &Subproblem) -> Result<bool> {
        if self.read_unit(i).is_ok() {
            return Ok(false);
        }
        let key = ModelKey(self.manifest.units[i].key);
        let path = self.unit_path(i);
        tracing::warn!(unit = i, path = %path.display(), "unit file is bad; rewriting it");
        write_atomic(&path, &unit_bytes(sub, &key), true)
    }

    /// Whether unit `i`'s output is in the store (a valid entry; a bad
    /// one is moved aside).
    pub fn is_done(&self, store: &TraceStore, i: usize) -> bool {
        let key = ModelKey(self.manifest.units[i].key);
        matches!(store.load(&key), Lookup::Hit(_))
    }

    /// Whether unit `i`'s output file exists (cheap; for progress).
    pub fn output_exists(&self, store: &TraceStore, i: usize) -> bool {
        store
            .path_of(&ModelKey(self.manifest.units[i].key))
            .is_file()
    }

    /// The units of the current attempt (all units if none was set).
    pub fn pending(&self) -> Result<Vec<u32>> {
        let path = self.dir.join("pending");
        match fs::read(&path) {
            Ok(b) => postcard::from_bytes(&b).map_err(|e| Error::Session {
                path,
                reason: format!("unreadable pending list: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((0..self.manifest.units.len() as u32).collect())
            }
            Err(e) => Err(Error::io("read", &path)(e)),
        }
    }

    /// Sets the units of the next attempt.
    pub fn set_pending(&self, units: &[u32]) -> Result<()> {
        let bytes = postcard::to_allocvec(units).map_err(|e| Error::Session {
            path: self.dir.clone(),
            reason: format!("cannot encode the pending list: {e}"),
        })?;
        write_atomic(&self.dir.join("pending"), &bytes, true).map(drop)
    }

    /// Removes the session folder, unless another coordinator holds it
    /// (then the last one to finish removes it).
    pub fn remove(self) -> Result<()> {
        if let Some(lock) = &self.lock {
            let path = self.dir.join(LOCK);
            lock.unlock().map_err(Error::io("unlock", &path))?;
            match lock.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    tracing::debug!(session = %self.dir.display(), "another coordinator holds the session; it removes it");
                    return Ok(());
                }
                Err(TryLockError::Error(e)) => return Err(Error::io("lock", path)(e)),
            }
        }
        remove_folder(&self.dir)
    }
}

/// Whether `name` is a session id as [`Session::create`] makes them: a
/// UUID of version 8 in lowercase hex (`xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx`,
/// `y` one of 8, 9, a, b).
fn is_session_id(name: &str) -> bool {
    let b = name.as_bytes();
    let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => hex(c),
        })
        && b[14] == b'8'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// Whether `name` is a session folder being removed: a session id, then
/// [`REMOVING`] and a process id.
fn is_removing(name: &str) -> bool {
    name.split_once(REMOVING).is_some_and(|(id, pid)| {
        is_session_id(id) && !pid.is_empty() && pid.bytes().all(|c| c.is_ascii_digit())
    })
}

/// Removes the sessions under `<work_root>/work/` not modified for
/// `older_than`; returns the folders removed.
///
/// Only sessions phasic created are removed: a real folder (not a link)
/// named by a session id whose manifest opens, and that no coordinator
/// holds (its lock is free), or the leftover of an interrupted removal.
/// Anything else under `work/` — other folders, files, links, sessions
/// with a damaged manifest — is left alone (a warning names it).
pub fn gc_sessions(work_root: &Path, older_than: Duration) -> Result<Vec<PathBuf>> {
    let dir = work_root.join("work");
    confined(work_root, &dir)?;
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", &dir)(e)),
    };
    let now = SystemTime::now();
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let real_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let name = e.file_name();
        let name = name.to_str().unwrap_or_default();
        let (session, removing) = (is_session_id(name), is_removing(name));
        if !(real_dir && (session || removing)) {
            tracing::warn!(path = %path.display(), "not a work session of phasic; left alone");
            continue;
        }
        if session && let Err(err) = Session::open(&path) {
            tracing::warn!(path = %path.display(), error = %err, "work session without a readable manifest; left alone");
            continue;
        }
        // the newest modification anywhere in the session counts
        let newest = newest_mtime(&path).unwrap_or(SystemTime::UNIX_EPOCH);
        if now.duration_since(newest).unwrap_or_default() <= older_than {
            continue;
        }
        if removing {
            match fs::remove_dir_all(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove", &path)(e)),
            }
            continue;
        }
        let lock = open_lock(&path)?;
        match lock.try_lock() {
            Ok(()) => {
                remove_folder(&path)?;
                removed.push(path);
            }
            Err(TryLockError::WouldBlock) => {
                tracing::info!(path = %path.display(), "work session in use by a coordinator; left alone");
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", path.join(LOCK))(e)),
        }
    }
    Ok(removed)
}

/// The newest modification time in `dir` and below, following no link.
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = fs::symlink_metadata(dir).ok()?.modified().ok()?;
    for e in fs::read_dir(dir).ok()?.flatten() {
        let t = if e.file_type().is_ok_and(|t| t.is_dir()) {
            newest_mtime(&e.path())
        } else {
            fs::symlink_metadata(e.path())
                .ok()
                .and_then(|m| m.modified().ok())
        };
        newest = newest.max(t.unwrap_or(newest));
    }
    Some(newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_recognised() {
        assert!(is_session_id("0123abcd-0123-8123-9abc-0123456789ab"));
        assert!(is_session_id("0123abcd-0123-8123-babc-0123456789ab"));
        // wrong version, variant, case, length, separators
        assert!(!is_session_id("0123abcd-0123-4123-9abc-0123456789ab"));
        assert!(!is_session_id("0123abcd-0123-8123-cabc-0123456789ab"));
        assert!(!is_session_id("0123ABCD-0123-8123-9abc-0123456789ab"));
        assert!(!is_session_id("0123abcd-0123-8123-9abc-0123456789a"));
        assert!(!is_session_id("0123abcd00123-8123-9abc-0123456789ab"));
        assert!(!is_session_id("my-results"));
        // folders being removed
        assert!(is_removing(
            "0123abcd-0123-8123-9abc-0123456789ab.removing-42"
        ));
        assert!(!is_removing(
            "0123abcd-0123-8123-9abc-0123456789ab.removing-"
        ));
        assert!(!is_removing(
            "0123abcd-0123-8123-9abc-0123456789ab.removing-4x"
        ));
        assert!(!is_removing("my-results.removing-42"));
    }
}
