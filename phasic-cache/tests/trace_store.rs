//! The trace store: component traces recorded once, published under their
//! subproblem's content key, loaded again (by the same model or by another
//! one containing an identical component), and bad entries moved aside and
//! recorded again (`ReadWrite`) or reported (`Required`).
//!
//! The models are parameterized graphs built by hand (`GraphBuilder`) with
//! two or three cyclic components; `min_subproblem: 2` makes every cyclic
//! component a keyed subproblem.

use phasic_core::PhaseTypeDistribution;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Barrier, OnceLock};

use phasic_cache::{
    CacheMode, CacheOptions, Defect, Error, GraphStore, Lookup, Rejection, TraceReport, TraceStore,
    record_trace,
};
use phasic_core::{
    Graph, GraphBuilder, GraphView, ModelKey, PhaseType, trace::ComponentTrace, trace::Trace,
    trace::TraceOptions,
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
const P: usize = 2;
const OPTS: TraceOptions = TraceOptions { min_subproblem: 2 };
const THETAS: [[f64; P]; 4] = [[1.0, 1.0], [0.4, 2.5], [3.0, 0.2], [0.05, 7.0]];

// ------------------------------------------------------------------ models

/// Creates `n` new vertices with states `[first], [first + 1], …`; returns their ids.
fn vertices(b: &mut GraphBuilder, first: i32, n: usize) -> Vec<usize> {
    (0..n as i32)
        .map(|i| b.find_or_create(&[first + i]).unwrap())
        .collect()
}

/// A cyclic component on `vs` (a ring with chords): its local form depends
/// only on `vs.len()`, `salt` and `exits.len()`, not on the vertex ids or
/// on where the exits lead. Edges are added source by source.
fn ring(b: &mut GraphBuilder, vs: &[usize], exits: &[usize], salt: f64) {
    let k = vs.len();
    for i in 0..k {
        let f = i as f64;
        b.add_param_edge(
            vs[i],
            vs[(i + 1) % k],
            0.2 + 0.1 * f + salt,
            &[1.0, 0.25 * f],
        )
        .unwrap();
        if i % 2 == 0 && k > 3 {
            b.add_param_edge(vs[i], vs[(i + 2) % k], 0.0, &[0.0, 0.5 + 0.1 * f])
                .unwrap();
        }
        if i == 1 && exits.len() > 1 {
            b.add_param_edge(vs[i], exits[1], 0.0, &[0.0, 0.4 + salt])
                .unwrap();
        }
        if i == k - 1 {
            b.add_param_edge(vs[i], exits[0], 0.5, &[0.3 + salt, 0.0])
                .unwrap();
        }
    }
}

/// Model A: `start → v1`, `v1 → X` (4-cycle) and `v1 → w`, `X → {m, abs}`,
/// `m → Y`, `w → Y` (5-cycle), `Y → abs`. Two keyed subproblems.
fn model_a() -> Graph {
    let mut b = GraphBuilder::with_params(1, P);
    let v1 = vertices(&mut b, 1, 1)[0];
    let x = vertices(&mut b, 10, 4);
    let y = vertices(&mut b, 20, 5);
    let [m, abs, w] = vertices(&mut b, 30, 3)[..] else {
        unreachable!()
    };
    b.add_edge(0, v1, 1.0).unwrap();
    b.add_param_edge(v1, x[0], 0.5, &[0.5, 0.0]).unwrap();
    b.add_param_edge(v1, w, 0.2, &[0.0, 0.3]).unwrap();
    ring(&mut b, &x, &[m, abs], 0.0);
    b.add_param_edge(m, y[0], 1.0, &[0.2, 0.0]).unwrap();
    b.add_param_edge(w, y[2], 0.7, &[0.0, 0.1]).unwrap();
    ring(&mut b, &y, &[abs], 0.3);
    b.build()
}

/// Model B: other surroundings and vertex numbering; a 3-cycle Z of its
/// own, then two copies of model A's component X (same local form).
fn model_b() -> Graph {
    let mut b = GraphBuilder::with_params(1, P);
    let [u1, u2] = vertices(&mut b, 100, 2)[..] else {
        unreachable!()
    };
    let z = vertices(&mut b, 200, 3);
    let x1 = vertices(&mut b, 300, 4);
    let x2 = vertices(&mut b, 400, 4);
    let [u10, abs] = vertices(&mut b, 500, 2)[..] else {
        unreachable!()
    };
    b.add_edge(0, u1, 2.0).unwrap();
    b.add_param_edge(u1, u2, 0.0, &[0.7, 0.7]).unwrap();
    b.add_param_edge(u1, x2[1], 0.1, &[0.0, 0.0]).unwrap();
    b.add_param_edge(u2, z[0], 1.5, &[0.0, 1.0]).unwrap();
    ring(&mut b, &z, &[x1[0], u10], 0.05);
    ring(&mut b, &x1, &[abs, u10], 0.0);
    ring(&mut b, &x2, &[u10, abs], 0.0);
    b.add_param_edge(u10, abs, 0.25, &[0.5, 0.5]).unwrap();
    b.build()
}

fn graph_a() -> &'static Graph {
    static G: OnceLock<Graph> = OnceLock::new();
    G.get_or_init(model_a)
}

fn keys_of(g: &Graph) -> Vec<ModelKey> {
    Trace::plan(g, OPTS).unwrap().keys().to_vec()
}

/// `E[T]` of `g` re-weighted at θ, by the ordinary elimination.
fn direct(g: &Graph, theta: &[f64]) -> f64 {
    let mut g = g.clone();
    g.update_weights(theta).unwrap();
    PhaseType::new(&g).unwrap().expectation(None).unwrap()
}

/// The expectations of `trace` at every θ (bit patterns).
fn expectations(trace: &Trace) -> Vec<u64> {
    THETAS
        .iter()
        .map(|t| trace.expectation(t, None).unwrap().to_bits())
        .collect()
}

