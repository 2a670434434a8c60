//! The payload checksum of docs/CACHE_FORMAT.md, written from the
//! document (not from the cache's code), for the cache tests that check
//! entries byte by byte.

/// The payload checksum of docs/CACHE_FORMAT.md.
pub fn documented_checksum(payload: &[u8]) -> u64 {
    const K: [u64; 4] = [
        0x9E37_79B9_7F4A_7C15,
        0xC2B2_AE3D_27D4_EB4F,
        0x1656_67B1_9E37_79F9,
        0x85EB_CA77_C2B2_AE63,
    ];
    let step = |h: u64, w: u64, k: u64| (h ^ w).wrapping_mul(k).rotate_left(31);
    let word = |c: &[u8], i: usize| u64::from_le_bytes(c[8 * i..8 * i + 8].try_into().unwrap());
    let mut h = step(0, payload.len() as u64, K[0]);
    for (index, block) in payload.chunks(1 << 20).enumerate() {
        let i = index as u64;
        let mut lanes = [i, !i, 0x5157, block.len() as u64];
        let mut chunks = block.chunks_exact(32);
        for c in &mut chunks {
            for (l, lane) in lanes.iter_mut().enumerate() {
                *lane = step(*lane, word(c, l), K[l]);
            }
        }
        let mut tail = [0u8; 32];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        for (l, lane) in lanes.iter_mut().enumerate() {
            *lane = step(*lane, word(&tail, l), K[l]);
        }
        let b = lanes
            .iter()
            .enumerate()
            .fold(0, |acc, (l, lane)| step(acc, *lane, K[l]));
        h = step(h, b, K[1]);
    }
    h
}
