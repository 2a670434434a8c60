//! The 64-byte header in front of every cache entry (see
//! `docs/CACHE_FORMAT.md`).

use rkyv::api::high::HighSerializer;
use rkyv::rancor;
use rkyv::ser::allocator::ArenaHandle;
use rkyv::util::AlignedVec;

use crate::checksum::checksum;
use crate::defect::Defect;

/// `PHASIC` + kind + format byte: graph entries.
pub const MAGIC_GRAPH: [u8; 8] = *b"PHASICG\x01";
/// Component-trace entries.
pub const MAGIC_TRACE: [u8; 8] = *b"PHASICT\x01";
/// Program entries (the elimination of a cached graph).
pub const MAGIC_PROGRAM: [u8; 8] = *b"PHASICP\x01";
/// Work-unit files (one subproblem each).
pub const MAGIC_UNIT: [u8; 8] = *b"PHASICU\x01";
/// Version of this header layout.
pub const HEADER_VERSION: u32 = 1;
/// Header length; keeps the payload 16-byte aligned in a mapping.
pub const HEADER_LEN: usize = 64;

/// Archive format flags: bit 0 little-endian, bit 1 aligned primitives,
/// bits 8.. the rkyv major.minor (0.8) and `GRAPH_FORMAT_VERSION` in the
/// top byte.
pub fn format_flags() -> u32 {
    archive_flags(phasic_core::key::GRAPH_FORMAT_VERSION)
}

/// Format flags of program entries: those of graph entries with
/// `PROGRAM_FORMAT_VERSION` in the top byte.
pub fn program_flags() -> u32 {
    archive_flags(phasic_core::elimination::PROGRAM_FORMAT_VERSION)
}

/// The flags of an rkyv archive whose payload format has `version`.
fn archive_flags(version: u32) -> u32 {
    let endian = u32::from(cfg!(target_endian = "little"));
    endian | 1 << 1 | (8 << 8) | (version & 0xff) << 24
}

/// Format flags of trace entries: bit 0 little-endian (the payload is
/// portable little-endian bytes) and `TRACE_FORMAT_VERSION` in the top byte.
pub fn trace_flags() -> u32 {
    1 | (phasic_core::trace::TRACE_FORMAT_VERSION & 0xff) << 24
}

/// A complete entry: the header for `payload`, then `payload`.
pub fn entry(magic: [u8; 8], flags: u32, key: [u8; 32], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&header(magic, flags, key, payload).encode());
    out.extend_from_slice(payload);
    out
}

/// A complete entry whose payload is the rkyv archive of `value`,
/// serialized in one buffer after room for the header (64 bytes: the
/// payload's alignment, and so its bytes, are those of `rkyv::to_bytes`),
/// then the header written in front: no copy of the payload.
pub fn archive_entry(
    magic: [u8; 8],
    flags: u32,
    key: [u8; 32],
    #[rustfmt::skip] value: &impl for<'a> rkyv::Serialize<
        HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>,
    >,
) -> Result<AlignedVec, Defect> {
    let mut buf = AlignedVec::new();
    buf.extend_from_slice(&[0; HEADER_LEN]);
    let mut buf = rkyv::api::high::to_bytes_in::<_, rancor::Error>(value, buf)
        .map_err(|e| Defect::Encode(e.to_string()))?;
    let (h, payload) = buf.split_at_mut(HEADER_LEN);
    h.copy_from_slice(&header(magic, flags, key, payload).encode());
    Ok(buf)
}

/// The header of an entry holding `payload`.
fn header(magic: [u8; 8], flags: u32, key: [u8; 32], payload: &[u8]) -> Header {
    Header {
        magic,
        version: HEADER_VERSION,
        flags,
        key,
        payload_len: payload.len() as u64,
        checksum: checksum(payload),
    }
}

/// The payload checksum in the header of a complete entry (0 if `bytes`
/// is shorter than a header).
pub fn payload_checksum(bytes: &[u8]) -> u64 {
    bytes
        .first_chunk::<HEADER_LEN>()
        .map_or(0, |h| Header::decode(h).checksum)
}

/// Checks the header of a whole entry — length, magic, header version,
/// format flags, key, payload length and checksum — and returns the
/// payload. `Err` says which check failed.
pub fn check(bytes: &[u8], magic: [u8; 8], flags: u32, key: [u8; 32]) -> Result<&[u8], Defect> {
    let Some((hb, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(Defect::TooShort {
            len: bytes.len() as u64,
        });
    };
    let h = Header::decode(hb);
    if h.magic != magic {
        return Err(Defect::Magic);
    }
    if h.version != HEADER_VERSION {
        return Err(Defect::HeaderVersion {
            found: h.version,
            expected: HEADER_VERSION,
        });
    }
    if h.flags != flags {
        return Err(Defect::Flags {
            found: h.flags,
            expected: flags,
        });
    }
    if h.key != key {
        return Err(Defect::KeyMismatch);
    }
    if h.payload_len != payload.len() as u64 {
        return Err(Defect::PayloadLength {
            actual: payload.len() as u64,
            header: h.payload_len,
        });
    }
    if checksum(payload) != h.checksum {
        return Err(Defect::Checksum);
    }
    Ok(payload)
}

/// Opens an entry file for reading, refusing anything but a regular file
/// (checked before opening: opening a FIFO in the entry's place would
/// block until a writer appears).
pub fn open_regular(path: &std::path::Path) -> Result<std::fs::File, Defect> {
    let kind = std::fs::metadata(path).map_err(Defect::cannot_open)?;
    if !kind.is_file() {
        return Err(Defect::NotRegularFile);
    }
    let file = std::fs::File::open(path).map_err(Defect::cannot_open)?;
    let meta = file.metadata().map_err(Defect::cannot_stat)?;
    if !meta.is_file() {
        return Err(Defect::NotRegularFile);
    }
    Ok(file)
}

/// The decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub magic: [u8; 8],
    pub version: u32,
    pub flags: u32,
    pub key: [u8; 32],
    pub payload_len: u64,
    pub checksum: u64,
}

impl Header {
    /// `magic (8) | version u32 | flags u32 | key (32) | payload length u64 | checksum u64`, little-endian.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&self.magic);
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.flags.to_le_bytes());
        b[16..48].copy_from_slice(&self.key);
        b[48..56].copy_from_slice(&self.payload_len.to_le_bytes());
        b[56..64].copy_from_slice(&self.checksum.to_le_bytes());
        b
    }

    /// Decodes the first 64 bytes.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Header {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let mut magic = [0u8; 8];
        magic.copy_from_slice(&b[0..8]);
        let mut key = [0u8; 32];
        key.copy_from_slice(&b[16..48]);
        Header {
            magic,
            version: u32_at(8),
            flags: u32_at(12),
            key,
            payload_len: u64_at(48),
            checksum: u64_at(56),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = Header {
            magic: MAGIC_GRAPH,
            version: HEADER_VERSION,
            flags: format_flags(),
            key: [7; 32],
            payload_len: 123_456,
            checksum: 0xdead_beef,
        };
        assert_eq!(Header::decode(&h.encode()), h);
    }
}
