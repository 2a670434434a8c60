//! The stores: content-addressed entries — graphs under `graphs/`,
//! component traces under `traces/`, the programs of graphs under
//! `programs/` — sharded by the first two hex digits of the key, published
//! atomically, never modified, moved aside when bad. One implementation
//! for every kind ([`Kind`]).

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use std::marker::PhantomData;

use phasic_core::{GraphView, ModelKey, elimination::Program, trace::ComponentTrace};

use crate::archive::{MappedGraph, encode};
use crate::atomic::write_atomic;
use crate::collect::{Collected, Limits, collect};
use crate::confine::{confined, is_regular_file};
use crate::counters::{self, Counters};
use crate::defect::{Defect, Rejection};
use crate::error::{Error, Result};
use crate::header::payload_checksum;
use crate::mode::CacheMode;
use crate::program_entry::{StoredProgram, encode_program, open_program};
use crate::scan::{Class, parse_hex};
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

/// Program entries: the elimination of a graph with constant weights,
/// under the graph's key.
#[derive(Debug, Clone, Copy)]
pub struct Programs;

impl Kind for Programs {
    const DIR: &'static str = "programs";
    const EXT: &'static str = "program";
    type Entry = StoredProgram;
    fn open(path: &Path, key: [u8; 32]) -> std::result::Result<StoredProgram, Defect> {
        open_program(path, key)
    }
}

/// Files of one class: how many, and their total size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Files {
    /// Number of files.
    pub count: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

impl Files {
    /// Counts one more file of `bytes`.
    pub(crate) fn count_one(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
}

impl std::ops::Add for Files {
    type Output = Files;
    fn add(self, o: Files) -> Files {
        Files {
            count: self.count + o.count,
            bytes: self.bytes + o.bytes,
        }
    }
}

impl std::ops::Add for Stats {
    type Output = Stats;
    /// Two stores together; the counters are unknown if either's are.
    fn add(self, o: Stats) -> Stats {
        Stats {
            entries: self.entries + o.entries,
            bytes: self.bytes + o.bytes,
            temporary: self.temporary + o.temporary,
            quarantined: self.quarantined + o.quarantined,
            counters: self.counters.zip(o.counters).map(|(a, b)| Counters {
                hits: a.hits + b.hits,
                misses: a.misses + b.misses,
                corrupt: a.corrupt + b.corrupt,
            }),
        }
    }
}

/// What `stats()` reports: every file the store holds, by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Number of entries.
    pub entries: u64,
    /// Their total size.
    pub bytes: u64,
    /// Temporary files of writes that never finished (interrupted, or in
    /// progress right now).
    pub temporary: Files,
    /// Bad entries moved aside into `quarantine/`.
    pub quarantined: Files,
    /// Hits, misses and bad entries seen so far; `None` if the counters
    /// file is damaged (a warning says so; the next update restarts it).
    pub counters: Option<Counters>,
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
    /// An entry this user may not read (permission denied): not ours to
    /// judge, so it is neither moved nor removed.
    Denied {
        /// The entry's path.
        path: PathBuf,
        /// The refused access.
        reason: Defect,
    },
}

/// Entries of kind `K` under `<root>/<K::DIR>`.
///
/// Nothing below the root is followed if it is a symbolic link, and
/// maintenance (`stats`, `verify`, `gc`, `clear`) sees, moves and removes
/// only files that are entries by name and kind: anything else found in
/// the folders is left alone.
#[derive(Debug, Clone)]
pub struct Store<K> {
    pub(crate) root: PathBuf,
    pub(crate) dir: PathBuf,
    kind: PhantomData<K>,
}