/// Fails unless `trace` agrees with the direct computation within 1e-12 relative.
fn check_against_direct(g: &Graph, trace: &Trace) -> Result<(), TestCaseError> {
    for theta in &THETAS {
        let want = direct(g, theta);
        let got = trace.expectation(theta, None).unwrap();
        prop_assert!(want.is_finite() && want > 0.0, "direct {want}");
        prop_assert!(
            (got - want).abs() <= 1e-12 * want,
            "θ = {theta:?}: trace {got}, direct {want}"
        );
    }
    Ok(())
}

/// The expectations of the in-memory trace (no store) of `g`.
fn reference(g: &Graph) -> Vec<u64> {
    expectations(&Trace::record_with(g, OPTS).unwrap())
}

fn reference_a() -> &'static [u64] {
    static R: OnceLock<Vec<u64>> = OnceLock::new();
    R.get_or_init(|| reference(graph_a()))
}

fn opts(root: &Path, mode: CacheMode) -> CacheOptions {
    CacheOptions {
        mode,
        root: Some(root.to_path_buf()),
    }
}

fn record(g: &Graph, root: &Path, mode: CacheMode) -> phasic_cache::Result<(Trace, TraceReport)> {
    record_trace(g, &opts(root, mode), OPTS)
}

fn report(subproblems: usize, loaded: usize, recorded: usize, published: usize) -> TraceReport {
    TraceReport {
        subproblems,
        loaded,
        recorded,
        published,
        inline: 0,
    }
}

/// Every file under `dir`, recursively (symlinks not followed).
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let Ok(list) = fs::read_dir(dir) else {
        return out;
    };
    for e in list.flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&p));
        } else {
            out.insert(p);
        }
    }
    out
}

fn quarantined(store: &TraceStore) -> usize {
    fs::read_dir(store.dir().join("quarantine")).map_or(0, |d| d.count())
}

/// A root filled by model A in `ReadWrite`, and the bytes of its first entry.
fn populated() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let g = graph_a();
    record(g, dir.path(), CacheMode::ReadWrite).unwrap();
    let bytes = fs::read(TraceStore::new(dir.path()).path_of(&keys_of(g)[0])).unwrap();
    (dir, bytes)
}

fn valid_entry() -> &'static [u8] {
    static VALID: OnceLock<Vec<u8>> = OnceLock::new();
    VALID.get_or_init(|| populated().1)
}

// ------------------------------------------------------------------ 1. record, reuse, modes

#[test]
fn the_models_have_the_intended_components() {
    let a = Trace::plan(graph_a(), OPTS).unwrap();
    let sizes: Vec<usize> = a.subproblems().iter().map(|s| s.size()).collect();
    assert_eq!(sizes.len(), 2);
    assert!(sizes.contains(&4) && sizes.contains(&5), "{sizes:?}");
    assert_eq!(a.inline_count(), 0);
    let b = Trace::plan(&model_b(), OPTS).unwrap();
    let mut sizes: Vec<usize> = b.subproblems().iter().map(|s| s.size()).collect();
    sizes.sort();
    assert_eq!(sizes, [3, 4], "the two copies of X are one subproblem");
    let ka: BTreeSet<ModelKey> = a.keys().iter().copied().collect();
    let shared: Vec<&ModelKey> = b.keys().iter().filter(|k| ka.contains(k)).collect();
    assert_eq!(shared.len(), 1, "model B shares component X with model A");
}

#[test]
fn first_record_publishes_and_second_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    assert!(s >= 1);
    let store = TraceStore::new(root);

    let (t1, r1) = record(g, root, CacheMode::ReadWrite).unwrap();
    assert_eq!(r1, report(s, 0, s, s));
    for k in &keys {
        let path = store.path_of(k);
        let hex = k.hex();
        assert_eq!(
            path,
            root.join("traces")
                .join(&hex[..2])
                .join(format!("{hex}.trace"))
        );
        assert!(path.is_file(), "no entry at {}", path.display());
        assert!(matches!(store.load(k), Lookup::Hit(_)));
    }
    assert_eq!(store.dir(), root.join("traces"));
    let st = store.stats().unwrap();
    assert_eq!(st.entries, s as u64);
    assert_eq!(
        (
            st.counters.unwrap().hits,
            st.counters.unwrap().misses,
            st.counters.unwrap().corrupt
        ),
        (0, s as u64, 0)
    );

    let (t2, r2) = record(g, root, CacheMode::ReadWrite).unwrap();
    assert_eq!(r2, report(s, s, 0, 0));
    assert_eq!(expectations(&t1), expectations(&t2));
    assert_eq!(expectations(&t1), reference_a());
    check_against_direct(g, &t1).unwrap();
    let st = store.stats().unwrap();
    assert_eq!(
        (
            st.counters.unwrap().hits,
            st.counters.unwrap().misses,
            st.counters.unwrap().corrupt
        ),
        (s as u64, s as u64, 0)
    );
    assert_eq!(verified(&store), (s as u64, vec![]));

    // with rewards too
    let rewards: Vec<f64> = (0..g.vertex_count())
        .map(|v| 1.0 + (v % 3) as f64)
        .collect();
    for theta in &THETAS {
        let mut gw = g.clone();
        gw.update_weights(theta).unwrap();
        let want = PhaseType::new(&gw)
            .unwrap()
            .expectation(Some(&rewards))
            .unwrap();
        let a = t1.expectation(theta, Some(&rewards)).unwrap();
        let b = t2.expectation(theta, Some(&rewards)).unwrap();
        assert_eq!(a.to_bits(), b.to_bits());
        assert!((a - want).abs() <= 1e-12 * want, "{a} vs {want}");
    }
}

