//! Why an entry — a graph entry, a trace entry or a work-unit file — was
//! rejected: one [`Defect`] variant per check. Its text is what the
//! warnings, errors and `phasic cache verify` print.

use std::io;

use crate::header::HEADER_LEN;

/// The check a cache entry or work-unit file failed.
///
/// Public because it is carried by [`Lookup::Bad`](crate::Lookup::Bad),
/// [`Error::BadEntry`](crate::Error::BadEntry) and what
/// [`Store::verify`](crate::Store::verify) returns, so that callers and
/// tests can tell the checks apart by variant. Its `Display` is the
/// human-readable reason printed in warnings and errors. New checks may add
/// variants (it is `#[non_exhaustive]`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Defect {
    // ---- the file itself ----
    /// The entry could not be opened (or checked to be a regular file).
    #[error("cannot open: {message}")]
    CannotOpen {
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The I/O error's text.
        message: String,
    },
    /// The opened entry could not be stat'ed.
    #[error("cannot stat: {message}")]
    CannotStat {
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The I/O error's text.
        message: String,
    },
    /// The entry could not be read.
    #[error("cannot read: {message}")]
    CannotRead {
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The I/O error's text.
        message: String,
    },
    /// The entry could not be memory-mapped.
    #[error("cannot map: {message}")]
    CannotMap {
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The I/O error's text.
        message: String,
    },
    /// Something other than a regular file is in the entry's place (a
    /// folder, a FIFO, a socket, a device or a symbolic link to one).
    #[error("not a regular file")]
    NotRegularFile,
    /// The entry's folder is not used: a symbolic link below the cache
    /// root, or outside it (the text of the confinement error).
    #[error("{0}")]
    Unconfined(String),
    /// Graph entries are mapped in place on little-endian machines only.
    #[error("cache entries are mapped in place on little-endian machines only")]
    NotLittleEndian,

    // ---- the 64-byte header ----
    /// Shorter than the header.
    #[error("{len} bytes, shorter than the {HEADER_LEN}-byte header")]
    TooShort {
        /// The entry's length in bytes.
        len: u64,
    },
    /// The magic bytes are not those of this kind of entry.
    #[error("wrong magic (not a phasic entry of this kind)")]
    Magic,
    /// Another header version.
    #[error("header version {found} (expected {expected})")]
    HeaderVersion {
        /// The version in the header.
        found: u32,
        /// The version this build writes.
        expected: u32,
    },
    /// Other format flags (endianness, rkyv or payload format version).
    #[error("format flags {found:#x} (expected {expected:#x})")]
    Flags {
        /// The flags in the header.
        found: u32,
        /// The flags this build writes.
        expected: u32,
    },
    /// The key in the header is not the key the entry was looked up by.
    #[error("the key in the header is not the key of the file name")]
    KeyMismatch,
    /// The payload's length is not the one in the header (truncated or
    /// extended file).
    #[error("payload is {actual} bytes, the header says {header}")]
    PayloadLength {
        /// The payload's length on disk.
        actual: u64,
        /// The length in the header.
        header: u64,
    },
    /// The payload's checksum is not the one in the header.
    #[error("payload checksum mismatch")]
    Checksum,

    // ---- the payload of a graph entry ----
    /// The rkyv archive failed validation (bytecheck).
    #[error("invalid archive: {0}")]
    Archive(String),
    /// CSR invariant: the offsets array is empty.
    #[error("no edge offsets")]
    NoOffsets,
    /// CSR invariant: no vertex, or more than `u32::MAX`.
    #[error("{vertices} vertices")]
    VertexCount {
        /// The number of vertices.
        vertices: usize,
    },
    /// CSR invariant: vertices × state length overflows.
    #[error("state arena overflows")]
    StateArenaOverflow,
    /// CSR invariant: the state arena is not vertices × state length.
    #[error("{values} state values for {vertices} vertices of length {state_len}")]
    StateValues {
        /// Values in the state arena.
        values: usize,
        /// The number of vertices.
        vertices: usize,
        /// The state length.
        state_len: usize,
    },
    /// CSR invariant: the offsets do not start at 0, decrease, or do not
    /// end at the edge count.
    #[error("edge offsets are not a valid CSR index")]
    Offsets,
    /// CSR invariant: not one weight per edge.
    #[error("{weights} weights for {edges} edges")]
    WeightCount {
        /// The number of weights.
        weights: usize,
        /// The number of edges.
        edges: usize,
    },
    /// CSR invariant: the base weights and coefficients are not edges ×
    /// parameters.
    #[error("parameter arrays do not match {edges} edges × {params} parameters")]
    ParameterArrays {
        /// The number of edges.
        edges: usize,
        /// The parameter dimension.
        params: usize,
    },
    /// CSR invariant: an edge points past the last vertex.
    #[error("edge target {target} is not one of the {vertices} vertices")]
    EdgeTarget {
        /// The offending target.
        target: u32,
        /// The number of vertices.
        vertices: usize,
    },
    /// A graph could not be encoded as an archive (when publishing).
    #[error("{0}")]
    Encode(String),

    // ---- traces, programs and work units ----
    /// The payload (a component trace, a subproblem or a program's plain
    /// data) does not decode, or decodes to inconsistent data.
    #[error(transparent)]
    Decode(phasic_core::Error),
    /// A stored trace that was recorded from another subproblem.
    #[error("the trace does not belong to its subproblem")]
    OtherSubproblem,
    /// A stored program computed from another graph than the one cached
    /// under its key (another payload checksum or size).
    #[error("the program was computed from another graph than the one under its key")]
    OtherGraph,
    /// A work-unit file whose checksum is not the one in the manifest.
    #[error("{len} bytes, checksum does not match the manifest")]
    ManifestChecksum {
        /// The unit file's length.
        len: u64,
    },
    /// A work unit whose subproblem does not have the unit's key.
    #[error("the subproblem does not have the unit's key")]
    UnitKey,
    /// A worker's published output could not be found when the
    /// coordinator read it.
    #[error("the output vanished before it could be read")]
    Vanished,
}

