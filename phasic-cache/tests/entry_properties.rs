//! Property tests of cache entries (issue 4, "Tests"): random truncations
//! and random bit flips anywhere in a valid entry never panic, are always
//! rejected by `MappedGraph::open` (unless the bytes did not change), and
//! `build_graph` always ends with a correct graph: rebuilt and re-cached
//! in `ReadWrite`, an error in `Required`.
//!
//! The model is a `Callback` written by hand (the `#[phasic::callback]`
//! macro names the `phasic` facade, which this crate cannot depend on).

use phasic_core::PhaseTypeDistribution;
use std::fs;
use std::path::Path;

use phasic_cache::{
    CacheMode, CacheOptions, CacheStatus, CachedGraph, Defect, Error, GraphStore, Lookup,
    MappedGraph, build_graph,
};
use phasic_core::{
    Callback, Graph, GraphView, Initial, KeyHasher, ModelKey, PhaseType, Transitions, key::Visited,
};
use proptest::prelude::*;
use proptest::sample::Index;

const HEADER: usize = 64;
const N: i32 = 4;

/// Two classes of lineages: `(a, b) → (a − 1, b + 1)` at rate `a`,
/// `(a, b) → (a, b − 1)` at rate `b/2 + 1`; 15 vertices for `n = 4`.
#[derive(Debug, Clone, Copy)]
struct TwoClass;

fn two_class_rule(s: &[i32], out: &mut Transitions) {
    let (a, b) = (s[0], s[1]);
    if a > 0 {
        out.add(&[a - 1, b + 1], f64::from(a));
    }
    if b > 0 {
        out.add(&[a, b - 1], 0.5 * f64::from(b) + 1.0);
    }
}

impl Callback for TwoClass {
    type Params = i32;
    const NAME: &'static str = "two_class";
    const TOKEN_KEY: ModelKey = ModelKey([0x5a; 32]);
    const THETA_DIM: usize = 0;

    fn initial(&self, n: &i32) -> phasic_core::Result<Initial> {
        Ok(Initial::state(&[*n, 0]))
    }
    fn expand(&self, state: &[i32], out: &mut Transitions, _n: &i32) {
        two_class_rule(state, out)
    }
    fn dependencies(&self, _h: &mut KeyHasher, _seen: &mut Visited) {}
}

fn fresh() -> Graph {
    Graph::from_rule(&Initial::state(&[N, 0]), two_class_rule).unwrap()
}

fn key() -> ModelKey {
    TwoClass.key(&N)
}

#[path = "../../tests/support/checksum.rs"]
mod checksum;
#[path = "../../tests/support/logs.rs"]
mod logs;
#[path = "../../tests/support/seeded.rs"]
mod seeded;
use checksum::documented_checksum;
use logs::logged;

fn opts(root: &Path, mode: CacheMode) -> CacheOptions {
    CacheOptions {
        mode,
        root: Some(root.to_path_buf()),
    }
}

/// Publishes the graph (built with `Graph::from_rule`) into a fresh root;
/// returns the root and the entry's bytes.
fn published() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::new(dir.path());
    assert!(store.publish(&key(), &fresh(), false).unwrap());
    let bytes = fs::read(store.path_of(&key())).unwrap();
    (dir, bytes)
}

fn valid_entry() -> &'static [u8] {
    static VALID: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    VALID.get_or_init(|| published().1)
}

