//! Every file the cache creates is accounted for (issue 15, items 6, 12
//! and 13): `phasic cache stats` counts graph and trace entries, temporary
//! files of interrupted writes and the quarantine; `gc` and `clear` collect
//! them all; an interrupted run removes its partial writes; messages say
//! what actually happens; a damaged counters file is reported as such.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use phasic::Callback;
use phasic::cache::GraphStore;
use phasic::models::block_counting;
use serde_json::Value;

#[path = "../../tests/support/cli.rs"]
mod cli;
use cli::{json, phasic};

fn cache(root: &Path, args: &[&str]) -> Value {
    let out = phasic(&["cache"])
        .args(args)
        .args(["--cache-dir", root.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    json(&out, &format!("cache {args:?}"))
}

fn model(root: &Path, args: &[&str]) -> Output {
    phasic(&["model"])
        .args(args)
        .args(["--cache-dir", root.to_str().unwrap(), "--json"])
        .output()
        .unwrap()
}

/// Builds block-counting `n` into the cache at `root`.
fn build(root: &Path, n: i32) {
    let set = format!("n={n}");
    let out = model(root, &["block_counting", "--set", &set]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every regular file below `dir` whose name ends in `.ext`.
fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(listing) = fs::read_dir(&d) else {
            continue;
        };
        for e in listing {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_str().unwrap().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn size(paths: &[PathBuf]) -> u64 {
    paths.iter().map(|p| fs::metadata(p).unwrap().len()).sum()
}

fn age(path: &Path, by: Duration) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - by)
        .unwrap();
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn every_file_is_counted_and_collectable() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let r = root.as_path();
    build(r, 5);
    let traced = model(
        r,
        &[
            "isolation_migration",
            "--theta",
            "1,0.5,0.5",
            "--via-trace",
            "--min-subproblem",
            "2",
        ],
    );
    assert!(
        traced.status.success(),
        "{}",
        String::from_utf8_lossy(&traced.stderr)
    );
    let graphs = files_with(&root.join("graphs"), ".graph");
    let traces = files_with(&root.join("traces"), ".trace");
    assert_eq!(graphs.len(), 2);
    assert!(
        !traces.is_empty(),
        "the traced model stored no subproblem trace"
    );
    let s = cache(r, &["stats"]);
    assert_eq!(s["graphs"]["entries"], 2, "{s}");
    assert_eq!(s["traces"]["entries"], traces.len(), "{s}");
    assert_eq!(s["entries"], 2 + traces.len(), "{s}");
    assert_eq!(s["bytes"], size(&graphs) + size(&traces), "{s}");

    // leftovers of interrupted writes (two an hour old, one in progress)
    // and a quarantined entry
    let shard = graphs[0].parent().unwrap();
    let old_tmp = shard.join(".tmp-Old123");
    let young_tmp = shard.join(".tmp-New123");
    let trace_tmp = traces[0].parent().unwrap().join(".tmp-Trc123");
    fs::write(&old_tmp, [1u8; 100]).unwrap();
    fs::write(&young_tmp, [2u8; 30]).unwrap();
    fs::write(&trace_tmp, [3u8; 7]).unwrap();
    age(&old_tmp, 2 * HOUR);
    age(&trace_tmp, 2 * HOUR);
    let q = root.join("graphs/quarantine");
    fs::create_dir(&q).unwrap();
    let quarantined = q.join(format!("{}.graph.12.345", "ab".repeat(32)));
    fs::write(&quarantined, [4u8; 50]).unwrap();
    // and files that are not ours, which nothing counts or touches
    let stray_tmp = shard.join(".tmp-not-ours");
    fs::write(&stray_tmp, b"?").unwrap();
    age(&stray_tmp, 48 * HOUR);
    let stray_q = q.join("notes.txt");
    fs::write(&stray_q, b"?").unwrap();

    let s = cache(r, &["stats"]);
    assert_eq!(
        s["temporary"],
        serde_json::json!({"count": 3, "bytes": 137}),
        "{s}"
    );
    assert_eq!(
        s["quarantined"],
        serde_json::json!({"count": 1, "bytes": 50}),
        "{s}"
    );
    assert_eq!(s["entries"], 2 + traces.len(), "{s}");

    // a damaged trace entry is found by verify, like a graph entry
    let mut b = fs::read(&traces[0]).unwrap();
    let last = b.len() - 1;
    b[last] ^= 1;
    fs::remove_file(&traces[0]).unwrap();
    fs::write(&traces[0], &b).unwrap();
    let v = cache(r, &["verify"]);
    assert_eq!(v["good"], 1 + traces.len(), "{v}");
    assert_eq!(v["bad"][0]["path"], traces[0].to_str().unwrap(), "{v}");
    assert!(!traces[0].exists());
    let s = cache(r, &["stats"]);
    assert_eq!(s["quarantined"]["count"], 2, "{s}");
    assert_eq!(s["traces"]["quarantined"]["count"], 1, "{s}");

    // a plain gc removes what interrupted writes left, nothing younger
    let traces_left = traces.len() as u64 - 1;
    let gc = cache(r, &["gc"]);
    assert_eq!(
        gc,
        serde_json::json!({"removed": 0, "temporary": 2, "quarantined": 0, "bytes_freed": 107, "kept": 0})
    );
    assert!(!old_tmp.exists() && !trace_tmp.exists() && young_tmp.exists());
    // over a size limit: the quarantine goes, then every entry of both
    // stores; a write that may be in progress stays
    let gc = cache(r, &["gc", "--max-bytes", "0"]);
    assert_eq!(gc["removed"].as_u64(), Some(2 + traces_left), "{gc}");
    assert_eq!(gc["quarantined"], 2, "{gc}");
    assert_eq!(gc["temporary"], 0, "{gc}");
    let s = cache(r, &["stats"]);
    assert_eq!(
        (s["entries"].as_u64(), s["quarantined"]["count"].as_u64()),
        (Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(s["temporary"]["count"], 1, "{s}");
    // clear takes the rest of ours; what is not ours stays
    let c = cache(r, &["clear"]);
    assert_eq!(c["temporary"], 1, "{c}");
    assert!(!young_tmp.exists() && !root.join("traces").exists());
    assert_eq!(fs::read(&stray_tmp).unwrap(), b"?");
    assert_eq!(fs::read(&stray_q).unwrap(), b"?");
}

/// `--cache required` on a damaged entry: the warning says that it is not
/// rebuilt and that the run fails — which it does.
#[test]
fn required_mode_says_what_happens_to_a_bad_entry() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    build(r, 5);
    let entry = GraphStore::new(r).path_of(&block_counting.key(&5));
    let mut b = fs::read(&entry).unwrap();
    b[70] ^= 1;
    fs::remove_file(&entry).unwrap();
    fs::write(&entry, &b).unwrap();
    let out = model(
        r,
        &["block_counting", "--set", "n=5", "--cache", "required"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "bad cache entry moved aside; not rebuilt: the cache is required, so this run fails"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("it is rebuilt"), "{stderr}");
    assert!(
        stderr.contains("error: the cache is required but failed"),
        "{stderr}"
    );
}

/// A counters file of random bytes: `stats` reports the counters as
/// unknown and warns; the next run restarts them from zero and warns.
#[test]
fn a_damaged_counters_file_is_reported_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    build(r, 5);
    let stats = r.join("graphs/stats");
    fs::write(
        &stats,
        b"\x93\x11\xfe\x02\x7a\x55\x01\x99\xff\xff\xff\xff\xff\x0f",
    )
    .unwrap();
    let out = phasic(&[
        "cache",
        "stats",
        "--cache-dir",
        r.to_str().unwrap(),
        "--json",
    ])
    .output()
    .unwrap();
    let s = json(&out, "stats");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (&s["hits"], &s["misses"], &s["corrupt"]),
        (&Value::Null, &Value::Null, &Value::Null),
        "{s}"
    );
    assert_eq!(s["entries"], 1, "{s}");
    assert!(stderr.contains("cache counters file damaged"), "{stderr}");
    let text = phasic(&["cache", "stats", "--cache-dir", r.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("hits         unknown (counters file damaged)")
    );
    let out = model(r, &["block_counting", "--set", "n=6"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("counting starts again from zero"),
        "{stderr}"
    );
    let s = cache(r, &["stats"]);
    assert_eq!(
        (
            s["hits"].as_u64(),
            s["misses"].as_u64(),
            s["corrupt"].as_u64()
        ),
        (Some(0), Some(1), Some(0)),
        "{s}"
    );
}

/// SIGTERM or SIGINT during a run: the process removes its partial cache
/// writes, says so, and exits with 130; no temporary file is left, at
/// whatever moment the signal comes.
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for (signal, after_ms) in [("TERM", 0), ("INT", 300), ("TERM", 700), ("TERM", 1500)] {
        let child = phasic(&[
            "model",
            "block_counting",
            "--set",
            "n=40",
            "--cache",
            "refresh",
            "--cache-dir",
            r.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
        // from the moment the process handles the signal (its SigCgt mask
        // in /proc has the bit), however slowly it started
        await_handler(child.id(), if signal == "INT" { 2 } else { 15 });
        std::thread::sleep(Duration::from_millis(after_ms));
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if killed.success() && out.status.code() != Some(0) {
            assert_eq!(
                out.status.code(),
                Some(130),
                "SIG{signal} after {after_ms} ms: {stderr}"
            );
            assert!(stderr.contains("error: interrupted"), "{stderr}");
        }
        let left: Vec<_> = files_with(r, "")
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(".tmp-")
            })
            .collect();
        assert!(
            left.is_empty(),
            "SIG{signal} after {after_ms} ms left {left:?}"
        );
    }
}

/// Waits until process `pid` catches signal `number` (or is gone).
fn await_handler(pid: u32, number: u32) {
    let status = format!("/proc/{pid}/status");
    for _ in 0..2000 {
        let Ok(text) = fs::read_to_string(&status) else {
            return;
        };
        if text
            .lines()
            .any(|l| l.starts_with("State:") && l.contains("Z"))
        {
            return; // finished already
        }
        let caught = text
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (number - 1)) != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("process {pid} never caught signal {number}");
}