#[test]
fn off_mode_touches_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let g = graph_a();
    let s = keys_of(g).len();
    let (t, r) = record(g, &root, CacheMode::Off).unwrap();
    assert_eq!(r, report(s, 0, s, 0));
    assert!(!root.exists());
    assert_eq!(expectations(&t), reference_a());
    // nor does it read a populated root
    let (full, _) = populated();
    let before = files_under(full.path());
    let (t, r) = record(g, full.path(), CacheMode::Off).unwrap();
    assert_eq!(r, report(s, 0, s, 0));
    assert_eq!(files_under(full.path()), before);
    assert_eq!(expectations(&t), reference_a());
}

#[test]
fn read_only_records_but_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let g = graph_a();
    let s = keys_of(g).len();
    let (r, logs) = logged(|| record(g, dir.path(), CacheMode::ReadOnly));
    let (t, rep) = r.unwrap();
    assert_eq!(rep, report(s, 0, s, 0));
    assert!(logs.is_empty(), "{logs}");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "wrote into the root"
    );
    assert_eq!(expectations(&t), reference_a());

    // a populated root is used, and not written to (no counters either)
    let (full, _) = populated();
    let stats = fs::read(full.path().join("traces/stats")).unwrap();
    let before = files_under(full.path());
    let (t, rep) = record(g, full.path(), CacheMode::ReadOnly).unwrap();
    assert_eq!(rep, report(s, s, 0, 0));
    assert_eq!(files_under(full.path()), before);
    assert_eq!(fs::read(full.path().join("traces/stats")).unwrap(), stats);
    assert_eq!(expectations(&t), reference_a());
}

#[test]
fn refresh_records_and_replaces_every_entry() {
    let (dir, valid) = populated();
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    let (t, r) = record(g, dir.path(), CacheMode::Refresh).unwrap();
    assert_eq!(r, report(s, 0, s, s));
    assert_eq!(expectations(&t), reference_a());
    let store = TraceStore::new(dir.path());
    assert_eq!(fs::read(store.path_of(&keys[0])).unwrap(), valid);
    assert_eq!(store.stats().unwrap().entries, s as u64);
}

#[test]
fn required_records_publishes_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let g = graph_a();
    let s = keys_of(g).len();
    let (t, r) = record(g, dir.path(), CacheMode::Required).unwrap();
    assert_eq!(r, report(s, 0, s, s));
    assert_eq!(expectations(&t), reference_a());
    let (t, r) = record(g, dir.path(), CacheMode::Required).unwrap();
    assert_eq!(r, report(s, s, 0, 0));
    assert_eq!(expectations(&t), reference_a());
}

/// `Refresh` does not read entries: a bad one is replaced, silently.
#[test]
fn refresh_replaces_a_bad_entry() {
    let (dir, valid) = populated();
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    let store = TraceStore::new(dir.path());
    let path = store.path_of(&keys[0]);
    fs::write(&path, &valid[..valid.len() / 2]).unwrap();
    let (r, logs) = logged(|| record(g, dir.path(), CacheMode::Refresh));
    let (t, rep) = r.unwrap();
    assert_eq!(rep, report(s, 0, s, s));
    assert!(logs.is_empty(), "{logs}");
    assert_eq!(fs::read(&path).unwrap(), valid);
    assert_eq!(expectations(&t), reference_a());
}

/// The header, as `docs/CACHE_FORMAT.md` describes it, and the payload is
/// the encoding of the recorded trace.
#[test]
fn the_trace_header_is_as_documented() {
    let valid = valid_entry();
    let g = graph_a();
    let plan = Trace::plan(g, OPTS).unwrap();
    let key = plan.keys()[0];
    assert_eq!(&valid[..8], b"PHASICT\x01");
    assert_eq!(u32::from_le_bytes(valid[8..12].try_into().unwrap()), 1);
    let flags = u32::from_le_bytes(valid[12..16].try_into().unwrap());
    assert_eq!(
        flags,
        1 | (phasic_core::trace::TRACE_FORMAT_VERSION & 0xff) << 24
    );
    assert_eq!(&valid[16..48], &key.0);
    let len = u64::from_le_bytes(valid[48..56].try_into().unwrap());
    assert_eq!(len as usize, valid.len() - HEADER);
    let sum = u64::from_le_bytes(valid[56..64].try_into().unwrap());
    assert_eq!(sum, documented_checksum(&valid[HEADER..]));
    let sub = &plan.subproblems()[0];
    assert_eq!(sub.key(), key);
    let recorded = ComponentTrace::record(sub).unwrap();
    assert_eq!(&valid[HEADER..], &recorded.encode()[..]);
    let decoded = ComponentTrace::decode(&valid[HEADER..]).unwrap();
    assert!(decoded.solves(sub));
    assert_eq!(decoded, recorded);
}

// ------------------------------------------------------------------ 2. cross-model reuse

#[test]
fn another_model_loads_the_shared_component() {
    let (dir, _) = populated();
    let root = dir.path();
    let b = model_b();
    let plan = Trace::plan(&b, OPTS).unwrap();
    let s = plan.keys().len();
    assert_eq!(s, 2);
    assert_eq!(plan.inline_count(), 0);
    let (t, r) = record(&b, root, CacheMode::ReadWrite).unwrap();
    assert_eq!(
        r,
        report(s, 1, 1, 1),
        "component X is loaded from model A's entry"
    );
    assert_eq!(t.component_count(), 3);
    check_against_direct(&b, &t).unwrap();
    assert_eq!(expectations(&t), reference(&b));
    let store = TraceStore::new(root);
    assert_eq!(store.stats().unwrap().entries, 3);
    let (t2, r2) = record(&b, root, CacheMode::ReadWrite).unwrap();
    assert_eq!(r2, report(s, s, 0, 0));
    assert_eq!(expectations(&t2), expectations(&t));
}

