//! The graph cache through the facade (`phasic::cache`, `phasic::models`):
//! every kind of bad entry (issue 4, "Behaviour" and "Tests"), hits that
//! are bit-identical to fresh builds, unusable roots, the cache modes, and
//! the maintenance operations of `GraphStore`.
//!
//! Each bad-entry case is planted in place of a valid entry; then
//! `build_graph` in `ReadWrite` must return a correct graph (status
//! `Miss`), log a `tracing` warning naming the file and the failed check,
//! move the bad file to `graphs/quarantine/`, publish a valid entry, and
//! serve the next build as a `Hit`; in `Required` the same entry must give
//! an `Err`.

#[path = "support/verified.rs"]
mod verified;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use verified::verified;

use phasic::Callback;
use phasic::cache::{
    CacheMode, CacheOptions, CacheStatus, Cached, CachedGraph, Defect, Error, GraphStore,
    MappedGraph, build_graph,
};
use phasic::models::{block_counting, kingman, kingman_theta};
use phasic::prelude::{Graph, GraphView, Method, PhaseType};

/// Block-counting with this many samples (22 vertices): small and quick.
const N: i32 = 8;
const HEADER: usize = 64;

// ---------------------------------------------------------------- helpers

#[path = "support/logs.rs"]
mod logs;
use logs::logged;
use phasic::prelude::PhaseTypeDistribution;

fn opts(root: &Path, mode: CacheMode) -> CacheOptions {
    CacheOptions {
        mode,
        root: Some(root.to_path_buf()),
    }
}

fn build(root: &Path, mode: CacheMode) -> (phasic::cache::Result<Cached>, String) {
    logged(|| build_graph(block_counting, N, &opts(root, mode)))
}

fn build_ok(root: &Path, mode: CacheMode) -> (Cached, String) {
    let (r, logs) = build(root, mode);
    let c = r.unwrap_or_else(|e| panic!("build_graph({mode:?}) failed: {e}\nlogs: {logs}"));
    (c, logs)
}

fn entry_path(root: &Path, n: i32) -> PathBuf {
    GraphStore::new(root).path_of(&block_counting.key(&n))
}

fn quarantine(root: &Path) -> PathBuf {
    GraphStore::new(root).dir().join("quarantine")
}

