//! State → vertex lookup without allocation.
//!
//! An open-addressing hash table of vertex ids whose keys live in the
//! graph's flat state arena: a lookup hashes the query slice and compares it
//! against arena slices, so nothing is allocated per lookup.

use crate::graph::memory::{AllocFailure, filled};

const EMPTY: u32 = u32::MAX;

/// Hash set of vertex ids keyed by their states in an external arena.
#[derive(Debug, Clone, Default)]
pub(crate) struct StateIndex {
    /// `(vertex, hash tag)` per slot; `vertex == EMPTY` marks a free slot.
    slots: Vec<(u32, u32)>,
    len: usize,
}

/// A fast, deterministic hash of an `i32` slice: multiply-rotate over
/// pairs of values in four independent lanes (eight values a step, so the
/// lanes' multiplications overlap instead of waiting on each other), the
/// rest in the first lane, then the lanes combined and avalanched.
fn hash_state(state: &[i32]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let pair = |c: &[i32]| (c[0] as u32 as u64) | ((c[1] as u32 as u64) << 32);
    let mut lanes = [state.len() as u64, K, K.rotate_left(17), K.rotate_left(31)];
    let mut blocks = state.chunks_exact(8);
    for b in &mut blocks {
        for (l, lane) in lanes.iter_mut().enumerate() {
            *lane = step(*lane, pair(&b[2 * l..2 * l + 2]));
        }
    }
    let mut rest = blocks.remainder().chunks_exact(2);
    for c in &mut rest {
        lanes[0] = step(lanes[0], pair(c));
    }
    if let [last] = rest.remainder() {
        lanes[0] = step(lanes[0], *last as u32 as u64);
    }
    let mut h = lanes[1..].iter().fold(lanes[0], |h, &l| step(h, l));
    // final avalanche so that the low bits used for the slot are well mixed
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

impl StateIndex {
    /// Finds the vertex whose state (in `arena`, `len` values per vertex) equals `state`.
    pub(crate) fn get(&self, arena: &[i32], len: usize, state: &[i32]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let h = hash_state(state);
        let mask = self.slots.len() - 1;
        let tag = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let (v, t) = self.slots[i];
            if v == EMPTY {
                return None;
            }
            if t == tag && &arena[v as usize * len..(v as usize + 1) * len] == state {
                return Some(v);
            }
            i = (i + 1) & mask;
        }
    }

    /// Registers `vertex`, whose state must already be in `arena` and
    /// absent from the index. Fails, leaving the index unchanged, if the
    /// table cannot grow.
    pub(crate) fn insert(
        &mut self,
        arena: &[i32],
        len: usize,
        vertex: u32,
    ) -> Result<(), AllocFailure> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow(arena, len)?;
        }
        let state = &arena[vertex as usize * len..(vertex as usize + 1) * len];
        self.place(vertex, hash_state(state));
        self.len += 1;
        Ok(())
    }

    fn place(&mut self, vertex: u32, h: u64) {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        while self.slots[i].0 != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (vertex, (h >> 32) as u32);
    }

    fn grow(&mut self, arena: &[i32], len: usize) -> Result<(), AllocFailure> {
        let cap = (self.slots.len() * 2).max(64);
        let new = filled(cap, (EMPTY, 0), "the state lookup")?;
        let old = std::mem::replace(&mut self.slots, new);
        for (v, _) in old.into_iter().filter(|&(v, _)| v != EMPTY) {
            let state = &arena[v as usize * len..(v as usize + 1) * len];
            self.place(v, hash_state(state));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inserted_states_and_only_those() {
        let len = 3;
        let mut arena = Vec::new();
        let mut index = StateIndex::default();
        for v in 0..1000u32 {
            arena.extend_from_slice(&[v as i32, -(v as i32), 7]);
            index.insert(&arena, len, v).unwrap();
        }
        for v in 0..1000u32 {
            assert_eq!(index.get(&arena, len, &[v as i32, -(v as i32), 7]), Some(v));
        }
        assert_eq!(index.get(&arena, len, &[1, 1, 7]), None);
        assert_eq!(index.get(&arena, len, &[5, -5, 8]), None);
    }

    #[test]
    fn hash_depends_on_every_entry_and_length() {
        assert_ne!(hash_state(&[1, 2, 3]), hash_state(&[1, 2, 4]));
        assert_ne!(hash_state(&[0, 0]), hash_state(&[0, 0, 0]));
        assert_ne!(hash_state(&[1, 0]), hash_state(&[0, 1]));
        // long states go through the four lanes and the remainder: a unit
        // at any one of 21 places gives 21 distinct hashes, none that of
        // the all-zero state
        let zero = hash_state(&[0; 21]);
        let mut seen: Vec<u64> = (0..21)
            .map(|i| {
                let mut s = [0; 21];
                s[i] = 1;
                hash_state(&s)
            })
            .collect();
        assert!(!seen.contains(&zero));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 21);
    }
}
