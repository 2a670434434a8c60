//! The 64-byte header in front of every cache entry (see
//! `docs/CACHE_FORMAT.md`).

/// `PHASIC` + kind + format byte.
pub const MAGIC_GRAPH: [u8; 8] = *b"PHASICG\x01";
/// Version of this header layout.
pub const HEADER_VERSION: u32 = 1;
/// Header length; keeps the payload 16-byte aligned in a mapping.
pub const HEADER_LEN: usize = 64;

/// Archive format flags: bit 0 little-endian, bit 1 aligned primitives,
/// bits 8.. the rkyv major.minor (0.8) and `GRAPH_FORMAT_VERSION` in the
/// top byte.
pub fn format_flags() -> u32 {
    let endian = u32::from(cfg!(target_endian = "little"));
    endian | 1 << 1 | (8 << 8) | (phasic_core::GRAPH_FORMAT_VERSION & 0xff) << 24
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
