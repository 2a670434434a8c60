//! A fast 64-bit checksum of cache payloads.
//!
//! Four independent multiply-rotate lanes over little-endian words per
//! 1 MiB block, blocks combined in order (computed in parallel, identical
//! whatever the thread count). Every step is a bijection of the lane
//! state, so any change confined to one word — every single bit flip — is
//! always detected. Not cryptographic: the SHA-256 key names the content,
//! the checksum guards against corruption.

use rayon::prelude::*;

const K: [u64; 4] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0x85EB_CA77_C2B2_AE63,
];
const BLOCK: usize = 1 << 20;

fn mix(h: u64, w: u64, k: u64) -> u64 {
    (h ^ w).wrapping_mul(k).rotate_left(31)
}

fn block(index: usize, bytes: &[u8]) -> u64 {
    let mut lanes = [
        index as u64,
        !(index as u64),
        0x5157_u64,
        bytes.len() as u64,
    ];
    let mut chunks = bytes.chunks_exact(32);
    for c in &mut chunks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            let w = u64::from_le_bytes(c[8 * i..8 * i + 8].try_into().unwrap_or([0; 8]));
            *lane = mix(*lane, w, K[i]);
        }
    }
    let mut tail = [0u8; 32];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    for (i, lane) in lanes.iter_mut().enumerate() {
        let w = u64::from_le_bytes(tail[8 * i..8 * i + 8].try_into().unwrap_or([0; 8]));
        *lane = mix(*lane, w, K[i]);
    }
    lanes
        .iter()
        .enumerate()
        .fold(0, |h, (i, l)| mix(h, *l, K[i]))
}

/// The checksum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u64 {
    let blocks: Vec<u64> = bytes
        .par_chunks(BLOCK)
        .enumerate()
        .map(|(i, b)| block(i, b))
        .collect();
    blocks
        .iter()
        .fold(mix(0, bytes.len() as u64, K[0]), |h, b| mix(h, *b, K[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_bit_flip_changes_the_checksum() {
        let bytes: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        let c = checksum(&bytes);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert_ne!(checksum(&b), c, "flip of bit {bit} of byte {i} undetected");
            }
        }
    }

    #[test]
    fn length_matters_even_with_zero_padding() {
        assert_ne!(checksum(&[0; 5]), checksum(&[0; 6]));
        assert_ne!(checksum(&[]), checksum(&[0]));
    }

    #[test]
    fn independent_of_thread_count() {
        let bytes: Vec<u8> = (0..3 * BLOCK + 17).map(|i| (i % 253) as u8).collect();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        assert_eq!(
            one.install(|| checksum(&bytes)),
            two.install(|| checksum(&bytes))
        );
    }
}