impl Defect {
    /// Whether the entry could not be used because this user may not read
    /// it (permission denied): not a bad entry, just not ours to use.
    ///
    /// ```
    /// use phasic_cache::Defect;
    /// let denied = Defect::CannotOpen { kind: std::io::ErrorKind::PermissionDenied, message: String::new() };
    /// assert!(denied.is_access_denied() && !Defect::Checksum.is_access_denied());
    /// ```
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self,
            Defect::CannotOpen { kind, .. }
                | Defect::CannotStat { kind, .. }
                | Defect::CannotRead { kind, .. }
                | Defect::CannotMap { kind, .. }
                if *kind == io::ErrorKind::PermissionDenied
        )
    }

    pub(crate) fn cannot_open(e: io::Error) -> Defect {
        Defect::CannotOpen {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    pub(crate) fn cannot_stat(e: io::Error) -> Defect {
        Defect::CannotStat {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    pub(crate) fn cannot_read(e: io::Error) -> Defect {
        Defect::CannotRead {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    pub(crate) fn cannot_map(e: io::Error) -> Defect {
        Defect::CannotMap {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// A bad entry found by [`Store::verify`](crate::Store::verify): the
/// check it failed and, if it could not be moved aside, why it was left in
/// place.
///
/// Its `Display` is the reason as one line, without the path — the defect,
/// then `"; left in place: why"` if it was not moved — so that
/// `format!("{}: {}", path.display(), rejection)` reads as before; it
/// serializes as that same string.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rejection {
    /// The check the entry failed.
    pub defect: Defect,
    /// Why the entry was left in place (not moved to `quarantine/`), if it was.
    pub left_in_place: Option<String>,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.defect)?;
        if let Some(why) = &self.left_in_place {
            write!(f, "; left in place: {why}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_the_reasons() {
        let d = Defect::PayloadLength {
            actual: 10,
            header: 11,
        };
        assert_eq!(d.to_string(), "payload is 10 bytes, the header says 11");
        assert_eq!(
            Defect::TooShort { len: 3 }.to_string(),
            "3 bytes, shorter than the 64-byte header"
        );
        assert_eq!(
            Defect::Flags {
                found: 0x10,
                expected: 0x1
            }
            .to_string(),
            "format flags 0x10 (expected 0x1)"
        );
        let e = io::Error::from(io::ErrorKind::NotFound);
        let d = Defect::cannot_open(e);
        assert!(matches!(
            d,
            Defect::CannotOpen {
                kind: io::ErrorKind::NotFound,
                ..
            }
        ));
        assert!(d.to_string().starts_with("cannot open: "), "{d}");
        let r = Rejection {
            defect: Defect::Checksum,
            left_in_place: Some("a symbolic link".into()),
        };
        assert_eq!(
            r.to_string(),
            "payload checksum mismatch; left in place: a symbolic link"
        );
        let r = Rejection {
            defect: Defect::Checksum,
            left_in_place: None,
        };
        assert_eq!(r.to_string(), "payload checksum mismatch");
    }
}