/// Below the subproblem size, model B's 3-cycle is recorded inline; its
/// copies of X are still keyed as in model A and loaded.
#[test]
fn keys_do_not_depend_on_the_subproblem_size() {
    let (dir, _) = populated();
    let b = model_b();
    let big = TraceOptions { min_subproblem: 4 };
    let (t, r) = record_trace(&b, &opts(dir.path(), CacheMode::ReadWrite), big).unwrap();
    assert_eq!(
        r,
        TraceReport {
            subproblems: 1,
            loaded: 1,
            recorded: 0,
            published: 0,
            inline: 1,
        }
    );
    check_against_direct(&b, &t).unwrap();
}

// ------------------------------------------------------------------ 3. bad entries

/// Plants something with `plant` at the first entry of a populated root
/// (after removing the valid entry) and checks every mode.
fn check_bad(what: &str, plant: &dyn Fn(&Path)) -> Result<(), TestCaseError> {
    let (dir, valid) = populated();
    let root = dir.path();
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    let store = TraceStore::new(root);
    let path = store.path_of(&keys[0]);
    let replant = || {
        let _ = fs::remove_file(&path);
        plant(&path);
    };

    // ReadOnly: a warning, the entry left in place, a correct trace
    replant();
    let before = files_under(root);
    let (r, logs) = logged(|| record(g, root, CacheMode::ReadOnly));
    let (t, rep) = r.map_err(|e| TestCaseError::fail(format!("{what}: read-only failed: {e}")))?;
    prop_assert_eq!(rep, report(s, s - 1, 1, 0), "{}", what);
    prop_assert!(
        logs.contains(&path.display().to_string()),
        "{what}: no warning naming the entry: {logs}"
    );
    prop_assert_eq!(files_under(root), before, "{}: read-only wrote", what);
    prop_assert_eq!(expectations(&t), reference_a(), "{}", what);

    // ReadWrite: a warning, the entry moved aside, recorded and re-published
    let (r, logs) = logged(|| record(g, root, CacheMode::ReadWrite));
    let (t, rep) = r.map_err(|e| TestCaseError::fail(format!("{what}: read-write failed: {e}")))?;
    prop_assert_eq!(rep, report(s, s - 1, 1, 1), "{}", what);
    prop_assert!(
        logs.contains("bad cache entry") && logs.contains(&path.display().to_string()),
        "{what}: no warning naming the entry: {logs}"
    );
    prop_assert_eq!(quarantined(&store), 1, "{}: not moved aside", what);
    prop_assert!(
        fs::symlink_metadata(&path).unwrap().is_file(),
        "{what}: no regular entry"
    );
    prop_assert_eq!(
        fs::read(&path).unwrap(),
        valid.clone(),
        "{}: not re-published",
        what
    );
    prop_assert_eq!(expectations(&t), reference_a(), "{}", what);
    check_against_direct(g, &t)?;
    let (t2, rep2) = record(g, root, CacheMode::ReadWrite).unwrap();
    prop_assert_eq!(rep2, report(s, s, 0, 0), "{}", what);
    prop_assert_eq!(expectations(&t2), reference_a(), "{}", what);
    let st = store.stats().unwrap();
    prop_assert_eq!(st.counters.unwrap().corrupt, 1, "{}", what);
    prop_assert_eq!(st.entries, s as u64, "{}", what);

    // Required: an error
    replant();
    let (r, _) = logged(|| record(g, root, CacheMode::Required));
    prop_assert!(
        matches!(r, Err(Error::Required(_))),
        "{what}: Required gave {:?}",
        r.map(|x| x.1)
    );
    Ok(())
}

fn plant_bytes(bytes: Vec<u8>) -> impl Fn(&Path) {
    move |p: &Path| fs::write(p, &bytes).unwrap()
}

#[test]
fn truncated_entries_are_bad() {
    let valid = valid_entry();
    let n = valid.len();
    assert!(n > 2 * HEADER, "{n}");
    for len in [0, 1, 8, 47, 63, 64, 65, HEADER + 8, n / 2, n - 8, n - 1] {
        check_bad(
            &format!("truncated to {len} of {n}"),
            &plant_bytes(valid[..len].to_vec()),
        )
        .unwrap();
    }
}

#[test]
fn header_bit_flips_are_bad() {
    let valid = valid_entry();
    for (at, bit) in [
        (0, 0),
        (7, 0),
        (9, 3),
        (12, 0),
        (15, 7),
        (20, 2),
        (47, 7),
        (48, 0),
        (55, 6),
        (56, 1),
        (63, 7),
    ] {
        let mut b = valid.to_vec();
        b[at] ^= 1 << bit;
        check_bad(&format!("header byte {at} bit {bit}"), &plant_bytes(b)).unwrap();
    }
}

#[test]
fn payload_bit_flips_are_bad() {
    let valid = valid_entry();
    let n = valid.len();
    for (at, bit) in [
        (HEADER, 0),
        (HEADER + 5, 1),
        (HEADER + 17, 4),
        (n / 2, 5),
        (n - 1, 7),
    ] {
        let mut b = valid.to_vec();
        b[at] ^= 1 << bit;
        check_bad(&format!("payload byte {at} bit {bit}"), &plant_bytes(b)).unwrap();
    }
}

#[test]
fn wrong_magic_is_bad() {
    for magic in [b"PHASICX\x01", b"PHASICT\x02", b"\0\0\0\0\0\0\0\0"] {
        let mut b = valid_entry().to_vec();
        b[..8].copy_from_slice(magic);
        check_bad(&format!("magic {magic:?}"), &plant_bytes(b)).unwrap();
    }
}

/// A graph entry, published under the very key of the trace (the header
/// is valid but for the magic and flags).
#[test]
fn a_graph_entry_in_place_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let key = keys_of(graph_a())[0];
    let graphs = GraphStore::new(dir.path());
    assert!(graphs.publish(&key, graph_a(), false).unwrap());
    let bytes = fs::read(graphs.path_of(&key)).unwrap();
    assert_eq!(&bytes[..8], b"PHASICG\x01");
    assert_eq!(&bytes[16..48], &key.0);
    check_bad("a graph entry", &plant_bytes(bytes)).unwrap();
}

