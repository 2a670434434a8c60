//! The program cache (issue 16, item 5): the elimination of a cached graph
//! with constant weights is stored with it, under its key. A hit gives
//! results identical, bit for bit, to the elimination it replaces; a damaged
//! entry (anywhere, or behind a valid checksum) is reported, moved aside
//! and the program computed again, never a panic; a program of another
//! graph is refused; the modes mean what they mean for graphs; graphs with
//! parameters have no program entry; `Cache` counts, checks and collects
//! program entries with the others.
//!
//! The models are `Callback`s written by hand (the `#[phasic::callback]`
//! macro names the `phasic` facade, which this crate cannot depend on): a
//! random walk with cycles drawn from a seed, and Kingman with a θ.

use std::fs;
use std::path::{Path, PathBuf};

use phasic_cache::{
    Cache, CacheMode, CacheOptions, CacheStatus, Cached, Defect, Error, Limits, Lookup,
    ProgramStore, build_graph,
};
use phasic_core::elimination::Program;
use phasic_core::{
    Callback, Graph, GraphView, Initial, KeyHasher, ModelKey, PhaseType, PhaseTypeDistribution,
    Transitions, key::Visited,
};
use proptest::prelude::*;
use proptest::sample::Index;

#[path = "../../tests/support/checksum.rs"]
mod checksum;
#[path = "../../tests/support/logs.rs"]
mod logs;
#[path = "../../tests/support/seeded.rs"]
mod seeded;
use checksum::documented_checksum;
use logs::logged;

const HEADER: usize = 64;

// ------------------------------------------------------------------ models

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A walk on states `[0]..[size − 1]` drawn from `seed`: three random
/// moves from each state (cycles of every size), and an exit to `[−1]`.
#[derive(Debug, Clone, Copy)]
struct Walk;

impl Callback for Walk {
    type Params = (u64, i32);
    const NAME: &'static str = "walk";
    const TOKEN_KEY: ModelKey = ModelKey([0x3c; 32]);
    const THETA_DIM: usize = 0;

    fn initial(&self, _: &(u64, i32)) -> phasic_core::Result<Initial> {
        Ok(Initial::state(&[0]))
    }
    fn expand(&self, state: &[i32], out: &mut Transitions, &(seed, size): &(u64, i32)) {
        let s = state[0];
        if s < 0 {
            return;
        }
        let mut r = splitmix(seed ^ (s as u64).wrapping_mul(0x1000_0001));
        for _ in 0..3 {
            r = splitmix(r);
            let to = (r % size as u64) as i32;
            if to != s {
                out.add(&[to], 0.25 + (r >> 40) as f64 / (1u64 << 22) as f64);
            }
        }
        out.add(&[-1], 0.05 + (r >> 50) as f64 / (1u64 << 14) as f64);
    }
    fn dependencies(&self, _h: &mut KeyHasher, _seen: &mut Visited) {}
}

/// Kingman's coalescent with coalescence rates `(1 + θ)·C(k, 2)`.
#[derive(Debug, Clone, Copy)]
struct KingmanTheta;

impl Callback for KingmanTheta {
    type Params = i32;
    const NAME: &'static str = "kingman_theta";
    const TOKEN_KEY: ModelKey = ModelKey([0x3d; 32]);
    const THETA_DIM: usize = 1;

    fn initial(&self, n: &i32) -> phasic_core::Result<Initial> {
        Ok(Initial::state(&[*n]))
    }
    fn expand(&self, s: &[i32], out: &mut Transitions, _n: &i32) {
        if s[0] > 1 {
            let pairs = f64::from(s[0] * (s[0] - 1)) / 2.0;
            out.add_param(&[s[0] - 1], pairs, &[pairs]);
        }
    }
    fn dependencies(&self, _h: &mut KeyHasher, _seen: &mut Visited) {}
}

/// The walk of the damage tests: 40 states, cyclic.
const SEED: u64 = 7;
const SIZE: i32 = 40;

// ------------------------------------------------------------------ helpers

