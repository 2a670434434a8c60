//! The stores: content-addressed entries — graphs under `graphs/`,
//! component traces under `traces/` — sharded by the first two hex digits
//! of the key, published atomically, never modified, moved aside when bad.
//! One implementation for both kinds ([`Kind`]).

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use std::marker::PhantomData;

use phasic_core::{GraphView, ModelKey, trace::ComponentTrace};

use crate::archive::{MappedGraph, encode};
use crate::atomic::write_atomic;
use crate::confine::{confined, is_regular_file};
use crate::defect::{Defect, Rejection};
use crate::error::{Error, Result};
use crate::mode::CacheMode;
use crate::trace_entry::{encode_trace, open_trace};

/// A kind of entry: where it lives and how it is opened and checked.
pub trait Kind {
    /// Folder under the cache root.
    const DIR: &'static str;
    /// File extension of the entries.
    const EXT: &'static str;
    /// An opened, checked entry.
    type Entry;
    /// Opens and checks the entry at `path` for `key` (`Err`: which check failed).
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<Self::Entry, Defect>;
}

/// Graph entries: rkyv archives, memory-mapped.
#[derive(Debug, Clone, Copy)]
pub struct Graphs;

impl Kind for Graphs {
    const DIR: &'static str = "graphs";
    const EXT: &'static str = "graph";
    type Entry = MappedGraph;
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<MappedGraph, Defect> {
        MappedGraph::open(path, key)
    }
}

/// Component-trace entries, keyed by their subproblem's content key.
#[derive(Debug, Clone, Copy)]
pub struct Traces;

impl Kind for Traces {
    const DIR: &'static str = "traces";
    const EXT: &'static str = "trace";
    type Entry = ComponentTrace;
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<ComponentTrace, Defect> {
        open_trace(path, key)
    }
}

/// Counters kept in `<dir>/stats` (postcard), updated under a file lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Loads served from an entry.
    pub hits: u64,
    /// Loads that had to build.
    pub misses: u64,
    /// Bad entries seen (and moved aside).
    pub corrupt: u64,
}

/// What `stats()` reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Number of entries.
    pub entries: u64,
    /// Their total size.
    pub bytes: u64,
    /// Hits, misses and bad entries seen so far.
    #[serde(flatten)]
    pub counters: Counters,
}

/// The result of looking a key up.
#[derive(Debug)]
pub enum Lookup<T = MappedGraph> {
    /// A valid entry (a graph: mapped).
    Hit(T),
    /// No entry.
    Miss,
    /// An entry that failed a check; it has been moved aside.
    Bad {
        /// The entry's path.
        path: PathBuf,
        /// The failed check.
        reason: Defect,
    },
}

/// One entry found by a scan: a regular file named `<key>.<ext>` in the
/// shard of its key's first two hex digits.
#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    key: [u8; 32],
    bytes: u64,
    modified: SystemTime,
}

/// Entries of kind `K` under `<root>/<K::DIR>`.
///
/// Nothing below the root is followed if it is a symbolic link, and
/// maintenance (`stats`, `verify`, `gc`, `clear`) sees, moves and removes
/// only files that are entries by name and kind: anything else found in
/// the folders is left alone.
#[derive(Debug, Clone)]
pub struct Store<K> {
    root: PathBuf,
    dir: PathBuf,
    kind: PhantomData<K>,
}