fn plant(path: &Path, bytes: &[u8]) {
    let _ = fs::remove_file(path);
    fs::write(path, bytes).unwrap();
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// `g` is exactly the graph of the model.
fn check_correct<G: GraphView + ?Sized>(g: &G) -> Result<(), TestCaseError> {
    let f = fresh();
    prop_assert_eq!(g.state_len(), f.state_len());
    prop_assert_eq!(g.states(), f.states());
    prop_assert_eq!(g.offsets(), f.offsets());
    prop_assert_eq!(g.targets(), f.targets());
    prop_assert_eq!(bits(g.weights()), bits(f.weights()));
    let (a, b) = (PhaseType::new(g).unwrap(), PhaseType::new(&f).unwrap());
    prop_assert_eq!(
        bits(&a.moments(3, None).unwrap()),
        bits(&b.moments(3, None).unwrap())
    );
    Ok(())
}

/// The whole protocol for one damaged copy `bad` of the valid entry.
fn check_damaged(bad: &[u8]) -> Result<(), TestCaseError> {
    let valid = valid_entry();
    let unchanged = bad == valid;
    let (dir, _) = published();
    let root = dir.path();
    let store = GraphStore::new(root);
    let path = store.path_of(&key());
    plant(&path, bad);

    // the check itself
    let opened = MappedGraph::open(&path, key().0);
    if unchanged {
        prop_assert!(opened.is_ok(), "valid bytes rejected: {:?}", opened.err());
    } else {
        prop_assert!(
            opened.is_err(),
            "damaged entry ({} of {} bytes) accepted",
            bad.len(),
            valid.len()
        );
    }
    drop(opened);

    // ReadWrite: a correct graph, rebuilt (with a warning) unless unchanged
    let (r, logs) = logged(|| build_graph(TwoClass, N, &opts(root, CacheMode::ReadWrite)));
    let c = r.map_err(|e| TestCaseError::fail(format!("build_graph failed: {e}")))?;
    check_correct(&c.graph)?;
    if unchanged {
        prop_assert_eq!(c.status, CacheStatus::Hit);
        prop_assert!(logs.is_empty(), "{}", logs);
        return Ok(());
    }
    prop_assert_eq!(c.status, CacheStatus::Miss);
    prop_assert!(matches!(c.graph, CachedGraph::Built(_)));
    prop_assert!(
        logs.contains("bad cache entry") && logs.contains(&path.display().to_string()),
        "no warning naming the entry: {}",
        logs
    );
    let quarantined = fs::read_dir(store.dir().join("quarantine"))
        .unwrap()
        .count();
    prop_assert_eq!(quarantined, 1);
    prop_assert_eq!(fs::read(&path).unwrap(), valid, "not re-published");
    let again = build_graph(TwoClass, N, &opts(root, CacheMode::ReadWrite)).unwrap();
    prop_assert_eq!(again.status, CacheStatus::Hit);
    check_correct(&again.graph)?;
    let s = store.stats().unwrap();
    prop_assert_eq!(
        (
            s.counters.unwrap().hits,
            s.counters.unwrap().misses,
            s.counters.unwrap().corrupt
        ),
        (1, 1, 1)
    );

    // Required: the same bytes are an error
    plant(&path, bad);
    let (r, _) = logged(|| build_graph(TwoClass, N, &opts(root, CacheMode::Required)));
    prop_assert!(
        matches!(r, Err(Error::Required(_))),
        "Required accepted a damaged entry"
    );
    Ok(())
}

fn flip(valid: &[u8], flips: &[(Index, u8)], range: std::ops::Range<usize>) -> Vec<u8> {
    let mut b = valid.to_vec();
    for (at, mask) in flips {
        b[range.start + at.index(range.len())] ^= mask;
    }
    b
}

proptest! {
    #![proptest_config(seeded::config(64))]

    #[test]
    fn truncations_are_rejected_and_rebuilt(at in any::<Index>()) {
        let valid = valid_entry();
        check_damaged(&valid[..at.index(valid.len())])?;
    }

    #[test]
    fn bit_flips_anywhere_are_rejected_and_rebuilt(
        flips in prop::collection::vec((any::<Index>(), 1u8..=255), 1..4)
    ) {
        let valid = valid_entry();
        check_damaged(&flip(valid, &flips, 0..valid.len()))?;
    }

    #[test]
    fn single_bit_flips_in_the_header_are_rejected_and_rebuilt(
        at in 0..HEADER, bit in 0u32..8
    ) {
        let valid = valid_entry();
        let mut b = valid.to_vec();
        b[at] ^= 1 << bit;
        check_damaged(&b)?;
    }

    #[test]
    fn single_bit_flips_in_the_payload_are_rejected_and_rebuilt(
        at in any::<Index>(), bit in 0u32..8
    ) {
        let valid = valid_entry();
        let mut b = valid.to_vec();
        b[HEADER + at.index(valid.len() - HEADER)] ^= 1 << bit;
        check_damaged(&b)?;
    }

    /// A byte overwritten by a random value (possibly the same one).
    #[test]
    fn overwritten_bytes_are_rejected_unless_unchanged(at in any::<Index>(), value in any::<u8>()) {
        let valid = valid_entry();
        let mut b = valid.to_vec();
        b[at.index(valid.len())] = value;
        check_damaged(&b)?;
    }

    /// Truncated, then some bytes flipped, then garbage appended.
    #[test]
    fn mixed_damage_is_rejected_and_rebuilt(
        cut in any::<Index>(),
        flips in prop::collection::vec((any::<Index>(), 1u8..=255), 0..3),
        tail in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let valid = valid_entry();
        let mut b = flip(valid, &flips, 0..valid.len());
        b.truncate(cut.index(valid.len() + 1));
        b.extend_from_slice(&tail);
        check_damaged(&b)?;
    }
}

// ------------------------------------------------- damage behind a valid checksum

#[test]
fn the_header_is_as_documented() {
    let valid = valid_entry();
    assert_eq!(&valid[..8], b"PHASICG\x01");
    assert_eq!(u32::from_le_bytes(valid[8..12].try_into().unwrap()), 1);
    let flags = u32::from_le_bytes(valid[12..16].try_into().unwrap());
    assert_eq!(flags & 0xff, 0b11, "little-endian, aligned");
    assert_eq!((flags >> 8) & 0xff, 8, "rkyv minor version");
    assert_eq!(flags >> 24, phasic_core::key::GRAPH_FORMAT_VERSION & 0xff);
    assert_eq!(&valid[16..48], &key().0);
    let len = u64::from_le_bytes(valid[48..56].try_into().unwrap());
    assert_eq!(len as usize, valid.len() - HEADER);
    let sum = u64::from_le_bytes(valid[56..64].try_into().unwrap());
    assert_eq!(
        sum,
        documented_checksum(&valid[HEADER..]),
        "the checksum differs from docs/CACHE_FORMAT.md"
    );
    // the payload is 16-byte aligned in a mapping: the header is 64 bytes
    let path = GraphStore::new(Path::new("/r")).path_of(&key());
    let hex = key().hex();
    assert_eq!(
        path,
        Path::new("/r/graphs")
            .join(&hex[..2])
            .join(format!("{hex}.graph"))
    );
}

/// With the checksum fixed up, damage reaches the archive checks
/// (bytecheck, CSR invariants): they never panic, and whatever they accept
/// is a graph every algorithm can index safely.
fn check_behind_checksum(bad_payload: &[u8]) -> Result<(), TestCaseError> {
    let valid = valid_entry();
    let mut bytes = valid[..HEADER].to_vec();
    bytes[48..56].copy_from_slice(&(bad_payload.len() as u64).to_le_bytes());
    bytes[56..64].copy_from_slice(&documented_checksum(bad_payload).to_le_bytes());
    bytes.extend_from_slice(bad_payload);
    let (dir, _) = published();
    let store = GraphStore::new(dir.path());
    let path = store.path_of(&key());
    plant(&path, &bytes);
    match MappedGraph::open(&path, key().0) {
        // damage behind a fixed-up header is caught by bytecheck or the CSR checks
        Err(reason) => prop_assert!(
            matches!(
                reason,
                Defect::Archive(_)
                    | Defect::NoOffsets
                    | Defect::VertexCount { .. }
                    | Defect::StateArenaOverflow
                    | Defect::StateValues { .. }
                    | Defect::Offsets
                    | Defect::WeightCount { .. }
                    | Defect::ParameterArrays { .. }
                    | Defect::EdgeTarget { .. }
            ),
            "{:?}: {}",
            reason,
            reason
        ),
        Ok(m) => {
            let (n, e) = (m.vertex_count(), m.edge_count());
            prop_assert!(n >= 1);
            prop_assert_eq!(m.offsets().len(), n + 1);
            prop_assert_eq!(m.offsets()[0], 0);
            prop_assert!(m.offsets().windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(m.offsets()[n] as usize, e);
            prop_assert_eq!(m.weights().len(), e);
            prop_assert_eq!(m.states().len(), n * m.state_len());
            prop_assert!(m.targets().iter().all(|&t| (t as usize) < n));
            // owned copies are validated again; never a panic
            let _ = Graph::from_view(&m);
        }
    }
    // build_graph never panics and never fails in ReadWrite
    let c = build_graph(TwoClass, N, &opts(dir.path(), CacheMode::ReadWrite));
    prop_assert!(c.is_ok(), "{:?}", c.err());
    Ok(())
}

proptest! {
    #![proptest_config(seeded::config(64))]

    #[test]
    fn archive_damage_behind_a_valid_checksum_never_panics(
        flips in prop::collection::vec((any::<Index>(), 1u8..=255), 1..4)
    ) {
        let valid = valid_entry();
        let payload = flip(&valid[HEADER..], &flips, 0..valid.len() - HEADER);
        check_behind_checksum(&payload)?;
    }

    #[test]
    fn truncated_archives_behind_a_valid_checksum_never_panic(at in any::<Index>()) {
        let valid = valid_entry();
        let payload = &valid[HEADER..];
        check_behind_checksum(&payload[..at.index(payload.len())])?;
    }
}

#[test]
fn the_valid_entry_is_a_hit() {
    let (dir, _) = published();
    let c = build_graph(TwoClass, N, &opts(dir.path(), CacheMode::ReadWrite)).unwrap();
    assert_eq!(c.status, CacheStatus::Hit);
    assert!(matches!(c.graph, CachedGraph::Mapped(_)));
    check_correct(&c.graph).unwrap();
}

// ------------------------------------------------------------------ reasons by variant

/// The defect `load` reports for `bytes` in place of the entry (which it
/// moves aside, with a warning giving the reason).
fn load_defect(bytes: &[u8]) -> Defect {
    let (dir, _) = published();
    let store = GraphStore::new(dir.path());
    let path = store.path_of(&key());
    plant(&path, bytes);
    let (lookup, logs) = logged(|| store.load(&key()));
    let Lookup::Bad { path: p, reason } = lookup else {
        panic!("not bad: {lookup:?}");
    };
    assert_eq!(p, path);
    assert!(logs.contains(&reason.to_string()), "{reason}: {logs}");
    assert!(!path.exists(), "{reason}: not moved aside");
    reason
}

#[test]
fn quarantine_reasons_are_the_failed_checks() {
    let valid = valid_entry();
    let payload = (valid.len() - HEADER) as u64;
    let flipped = |at: usize, mask: u8| {
        let mut b = valid.to_vec();
        b[at] ^= mask;
        b
    };
    let d = load_defect(&flipped(HEADER + 9, 0x10));
    assert_eq!(d, Defect::Checksum);
    assert_eq!(d.to_string(), "payload checksum mismatch");
    let d = load_defect(&valid[..valid.len() - 3]);
    assert_eq!(
        d,
        Defect::PayloadLength {
            actual: payload - 3,
            header: payload
        }
    );
    assert_eq!(
        d.to_string(),
        format!(
            "payload is {} bytes, the header says {payload}",
            payload - 3
        )
    );
    let d = load_defect(&valid[..HEADER - 1]);
    assert_eq!(d, Defect::TooShort { len: 63 });
    assert_eq!(d.to_string(), "63 bytes, shorter than the 64-byte header");
    assert_eq!(load_defect(&flipped(3, 1)), Defect::Magic);
    assert_eq!(
        load_defect(&flipped(11, 0x80)),
        Defect::HeaderVersion {
            found: 0x8000_0001,
            expected: 1
        }
    );
    assert!(matches!(
        load_defect(&flipped(13, 1)),
        Defect::Flags { found, expected } if found ^ expected == 0x100
    ));
    let d = load_defect(&flipped(40, 4));
    assert_eq!(d, Defect::KeyMismatch);
    assert!(
        d.to_string()
            .contains("the key in the header is not the key")
    );
}

#[test]
fn a_required_build_names_the_defect() {
    let (dir, valid) = published();
    let root = dir.path();
    let path = GraphStore::new(root).path_of(&key());
    plant(&path, &valid[..valid.len() / 2]);
    let (r, _) = logged(|| build_graph(TwoClass, N, &opts(root, CacheMode::Required)));
    let Err(Error::Required(inner)) = r else {
        panic!("Required accepted a truncated entry");
    };
    let Error::BadEntry { path: p, reason } = *inner else {
        panic!("{inner}");
    };
    assert_eq!(p, path);
    assert!(matches!(reason, Defect::PayloadLength { actual, header } if actual < header));

    // something other than a file in the entry's place
    fs::create_dir(&path).unwrap();
    let (r, _) = logged(|| build_graph(TwoClass, N, &opts(root, CacheMode::Required)));
    let Err(Error::Required(inner)) = r else {
        panic!("Required accepted a directory");
    };
    assert!(
        matches!(
            *inner,
            Error::BadEntry {
                reason: Defect::NotRegularFile,
                ..
            }
        ),
        "{inner}"
    );
    assert!(
        inner
            .to_string()
            .ends_with("is invalid: not a regular file"),
        "{inner}"
    );
}

/// A graph view whose arrays break one CSR invariant each: published with
/// a valid header and checksum, rejected by the CSR checks.
struct Raw {
    state_len: usize,
    states: Vec<i32>,
    offsets: Vec<u64>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    param_dim: usize,
    base: Vec<f64>,
    coeffs: Vec<f64>,
}

impl GraphView for Raw {
    fn state_len(&self) -> usize {
        self.state_len
    }
    fn states(&self) -> &[i32] {
        &self.states
    }
    fn offsets(&self) -> &[u64] {
        &self.offsets
    }
    fn targets(&self) -> &[u32] {
        &self.targets
    }
    fn weights(&self) -> &[f64] {
        &self.weights
    }
    fn param_dim(&self) -> usize {
        self.param_dim
    }
    fn base_weights(&self) -> &[f64] {
        &self.base
    }
    fn coefficients(&self) -> &[f64] {
        &self.coeffs
    }
}

#[test]
fn csr_defects_are_named() {
    // a valid two-vertex graph, then one invariant broken at a time
    let ok = || Raw {
        state_len: 1,
        states: vec![0, 1],
        offsets: vec![0, 1, 1],
        targets: vec![1],
        weights: vec![1.0],
        param_dim: 0,
        base: vec![],
        coeffs: vec![],
    };
    let cases: Vec<(Raw, Defect)> = vec![
        (
            Raw {
                offsets: vec![],
                ..ok()
            },
            Defect::NoOffsets,
        ),
        (
            Raw {
                offsets: vec![0],
                states: vec![],
                targets: vec![],
                weights: vec![],
                ..ok()
            },
            Defect::VertexCount { vertices: 0 },
        ),
        (
            Raw {
                states: vec![0, 1, 2],
                ..ok()
            },
            Defect::StateValues {
                values: 3,
                vertices: 2,
                state_len: 1,
            },
        ),
        (
            Raw {
                offsets: vec![0, 2, 1],
                ..ok()
            },
            Defect::Offsets,
        ),
        (
            Raw {
                weights: vec![1.0, 2.0],
                ..ok()
            },
            Defect::WeightCount {
                weights: 2,
                edges: 1,
            },
        ),
        (
            Raw {
                param_dim: 2,
                base: vec![1.0],
                coeffs: vec![0.5],
                ..ok()
            },
            Defect::ParameterArrays {
                edges: 1,
                params: 2,
            },
        ),
        (
            Raw {
                targets: vec![7],
                ..ok()
            },
            Defect::EdgeTarget {
                target: 7,
                vertices: 2,
            },
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::new(dir.path());
    let path = store.path_of(&key());
    assert!(store.publish(&key(), &ok(), true).unwrap());
    MappedGraph::open(&path, key().0).expect("the valid raw graph is rejected");
    for (raw, want) in cases {
        assert!(store.publish(&key(), &raw, true).unwrap());
        let got = MappedGraph::open(&path, key().0).expect_err(&want.to_string());
        assert_eq!(got, want, "{got}");
    }
    assert_eq!(
        Defect::EdgeTarget {
            target: 7,
            vertices: 2
        }
        .to_string(),
        "edge target 7 is not one of the 2 vertices"
    );
}