/// Graph entries under `<root>/graphs`.
pub type GraphStore = Store<Graphs>;
/// Component-trace entries under `<root>/traces`.
pub type TraceStore = Store<Traces>;
/// Program entries under `<root>/programs`.
pub type ProgramStore = Store<Programs>;

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

    /// The folder bad entries are moved into.
    pub(crate) fn quarantine_dir(&self) -> PathBuf {
        self.dir.join("quarantine")
    }

    /// Looks `key` up; a bad entry is moved aside (with a warning) and
    /// reported, an entry this user may not read is reported and left alone.
    pub fn load(&self, key: &ModelKey) -> Lookup<K::Entry> {
        let lookup = self.peek(key);
        if let Lookup::Bad { path, reason } = &lookup {
            self.quarantine(path, reason, After::Rebuilt);
        }
        lookup
    }

    /// Looks `key` up without writing anything: a bad entry is reported
    /// and left in place (the caller warns). For read-only use.
    pub fn peek(&self, key: &ModelKey) -> Lookup<K::Entry> {
        let path = self.path_of(key);
        match fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                let reason = Defect::cannot_stat(e);
                return Lookup::Denied { path, reason };
            }
            Err(_) => return Lookup::Miss,
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
            Err(reason) if reason.is_access_denied() => Lookup::Denied { path, reason },
            Err(reason) => Lookup::Bad { path, reason },
        }
    }

    /// Looks `key` up as `mode` says: `ReadOnly` peeks (a bad entry is
    /// reported and left in place), the other modes load (a bad entry is
    /// moved aside with a warning). A valid entry counts only if `fits`
    /// accepts it; otherwise it is bad too. A bad entry is an error in
    /// `Required` mode and a miss otherwise; so is an entry this user may
    /// not read, which is left alone. (`Off` and `Refresh` callers do not
    /// look up.)
    pub fn lookup(
        &self,
        key: &ModelKey,
        mode: CacheMode,
        fits: impl FnOnce(&K::Entry) -> std::result::Result<(), Defect>,
    ) -> Result<Option<K::Entry>> {
        let read_only = mode == CacheMode::ReadOnly;
        let required = mode == CacheMode::Required;
        let (path, reason) = match self.peek(key) {
            Lookup::Miss => return Ok(None),
            Lookup::Hit(entry) => match fits(&entry) {
                Ok(()) => return Ok(Some(entry)),
                Err(reason) => (self.path_of(key), reason),
            },
            Lookup::Denied { path, reason } => {
                if required {
                    return Err(Error::Required(Box::new(Error::Denied { path, reason })));
                }
                tracing::warn!(path = %path.display(), reason = %reason, "cache entry not readable by this user, left alone; built without it");
                return Ok(None);
            }
            Lookup::Bad { path, reason } => (path, reason),
        };
        if read_only {
            tracing::warn!(path = %path.display(), reason = %reason, "bad cache entry left in place (read-only); it is rebuilt");
        } else {
            let after = if required {
                After::Required
            } else {
                After::Rebuilt
            };
            self.quarantine(&path, &reason, after);
        }
        if required {
            return Err(Error::Required(Box::new(Error::BadEntry { path, reason })));
        }
        Ok(None)
    }

    /// Moves a bad entry to `quarantine/` (removes it if that fails and
    /// it is a file or a link). Nothing is moved or removed through a
    /// linked folder: then the entry is left in place with a warning.
    /// (Moving whatever sits in the entry's place — a file, a folder, a
    /// link — never touches what a link points at.) `after` says what the
    /// caller does next, for the warning. Returns why the entry was left
    /// in place, if it was.
    pub fn quarantine(&self, path: &Path, reason: &Defect, after: After) -> Option<String> {
        self.count(|c| c.corrupt += 1);
        let q = self.quarantine_dir();
        let shard = path.parent().unwrap_or(&self.dir);
        let then = after.text();
        if let Err(e) = confined(&self.root, shard).and_then(|()| confined(&self.root, &q)) {
            tracing::warn!(path = %path.display(), reason = %reason, why = %e, "bad cache entry left in place, not moved; {then}");
            return Some(e.to_string());
        }
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
            Ok(()) => {
                tracing::warn!(path = %path.display(), reason = %reason, to = %target.display(), "bad cache entry moved aside; {then}");
                None
            }
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
                if !valid_now && file_or_link && fs::remove_file(path).is_ok() {
                    tracing::warn!(path = %path.display(), reason = %reason, error = %e, "bad cache entry removed (it could not be moved aside); {then}");
                    return None;
                }
                tracing::warn!(path = %path.display(), reason = %reason, error = %e, "bad cache entry left in place: it can be neither moved aside nor removed; {then}");
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

    /// Adds to the counters in `<store>/stats` (best effort, under a lock;
    /// a damaged counters file starts again from zero, with a warning).
    pub fn count(&self, f: impl FnOnce(&mut Counters)) {
        let path = self.dir.join("stats");
        let update = || -> std::io::Result<()> {
            confined(&self.root, &self.dir).map_err(std::io::Error::other)?;
            fs::create_dir_all(&self.dir)?;
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            if !file.metadata()?.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            file.lock()?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            let mut c = counters::decode(&bytes).unwrap_or_else(|| {
                tracing::warn!(path = %path.display(), "cache counters file damaged; counting starts again from zero");
                Counters::default()
            });
            f(&mut c);
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(&counters::encode(&c))?;
            Ok(())
        };
        if let Err(e) = update() {
            tracing::debug!(path = %path.display(), error = %e, "cache counters not updated");
        }
    }

    /// The counters (zero if there are none yet; `None`, with a warning,
    /// if the file is damaged).
    fn counters(&self) -> Option<Counters> {
        let path = self.dir.join("stats");
        if confined(&self.root, &self.dir).is_err() || !is_regular_file(&path) {
            return Some(Counters::default());
        }
        let decoded = fs::read(&path).ok().and_then(|b| counters::decode(&b));
        if decoded.is_none() {
            tracing::warn!(path = %path.display(), "cache counters file damaged: hits, misses and bad entries are unknown (the next update restarts them)");
        }
        decoded
    }

    /// Every file the store holds, by class, and the counters.
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = Stats {
            counters: self.counters(),
            ..Stats::default()
        };
        for f in self.listing()? {
            match f.class {
                Class::Entry(_) => {
                    stats.entries += 1;
                    stats.bytes += f.bytes;
                }
                Class::Temporary => stats.temporary.count_one(f.bytes),
                Class::Quarantined => stats.quarantined.count_one(f.bytes),
            }
        }
        Ok(stats)
    }

    /// Removes every file of ours — entries, temporary files (also of a
    /// write in progress: it then fails), the quarantine and the counters
    /// — then the folders left empty. Files that are not ours stay (and so
    /// do the folders holding them); files this user may not remove are
    /// kept and counted.
    pub fn clear(&self) -> Result<Collected> {
        let mut out = collect(&self.root, self.listing()?, &Limits::everything())?;
        let stats = self.dir.join("stats");
        if confined(&self.root, &self.dir).is_ok() && is_regular_file(&stats) {
            match fs::remove_file(&stats) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => out.kept += 1,
                Err(e) => return Err(Error::io("remove", &stats)(e)),
            }
        }
        self.remove_empty_folders()?;
        Ok(out)
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

    /// Collects garbage as `limits` says (see [`Limits`]).
    pub fn gc(&self, limits: &Limits) -> Result<Collected> {
        collect(&self.root, self.listing()?, limits)
    }

    /// Checks every entry; bad ones are moved aside, entries this user may
    /// not read are listed apart and left alone.
    pub fn verify(&self) -> Result<Verified> {
        let mut out = Verified::default();
        for f in self.listing()? {
            let Class::Entry(key) = f.class else {
                continue;
            };
            match K::open(&f.path, key).map(|_| ()) {
                Ok(()) => out.good += 1,
                Err(defect) if defect.is_access_denied() => out.denied.push((f.path, defect)),
                Err(defect) => {
                    let left_in_place = self.quarantine(&f.path, &defect, After::Verified);
                    out.bad.push((
                        f.path,
                        Rejection {
                            defect,
                            left_in_place,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// What the caller of [`Store::quarantine`] does next, for the warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// The entry is rebuilt.
    Rebuilt,
    /// The cache is required: the caller fails, nothing is rebuilt.
    Required,
    /// `verify` goes on to the next entry.
    Verified,
}

impl After {
    fn text(self) -> &'static str {
        match self {
            After::Rebuilt => "it is rebuilt",
            After::Required => "not rebuilt: the cache is required, so this run fails",
            After::Verified => "found by verify",
        }
    }
}

/// What [`Store::verify`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verified {
    /// Entries that passed every check.
    pub good: u64,
    /// Bad entries: the check each failed and whether it was moved aside.
    pub bad: Vec<(PathBuf, Rejection)>,
    /// Entries this user may not read: not checked, left alone.
    pub denied: Vec<(PathBuf, Defect)>,
}

impl Verified {
    /// Adds what another store found.
    pub fn merge(&mut self, other: Verified) {
        self.good += other.good;
        self.bad.extend(other.bad);
        self.denied.extend(other.denied);
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
        Ok(self.publish_graph(key, graph, replace)?.0)
    }

    /// [`publish`](Self::publish), also returning the checksum of the
    /// entry's payload (what a program stored with the graph records).
    pub(crate) fn publish_graph<G: GraphView + ?Sized>(
        &self,
        key: &ModelKey,
        graph: &G,
        replace: bool,
    ) -> Result<(bool, u64)> {
        let bytes = encode(graph, key.0).map_err(|reason| Error::BadEntry {
            path: self.path_of(key),
            reason,
        })?;
        let checksum = payload_checksum(&bytes);
        Ok((self.publish_bytes(key, &bytes, replace)?, checksum))
    }
}

impl ProgramStore {
    /// Publishes `program`, the elimination of the graph stored under
    /// `key` whose entry's payload checksum is `graph_checksum` (replacing
    /// an existing entry when `replace`); returns whether this call
    /// created the entry.
    pub fn publish(
        &self,
        key: &ModelKey,
        program: &Program,
        graph_checksum: u64,
        replace: bool,
    ) -> Result<bool> {
        let bytes =
            encode_program(program, graph_checksum, key.0).map_err(|reason| Error::BadEntry {
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