/// Graph entries under `<root>/graphs`.
pub type GraphStore = Store<Graphs>;
/// Component-trace entries under `<root>/traces`.
pub type TraceStore = Store<Traces>;

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl<K: Kind> Store<K> {
    /// The store under `root` (nothing is created until needed).
    pub fn new(root: &Path) -> Store<K> {
        Store {
            root: root.to_path_buf(),
            dir: root.join(K::DIR),
            kind: PhantomData,
        }
    }

    /// The folder of the entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry of `key` lives.
    pub fn path_of(&self, key: &ModelKey) -> PathBuf {
        let hex = key.hex();
        self.dir.join(&hex[..2]).join(format!("{hex}.{}", K::EXT))
    }

    /// Looks `key` up; a bad entry is moved aside (with a warning) and reported.
    pub fn load(&self, key: &ModelKey) -> Lookup<K::Entry> {
        let lookup = self.peek(key);
        if let Lookup::Bad { path, reason } = &lookup {
            self.quarantine(path, reason);
        }
        lookup
    }

    /// Looks `key` up without writing anything: a bad entry is reported
    /// and left in place (the caller warns). For read-only use.
    pub fn peek(&self, key: &ModelKey) -> Lookup<K::Entry> {
        let path = self.path_of(key);
        if fs::symlink_metadata(&path).is_err() {
            return Lookup::Miss;
        }
        let shard = path.parent().unwrap_or(&self.dir);
        if let Err(e) = confined(&self.root, shard) {
            return Lookup::Bad {
                path,
                reason: Defect::Unconfined(e.to_string()),
            };
        }
        match K::open(&path, key.0) {
            Ok(g) => Lookup::Hit(g),
            Err(reason) => Lookup::Bad { path, reason },
        }
    }

    /// Looks `key` up as `mode` says: `ReadOnly` peeks (a bad entry is
    /// reported and left in place), the other modes load (a bad entry is
    /// moved aside with a warning). A valid entry counts only if `fits`
    /// accepts it; otherwise it is bad too. A bad entry is an error in
    /// `Required` mode and a miss otherwise. (`Off` and `Refresh` callers
    /// do not look up.)
    pub fn lookup(
        &self,
        key: &ModelKey,
        mode: CacheMode,
        fits: impl FnOnce(&K::Entry) -> std::result::Result<(), Defect>,
    ) -> Result<Option<K::Entry>> {
        let read_only = mode == CacheMode::ReadOnly;
        let lookup = if read_only {
            self.peek(key)
        } else {
            self.load(key)
        };
        let (path, reason) = match lookup {
            Lookup::Miss => return Ok(None),
            Lookup::Bad { path, reason } => (path, reason),
            Lookup::Hit(entry) => match fits(&entry) {
                Ok(()) => return Ok(Some(entry)),
                Err(reason) => {
                    let path = self.path_of(key);
                    if !read_only {
                        self.quarantine(&path, &reason);
                    }
                    (path, reason)
                }
            },
        };
        if read_only {
            tracing::warn!(path = %path.display(), reason = %reason, "bad cache entry left in place (read-only); it is rebuilt");
        }
        if mode == CacheMode::Required {
            return Err(Error::Required(Box::new(Error::BadEntry { path, reason })));
        }
        Ok(None)
    }

    /// Moves a bad entry to `graphs/quarantine/` (removes it if that
    /// fails and it is a file or a link). Nothing is moved or removed
    /// through a linked folder: then the entry is left in place with a
    /// warning. (Moving whatever sits in the entry's place — a file, a
    /// folder, a link — never touches what a link points at.)
    /// Returns why the entry was left in place, if it was.
    pub fn quarantine(&self, path: &Path, reason: &Defect) -> Option<String> {
        self.count(|c| c.corrupt += 1);
        let q = self.dir.join("quarantine");
        let shard = path.parent().unwrap_or(&self.dir);
        if let Err(e) = confined(&self.root, shard).and_then(|()| confined(&self.root, &q)) {
            tracing::warn!(path = %path.display(), reason = %reason, why = %e, "bad cache entry left in place, not moved");
            return Some(e.to_string());
        }
        tracing::warn!(path = %path.display(), reason = %reason, "bad cache entry moved aside; it is rebuilt");
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = q.join(format!("{name}.{}.{stamp}", std::process::id()));
        let moved = fs::create_dir_all(&q).and_then(|()| fs::rename(path, &target));
        match moved {
            Ok(()) => None,
            // another process moved it first (and may have published a good one since)
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                // remove it, unless another process has replaced it with a valid entry meanwhile
                let key = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(parse_hex);
                let valid_now = key.is_some_and(|k| K::open(path, k).is_ok());
                let file_or_link = fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir());
                if !valid_now && file_or_link {
                    tracing::warn!(path = %path.display(), error = %e, "cannot move the bad entry aside; removing it");
                    let _ = fs::remove_file(path);
                    return None;
                }
                Some(format!("cannot move it aside: {e}"))
            }
        }
    }

    /// Publishes the complete entry `bytes` under `key`: a temporary file
    /// in the entry's folder, written and synced, then renamed into place
    /// without replacing an existing entry (or replacing it when
    /// `replace`). Returns whether this call created the entry.
    pub(crate) fn publish_bytes(
        &self,
        key: &ModelKey,
        bytes: &[u8],
        replace: bool,
    ) -> Result<bool> {
        let path = self.path_of(key);
        confined(&self.root, path.parent().unwrap_or(&self.dir))?;
        write_atomic(&path, bytes, replace)
    }

    /// Adds to the counters in `graphs/stats` (best effort, under a lock).
    pub fn count(&self, f: impl FnOnce(&mut Counters)) {
        let path = self.dir.join("stats");
        let update = || -> std::io::Result<()> {
            fs::create_dir_all(&self.dir)?;
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            file.lock()?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            let mut c: Counters = postcard::from_bytes(&bytes).unwrap_or_default();
            f(&mut c);
            let out = postcard::to_allocvec(&c).map_err(std::io::Error::other)?;
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(&out)?;
            Ok(())
        };
        if let Err(e) = update() {
            tracing::debug!(path = %path.display(), error = %e, "cache counters not updated");
        }
    }

    fn counters(&self) -> Counters {
        fs::read(self.dir.join("stats"))
            .ok()
            .and_then(|b| postcard::from_bytes(&b).ok())
            .unwrap_or_default()
    }

    /// The real shard folders (two hex digits; links are skipped with a
    /// warning). The store's folder itself must not be a link.
    fn shards(&self) -> Result<Vec<PathBuf>> {
        confined(&self.root, &self.dir)?;
        let listing = match fs::read_dir(&self.dir) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", &self.dir)(e)),
        };
        let mut out = Vec::new();
        for shard in listing.flatten() {
            let name = shard.file_name();
            let is_shard = name.len() == 2
                && name.to_str().is_some_and(|n| {
                    n.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                });
            let Ok(kind) = shard.file_type() else {
                continue;
            };
            if is_shard && kind.is_symlink() {
                tracing::warn!(path = %shard.path().display(), "symbolic link in the cache skipped: phasic follows no link inside its cache root");
            } else if is_shard && kind.is_dir() {
                out.push(shard.path());
            }
        }
        out.sort();
        Ok(out)
    }

    /// The entries: regular files named `<key>.<ext>` in the shard of
    /// their key. Anything else is not ours and is never listed.
    fn entries(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        for shard in self.shards()? {
            let listing = match fs::read_dir(&shard) {
                Ok(l) => l,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("list", &shard)(e)),
            };
            for f in listing.flatten() {
                let path = f.path();
                let Some(key) = entry_key::<K>(&path) else {
                    continue;
                };
                let Ok(meta) = fs::symlink_metadata(&path) else {
                    continue; // removed meanwhile
                };
                if !meta.file_type().is_file() {
                    continue;
                }
                out.push(Entry {
                    path,
                    key,
                    bytes: meta.len(),
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                });
            }
        }
        Ok(out)
    }

    /// Removes one listed entry, if its shard is still a real folder.
    fn remove_entry(&self, e: &Entry) -> Result<bool> {
        confined(&self.root, e.path.parent().unwrap_or(&self.dir))?;
        match fs::remove_file(&e.path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(Error::io("remove", &e.path)(err)),
        }
    }

    /// Number and size of entries, and the counters.
    pub fn stats(&self) -> Result<Stats> {
        let entries = self.entries()?;
        Ok(Stats {
            entries: entries.len() as u64,
            bytes: entries.iter().map(|e| e.bytes).sum(),
            counters: self.counters(),
        })
    }

    /// Removes every entry and the counters, then the folders left empty;
    /// returns how many entries it removed. Files that are not ours stay
    /// (and so do the folders holding them).
    pub fn clear(&self) -> Result<u64> {
        let mut removed = 0;
        for e in self.entries()? {
            removed += u64::from(self.remove_entry(&e)?);
        }
        let stats = self.dir.join("stats");
        if is_regular_file(&stats) {
            fs::remove_file(&stats).map_err(Error::io("remove", &stats))?;
        }
        self.clear_quarantine()?;
        for shard in self.shards()? {
            let _ = fs::remove_dir(shard); // fails if not empty: kept
        }
        let _ = fs::remove_dir(&self.dir);
        Ok(removed)
    }

    /// Removes what this store moved into `quarantine/` (files and links
    /// named `<entry>.<pid>.<nanos>`; a folder moved there is kept), then
    /// the folder if it is left empty.
    fn clear_quarantine(&self) -> Result<()> {
        let q = self.dir.join("quarantine");
        confined(&self.root, &q)?;
        let Ok(listing) = fs::read_dir(&q) else {
            return Ok(());
        };
        for f in listing.flatten() {
            let path = f.path();
            let ours = f.file_name().to_str().is_some_and(is_quarantined_name::<K>);
            let file_or_link = f.file_type().is_ok_and(|t| !t.is_dir());
            if ours && file_or_link {
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("remove", &path)(e)),
                }
            }
        }
        let _ = fs::remove_dir(&q);
        Ok(())
    }

    /// Removes the entry of `key`; returns whether there was one.
    pub fn remove(&self, key: &ModelKey) -> Result<bool> {
        let path = self.path_of(key);
        confined(&self.root, path.parent().unwrap_or(&self.dir))?;
        if !is_regular_file(&path) {
            return Ok(false);
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("remove", &path)(e)),
        }
    }

    /// Removes entries older than `max_age`, then the oldest ones until at
    /// most `max_bytes` remain; returns `(entries removed, bytes freed)`.
    pub fn gc(&self, max_bytes: Option<u64>, max_age: Option<Duration>) -> Result<(u64, u64)> {
        let mut entries = self.entries()?;
        entries.sort_by_key(|e| e.modified);
        let now = SystemTime::now();
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        let (mut removed, mut freed) = (0, 0);
        for e in &entries {
            let too_old =
                max_age.is_some_and(|a| now.duration_since(e.modified).unwrap_or_default() > a);
            let too_big = max_bytes.is_some_and(|m| total > m);
            if !(too_old || too_big) {
                continue;
            }
            total -= e.bytes;
            if self.remove_entry(e)? {
                removed += 1;
                freed += e.bytes;
            }
        }
        Ok((removed, freed))
    }

    /// Checks every entry; bad ones are moved aside. Returns `(good, bad)`
    /// with each bad entry's path, the check it failed and, if it could not
    /// be moved aside, why it was left in place (a [`Rejection`] displays
    /// as the one-line reason: "defect" or "defect; left in place: why").
    pub fn verify(&self) -> Result<(u64, Vec<(PathBuf, Rejection)>)> {
        let mut good = 0;
        let mut bad = Vec::new();
        for e in self.entries()? {
            match K::open(&e.path, e.key).map(|_| ()) {
                Ok(()) => good += 1,
                Err(defect) => {
                    let left_in_place = self.quarantine(&e.path, &defect);
                    bad.push((
                        e.path,
                        Rejection {
                            defect,
                            left_in_place,
                        },
                    ));
                }
            }
        }
        Ok((good, bad))
    }
}