fn quarantined(root: &Path) -> Vec<PathBuf> {
    match fs::read_dir(quarantine(root)) {
        Ok(d) => {
            let mut v: Vec<PathBuf> = d.map(|e| e.unwrap().path()).collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

fn stats(root: &Path) -> phasic::cache::Stats {
    GraphStore::new(root).stats().unwrap()
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Every array and every derived value of `g` is bit-identical to `fresh`.
fn assert_same<G: GraphView + ?Sized>(g: &G, fresh: &Graph, what: &str) {
    assert_arrays(g, fresh, what);
    assert_values(g, fresh, what);
}

/// Every array of `g` is bit-identical to `fresh`.
fn assert_arrays<G: GraphView + ?Sized>(g: &G, fresh: &Graph, what: &str) {
    assert_eq!(g.state_len(), fresh.state_len(), "{what}: state_len");
    assert_eq!(g.param_dim(), fresh.param_dim(), "{what}: param_dim");
    assert_eq!(g.states(), fresh.states(), "{what}: states");
    assert_eq!(g.offsets(), fresh.offsets(), "{what}: offsets");
    assert_eq!(g.targets(), fresh.targets(), "{what}: targets");
    assert_eq!(bits(g.weights()), bits(fresh.weights()), "{what}: weights");
    assert_eq!(
        bits(g.base_weights()),
        bits(fresh.base_weights()),
        "{what}: base weights"
    );
    assert_eq!(
        bits(g.coefficients()),
        bits(fresh.coefficients()),
        "{what}: coefficients"
    );
}

/// Expectation, moments, pdf and cdf of `g` are bit-identical to `fresh`'s.
fn assert_values<G: GraphView + ?Sized>(g: &G, fresh: &Graph, what: &str) {
    let a = PhaseType::new(g).unwrap();
    let b = PhaseType::new(fresh).unwrap();
    assert_eq!(
        a.expectation(None).unwrap().to_bits(),
        b.expectation(None).unwrap().to_bits(),
        "{what}: expectation"
    );
    assert_eq!(
        bits(&a.moments(4, None).unwrap()),
        bits(&b.moments(4, None).unwrap()),
        "{what}: moments"
    );
    let times = [0.05, 0.5, 1.0, 2.5];
    let (pa, ca) = a.pdf_cdf(&times, Method::default()).unwrap();
    let (pb, cb) = b.pdf_cdf(&times, Method::default()).unwrap();
    assert_eq!(bits(&pa), bits(&pb), "{what}: pdf");
    assert_eq!(bits(&ca), bits(&cb), "{what}: cdf");
}

fn fresh() -> Graph {
    Graph::from_callback(block_counting, N).unwrap()
}

/// The bytes of a valid entry of block_counting(n) (built in a scratch root).
fn entry_bytes(n: i32) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let c = build_graph(block_counting, n, &opts(dir.path(), CacheMode::ReadWrite)).unwrap();
    assert_eq!(c.status, CacheStatus::Miss);
    fs::read(entry_path(dir.path(), n)).unwrap()
}

/// Replaces whatever is at `path` by a regular file holding `bytes`.
fn overwrite(path: &Path, bytes: &[u8]) {
    let _ = fs::remove_file(path);
    fs::write(path, bytes).unwrap();
}

fn flipped(valid: &[u8], byte: usize, bit: u32) -> Vec<u8> {
    let mut b = valid.to_vec();
    b[byte] ^= 1 << bit;
    b
}

fn with_u32(valid: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = valid.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b
}

/// How a case spoils the entry at `path` (whose valid bytes are given).
type Spoil = Box<dyn Fn(&Path, &[u8])>;

struct Case {
    name: String,
    /// A part of the reason the warning and the error must give.
    reason: &'static str,
    spoil: Spoil,
}

fn bytes_case(name: String, reason: &'static str, f: impl Fn(&[u8]) -> Vec<u8> + 'static) -> Case {
    Case {
        name,
        reason,
        spoil: Box::new(move |path, valid| overwrite(path, &f(valid))),
    }
}

/// What is in the entry's place, for comparing the quarantined item.
#[derive(Debug, PartialEq)]
enum Thing {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
    /// A FIFO, socket or device (never opened here).
    Special,
}

fn thing(path: &Path) -> Thing {
    let meta = fs::symlink_metadata(path).unwrap();
    if meta.file_type().is_symlink() {
        Thing::Link(fs::read_link(path).unwrap())
    } else if meta.is_dir() {
        Thing::Dir
    } else if meta.is_file() {
        Thing::File(fs::read(path).unwrap())
    } else {
        Thing::Special
    }
}

/// The whole protocol of one bad-entry case, in `ReadWrite` and in `Required`.
fn check_case(case: &Case) {
    let name = &case.name;
    let fresh = fresh();

    // ReadWrite: warning, quarantine, rebuild, re-publish, then a hit.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (first, _) = build_ok(root, CacheMode::ReadWrite);
    assert_eq!(first.status, CacheStatus::Miss, "{name}: first build");
    let path = entry_path(root, N);
    let valid = fs::read(&path).unwrap();
    (case.spoil)(&path, &valid);
    let planted = thing(&path);

    let (c, logs) = build_ok(root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Miss, "{name}: status");
    assert!(
        matches!(c.graph, CachedGraph::Built(_)),
        "{name}: not rebuilt"
    );
    assert_same(&c.graph, &fresh, name);
    assert!(
        logs.contains("WARN") && logs.contains("bad cache entry"),
        "{name}: no warning: {logs:?}"
    );
    assert!(
        logs.contains(&path.display().to_string()),
        "{name}: the warning does not name {}: {logs:?}",
        path.display()
    );
    assert!(
        logs.contains(case.reason),
        "{name}: the warning does not give the reason `{}`: {logs:?}",
        case.reason
    );
    let q = quarantined(root);
    assert_eq!(q.len(), 1, "{name}: quarantine holds {q:?}");
    let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
    let q_name = q[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        q_name.starts_with(&format!("{file_name}.")),
        "{name}: quarantined as {q_name}"
    );
    assert_eq!(
        thing(&q[0]),
        planted,
        "{name}: the bad entry was not moved intact"
    );
    let meta = fs::symlink_metadata(&path).expect("no entry re-published");
    assert!(
        meta.is_file(),
        "{name}: the new entry is not a regular file"
    );
    assert_eq!(fs::read(&path).unwrap(), valid, "{name}: new entry differs");
    MappedGraph::open(&path, block_counting.key(&N).0).expect("the new entry is invalid");
    let s = stats(root);
    assert_eq!(
        (
            s.entries,
            s.counters.unwrap().hits,
            s.counters.unwrap().misses,
            s.counters.unwrap().corrupt
        ),
        (1, 0, 2, 1),
        "{name}: stats {s:?}"
    );

    let (again, logs) = build_ok(root, CacheMode::ReadWrite);
    assert_eq!(again.status, CacheStatus::Hit, "{name}: next build");
    assert!(matches!(again.graph, CachedGraph::Mapped(_)));
    assert_same(&again.graph, &fresh, name);
    assert!(!logs.contains("WARN"), "{name}: warning on the hit: {logs}");
    assert_eq!(
        stats(root).counters.unwrap().hits,
        1,
        "{name}: hit not counted"
    );
    drop(dir);

    // Required: the same bad entry is an error (and is still moved aside).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build_ok(root, CacheMode::ReadWrite);
    (case.spoil)(&path_in(root), &valid);
    let (r, logs) = build(root, CacheMode::Required);
    match r {
        Err(Error::Required(inner)) => match *inner {
            Error::BadEntry {
                path: ref p,
                ref reason,
            } => {
                assert_eq!(p, &path_in(root), "{name}: error path");
                assert!(
                    reason.to_string().contains(case.reason),
                    "{name}: Required error reason {reason:?}"
                );
            }
            other => panic!("{name}: Required gave {other}"),
        },
        Err(e) => panic!("{name}: Required gave {e}"),
        Ok(c) => panic!("{name}: Required accepted the bad entry ({:?})", c.status),
    }
    assert!(
        logs.contains("bad cache entry"),
        "{name}: no warning in Required"
    );
    assert!(
        fs::symlink_metadata(path_in(root)).is_err(),
        "{name}: the bad entry is still in place after Required"
    );
    assert_eq!(quarantined(root).len(), 1, "{name}: Required quarantine");
    // and the next Required build recovers
    let (c, _) = build_ok(root, CacheMode::Required);
    assert_eq!(c.status, CacheStatus::Miss, "{name}: Required rebuild");
    assert_same(&c.graph, &fresh, name);
    let (c, _) = build_ok(root, CacheMode::Required);
    assert_eq!(c.status, CacheStatus::Hit, "{name}: Required hit");
}

fn path_in(root: &Path) -> PathBuf {
    entry_path(root, N)
}

fn run_cases(cases: &[Case]) {
    for case in cases {
        check_case(case);
    }
    eprintln!("{} cases passed", cases.len());
}

fn payload_len() -> usize {
    entry_bytes(N).len() - HEADER
}

// ---------------------------------------------------------------- bad entries

#[test]
fn truncated_entries_are_rebuilt() {
    let p = payload_len();
    let full = HEADER + p;
    let mut cases = vec![bytes_case(
        "zero length".into(),
        "0 bytes, shorter than the 64-byte header",
        |_| Vec::new(),
    )];
    for len in [1, 8, 16, 47, 63] {
        cases.push(bytes_case(
            format!("truncated to {len} bytes (inside the header)"),
            "shorter than the 64-byte header",
            move |v| v[..len].to_vec(),
        ));
    }
    for len in [
        HEADER,
        HEADER + 1,
        HEADER + 16,
        HEADER + p / 2,
        full - 8,
        full - 1,
    ] {
        cases.push(bytes_case(
            format!("truncated to {len} of {full} bytes (inside the payload)"),
            "the header says",
            move |v| v[..len].to_vec(),
        ));
    }
    cases.push(bytes_case(
        "one byte appended".into(),
        "the header says",
        |v| [v, &[0u8][..]].concat(),
    ));
    run_cases(&cases);
}

#[test]
fn header_bit_flips_are_rebuilt() {
    let mut cases = Vec::new();
    let fields: [(&[usize], &'static str); 6] = [
        (&[0, 3, 7], "wrong magic"),
        (&[8, 11], "header version"),
        (&[12, 13, 15], "format flags"),
        (&[16, 31, 47], "the key in the header is not the key"),
        (&[48, 55], "the header says"),
        (&[56, 60, 63], "payload checksum mismatch"),
    ];
    for (bytes, reason) in fields {
        for &byte in bytes {
            for bit in [0, 7] {
                cases.push(bytes_case(
                    format!("header bit {bit} of byte {byte} flipped"),
                    reason,
                    move |v| flipped(v, byte, bit),
                ));
            }
        }
    }
    run_cases(&cases);
}

#[test]
fn payload_bit_flips_are_rebuilt() {
    let p = payload_len();
    let mut cases = Vec::new();
    for at in [0, 1, 8, p / 3, p / 2, p - 9, p - 1] {
        for bit in [0, 3, 7] {
            cases.push(bytes_case(
                format!("payload bit {bit} of byte {at} flipped"),
                "payload checksum mismatch",
                move |v| flipped(v, HEADER + at, bit),
            ));
        }
    }
    run_cases(&cases);
}

#[test]
fn wrong_magic_version_and_flags_are_rebuilt() {
    let flags = u32::from_le_bytes(entry_bytes(N)[12..16].try_into().unwrap());
    let mut cases = Vec::new();
    for magic in [
        *b"PHASICT\x01",
        *b"PHASICG\x02",
        *b"\x7fELF\x02\x01\x01\x00",
        [0; 8],
    ] {
        cases.push(bytes_case(
            format!("magic {magic:?}"),
            "wrong magic",
            move |v| {
                let mut b = v.to_vec();
                b[..8].copy_from_slice(&magic);
                b
            },
        ));
    }
    for version in [0, 2, u32::MAX] {
        cases.push(bytes_case(
            format!("header version {version}"),
            "header version",
            move |v| with_u32(v, 8, version),
        ));
    }
    let other_flags = [
        ("another GRAPH_FORMAT_VERSION", flags.wrapping_add(1 << 24)),
        ("another rkyv minor version", (flags & !0xff00) | (7 << 8)),
        ("big-endian", flags & !1),
        ("unaligned primitives", flags & !2),
        ("an unknown flag", flags | 1 << 4),
    ];
    for (what, f) in other_flags {
        assert_ne!(f, flags);
        cases.push(bytes_case(
            format!("flags: {what}"),
            "format flags",
            move |v| with_u32(v, 12, f),
        ));
    }
    run_cases(&cases);
}

#[test]
fn an_entry_of_another_key_is_rebuilt() {
    let other = entry_bytes(N + 1);
    let kingman_entry = {
        let dir = tempfile::tempdir().unwrap();
        build_graph(kingman, N, &opts(dir.path(), CacheMode::ReadWrite)).unwrap();
        fs::read(GraphStore::new(dir.path()).path_of(&kingman.key(&N))).unwrap()
    };
    run_cases(&[
        bytes_case(
            "entry of block_counting(n + 1) in this key's place".into(),
            "the key in the header is not the key",
            move |_| other.clone(),
        ),
        bytes_case(
            "entry of kingman(n) in this key's place".into(),
            "the key in the header is not the key",
            move |_| kingman_entry.clone(),
        ),
    ]);
}

#[test]
fn a_directory_in_the_entrys_place_is_rebuilt() {
    run_cases(&[
        Case {
            name: "empty directory".into(),
            reason: "not a regular file",
            spoil: Box::new(|path, _| {
                fs::remove_file(path).unwrap();
                fs::create_dir(path).unwrap();
            }),
        },
        Case {
            name: "directory holding a copy of the entry".into(),
            reason: "not a regular file",
            spoil: Box::new(|path, valid| {
                fs::remove_file(path).unwrap();
                fs::create_dir(path).unwrap();
                fs::write(path.join("inner.graph"), valid).unwrap();
            }),
        },
    ]);
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_in_the_entrys_place_is_rebuilt() {
    run_cases(&[
        Case {
            name: "dangling symlink".into(),
            reason: "cannot open",
            spoil: Box::new(|path, _| {
                fs::remove_file(path).unwrap();
                std::os::unix::fs::symlink(path.with_extension("nowhere"), path).unwrap();
            }),
        },
        Case {
            name: "symlink loop".into(),
            reason: "cannot open",
            spoil: Box::new(|path, _| {
                fs::remove_file(path).unwrap();
                std::os::unix::fs::symlink(path, path).unwrap();
            }),
        },
        Case {
            name: "symlink to a directory".into(),
            reason: "not a regular file",
            spoil: Box::new(|path, _| {
                fs::remove_file(path).unwrap();
                std::os::unix::fs::symlink(path.parent().unwrap(), path).unwrap();
            }),
        },
    ]);
}

/// A FIFO in the entry's place: opening it for reading would block until
/// a writer appears, so the build must not open it at all (it is not a
/// regular file). Run on a thread with a deadline so a hang fails the test.
#[cfg(unix)]
#[test]
fn a_fifo_in_the_entrys_place_does_not_hang() {
    let ok = std::process::Command::new("mkfifo")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: no mkfifo command");
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        check_case(&Case {
            name: "fifo".into(),
            reason: "not a regular file",
            spoil: Box::new(|path, _| {
                fs::remove_file(path).unwrap();
                let st = std::process::Command::new("mkfifo")
                    .arg(path)
                    .status()
                    .unwrap();
                assert!(st.success());
            }),
        });
        tx.send(()).unwrap();
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("build_graph hangs on a FIFO in the entry's place")
        }
        Err(e) => panic!("the FIFO case failed: {e}"),
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_entry_is_rebuilt() {
    use std::os::unix::fs::PermissionsExt;
    // Can this process read a file with mode 000? (It can as root.)
    let probe_dir = tempfile::tempdir().unwrap();
    let probe = probe_dir.path().join("probe");
    fs::write(&probe, b"x").unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(&probe).is_ok() {
        eprintln!(
            "SKIPPED: no-read-permission case: a mode-000 file is still readable \
             (running as root / with CAP_DAC_OVERRIDE)"
        );
        return;
    }
    run_cases(&[Case {
        name: "mode 000".into(),
        reason: "cannot open",
        spoil: Box::new(|path, _| {
            fs::set_permissions(path, fs::Permissions::from_mode(0o000)).unwrap();
        }),
    }]);
}

/// When `graphs/quarantine` cannot be created, the bad entry is removed instead.
#[test]
fn a_bad_entry_is_removed_when_it_cannot_be_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build_ok(root, CacheMode::ReadWrite);
    let path = path_in(root);
    let valid = fs::read(&path).unwrap();
    fs::write(quarantine(root), b"a file where the quarantine folder goes").unwrap();
    overwrite(&path, &flipped(&valid, HEADER + 5, 2));
    let (c, logs) = build_ok(root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Miss);
    assert_same(&c.graph, &fresh(), "quarantine is a file");
    assert!(logs.contains("bad cache entry"), "{logs}");
    assert!(
        logs.contains("bad cache entry removed (it could not be moved aside); it is rebuilt"),
        "{logs}"
    );
    assert_eq!(fs::read(&path).unwrap(), valid);
    let (c, _) = build_ok(root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Hit);
}

// ---------------------------------------------------------------- hits

#[test]
fn hits_are_bit_identical_to_fresh_builds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for n in [2, 5, 10] {
        let fresh = Graph::from_callback(block_counting, n).unwrap();
        let o = opts(root, CacheMode::ReadWrite);
        let miss = build_graph(block_counting, n, &o).unwrap();
        assert_eq!(miss.status, CacheStatus::Miss);
        assert_same(&miss.graph, &fresh, "miss");
        let hit = build_graph(block_counting, n, &o).unwrap();
        assert_eq!(hit.status, CacheStatus::Hit);
        assert!(matches!(hit.graph, CachedGraph::Mapped(_)));
        assert_same(&hit.graph, &fresh, &format!("block_counting({n}) hit"));
        // SFS rewards through the mapped graph
        let (a, b) = (
            PhaseType::new(&hit.graph).unwrap(),
            PhaseType::new(&fresh).unwrap(),
        );
        for i in 0..fresh.state_len() {
            let r: Vec<f64> = (0..fresh.vertex_count())
                .map(|v| f64::from(fresh.state(v)[i]))
                .collect();
            assert_eq!(
                a.expectation(Some(&r)).unwrap().to_bits(),
                b.expectation(Some(&r)).unwrap().to_bits()
            );
        }
        // an owned copy of the mapped graph is the same graph
        let owned = hit.graph.into_graph().unwrap();
        assert_same(&owned, &fresh, "into_graph");
    }
}

#[test]
fn parameterized_hits_are_bit_identical_and_reweightable() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), CacheMode::ReadWrite);
    let fresh = Graph::from_callback(kingman_theta, 7).unwrap();
    assert_eq!(fresh.param_dim(), 1);
    assert_eq!(
        build_graph(kingman_theta, 7, &o).unwrap().status,
        CacheStatus::Miss
    );
    let hit = build_graph(kingman_theta, 7, &o).unwrap();
    assert_eq!(hit.status, CacheStatus::Hit);
    // θ-graphs start with their base weights (zero here): arrays only
    assert_arrays(&hit.graph, &fresh, "kingman_theta hit");
    let mut owned = hit.graph.into_graph().unwrap();
    let mut f = fresh.clone();
    for theta in [0.25, 1.0, 3.5] {
        owned.update_weights(&[theta]).unwrap();
        f.update_weights(&[theta]).unwrap();
        assert_same(&owned, &f, &format!("kingman_theta at θ = {theta}"));
    }
}