#[test]
fn a_directory_in_place_is_bad() {
    check_bad("a directory", &|p: &Path| {
        fs::create_dir(p).unwrap();
        fs::write(p.join("inside"), b"x").unwrap();
    })
    .unwrap();
}

#[test]
fn a_dangling_symlink_in_place_is_bad() {
    check_bad("a dangling symlink", &|p: &Path| {
        std::os::unix::fs::symlink(p.with_extension("nowhere"), p).unwrap();
    })
    .unwrap();
}

/// A FIFO in the entry's place: never opened (opening would block until a
/// writer appears). Run on a thread with a time limit.
#[test]
fn a_fifo_in_place_is_bad() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = check_bad("a FIFO", &|p: &Path| {
            let st = std::process::Command::new("mkfifo")
                .arg(p)
                .status()
                .unwrap();
            assert!(st.success());
        });
        tx.send(r.map_err(|e| e.to_string())).unwrap();
    });
    let r = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("blocked on a FIFO in an entry's place");
    r.unwrap();
}

/// When the bad entry cannot be moved aside (`quarantine` is a regular
/// file), it is removed if it is a file, then recorded and published
/// again; a folder in its place is left alone.
#[test]
fn a_bad_entry_that_cannot_be_moved_aside_is_removed() {
    let (dir, valid) = populated();
    let root = dir.path();
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    let store = TraceStore::new(root);
    let path = store.path_of(&keys[0]);
    fs::write(store.dir().join("quarantine"), b"in the way").unwrap();
    for bad in [&valid[..10], &valid[..valid.len() - 1]] {
        fs::write(&path, bad).unwrap();
        let (r, logs) = logged(|| record(g, root, CacheMode::ReadWrite));
        let (t, rep) = r.unwrap();
        assert_eq!(rep, report(s, s - 1, 1, 1));
        assert!(
            logs.contains("bad cache entry removed (it could not be moved aside); it is rebuilt")
                && logs.contains(&path.display().to_string()),
            "{logs}"
        );
        assert_eq!(fs::read(&path).unwrap(), valid);
        assert_eq!(expectations(&t), reference_a());
    }
    // a directory in the entry's place is not ours: it is not removed
    // (with what it holds), the trace is recorded but cannot be published
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    fs::write(path.join("inside"), b"x").unwrap();
    let (t, rep) = record(g, root, CacheMode::ReadWrite).unwrap();
    assert_eq!(rep, report(s, s - 1, 1, 0));
    assert_eq!(fs::read(path.join("inside")).unwrap(), b"x");
    assert_eq!(expectations(&t), reference_a());
    assert_eq!(
        fs::read(store.dir().join("quarantine")).unwrap(),
        b"in the way"
    );
}

/// A valid entry (header, checksum) holding the trace of another
/// subproblem: of model A's other component (other size and weights).
#[test]
fn the_trace_of_another_component_is_bad() {
    let plan = Trace::plan(graph_a(), OPTS).unwrap();
    let other = ComponentTrace::record(&plan.subproblems()[1]).unwrap();
    let key = plan.keys()[0];
    check_bad("the trace of another component", &|p: &Path| {
        let scratch = tempfile::tempdir().unwrap();
        let store = TraceStore::new(scratch.path());
        assert!(store.publish(&key, &other, false).unwrap());
        fs::copy(store.path_of(&key), p).unwrap();
    })
    .unwrap();
}

/// Two three-vertex components with the same edge weights, in the same
/// order, but other edges: `1→2, 2→3, 3→1, 3→out` (`shape_a`) and
/// `1→2, 2→3, 2→out, 3→1` (`shape_b`). Their subproblems have the same
/// size, exit count and weight arrays, and different content keys.
fn shape(b_shape: bool) -> Graph {
    let mut b = GraphBuilder::with_params(1, P);
    let [v1, v2, v3, out] = vertices(&mut b, 1, 4)[..] else {
        unreachable!()
    };
    let w = |i: f64| (1.0 + i, [0.1 * i, 0.2]);
    b.add_edge(0, v1, 1.0).unwrap();
    let edges = if b_shape {
        [(v1, v2), (v2, v3), (v2, out), (v3, v1)]
    } else {
        [(v1, v2), (v2, v3), (v3, v1), (v3, out)]
    };
    for (i, (from, to)) in edges.into_iter().enumerate() {
        let (base, c) = w(i as f64);
        b.add_param_edge(from, to, base, &c).unwrap();
    }
    b.build()
}