fn opts(root: &Path, mode: CacheMode) -> CacheOptions {
    CacheOptions {
        mode,
        root: Some(root.to_path_buf()),
    }
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Everything a program computes on `g`, as bits.
fn results<G: GraphView + ?Sized>(program: &Program, g: &G) -> Vec<Vec<u64>> {
    let r: Vec<f64> = (0..g.vertex_count()).map(|v| (v % 3) as f64).collect();
    let ph = PhaseType::with_borrowed_program(g, program).unwrap();
    vec![
        bits(&ph.moments(4, None).unwrap()),
        bits(&ph.moments(2, Some(&r)).unwrap()),
        bits(&program.sojourn_times(g).unwrap()),
        bits(&program.expected_waiting_time(g, Some(&r)).unwrap()),
    ]
}

/// What elimination gives for the walk, without any cache.
fn reference(seed: u64, size: i32) -> Vec<Vec<u64>> {
    let g = Graph::from_callback(Walk, (seed, size)).unwrap();
    results(&Program::new(&g).unwrap(), &g)
}

fn walk(root: &Path, mode: CacheMode) -> Cached {
    build_graph(Walk, (SEED, SIZE), &opts(root, mode)).unwrap()
}

fn store(root: &Path) -> ProgramStore {
    ProgramStore::new(root)
}

fn entry(root: &Path) -> PathBuf {
    store(root).path_of(&Walk.key(&(SEED, SIZE)))
}

fn quarantined(root: &Path) -> usize {
    fs::read_dir(root.join("programs/quarantine")).map_or(0, |d| d.count())
}

/// A root holding the walk's graph and program; the program entry's bytes.
fn populated() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let c = walk(dir.path(), CacheMode::ReadWrite);
    assert_eq!(c.program().unwrap().status, CacheStatus::Miss);
    let bytes = fs::read(entry(dir.path())).unwrap();
    (dir, bytes)
}

fn valid_entry() -> &'static [u8] {
    static VALID: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    VALID.get_or_init(|| populated().1)
}

fn plant(path: &Path, bytes: &[u8]) {
    let _ = fs::remove_file(path);
    fs::write(path, bytes).unwrap();
}

// ------------------------------------------------------------------ hits

proptest! {
    #![proptest_config(seeded::config(32))]

    /// Miss, then hit: both give what elimination gives, bit for bit.
    #[test]
    fn hits_are_bit_identical_to_elimination(seed in any::<u64>(), size in 2i32..60) {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path(), CacheMode::ReadWrite);
        let want = reference(seed, size);
        let first = build_graph(Walk, (seed, size), &o).unwrap();
        let p = first.program().unwrap();
        // a walk without cycles may be numbered topologically: not cached
        let cached = p.program.holds_elimination();
        let (miss, hit) = match cached {
            true => (CacheStatus::Miss, CacheStatus::Hit),
            false => (CacheStatus::Off, CacheStatus::Off),
        };
        prop_assert_eq!(p.status, miss);
        prop_assert_eq!(results(&p.program, &first.graph), want.clone());
        let second = build_graph(Walk, (seed, size), &o).unwrap();
        prop_assert_eq!(second.status, CacheStatus::Hit);
        let p = second.program().unwrap();
        prop_assert_eq!(p.status, hit);
        prop_assert_eq!(results(&p.program, &second.graph), want);
        prop_assert_eq!(Cache::new(dir.path()).stats().unwrap().programs.entries, u64::from(cached));
    }
}

#[test]
fn a_program_is_cached_with_its_graph_and_counted() {
    let (dir, _) = populated();
    let root = dir.path();
    let c = walk(root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Hit);
    assert_eq!(c.program().unwrap().status, CacheStatus::Hit);
    let cache = Cache::new(root);
    let s = cache.stats().unwrap();
    assert_eq!(s.programs.entries, 1);
    assert_eq!(s.programs.bytes, fs::metadata(entry(root)).unwrap().len());
    let counted = s.programs.counters.unwrap();
    assert_eq!((counted.hits, counted.misses, counted.corrupt), (1, 1, 0));
    assert_eq!(s.total().entries, 2, "the graph and its program");
    assert_eq!(cache.verify().unwrap().good, 2);
    let collected = cache.gc(&Limits::new(Some(0), None)).unwrap();
    assert_eq!(collected.entries.count, 2);
    assert!(!entry(root).exists());
    walk(root, CacheMode::ReadWrite).program().unwrap();
    assert!(entry(root).exists());
    cache.clear().unwrap();
    assert!(
        !root.join("programs").exists(),
        "clear leaves no program folder"
    );
}

/// Not cached: the programs of graphs with parameters, of graphs numbered
/// topologically (nothing to store), and of graphs not built through the
/// cache.
#[test]
fn some_programs_have_no_entry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let c = build_graph(KingmanTheta, 5, &opts(root, CacheMode::ReadWrite)).unwrap();
    assert_eq!(c.program().unwrap().status, CacheStatus::Off);
    // one state: start → [0] → [−1]
    let c = build_graph(Walk, (SEED, 1), &opts(root, CacheMode::ReadWrite)).unwrap();
    let p = c.program().unwrap();
    assert!(!p.program.holds_elimination());
    assert_eq!(p.status, CacheStatus::Off);
    let c = walk(root, CacheMode::Off);
    assert_eq!(c.program().unwrap().status, CacheStatus::Off);
    assert!(!root.join("programs").exists());
    // a graph that did not come through the cache
    let g = Graph::from_callback(Walk, (SEED, SIZE)).unwrap();
    let p = Cached::uncached(g).program().unwrap();
    assert_eq!(p.status, CacheStatus::Off);
    assert!(!root.join("programs").exists());
}