// ---------------------------------------------------------------- roots

#[test]
fn an_unwritable_root_never_stops_a_build_unless_required() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-regular-file");
    fs::write(&file, b"not a directory").unwrap();
    // create_dir fails under a regular file, even as root
    let root = file.join("cache");
    let fresh = fresh();
    for mode in [
        CacheMode::ReadWrite,
        CacheMode::Refresh,
        CacheMode::ReadOnly,
    ] {
        for round in 0..2 {
            let (c, logs) = build_ok(&root, mode);
            assert_eq!(c.status, CacheStatus::Miss, "{mode:?} round {round}");
            assert_same(&c.graph, &fresh, "unwritable root");
            if mode != CacheMode::ReadOnly {
                assert!(
                    logs.contains("WARN") && logs.contains("graph cache unusable"),
                    "{mode:?}: no warning: {logs}"
                );
            }
        }
    }
    let (r, _) = build(&root, CacheMode::Required);
    assert!(
        matches!(r, Err(Error::Required(_))),
        "Required with an unwritable root: {:?}",
        r.map(|c| c.status)
    );
    assert_eq!(fs::read(&file).unwrap(), b"not a directory");
    // Off does not look at the root at all
    let (c, logs) = build_ok(&root, CacheMode::Off);
    assert_eq!(c.status, CacheStatus::Off);
    assert!(logs.is_empty(), "{logs}");
}

