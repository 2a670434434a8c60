//! The stores: content-addressed entries — graphs under `graphs/`,
//! component traces under `traces/` — sharded by the first two hex digits
//! of the key, published atomically, never modified, moved aside when bad.
//! One implementation for both kinds ([`Kind`]).

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use std::marker::PhantomData;

use phasic_core::{ComponentTrace, GraphView, ModelKey};

use crate::archive::{MappedGraph, encode};
use crate::atomic::write_atomic;
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
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<Self::Entry, String>;
}

/// Graph entries: rkyv archives, memory-mapped.
#[derive(Debug, Clone, Copy)]
pub struct Graphs;

impl Kind for Graphs {
    const DIR: &'static str = "graphs";
    const EXT: &'static str = "graph";
    type Entry = MappedGraph;
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<MappedGraph, String> {
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
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<ComponentTrace, String> {
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
        reason: String,
    },
}

/// One entry found by a scan.
#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    key: Option<[u8; 32]>,
    bytes: u64,
    modified: SystemTime,
}

/// Entries of kind `K` under `<root>/<K::DIR>`.
#[derive(Debug, Clone)]
pub struct Store<K> {
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
        fits: impl FnOnce(&K::Entry) -> std::result::Result<(), String>,
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
            tracing::warn!(path = %path.display(), reason, "bad cache entry left in place (read-only); it is rebuilt");
        }
        if mode == CacheMode::Required {
            return Err(Error::Required(Box::new(Error::BadEntry { path, reason })));
        }
        Ok(None)
    }

    /// Moves a bad entry to `graphs/quarantine/` (removes it if that fails).
    pub fn quarantine(&self, path: &Path, reason: &str) {
        tracing::warn!(path = %path.display(), reason, "bad cache entry moved aside; it is rebuilt");
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let q = self.dir.join("quarantine");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = q.join(format!("{name}.{}.{stamp}", std::process::id()));
        let moved = fs::create_dir_all(&q).and_then(|()| fs::rename(path, &target));
        match moved {
            Ok(()) => {}
            // another process moved it first (and may have published a good one since)
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                // remove it, unless another process has replaced it with a valid entry meanwhile
                let key = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(parse_hex);
                let valid_now = key.is_some_and(|k| K::open(path, k).is_ok());
                if !valid_now {
                    tracing::warn!(path = %path.display(), error = %e, "cannot move the bad entry aside; removing it");
                    let _ = fs::remove_dir_all(path).or_else(|_| fs::remove_file(path));
                }
            }
        }
        self.count(|c| c.corrupt += 1);
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
        write_atomic(&self.path_of(key), bytes, replace)
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

    fn entries(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let shards = match fs::read_dir(&self.dir) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io("list", &self.dir)(e)),
        };
        for shard in shards.flatten() {
            let name = shard.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !shard.path().is_dir() {
                continue;
            }
            for f in fs::read_dir(shard.path())
                .map_err(Error::io("list", shard.path()))?
                .flatten()
            {
                let path = f.path();
                if path.extension().and_then(|e| e.to_str()) != Some(K::EXT) {
                    continue;
                }
                let meta = fs::symlink_metadata(&path).map_err(Error::io("stat", &path))?;
                let key = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(parse_hex);
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

    /// Number and size of entries, and the counters.
    pub fn stats(&self) -> Result<Stats> {
        let entries = self.entries()?;
        Ok(Stats {
            entries: entries.len() as u64,
            bytes: entries.iter().map(|e| e.bytes).sum(),
            counters: self.counters(),
        })
    }

    /// Removes every entry (and the counters); returns how many entries there were.
    pub fn clear(&self) -> Result<u64> {
        let n = self.entries()?.len() as u64;
        match fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(Error::io("remove", &self.dir)(e)),
        }
    }

    /// Removes the entry of `key`; returns whether there was one.
    pub fn remove(&self, key: &ModelKey) -> Result<bool> {
        let path = self.path_of(key);
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
            fs::remove_file(&e.path).map_err(Error::io("remove", &e.path))?;
            total -= e.bytes;
            removed += 1;
            freed += e.bytes;
        }
        Ok((removed, freed))
    }

    /// Checks every entry; bad ones are moved aside. Returns `(good, bad)` with the reasons.
    pub fn verify(&self) -> Result<(u64, Vec<(PathBuf, String)>)> {
        let mut good = 0;
        let mut bad = Vec::new();
        for e in self.entries()? {
            let result = match e.key {
                Some(k) => K::open(&e.path, k).map(|_| ()),
                None => Err("the file name is not a key".to_string()),
            };
            match result {
                Ok(()) => good += 1,
                Err(reason) => {
                    self.quarantine(&e.path, &reason);
                    bad.push((e.path, reason));
                }
            }
        }
        Ok((good, bad))
    }
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