#[test]
fn the_modes_mean_what_they_mean_for_graphs() {
    let (dir, valid) = populated();
    let root = dir.path();
    let want = reference(SEED, SIZE);
    let counters = || Cache::new(root).stats().unwrap().programs.counters.unwrap();
    // read-only: a hit, nothing counted or written
    let before = counters();
    let c = walk(root, CacheMode::ReadOnly);
    let p = c.program().unwrap();
    assert_eq!(p.status, CacheStatus::Hit);
    assert_eq!(results(&p.program, &c.graph), want);
    assert_eq!(counters(), before);
    // read-only, bad entry: left in place, computed
    let mut bad = valid.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    plant(&entry(root), &bad);
    let (p, logs) = logged(|| walk(root, CacheMode::ReadOnly).program().unwrap());
    assert_eq!(p.status, CacheStatus::Miss);
    assert_eq!(fs::read(entry(root)).unwrap(), bad);
    assert!(logs.contains("left in place"), "{logs}");
    // required: the bad entry is an error naming it
    let (r, _) = logged(|| walk(root, CacheMode::Required).program());
    match r {
        Err(Error::Required(e)) => assert!(
            matches!(
                *e,
                Error::BadEntry {
                    reason: Defect::Checksum,
                    ..
                }
            ),
            "{e}"
        ),
        other => panic!("not a required failure: {other:?}"),
    }
    // refresh: computed and replaced, whatever was there
    plant(&entry(root), &bad);
    let c = walk(root, CacheMode::Refresh);
    let p = c.program().unwrap();
    assert_eq!(p.status, CacheStatus::Miss);
    assert_eq!(results(&p.program, &c.graph), want);
    assert_eq!(fs::read(entry(root)).unwrap(), valid);
    // required, valid: a hit
    assert_eq!(
        walk(root, CacheMode::Required).program().unwrap().status,
        CacheStatus::Hit
    );
}

#[test]
fn a_program_of_another_graph_is_refused() {
    let (dir, _) = populated();
    let root = dir.path();
    // the walk's key with the program of another walk, or another graph checksum
    let other = Graph::from_callback(Walk, (SEED + 1, SIZE)).unwrap();
    let c = walk(root, CacheMode::ReadWrite);
    let mapped = match &c.graph {
        phasic_cache::CachedGraph::Mapped(m) => m.checksum(),
        phasic_cache::CachedGraph::Built(_) => panic!("not a hit"),
    };
    let key = Walk.key(&(SEED, SIZE));
    for (program, checksum) in [
        (Program::new(&c.graph).unwrap(), mapped ^ 1),
        (Program::new(&other).unwrap(), mapped),
    ] {
        store(root).publish(&key, &program, checksum, true).unwrap();
        let before = quarantined(root);
        let (p, logs) = logged(|| c.program().unwrap());
        assert_eq!(p.status, CacheStatus::Miss);
        assert_eq!(results(&p.program, &c.graph), reference(SEED, SIZE));
        assert_eq!(quarantined(root), before + 1);
        assert!(logs.contains(&Defect::OtherGraph.to_string()), "{logs}");
        assert_eq!(c.program().unwrap().status, CacheStatus::Hit);
    }
}

#[test]
fn the_program_header_is_as_documented() {
    let valid = valid_entry();
    assert_eq!(&valid[..8], b"PHASICP\x01");
    assert_eq!(u32::from_le_bytes(valid[8..12].try_into().unwrap()), 1);
    let flags = u32::from_le_bytes(valid[12..16].try_into().unwrap());
    assert_eq!(flags & 0xff, 0b11, "little-endian, aligned");
    assert_eq!((flags >> 8) & 0xff, 8, "rkyv minor version");
    assert_eq!(
        flags >> 24,
        phasic_core::elimination::PROGRAM_FORMAT_VERSION & 0xff
    );
    assert_eq!(
        &valid[16..48],
        &Walk.key(&(SEED, SIZE)).0,
        "the graph's key"
    );
    let len = u64::from_le_bytes(valid[48..56].try_into().unwrap());
    assert_eq!(len as usize, valid.len() - HEADER);
    let hex = Walk.key(&(SEED, SIZE)).hex();
    assert_eq!(
        store(Path::new("/r")).path_of(&Walk.key(&(SEED, SIZE))),
        Path::new("/r/programs")
            .join(&hex[..2])
            .join(format!("{hex}.program"))
    );
}

// ------------------------------------------------------------------ damage

