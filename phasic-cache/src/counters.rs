//! The counters file of a store, `<store>/stats`: hits, misses and bad
//! entries seen, updated under a file lock.
//!
//! Format: the magic `PHASICS\x01`, the postcard encoding of [`Counters`],
//! and the checksum of that encoding (u64 LE, [`crate::checksum`]). A file
//! that does not have this form — random bytes, a truncated write, an
//! older format — is *damaged*: [`Store::stats`](crate::Store::stats)
//! reports its counters as unknown, with a warning, and the next update
//! starts counting again from zero, with a warning.

use crate::checksum::checksum;

const MAGIC: &[u8; 8] = b"PHASICS\x01";

/// Counters kept in `<store>/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Loads served from an entry.
    pub hits: u64,
    /// Loads that had to build.
    pub misses: u64,
    /// Bad entries seen (and moved aside).
    pub corrupt: u64,
}

/// The bytes of the counters file holding `c`.
pub(crate) fn encode(c: &Counters) -> Vec<u8> {
    let body = postcard::to_allocvec(c).unwrap_or_default();
    let mut out = Vec::with_capacity(MAGIC.len() + body.len() + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&body);
    out.extend_from_slice(&checksum(&body).to_le_bytes());
    out
}

/// The counters in `bytes`: zero for an empty file (just created), `None`
/// for a damaged one.
pub(crate) fn decode(bytes: &[u8]) -> Option<Counters> {
    if bytes.is_empty() {
        return Some(Counters::default());
    }
    let rest = bytes.strip_prefix(MAGIC)?;
    let (body, sum) = rest.split_at_checked(rest.len().checked_sub(8)?)?;
    if checksum(body).to_le_bytes() != sum {
        return None;
    }
    match postcard::take_from_bytes::<Counters>(body) {
        Ok((c, [])) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let c = Counters {
            hits: 7,
            misses: 300,
            corrupt: 1,
        };
        let bytes = encode(&c);
        assert_eq!(decode(&bytes), Some(c));
        assert_eq!(decode(&[]), Some(Counters::default()));
        // random bytes, a truncated file, one flipped bit, the old format
        assert_eq!(
            decode(b"\x93\x11\xfe\x02\x7a\x55\x01\x99\x10\x42\x42"),
            None
        );
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert_eq!(decode(&b), None, "flip in byte {i}");
        }
        assert_eq!(decode(&postcard::to_allocvec(&c).unwrap()), None);
    }
}