/// `docs/CACHE_FORMAT.md`: "A trace that decodes but does not belong to
/// its subproblem (other weights or shape) is treated as bad." Here: the
/// trace of a component of another shape (same size, exits and weights),
/// in a valid entry under the key of `shape_a`'s component.
#[test]
fn the_trace_of_a_component_of_another_shape_is_bad() {
    let (ga, gb) = (shape(false), shape(true));
    let (pa, pb) = (
        Trace::plan(&ga, OPTS).unwrap(),
        Trace::plan(&gb, OPTS).unwrap(),
    );
    assert_eq!((pa.keys().len(), pb.keys().len()), (1, 1));
    assert_ne!(pa.keys()[0], pb.keys()[0]);
    let wrong = ComponentTrace::record(&pb.subproblems()[0]).unwrap();
    let key = pa.keys()[0];
    // the two distributions differ
    for theta in &THETAS {
        let (a, b) = (direct(&ga, theta), direct(&gb, theta));
        assert!((a - b).abs() > 1e-3 * a, "{a} {b}");
    }

    let dir = tempfile::tempdir().unwrap();
    let store = TraceStore::new(dir.path());
    assert!(store.publish(&key, &wrong, false).unwrap());
    let path = store.path_of(&key);
    let (r, logs) = logged(|| record(&ga, dir.path(), CacheMode::ReadWrite));
    let (t, rep) = r.unwrap();
    for theta in &THETAS {
        let (want, got) = (direct(&ga, theta), t.expectation(theta, None).unwrap());
        assert!(
            (got - want).abs() <= 1e-12 * want,
            "θ = {theta:?}: the trace of the other shape was used: {got}, direct {want} \
             (report {rep:?}, logs {logs:?})"
        );
    }
    assert_eq!(rep, report(1, 0, 1, 1));
    assert!(logs.contains("bad cache entry") && logs.contains(&path.display().to_string()));
    assert_eq!(quarantined(&store), 1);

    // ReadOnly: a warning, left in place, recorded
    assert!(store.publish(&key, &wrong, true).unwrap());
    let bytes = fs::read(&path).unwrap();
    let (r, logs) = logged(|| record(&ga, dir.path(), CacheMode::ReadOnly));
    let (t, rep) = r.unwrap();
    assert_eq!(rep, report(1, 0, 1, 0));
    assert!(!logs.is_empty());
    assert_eq!(fs::read(&path).unwrap(), bytes);
    for theta in &THETAS {
        let (want, got) = (direct(&ga, theta), t.expectation(theta, None).unwrap());
        assert!((got - want).abs() <= 1e-12 * want, "{got} {want}");
    }

    // Required: an error
    let (r, _) = logged(|| record(&ga, dir.path(), CacheMode::Required));
    assert!(matches!(r, Err(Error::Required(_))), "{:?}", r.map(|x| x.1));
}

// ------------------------------------------------------------------ 4. properties

#[derive(Debug, Clone)]
enum Damage {
    Truncate(Index),
    Flip(Vec<(Index, u8)>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<Index>().prop_map(Damage::Truncate),
        prop::collection::vec((any::<Index>(), 1u8..=255), 1..4).prop_map(Damage::Flip),
    ]
}

fn damaged(valid: &[u8], d: &Damage) -> Vec<u8> {
    match d {
        Damage::Truncate(at) => valid[..at.index(valid.len())].to_vec(),
        Damage::Flip(flips) => {
            let mut b = valid.to_vec();
            for (at, mask) in flips {
                b[at.index(valid.len())] ^= mask;
            }
            b
        }
    }
}

proptest! {
    #![proptest_config(seeded::config(48))]

    #[test]
    fn damaged_entries_never_panic_and_are_recorded_again(d in damage()) {
        let valid = valid_entry();
        let bad = damaged(valid, &d);
        let (dir, _) = populated();
        let root = dir.path();
        let g = graph_a();
        let keys = keys_of(g);
        let s = keys.len();
        let store = TraceStore::new(root);
        let path = store.path_of(&keys[0]);
        fs::write(&path, &bad).unwrap();
        let changed = bad != valid;

        let (r, logs) = logged(|| record(g, root, CacheMode::ReadWrite));
        let (t, rep) = r.map_err(|e| TestCaseError::fail(format!("record_trace failed: {e}")))?;
        check_against_direct(g, &t)?;
        prop_assert_eq!(expectations(&t), reference_a());
        if changed {
            prop_assert_eq!(rep, report(s, s - 1, 1, 1));
            prop_assert!(
                logs.contains("bad cache entry") && logs.contains(&path.display().to_string()),
                "no warning naming the entry: {}", logs
            );
            prop_assert_eq!(quarantined(&store), 1);
        } else {
            prop_assert_eq!(rep, report(s, s, 0, 0));
        }
        prop_assert_eq!(&fs::read(&path).unwrap()[..], valid);
        let (t2, rep2) = record(g, root, CacheMode::ReadWrite).unwrap();
        prop_assert_eq!(rep2, report(s, s, 0, 0));
        prop_assert_eq!(expectations(&t2), reference_a());
    }
}

/// An entry with `payload` behind a valid header (length, checksum).
fn behind_valid_header(payload: &[u8]) -> Vec<u8> {
    let mut b = valid_entry()[..HEADER].to_vec();
    b[48..56].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    b[56..64].copy_from_slice(&documented_checksum(payload).to_le_bytes());
    b.extend_from_slice(payload);
    b
}

proptest! {
    #![proptest_config(seeded::config(48))]

    /// A truncated encoding behind a valid header always fails to decode:
    /// it is moved aside and recorded again.
    #[test]
    fn truncated_traces_behind_a_valid_checksum_are_recorded_again(at in any::<Index>()) {
        let payload = &valid_entry()[HEADER..];
        let bad = behind_valid_header(&payload[..at.index(payload.len())]);
        let (dir, valid) = populated();
        let g = graph_a();
        let keys = keys_of(g);
        let s = keys.len();
        let store = TraceStore::new(dir.path());
        let path = store.path_of(&keys[0]);
        fs::write(&path, &bad).unwrap();
        let (r, logs) = logged(|| record(g, dir.path(), CacheMode::ReadWrite));
        let (t, rep) = r.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(rep, report(s, s - 1, 1, 1));
        prop_assert!(logs.contains("bad cache entry"), "{}", logs);
        prop_assert_eq!(fs::read(&path).unwrap(), valid);
        prop_assert_eq!(expectations(&t), reference_a());
    }

    /// Damage behind a valid header reaches the decoder: never a panic,
    /// never an error in `ReadWrite`, and whatever is accepted can be
    /// evaluated without a panic.
    #[test]
    fn damaged_traces_behind_a_valid_checksum_never_panic(
        flips in prop::collection::vec((any::<Index>(), 1u8..=255), 1..4)
    ) {
        let mut payload = valid_entry()[HEADER..].to_vec();
        for (at, mask) in &flips {
            let i = at.index(payload.len());
            payload[i] ^= mask;
        }
        let bad = behind_valid_header(&payload);
        let (dir, _) = populated();
        let g = graph_a();
        let keys = keys_of(g);
        let s = keys.len();
        let store = TraceStore::new(dir.path());
        fs::write(store.path_of(&keys[0]), &bad).unwrap();
        let (t, rep) = record(g, dir.path(), CacheMode::ReadWrite)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(rep.subproblems, s);
        prop_assert_eq!(rep.loaded + rep.recorded, s);
        if rep.recorded == 1 {
            prop_assert_eq!(expectations(&t), reference_a());
        }
        for theta in &THETAS {
            let _ = t.expectation(theta, None);
            let _ = t.at(g, theta).and_then(|a| a.phase_type().variance(None));
        }
    }
}