/// The whole protocol for one damaged copy `bad` of the valid entry: the
/// program is right whatever the bytes, a bad entry is moved aside with a
/// warning naming it, and the next lookup is a hit again.
fn check_damaged(bad: &[u8]) -> Result<(), TestCaseError> {
    let unchanged = bad == valid_entry();
    let (dir, _) = populated();
    let root = dir.path();
    let path = entry(root);
    plant(&path, bad);
    let c = walk(root, CacheMode::ReadWrite);
    let (p, logs) = logged(|| c.program());
    let p = p.map_err(|e| TestCaseError::fail(format!("program failed: {e}")))?;
    prop_assert_eq!(results(&p.program, &c.graph), reference(SEED, SIZE));
    if unchanged {
        prop_assert_eq!(p.status, CacheStatus::Hit);
        prop_assert_eq!(quarantined(root), 0);
        return Ok(());
    }
    prop_assert_eq!(p.status, CacheStatus::Miss);
    prop_assert_eq!(quarantined(root), 1, "not moved aside: {}", logs);
    prop_assert!(logs.contains(&path.display().to_string()), "{}", logs);
    prop_assert_eq!(fs::read(&path).unwrap(), valid_entry(), "not republished");
    let again = walk(root, CacheMode::ReadWrite).program().unwrap();
    prop_assert_eq!(again.status, CacheStatus::Hit);
    let s = Cache::new(root).stats().unwrap();
    prop_assert_eq!(s.programs.counters.unwrap().corrupt, 1);
    prop_assert_eq!(s.programs.quarantined.count, 1);
    Ok(())
}

fn flip(valid: &[u8], flips: &[(Index, u8)], range: std::ops::Range<usize>) -> Vec<u8> {
    let mut b = valid.to_vec();
    for (at, mask) in flips {
        b[range.start + at.index(range.len())] ^= mask;
    }
    b
}

/// `bad_payload` behind a header whose length and checksum are right: the
/// damage reaches bytecheck and `Program::from_parts`. Either refuses it,
/// or the program it gives runs (wrongly, perhaps, but never a panic).
fn check_behind_checksum(bad_payload: &[u8]) -> Result<(), TestCaseError> {
    let (dir, _) = populated();
    let root = dir.path();
    let key = Walk.key(&(SEED, SIZE));
    plant(&entry(root), &behind_valid_header(bad_payload));
    let c = walk(root, CacheMode::ReadWrite);
    match store(root).load(&key) {
        Lookup::Bad { reason, .. } => prop_assert!(
            matches!(reason, Defect::Archive(_) | Defect::Decode(_)),
            "{:?}",
            reason
        ),
        Lookup::Hit(stored) => drop(
            PhaseType::with_borrowed_program(&c.graph, &stored.program)
                .and_then(|ph| ph.moments(2, None)),
        ),
        other => prop_assert!(false, "{:?}", other),
    }
    // the program is right in the end
    let p = c.program().unwrap();
    if p.status == CacheStatus::Miss {
        prop_assert_eq!(results(&p.program, &c.graph), reference(SEED, SIZE));
    }
    Ok(())
}

/// The valid entry's header with the length and checksum of `payload`,
/// then `payload`.
fn behind_valid_header(payload: &[u8]) -> Vec<u8> {
    let mut bytes = valid_entry()[..HEADER].to_vec();
    bytes[48..56].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes[56..64].copy_from_slice(&documented_checksum(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

proptest! {
    #![proptest_config(seeded::config(48))]

    #[test]
    fn truncated_program_entries_are_recomputed(at in any::<Index>()) {
        let valid = valid_entry();
        check_damaged(&valid[..at.index(valid.len())])?;
    }

    #[test]
    fn bit_flips_anywhere_in_a_program_entry_are_recomputed(
        flips in prop::collection::vec((any::<Index>(), 1u8..=255), 1..4)
    ) {
        let valid = valid_entry();
        check_damaged(&flip(valid, &flips, 0..valid.len()))?;
    }

    #[test]
    fn single_bit_flips_in_the_payload_are_recomputed(at in any::<Index>(), bit in 0u32..8) {
        let valid = valid_entry();
        let mut b = valid.to_vec();
        b[HEADER + at.index(valid.len() - HEADER)] ^= 1 << bit;
        check_damaged(&b)?;
    }

    #[test]
    fn damage_behind_a_valid_checksum_never_panics(
        flips in prop::collection::vec((any::<Index>(), 1u8..=255), 1..4)
    ) {
        let valid = valid_entry();
        check_behind_checksum(&flip(&valid[HEADER..], &flips, 0..valid.len() - HEADER))?;
    }

    #[test]
    fn truncation_behind_a_valid_checksum_never_panics(at in any::<Index>()) {
        let payload = &valid_entry()[HEADER..];
        check_behind_checksum(&payload[..at.index(payload.len())])?;
    }
}