#[test]
fn a_missing_root_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("does/not/exist/yet");
    let (c, logs) = build_ok(&root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Miss);
    assert!(!logs.contains("WARN"), "{logs}");
    assert!(path_in(&root).is_file());
    let (c, _) = build_ok(&root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Hit);
    // Required is also content with a missing root
    let root2 = dir.path().join("another/missing/root");
    let (c, _) = build_ok(&root2, CacheMode::Required);
    assert_eq!(c.status, CacheStatus::Miss);
    let (c, _) = build_ok(&root2, CacheMode::Required);
    assert_eq!(c.status, CacheStatus::Hit);
}

// ---------------------------------------------------------------- modes

/// A short fingerprint of file contents (length and hash).
fn fingerprint(b: &[u8]) -> (usize, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    (b.len(), h.finish())
}

/// Every path under `dir` with a fingerprint of its contents (None for directories).
fn tree(dir: &Path) -> Vec<(PathBuf, Option<(usize, u64)>)> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        let meta = fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            out.push((p.clone(), None));
            out.extend(tree(&p));
        } else {
            out.push((
                p.clone(),
                Some(fingerprint(&fs::read(&p).unwrap_or_default())),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn read_only_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    // a missing root stays missing
    let root = dir.path().join("root");
    let (c, _) = build_ok(&root, CacheMode::ReadOnly);
    assert_eq!(c.status, CacheStatus::Miss);
    assert_same(&c.graph, &fresh(), "read-only miss");
    assert!(!root.exists(), "read-only created the root");
    // an empty root stays empty
    fs::create_dir(&root).unwrap();
    let (c, _) = build_ok(&root, CacheMode::ReadOnly);
    assert_eq!(c.status, CacheStatus::Miss);
    assert!(tree(&root).is_empty(), "read-only wrote {:?}", tree(&root));
    // a hit changes nothing either (not even the counters)
    build_ok(&root, CacheMode::ReadWrite);
    let before = tree(&root);
    let (c, _) = build_ok(&root, CacheMode::ReadOnly);
    assert_eq!(c.status, CacheStatus::Hit);
    assert_same(&c.graph, &fresh(), "read-only hit");
    assert_eq!(tree(&root), before, "read-only changed the cache on a hit");
}

/// `ReadOnly` "uses entries, never writes": a bad entry is reported and
/// the graph rebuilt, but the cache folder is left exactly as it was (no
/// move to quarantine, no counters).
#[test]
fn read_only_leaves_a_bad_entry_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build_ok(root, CacheMode::ReadWrite);
    let path = path_in(root);
    let valid = fs::read(&path).unwrap();
    overwrite(&path, &flipped(&valid, HEADER + 3, 1));
    let before = tree(root);
    let (c, logs) = build_ok(root, CacheMode::ReadOnly);
    assert_eq!(c.status, CacheStatus::Miss);
    assert_same(&c.graph, &fresh(), "read-only with a bad entry");
    assert!(
        logs.contains("WARN") && logs.contains(&path.display().to_string()),
        "read-only: no warning naming the bad entry: {logs}"
    );
    assert_eq!(
        tree(root),
        before,
        "read-only modified the cache folder when it met a bad entry"
    );
}

#[cfg(unix)]
#[test]
fn refresh_rebuilds_and_replaces() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build_ok(root, CacheMode::ReadWrite);
    let path = path_in(root);
    let valid = fs::read(&path).unwrap();
    let ino = fs::metadata(&path).unwrap().ino();
    let (c, _) = build_ok(root, CacheMode::Refresh);
    assert_eq!(c.status, CacheStatus::Miss);
    assert!(matches!(c.graph, CachedGraph::Built(_)));
    assert_same(&c.graph, &fresh(), "refresh");
    assert_ne!(
        fs::metadata(&path).unwrap().ino(),
        ino,
        "refresh did not replace the entry"
    );
    assert_eq!(fs::read(&path).unwrap(), valid);
    // refresh over a bad entry replaces it without reading it
    overwrite(&path, b"garbage");
    let (c, logs) = build_ok(root, CacheMode::Refresh);
    assert_eq!(c.status, CacheStatus::Miss);
    assert!(!logs.contains("WARN"), "{logs}");
    assert_eq!(fs::read(&path).unwrap(), valid);
    let (c, _) = build_ok(root, CacheMode::ReadWrite);
    assert_eq!(c.status, CacheStatus::Hit);
    // no temporary files are left behind
    let shard: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(shard, [path.file_name().unwrap()], "{shard:?}");
    let s = stats(root);
    assert_eq!(
        (s.counters.unwrap().misses, s.counters.unwrap().hits),
        (3, 1),
        "{s:?}"
    );
}