/// The key of an entry file's path: `<shard>/<64 hex digits>.<K::EXT>`,
/// where the shard is the key's first two digits.
fn entry_key<K: Kind>(path: &Path) -> Option<[u8; 32]> {
    if path.extension()?.to_str()? != K::EXT {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let shard = path.parent()?.file_name()?.to_str()?;
    let lower = stem.bytes().all(|b| !b.is_ascii_uppercase());
    (lower && stem.get(..2) == Some(shard))
        .then(|| parse_hex(stem))
        .flatten()
}

/// Whether `name` is what [`Store::quarantine`] names a moved entry:
/// `<64 hex>.<K::EXT>.<pid>.<nanos>`.
fn is_quarantined_name<K: Kind>(name: &str) -> bool {
    let mut parts = name.split('.');
    let (Some(key), Some(ext), Some(pid), Some(nanos), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    parse_hex(key).is_some() && ext == K::EXT && digits(pid) && digits(nanos)
}

impl GraphStore {
    /// Publishes `graph` under `key` (a temporary file, synced, renamed into
    /// place without replacing an existing entry unless `replace`);
    /// returns whether this call created the entry.
    pub fn publish<G: GraphView + ?Sized>(
        &self,
        key: &ModelKey,
        graph: &G,
        replace: bool,
    ) -> Result<bool> {
        let bytes = encode(graph, key.0).map_err(|reason| Error::BadEntry {
            path: self.path_of(key),
            reason,
        })?;
        self.publish_bytes(key, &bytes, replace)
    }
}

impl TraceStore {
    /// Publishes the trace of the subproblem whose content key is `key`
    /// (replacing an existing entry when `replace`); returns whether this
    /// call created the entry.
    pub fn publish(&self, key: &ModelKey, trace: &ComponentTrace, replace: bool) -> Result<bool> {
        self.publish_bytes(key, &encode_trace(trace, key), replace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantined_names_are_recognised() {
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
    }
}
