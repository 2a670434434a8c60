//! The cache root cannot be escaped, and maintenance touches only our
//! files (issue 15, items 1 and 6's linked `graphs/`).
//!
//! Each case plants a symbolic link inside a cache root that points at a
//! folder outside it, holding files that look like entries (valid ones and
//! damaged ones). Every maintenance command (`phasic cache stats`,
//! `verify`, `gc`, `clear`) and every lookup must leave that folder exactly
//! as it was, and count none of its files. Files in the cache's own
//! folders that are not entries by name and kind are left alone too.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use phasic::Callback;
use phasic::cache::{CacheMode, CacheOptions, CacheStatus, GraphStore, build_graph};
use phasic::models::block_counting;
use phasic::prelude::GraphView;

#[path = "../../tests/support/logs.rs"]
mod logs;
use logs::logged;

#[path = "../../tests/support/cli.rs"]
mod cli;
use cli::{PHASIC, json};

fn opts(root: &Path) -> CacheOptions {
    CacheOptions {
        mode: CacheMode::ReadWrite,
        root: Some(root.to_path_buf()),
    }
}

fn cache(root: &Path, args: &[&str]) -> Output {
    Command::new(PHASIC)
        .arg("cache")
        .args(args)
        .args(["--cache-dir", root.to_str().unwrap(), "--json"])
        .stdin(Stdio::null())
        .env_remove("RUST_LOG")
        .env_remove("PHASIC_CACHE_DIR")
        .output()
        .unwrap()
}