#[test]
fn off_never_touches_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let (c, logs) = build_ok(&missing, CacheMode::Off);
    assert_eq!(c.status, CacheStatus::Off);
    assert!(logs.is_empty(), "{logs}");
    assert_same(&c.graph, &fresh(), "off");
    assert!(!missing.exists());
    // a cache with an entry (valid, then bad) is neither read nor changed
    let root = dir.path().join("root");
    build_ok(&root, CacheMode::ReadWrite);
    let before = tree(&root);
    let (c, _) = build_ok(&root, CacheMode::Off);
    assert_eq!(c.status, CacheStatus::Off);
    assert!(matches!(c.graph, CachedGraph::Built(_)));
    assert_eq!(tree(&root), before);
    overwrite(&path_in(&root), b"bad");
    let before = tree(&root);
    let (c, logs) = build_ok(&root, CacheMode::Off);
    assert_eq!(c.status, CacheStatus::Off);
    assert!(logs.is_empty(), "{logs}");
    assert_eq!(tree(&root), before);
}

// ---------------------------------------------------------------- maintenance

#[test]
fn stats_count_entries_hits_misses_and_corrupt_entries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = GraphStore::new(root);
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.bytes), (0, 0));
    assert_eq!(
        (
            s.counters.unwrap().hits,
            s.counters.unwrap().misses,
            s.counters.unwrap().corrupt
        ),
        (0, 0, 0)
    );
    let o = opts(root, CacheMode::ReadWrite);
    for n in [4, 5, 6] {
        assert_eq!(
            build_graph(block_counting, n, &o).unwrap().status,
            CacheStatus::Miss
        );
    }
    for _ in 0..4 {
        assert_eq!(
            build_graph(block_counting, 5, &o).unwrap().status,
            CacheStatus::Hit
        );
    }
    let bytes: u64 = [4, 5, 6]
        .iter()
        .map(|&n| fs::metadata(entry_path(root, n)).unwrap().len())
        .sum();
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.bytes), (3, bytes), "{s:?}");
    assert_eq!(
        (
            s.counters.unwrap().hits,
            s.counters.unwrap().misses,
            s.counters.unwrap().corrupt
        ),
        (4, 3, 0)
    );
    // a bad entry: corrupt + miss; the quarantined file is not an entry
    let p = entry_path(root, 6);
    let mut b = fs::read(&p).unwrap();
    b[HEADER + 1] ^= 0x10;
    overwrite(&p, &b);
    let (c, _) = logged(|| build_graph(block_counting, 6, &o).unwrap());
    assert_eq!(c.status, CacheStatus::Miss);
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.bytes), (3, bytes), "{s:?}");
    assert_eq!(
        (
            s.counters.unwrap().hits,
            s.counters.unwrap().misses,
            s.counters.unwrap().corrupt
        ),
        (4, 4, 1)
    );
    // Required and Refresh count too; ReadOnly and Off do not
    build_graph(block_counting, 6, &opts(root, CacheMode::Required)).unwrap();
    build_graph(block_counting, 6, &opts(root, CacheMode::Refresh)).unwrap();
    build_graph(block_counting, 6, &opts(root, CacheMode::ReadOnly)).unwrap();
    build_graph(block_counting, 6, &opts(root, CacheMode::Off)).unwrap();
    let s = store.stats().unwrap();
    assert_eq!(
        (
            s.counters.unwrap().hits,
            s.counters.unwrap().misses,
            s.counters.unwrap().corrupt
        ),
        (5, 5, 1)
    );
}