// ------------------------------------------------------------------ 5. unusable root

#[test]
fn an_unusable_root_still_records() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, b"not a folder").unwrap();
    let root = file.join("sub");
    let g = graph_a();
    let s = keys_of(g).len();

    let (r, logs) = logged(|| record(g, &root, CacheMode::ReadWrite));
    let (t, rep) = r.unwrap();
    assert_eq!(rep, report(s, 0, s, 0));
    assert!(logs.contains("trace store unusable"), "no warning: {logs}");
    assert_eq!(expectations(&t), reference_a());
    check_against_direct(g, &t).unwrap();
    assert_eq!(fs::read(&file).unwrap(), b"not a folder");

    let (t, rep) = record(g, &root, CacheMode::ReadOnly).unwrap();
    assert_eq!(rep, report(s, 0, s, 0));
    assert_eq!(expectations(&t), reference_a());

    let (r, _) = logged(|| record(g, &root, CacheMode::Required));
    assert!(matches!(r, Err(Error::Required(_))), "{:?}", r.map(|x| x.1));
}

// ------------------------------------------------------------------ 6. concurrency

#[test]
fn concurrent_records_publish_each_entry_once() {
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let barrier = Barrier::new(4);
        let results: Vec<(Vec<u64>, TraceReport, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        let (r, logs) = logged(|| record(g, root, CacheMode::ReadWrite));
                        let (t, rep) = r.unwrap();
                        (expectations(&t), rep, logs)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (e, rep, logs) in &results {
            assert_eq!(e, reference_a(), "round {round}");
            assert_eq!(rep.subproblems, s);
            assert_eq!(rep.loaded + rep.recorded, s, "round {round}: {rep:?}");
            assert!(rep.published <= rep.recorded, "round {round}: {rep:?}");
            assert!(logs.is_empty(), "round {round}: {logs}");
        }
        let published: usize = results.iter().map(|r| r.1.published).sum();
        assert_eq!(
            published, s,
            "round {round}: every entry is created exactly once"
        );

        let store = TraceStore::new(root);
        let want: BTreeSet<PathBuf> = keys
            .iter()
            .map(|k| store.path_of(k))
            .chain([store.dir().join("stats")])
            .collect();
        assert_eq!(files_under(store.dir()), want, "round {round}: stray files");
        let st = store.stats().unwrap();
        assert_eq!(st.entries, s as u64);
        assert_eq!(
            st.counters.unwrap().hits + st.counters.unwrap().misses,
            4 * s as u64,
            "round {round}: counters lost an update"
        );
        assert_eq!(st.counters.unwrap().corrupt, 0);
        assert_eq!(verified(&store), (s as u64, vec![]));
        let (_, again) = record(g, root, CacheMode::ReadWrite).unwrap();
        assert_eq!(again, report(s, s, 0, 0));
    }
}

/// Four threads finding the same bad entry at once: all succeed with the
/// right values, one valid entry remains, no temporary files.
#[test]
fn concurrent_records_over_a_bad_entry() {
    let g = graph_a();
    let keys = keys_of(g);
    let s = keys.len();
    for round in 0..5 {
        let (dir, valid) = populated();
        let root = dir.path();
        let store = TraceStore::new(root);
        let path = store.path_of(&keys[0]);
        fs::write(&path, &valid[..valid.len() - 3]).unwrap();
        let barrier = Barrier::new(4);
        let results: Vec<(Vec<u64>, TraceReport)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        let (t, rep) = record(g, root, CacheMode::ReadWrite).unwrap();
                        (expectations(&t), rep)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (e, rep) in &results {
            assert_eq!(e, reference_a(), "round {round}");
            assert_eq!(rep.loaded + rep.recorded, s, "round {round}: {rep:?}");
        }
        assert_eq!(fs::read(&path).unwrap(), valid, "round {round}");
        let shards: BTreeSet<PathBuf> = files_under(store.dir())
            .into_iter()
            .filter(|p| !p.starts_with(store.dir().join("quarantine")))
            .collect();
        let want: BTreeSet<PathBuf> = keys
            .iter()
            .map(|k| store.path_of(k))
            .chain([store.dir().join("stats")])
            .collect();
        assert_eq!(shards, want, "round {round}: stray files");
        assert!(quarantined(&store) >= 1);
        let (_, again) = record(g, root, CacheMode::ReadWrite).unwrap();
        assert_eq!(again, report(s, s, 0, 0));
    }
}

// ------------------------------------------------------------------ 5. reasons by variant

/// Plants `bytes` in place of the first entry of a populated root; returns
/// the root, the store and the entry's path.
fn planted(bytes: &[u8]) -> (tempfile::TempDir, TraceStore, PathBuf) {
    let (dir, _) = populated();
    let store = TraceStore::new(dir.path());
    let path = store.path_of(&keys_of(graph_a())[0]);
    fs::write(&path, bytes).unwrap();
    (dir, store, path)
}

/// The defect `load` reports for `bytes` in place of the first entry; the
/// entry is moved aside.
fn load_defect(bytes: &[u8]) -> Defect {
    let (_dir, store, path) = planted(bytes);
    let (lookup, logs) = logged(|| store.load(&keys_of(graph_a())[0]));
    match lookup {
        Lookup::Bad { path: p, reason } => {
            assert_eq!(p, path);
            assert!(
                logs.contains(&reason.to_string()),
                "the warning does not give the reason `{reason}`: {logs}"
            );
            assert_eq!(quarantined(&store), 1, "{reason}: not moved aside");
            reason
        }
        other => panic!("not bad: {other:?}"),
    }
}