/// Every file and link below `dir`, with its bytes (or the link's target).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&p).unwrap();
                out.insert(p, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                todo.push(p);
            } else {
                out.insert(p.clone(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A cache root holding the entries of block-counting n = 3..=8 (six
/// entries in distinct shards), and a folder outside the root.
struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("cache");
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    for n in 3..=8 {
        let c = build_graph(block_counting, n, &opts(&root)).unwrap();
        assert_eq!(c.status, CacheStatus::Miss);
    }
    assert_eq!(GraphStore::new(&root).stats().unwrap().entries, 6);
    Setup {
        _tmp: tmp,
        root,
        outside,
    }
}

fn entry(root: &Path, n: i32) -> PathBuf {
    GraphStore::new(root).path_of(&block_counting.key(&n))
}

/// Moves the shard of block-counting `n`'s entry outside the root and
/// leaves a link in its place; adds a damaged look-alike entry and a
/// valid copy of another entry to the outside folder. Returns the entry's
/// path (now reached through the link).
fn link_shard_outside(s: &Setup, n: i32) -> PathBuf {
    let path = entry(&s.root, n);
    let shard = path.parent().unwrap().to_path_buf();
    for e in fs::read_dir(&shard).unwrap() {
        let p = e.unwrap().path();
        fs::rename(&p, s.outside.join(p.file_name().unwrap())).unwrap();
    }
    fs::remove_dir(&shard).unwrap();
    std::os::unix::fs::symlink(&s.outside, &shard).unwrap();
    let shard_name = shard.file_name().unwrap().to_str().unwrap();
    let damaged = format!("{shard_name}{}.graph", "0".repeat(62));
    fs::write(s.outside.join(damaged), b"not a graph, but named like one").unwrap();
    let other = entry(&s.root, if n == 3 { 4 } else { 3 });
    fs::copy(&other, s.outside.join(other.file_name().unwrap())).unwrap();
    path
}

#[test]
fn maintenance_never_follows_a_linked_shard_out_of_the_root() {
    let s = setup();
    link_shard_outside(&s, 5);
    let before = tree(&s.outside);
    assert_eq!(before.len(), 3);

    let v = json(&cache(&s.root, &["stats"]), "stats");
    assert_eq!(v["entries"], 5, "{v}");
    let inside_bytes: u64 = [3, 4, 6, 7, 8]
        .iter()
        .map(|&n| fs::metadata(entry(&s.root, n)).unwrap().len())
        .sum();
    assert_eq!(v["bytes"], inside_bytes, "{v}");

    let v = json(&cache(&s.root, &["verify"]), "verify");
    assert_eq!(v["good"], 5, "{v}");
    assert_eq!(v["bad"], serde_json::json!([]), "{v}");
    assert_eq!(
        tree(&s.outside),
        before,
        "verify touched the outside folder"
    );

    let v = json(&cache(&s.root, &["gc", "--max-bytes", "0"]), "gc");
    assert_eq!(v["removed"], 5, "{v}");
    assert_eq!(tree(&s.outside), before, "gc touched the outside folder");

    let v = json(&cache(&s.root, &["clear"]), "clear");
    assert_eq!(v["removed"], 0, "{v}");
    assert_eq!(tree(&s.outside), before, "clear touched the outside folder");
    // the link is not ours either: it stays, and so does its folder
    let shard = entry(&s.root, 5).parent().unwrap().to_path_buf();
    assert!(
        fs::symlink_metadata(&shard)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A lookup through a linked shard neither moves the outside file into
/// quarantine nor publishes into the outside folder: the graph is built,
/// with a warning naming the link.
#[test]
fn a_lookup_through_a_linked_shard_builds_and_leaves_the_outside_alone() {
    let s = setup();
    let path = link_shard_outside(&s, 5);
    // damage the outside copy of the entry itself, so that a lookup that
    // followed the link would quarantine it
    let outside_entry = s.outside.join(path.file_name().unwrap());
    fs::write(&outside_entry, b"damaged").unwrap();
    let before = tree(&s.outside);

    let (c, logs) = logged(|| build_graph(block_counting, 5, &opts(&s.root)));
    let c = c.unwrap();
    assert_eq!(c.status, CacheStatus::Miss);
    let fresh = phasic::prelude::Graph::from_callback(block_counting, 5).unwrap();
    assert_eq!(c.graph.vertex_count(), fresh.vertex_count());
    assert!(logs.contains("symbolic link"), "{logs}");
    assert!(logs.contains("not moved"), "{logs}");
    assert_eq!(
        tree(&s.outside),
        before,
        "the lookup touched the outside folder"
    );
    let quarantine = GraphStore::new(&s.root).dir().join("quarantine");
    assert!(!quarantine.exists() || fs::read_dir(&quarantine).unwrap().next().is_none());

    // Required: the linked entry is an error naming the link, and still untouched
    let required = CacheOptions {
        mode: CacheMode::Required,
        root: Some(s.root.clone()),
    };
    let (r, _) = logged(|| build_graph(block_counting, 5, &required));
    let Err(err) = r else {
        panic!("Required accepted an entry behind a link")
    };
    let err = err.to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(tree(&s.outside), before);
}

/// `graphs/` itself a link (to another disk, say): every maintenance
/// command refuses with an error naming it, and leaves the files there.
#[test]
fn a_linked_store_folder_is_refused_by_maintenance() {
    let s = setup();
    let graphs = GraphStore::new(&s.root).dir().to_path_buf();
    let moved = s.outside.join("graphs");
    fs::rename(&graphs, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &graphs).unwrap();
    let before = tree(&s.outside);
    for args in [
        &["stats"][..],
        &["verify"],
        &["gc", "--max-bytes", "0"],
        &["clear"],
    ] {
        let out = cache(&s.root, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&graphs.display().to_string()) && stderr.contains("symbolic link"),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            tree(&s.outside),
            before,
            "{args:?} touched the linked folder"
        );
    }
    assert!(
        fs::symlink_metadata(&graphs)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A linked quarantine folder: a bad entry is left in place, not moved out.
#[test]
fn a_linked_quarantine_folder_receives_nothing() {
    let s = setup();
    let quarantine = GraphStore::new(&s.root).dir().join("quarantine");
    std::os::unix::fs::symlink(&s.outside, &quarantine).unwrap();
    let path = entry(&s.root, 6);
    fs::write(&path, b"damaged entry").unwrap();
    let v = json(&cache(&s.root, &["verify"]), "verify");
    assert_eq!(v["good"], 5, "{v}");
    assert_eq!(v["bad"].as_array().unwrap().len(), 1, "{v}");
    assert!(
        tree(&s.outside).is_empty(),
        "something was moved out of the root"
    );
    assert_eq!(fs::read(&path).unwrap(), b"damaged entry");
}

/// Files in the cache's own folders that are not entries — other names,
/// upper-case keys, a key in the wrong shard, folders and links named like
/// entries — are never counted, moved or removed.
#[test]
fn files_that_are_not_entries_are_left_alone() {
    let s = setup();
    let path = entry(&s.root, 4);
    let shard = path.parent().unwrap().to_path_buf();
    let name = path.file_stem().unwrap().to_str().unwrap().to_string();
    let graphs = GraphStore::new(&s.root).dir().to_path_buf();
    let wrong_shard = if name.starts_with("00") { "01" } else { "00" };
    fs::create_dir_all(graphs.join(wrong_shard)).unwrap();
    let foreign_dir = shard.join(format!("{}.graph", "f".repeat(64)));
    fs::create_dir_all(graphs.join("quarantine")).unwrap();
    let planted = [
        graphs.join("quarantine").join("keep-me.txt"),
        graphs.join("README.txt"),
        shard.join("notes.graph"),
        shard.join(format!("{}.graph", name.to_uppercase())),
        graphs.join(wrong_shard).join(format!("{name}.graph")),
        foreign_dir.join("inside.txt"),
    ];
    fs::create_dir(&foreign_dir).unwrap();
    for p in &planted {
        fs::write(p, b"someone else's file").unwrap();
    }
    let target = s.outside.join("target.graph");
    fs::write(&target, b"outside").unwrap();
    let link = shard.join(format!("{}.graph", "e".repeat(64)));
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let v = json(&cache(&s.root, &["stats"]), "stats");
    assert_eq!(v["entries"], 6, "{v}");
    let v = json(&cache(&s.root, &["verify"]), "verify");
    assert_eq!(
        (v["good"].clone(), v["bad"].clone()),
        (6.into(), serde_json::json!([])),
        "{v}"
    );
    let v = json(&cache(&s.root, &["gc", "--max-bytes", "0"]), "gc");
    assert_eq!(v["removed"], 6, "{v}");
    let v = json(&cache(&s.root, &["clear"]), "clear");
    assert_eq!(v["removed"], 0, "{v}");
    for p in &planted {
        assert_eq!(
            fs::read(p).unwrap(),
            b"someone else's file",
            "{}",
            p.display()
        );
    }
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&target).unwrap(), b"outside");
    assert!(!path.exists());
}