#[test]
fn clear_removes_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = GraphStore::new(root);
    assert_eq!(
        store.clear().unwrap().entries.count,
        0,
        "clear of a missing cache"
    );
    let o = opts(root, CacheMode::ReadWrite);
    for n in [3, 4, 5] {
        build_graph(block_counting, n, &o).unwrap();
    }
    build_graph(kingman, 5, &o).unwrap();
    assert_eq!(store.stats().unwrap().entries, 4);
    assert_eq!(store.clear().unwrap().entries.count, 4);
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.bytes), (0, 0));
    assert_eq!(
        (s.counters.unwrap().hits, s.counters.unwrap().misses),
        (0, 0),
        "counters survive clear"
    );
    assert!(!store.dir().exists());
    assert!(root.exists(), "clear removed the root itself");
    assert_eq!(store.clear().unwrap().entries.count, 0);
    assert_eq!(
        build_graph(block_counting, 3, &o).unwrap().status,
        CacheStatus::Miss
    );
    assert_eq!(
        build_graph(block_counting, 3, &o).unwrap().status,
        CacheStatus::Hit
    );
}

#[test]
fn remove_removes_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = GraphStore::new(root);
    let o = opts(root, CacheMode::ReadWrite);
    build_graph(block_counting, 4, &o).unwrap();
    build_graph(block_counting, 5, &o).unwrap();
    let key = block_counting.key(&4);
    assert!(store.remove(&key).unwrap());
    assert!(!store.path_of(&key).exists());
    assert!(!store.remove(&key).unwrap());
    assert!(store.path_of(&block_counting.key(&5)).is_file());
    assert_eq!(store.stats().unwrap().entries, 1);
    assert_eq!(
        build_graph(block_counting, 4, &o).unwrap().status,
        CacheStatus::Miss
    );
    assert_eq!(
        build_graph(block_counting, 5, &o).unwrap().status,
        CacheStatus::Hit
    );
}

