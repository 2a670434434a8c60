//! Garbage collection: one policy over what the stores hold, for one
//! store ([`Store::gc`](crate::Store::gc)) or a whole cache root
//! ([`Cache::gc`](crate::Cache::gc)).
//!
//! Files are visited quarantined first, then temporary files, then
//! entries, oldest first within each class. A temporary file is removed
//! when it is older than [`Limits::temporary_age`] (a younger one may be a
//! write in progress; it still counts towards the size); an entry or a
//! quarantined file when it is older than [`Limits::max_age`], or while
//! everything together exceeds [`Limits::max_bytes`]. A file this user
//! may not remove is kept and counted, never an error.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::confine::confined;
use crate::error::{Error, Result};
use crate::scan::{Class, Found};
use crate::store::Files;

/// A temporary file older than this is taken for the leftover of an
/// interrupted write (an hour: far longer than writing any entry).
pub const TEMPORARY_GRACE: Duration = Duration::from_secs(3600);

/// What garbage collection removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Keep at most this many bytes in all (entries, quarantined and
    /// temporary files).
    pub max_bytes: Option<u64>,
    /// Remove entries and quarantined files older than this.
    pub max_age: Option<Duration>,
    /// Remove temporary files older than this.
    pub temporary_age: Duration,
    /// Remove everything of ours, whatever its age (`clear`).
    pub everything: bool,
}

impl Limits {
    /// Collection down to `max_bytes` and of files older than `max_age`;
    /// temporary files after [`TEMPORARY_GRACE`].
    ///
    /// ```
    /// use phasic_cache::{Limits, TEMPORARY_GRACE};
    /// let l = Limits::new(Some(1 << 20), None);
    /// assert_eq!((l.max_bytes, l.temporary_age, l.everything), (Some(1 << 20), TEMPORARY_GRACE, false));
    /// ```
    pub fn new(max_bytes: Option<u64>, max_age: Option<Duration>) -> Limits {
        Limits {
            max_bytes,
            max_age,
            temporary_age: TEMPORARY_GRACE,
            everything: false,
        }
    }

    pub(crate) fn everything() -> Limits {
        Limits {
            everything: true,
            ..Limits::new(None, None)
        }
    }
}

/// What garbage collection (or `clear`) removed, by class, and what it
/// had to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Collected {
    /// Entries removed.
    pub entries: Files,
    /// Temporary files removed.
    pub temporary: Files,
    /// Quarantined files removed.
    pub quarantined: Files,
    /// Files that were due but that this user may not remove.
    pub kept: u64,
}

impl Collected {
    /// Entries, temporary and quarantined files removed, in all.
    pub fn files(&self) -> u64 {
        self.entries.count + self.temporary.count + self.quarantined.count
    }

    /// Bytes freed.
    pub fn bytes(&self) -> u64 {
        self.entries.bytes + self.temporary.bytes + self.quarantined.bytes
    }

    /// Adds what another collection removed.
    pub fn merge(&mut self, other: Collected) {
        self.entries = self.entries + other.entries;
        self.temporary = self.temporary + other.temporary;
        self.quarantined = self.quarantined + other.quarantined;
        self.kept += other.kept;
    }
}

fn rank(c: Class) -> u8 {
    match c {
        Class::Quarantined => 0,
        Class::Temporary => 1,
        Class::Entry(_) => 2,
    }
}

/// Collects `files` (listed below `root`) as `limits` says.
pub(crate) fn collect(root: &Path, mut files: Vec<Found>, limits: &Limits) -> Result<Collected> {
    files.sort_by_key(|f| (rank(f.class), f.modified));
    let now = SystemTime::now();
    let mut total: u64 = files.iter().map(|f| f.bytes).sum();
    let mut out = Collected::default();
    for f in &files {
        let age = now.duration_since(f.modified).unwrap_or_default();
        let due = limits.everything
            || match f.class {
                Class::Temporary => age > limits.temporary_age,
                Class::Quarantined | Class::Entry(_) => {
                    limits.max_age.is_some_and(|a| age > a)
                        || limits.max_bytes.is_some_and(|m| total > m)
                }
            };
        if !due {
            continue;
        }
        confined(root, f.path.parent().unwrap_or(root))?;
        match fs::remove_file(&f.path) {
            Ok(()) => {
                total -= f.bytes;
                match f.class {
                    Class::Entry(_) => &mut out.entries,
                    Class::Temporary => &mut out.temporary,
                    Class::Quarantined => &mut out.quarantined,
                }
                .count_one(f.bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= f.bytes,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                tracing::warn!(path = %f.path.display(), "cache file kept: this user may not remove it");
                out.kept += 1;
            }
            Err(e) => return Err(Error::io("remove", &f.path)(e)),
        }
    }
    Ok(out)
}