#[test]
fn quarantine_reasons_are_the_failed_checks() {
    let valid = valid_entry();
    let n = valid.len() as u64;
    let payload = n - HEADER as u64;

    let mut b = valid.to_vec();
    b[HEADER + 5] ^= 1 << 1;
    let d = load_defect(&b);
    assert_eq!(d, Defect::Checksum);
    assert_eq!(d.to_string(), "payload checksum mismatch");

    let d = load_defect(&valid[..valid.len() - 1]);
    assert_eq!(
        d,
        Defect::PayloadLength {
            actual: payload - 1,
            header: payload
        }
    );
    assert!(d.to_string().contains("the header says"), "{d}");
    assert_eq!(
        load_defect(&[valid, &[0][..]].concat()),
        Defect::PayloadLength {
            actual: payload + 1,
            header: payload
        }
    );
    assert_eq!(
        load_defect(&valid[..10]),
        Defect::TooShort { len: 10 },
        "shorter than the header"
    );

    let mut b = valid.to_vec();
    b[..8].copy_from_slice(b"PHASICG\x01");
    assert_eq!(load_defect(&b), Defect::Magic);
    let mut b = valid.to_vec();
    b[8] ^= 2;
    assert_eq!(
        load_defect(&b),
        Defect::HeaderVersion {
            found: 3,
            expected: 1
        }
    );
    let mut b = valid.to_vec();
    b[12] ^= 1;
    assert!(matches!(load_defect(&b), Defect::Flags { found, expected } if found ^ expected == 1));
    let mut b = valid.to_vec();
    b[20] ^= 1;
    assert_eq!(load_defect(&b), Defect::KeyMismatch);
}

#[test]
fn quarantine_reasons_of_things_that_are_not_entries() {
    let (_dir, store, path) = planted(b"");
    let key = keys_of(graph_a())[0];
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    assert!(matches!(
        store.peek(&key),
        Lookup::Bad {
            reason: Defect::NotRegularFile,
            ..
        }
    ));
    fs::remove_dir(&path).unwrap();
    std::os::unix::fs::symlink(path.with_extension("nowhere"), &path).unwrap();
    match store.peek(&key) {
        Lookup::Bad {
            reason: Defect::CannotOpen { kind, ref message },
            ..
        } => {
            assert_eq!(kind, std::io::ErrorKind::NotFound);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

/// A valid entry holding the trace of another subproblem passes every
/// check of the file and is rejected by the lookup; `Required` gives the
/// defect in its error.
#[test]
fn the_trace_of_another_subproblem_is_rejected_by_variant() {
    let plan = Trace::plan(graph_a(), OPTS).unwrap();
    let other = ComponentTrace::record(&plan.subproblems()[1]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = TraceStore::new(dir.path());
    assert!(store.publish(&plan.keys()[0], &other, false).unwrap());
    let path = store.path_of(&plan.keys()[0]);
    assert!(matches!(store.peek(&plan.keys()[0]), Lookup::Hit(_)));
    let (r, logs) = logged(|| record(graph_a(), dir.path(), CacheMode::Required));
    match r {
        Err(Error::Required(inner)) => match *inner {
            Error::BadEntry { path: p, reason } => {
                assert_eq!(p, path);
                assert_eq!(reason, Defect::OtherSubproblem);
            }
            other => panic!("{other}"),
        },
        other => panic!("{:?}", other.map(|x| x.1)),
    }
    assert!(
        logs.contains("the trace does not belong to its subproblem"),
        "{logs}"
    );
    assert_eq!(quarantined(&store), 1);
}

/// `verify` gives each bad entry's defect, and why it was left in place
/// when it could not be moved aside (`quarantine` is a link).
#[test]
fn verify_reports_defects_and_entries_left_in_place() {
    let valid = valid_entry();
    let mut b = valid.to_vec();
    b[HEADER + 17] ^= 1 << 4;
    let (dir, store, path) = planted(&b);
    let s = keys_of(graph_a()).len() as u64;
    let (good, bad) = verified(&store);
    assert_eq!(good, s - 1);
    assert_eq!(bad.len(), 1);
    let (p, r): &(PathBuf, Rejection) = &bad[0];
    assert_eq!(p, &path);
    assert_eq!((&r.defect, &r.left_in_place), (&Defect::Checksum, &None));
    assert_eq!(r.to_string(), "payload checksum mismatch");
    assert_eq!(quarantined(&store), 1);

    // `quarantine` is a link: the bad entry stays where it is
    fs::remove_dir_all(store.dir().join("quarantine")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), store.dir().join("quarantine")).unwrap();
    fs::write(&path, &valid[..valid.len() / 2]).unwrap();
    let (good, bad) = verified(&store);
    assert_eq!(good, s - 1);
    assert_eq!(bad.len(), 1);
    let (p, r) = &bad[0];
    assert_eq!(p, &path);
    assert!(
        matches!(r.defect, Defect::PayloadLength { actual, header } if actual < header),
        "{r:?}"
    );
    let why = r.left_in_place.as_deref().expect("not left in place");
    assert!(why.contains("symbolic link"), "{why}");
    assert_eq!(r.to_string(), format!("{}; left in place: {why}", r.defect));
    assert!(path.is_file(), "moved through a link");
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    drop(dir);
}

/// What `verify` found, as (good, bad); no entry here is unreadable.
fn verified<K: phasic_cache::Kind>(
    store: &phasic_cache::Store<K>,
) -> (u64, Vec<(std::path::PathBuf, phasic_cache::Rejection)>) {
    let v = store.verify().unwrap();
    assert!(v.denied.is_empty(), "{:?}", v.denied);
    (v.good, v.bad)
}