fn set_age(path: &Path, age: Duration) {
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

#[test]
fn gc_by_age_removes_old_entries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = GraphStore::new(root);
    let o = opts(root, CacheMode::ReadWrite);
    for n in [5, 6, 7] {
        build_graph(block_counting, n, &o).unwrap();
    }
    let p = |n| entry_path(root, n);
    set_age(&p(5), 10 * DAY);
    set_age(&p(6), 2 * DAY);
    assert_eq!(gc(&store, None, None), (0, 0));
    assert_eq!(gc(&store, None, Some(30 * DAY)), (0, 0));
    let size5 = fs::metadata(p(5)).unwrap().len();
    assert_eq!(gc(&store, None, Some(5 * DAY)), (1, size5));
    assert!(!p(5).exists() && p(6).exists() && p(7).exists());
    let size6 = fs::metadata(p(6)).unwrap().len();
    assert_eq!(gc(&store, None, Some(DAY)), (1, size6));
    assert!(!p(6).exists() && p(7).exists());
    assert_eq!(store.stats().unwrap().entries, 1);
    assert_eq!(
        build_graph(block_counting, 7, &o).unwrap().status,
        CacheStatus::Hit
    );
    assert_eq!(
        build_graph(block_counting, 5, &o).unwrap().status,
        CacheStatus::Miss
    );
}

#[test]
fn gc_by_bytes_removes_the_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = GraphStore::new(root);
    let o = opts(root, CacheMode::ReadWrite);
    // the oldest entry is the smallest: gc must still take it first
    let ns = [5, 6, 7, 8];
    for n in ns {
        build_graph(block_counting, n, &o).unwrap();
    }
    let p = |n| entry_path(root, n);
    let size = |n| fs::metadata(p(n)).unwrap().len();
    for (i, n) in ns.iter().enumerate() {
        set_age(&p(*n), (10 - i as u32) * HOUR);
    }
    let sizes: Vec<u64> = ns.iter().map(|&n| size(n)).collect();
    assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
    let total: u64 = sizes.iter().sum();
    assert_eq!(gc(&store, Some(total), None), (0, 0));
    assert_eq!(gc(&store, Some(total - 1), None), (1, sizes[0]));
    assert!(!p(5).exists() && p(6).exists() && p(7).exists() && p(8).exists());
    // fit the newest only: the two older go, oldest first
    assert_eq!(gc(&store, Some(sizes[3]), None), (2, sizes[1] + sizes[2]));
    assert!(!p(6).exists() && !p(7).exists() && p(8).exists());
    assert_eq!(store.stats().unwrap().bytes, sizes[3]);
    assert_eq!(gc(&store, Some(0), None), (1, sizes[3]));
    assert_eq!(store.stats().unwrap().entries, 0);
    // age and size together: old ones first, then by size
    for n in ns {
        build_graph(block_counting, n, &o).unwrap();
    }
    set_age(&p(8), 3 * DAY);
    set_age(&p(5), 2 * HOUR);
    set_age(&p(6), HOUR);
    let (removed, freed) = gc(&store, Some(sizes[2]), Some(DAY));
    // 8 (too old); then 5 and 6 (oldest remaining) until 7 alone fits
    assert_eq!((removed, freed), (3, sizes[3] + sizes[0] + sizes[1]));
    assert!(p(7).exists() && !p(5).exists() && !p(6).exists() && !p(8).exists());
}

#[test]
fn verify_checks_every_entry_and_moves_bad_ones_aside() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = GraphStore::new(root);
    assert_eq!(verified(&store), (0, vec![]), "verify of a missing cache");
    let o = opts(root, CacheMode::ReadWrite);
    for n in [4, 5, 6] {
        build_graph(block_counting, n, &o).unwrap();
    }
    build_graph(kingman_theta, 4, &o).unwrap();
    let (good, bad) = verified(&store);
    assert_eq!((good, bad.len()), (4, 0), "{bad:?}");
    // spoil two entries, and add a file whose name is not a key
    let p5 = entry_path(root, 5);
    let mut b = fs::read(&p5).unwrap();
    b[HEADER + 20] ^= 1;
    overwrite(&p5, &b);
    let p6 = entry_path(root, 6);
    let b = fs::read(&p6).unwrap();
    let p6_len = b.len() as u64;
    overwrite(&p6, &b[..b.len() / 2]);
    // a file whose name is not a key is not ours: neither checked nor moved
    let stray = p6.parent().unwrap().join("not-a-key.graph");
    fs::write(&stray, b"?").unwrap();
    let (r, logs) = logged(|| store.verify());
    let (good, mut bad) = r.map(|v| (v.good, v.bad)).unwrap();
    bad.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(good, 2, "{bad:?}");
    assert_eq!(bad.len(), 2, "{bad:?}");
    let reason_of = |p: &Path| {
        bad.iter()
            .find(|(q, _)| q == p)
            .map(|(_, r)| r.defect.clone())
            .unwrap_or_else(|| panic!("{} not reported: {bad:?}", p.display()))
    };
    assert_eq!(reason_of(&p5), Defect::Checksum);
    let (header, actual) = (p6_len - HEADER as u64, p6_len / 2 - HEADER as u64);
    assert_eq!(reason_of(&p6), Defect::PayloadLength { actual, header });
    assert!(reason_of(&p6).to_string().contains("the header says"));
    assert_eq!(fs::read(&stray).unwrap(), b"?");
    for p in [&p5, &p6] {
        assert!(!p.exists(), "{} was not moved aside", p.display());
        assert!(
            logs.contains(&p.display().to_string()),
            "no warning for {}",
            p.display()
        );
    }
    assert_eq!(quarantined(root).len(), 2);
    assert_eq!(store.stats().unwrap().counters.unwrap().corrupt, 2);
    assert_eq!(verified(&store), (2, vec![]));
    // the good entries are still served; the bad ones are rebuilt
    assert_eq!(
        build_graph(block_counting, 4, &o).unwrap().status,
        CacheStatus::Hit
    );
    assert_eq!(
        build_graph(block_counting, 5, &o).unwrap().status,
        CacheStatus::Miss
    );
    assert_eq!(
        build_graph(block_counting, 6, &o).unwrap().status,
        CacheStatus::Miss
    );
    assert_eq!(verified(&store), (4, vec![]));
}

/// `gc` with these limits, as (entries removed, bytes freed); only
/// entries are collected here.
fn gc(store: &GraphStore, max_bytes: Option<u64>, max_age: Option<Duration>) -> (u64, u64) {
    let c = store
        .gc(&phasic::cache::Limits::new(max_bytes, max_age))
        .unwrap();
    assert_eq!((c.files(), c.kept), (c.entries.count, 0), "{c:?}");
    (c.entries.count, c.entries.bytes)
}
