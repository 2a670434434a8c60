//! Several processes building one key at the same moment (issue 4:
//! "all succeed, leave exactly one valid entry, and all return identical
//! results"), and the cache commands of the CLI.
//!
//! Two kinds of processes race: the `phasic` binary (`phasic model
//! block_counting --set n=25 --cache-dir DIR --json`) and this test binary
//! itself (the `race_child` test, which calls `build_graph` directly).
//! Every process is spawned first and blocks reading a line from its
//! stdin; when all are waiting, the test writes that line to each of them,
//! so they start together.

use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use phasic::Callback;
use phasic::cache::{CacheMode, CacheOptions, CacheStatus, GraphStore, MappedGraph, build_graph};
use phasic::models::block_counting;
use phasic::prelude::PhaseType;
use phasic::prelude::PhaseTypeDistribution;
use serde_json::Value;

const PHASIC: &str = env!("CARGO_BIN_EXE_phasic");
/// Processes per round, and rounds (each with a fresh cache root).
const PROCESSES: usize = 8;
const ROUNDS: usize = 4;
const N: i32 = 25;

// ---------------------------------------------------------------- helpers

/// `phasic args…` with a clean environment for the cache root.
fn phasic(args: &[&str]) -> Command {
    let mut c = Command::new(PHASIC);
    c.args(args)
        .env_remove("RUST_LOG")
        .env_remove("PHASIC_CACHE_DIR");
    c
}

fn json_of(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}\nstdout: {stdout}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout is not one line: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn run_json(args: &[&str]) -> Value {
    json_of(&phasic(args).output().unwrap())
}

/// Spawns `cmd` through `sh`, which waits for one line on stdin and then
/// execs it: the barrier.
fn spawn_gated(cmd: &mut Command) -> Child {
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("read -r _ && exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh.spawn().unwrap()
}

/// Spawns every command (each blocked on its stdin), then releases them
/// all at once and collects their outputs.
fn race(mut cmds: Vec<Command>) -> Vec<Output> {
    let mut children: Vec<Child> = cmds.iter_mut().map(spawn_gated).collect();
    // give every shell time to reach `read`
    std::thread::sleep(Duration::from_millis(50));
    let mut gates: Vec<_> = children
        .iter_mut()
        .map(|c| c.stdin.take().unwrap())
        .collect();
    for g in &mut gates {
        g.write_all(b"go\n").unwrap();
    }
    for g in &mut gates {
        g.flush().unwrap();
    }
    drop(gates);
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Every file under `dir` (recursively), relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// After a race: exactly one valid entry (for `key`), the counters, and no
/// temporary files.
fn assert_one_valid_entry(root: &Path, key: &phasic::ModelKey, processes: u64, bad: bool) {
    let store = GraphStore::new(root);
    let entry = store.path_of(key);
    let rel = entry.strip_prefix(root).unwrap().to_path_buf();
    let mut expected = vec![PathBuf::from("graphs/stats"), rel];
    expected.sort();
    assert_eq!(
        files(root),
        expected,
        "expected exactly the entry and the counters (no temporary files)"
    );
    MappedGraph::open(&entry, key.0).expect("the remaining entry is invalid");
    let s = store.stats().unwrap();
    assert_eq!(s.entries, 1);
    if bad {
        assert!(s.counters.unwrap().corrupt >= 1, "{s:?}");
    } else {
        assert_eq!(s.counters.unwrap().corrupt, 0, "{s:?}");
    }
    assert_eq!(
        s.counters.unwrap().hits + s.counters.unwrap().misses,
        processes,
        "every process counts one hit or miss: {s:?}"
    );
    assert!(s.counters.unwrap().misses >= 1, "{s:?}");
}

// ---------------------------------------------------------------- races

#[cfg(unix)]
#[test]
fn phasic_processes_racing_on_one_key_leave_one_entry_and_agree() {
    let reference = run_json(&[
        "model",
        "block_counting",
        "--set",
        "n=25",
        "--cache",
        "off",
        "--json",
    ]);
    assert_eq!(reference["cache"], "off");
    let key = block_counting.key(&N);
    let mut misses_seen = Vec::new();
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let root_s = root.to_str().unwrap();
        let cmds = (0..PROCESSES)
            .map(|_| {
                phasic(&[
                    "model",
                    "block_counting",
                    "--set",
                    "n=25",
                    "--cache-dir",
                    root_s,
                    "--json",
                ])
            })
            .collect();
        let outs = race(cmds);
        let mut misses = 0;
        for (i, out) in outs.iter().enumerate() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.is_empty(),
                "round {round} process {i}: stderr {stderr}"
            );
            let v = json_of(out);
            match v["cache"].as_str() {
                Some("miss") => misses += 1,
                Some("hit") => {}
                other => panic!("round {round} process {i}: cache = {other:?}"),
            }
            assert!(v["load_seconds"].as_f64().is_some_and(|s| s >= 0.0), "{v}");
            for field in ["vertices", "edges", "moments", "variance"] {
                assert_eq!(
                    v[field], reference[field],
                    "round {round} process {i}: {field} differs"
                );
            }
        }
        assert!(misses >= 1, "round {round}: nobody built");
        misses_seen.push(misses);
        assert_one_valid_entry(&root, &key, PROCESSES as u64, false);
        // and the entry serves the next run
        let v = run_json(&[
            "model",
            "block_counting",
            "--set",
            "n=25",
            "--cache-dir",
            root_s,
            "--json",
        ]);
        assert_eq!(v["cache"], "hit");
        assert_eq!(v["moments"], reference["moments"]);
    }
    eprintln!("misses per round of {PROCESSES} processes: {misses_seen:?}");
}

/// The child side of the test-binary race: does nothing unless started
/// by `test_binary_processes_racing_on_one_key…` (which sets the root).
#[test]
fn race_child() {
    let Some(root) = std::env::var_os("PHASIC_RACE_CHILD_ROOT") else {
        return;
    };
    // the barrier: one line on stdin
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    let opts = CacheOptions {
        mode: CacheMode::ReadWrite,
        root: Some(PathBuf::from(root)),
    };
    let c = build_graph(block_counting, N, &opts).unwrap();
    let ph = PhaseType::new(&c.graph).unwrap();
    let moments: Vec<String> = ph
        .moments(3, None)
        .unwrap()
        .iter()
        .map(|m| format!("{:016x}", m.to_bits()))
        .collect();
    let status = match c.status {
        CacheStatus::Hit => "hit",
        CacheStatus::Miss => "miss",
        CacheStatus::Off => "off",
    };
    println!("RACE-RESULT {status} {}", moments.join(","));
}

#[cfg(unix)]
#[test]
fn test_binary_processes_racing_on_one_key_leave_one_entry_and_agree() {
    race_test_binary(false);
}

/// The same race, with a bad entry in place: every process meets it, moves
/// it aside (or finds it gone) and rebuilds; still one valid entry.
#[cfg(unix)]
#[test]
fn test_binary_processes_racing_on_a_bad_entry_leave_one_entry_and_agree() {
    race_test_binary(true);
}

fn race_test_binary(bad_entry: bool) {
    let me = std::env::current_exe().unwrap();
    let fresh = phasic::prelude::Graph::from_callback(block_counting, N).unwrap();
    let expected: Vec<String> = PhaseType::new(&fresh)
        .unwrap()
        .moments(3, None)
        .unwrap()
        .iter()
        .map(|m| format!("{:016x}", m.to_bits()))
        .collect();
    let expected = expected.join(",");
    let key = block_counting.key(&N);
    let mut misses_seen = Vec::new();
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        if bad_entry {
            let path = GraphStore::new(&root).path_of(&key);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, b"PHASICG\x01 but nothing after").unwrap();
        }
        let cmds = (0..PROCESSES)
            .map(|_| {
                let mut c = Command::new(&me);
                c.args(["--exact", "race_child", "--nocapture", "--test-threads=1"])
                    .env("PHASIC_RACE_CHILD_ROOT", &root)
                    .env_remove("RUST_LOG");
                c
            })
            .collect();
        let outs = race(cmds);
        let mut misses = 0;
        for (i, out) in outs.iter().enumerate() {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "round {round} child {i} failed: {stdout}\n{stderr}"
            );
            let line = stdout
                .lines()
                .find_map(|l| l.split_once("RACE-RESULT ").map(|(_, r)| r.trim()))
                .unwrap_or_else(|| panic!("round {round} child {i}: no result in {stdout}"));
            let (status, moments) = line.split_once(' ').unwrap();
            assert!(matches!(status, "hit" | "miss"), "{line}");
            misses += usize::from(status == "miss");
            assert_eq!(moments, expected, "round {round} child {i}: moments differ");
        }
        assert!(misses >= 1);
        misses_seen.push(misses);
        let quarantine = root.join("graphs/quarantine");
        let moved = fs::read_dir(&quarantine).map_or(0, |d| d.count());
        if bad_entry {
            assert!(
                moved >= 1,
                "round {round}: the bad entry was not moved aside"
            );
            fs::remove_dir_all(&quarantine).unwrap();
        }
        assert_one_valid_entry(&root, &key, PROCESSES as u64, bad_entry);
    }
    eprintln!(
        "misses per round of {PROCESSES} test-binary processes (bad entry: {bad_entry}): {misses_seen:?}"
    );
}

// ---------------------------------------------------------------- the CLI

fn model_json(root: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "model",
        "block_counting",
        "--set",
        "n=6",
        "--cache-dir",
        root,
        "--json",
    ];
    args.extend_from_slice(extra);
    run_json(&args)
}

fn cache_json(action: &[&str], root: &str) -> Value {
    let mut args = vec!["cache"];
    args.extend_from_slice(action);
    args.extend_from_slice(&["--cache-dir", root, "--json"]);
    run_json(&args)
}

#[test]
fn model_json_reports_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let r = root.to_str().unwrap();
    let miss = model_json(r, &[]);
    assert_eq!(miss["cache"], "miss");
    assert!(miss["load_seconds"].as_f64().is_some_and(|s| s >= 0.0));
    let hit = model_json(r, &[]);
    assert_eq!(hit["cache"], "hit");
    assert!(hit["load_seconds"].as_f64().is_some_and(|s| s >= 0.0));
    assert_eq!(hit["moments"], miss["moments"]);
    assert_eq!(hit["variance"], miss["variance"]);
    let refresh = model_json(r, &["--cache", "refresh"]);
    assert_eq!(refresh["cache"], "miss");
    let read_only = model_json(r, &["--cache", "read-only"]);
    assert_eq!(read_only["cache"], "hit");
    let required = model_json(r, &["--cache", "required"]);
    assert_eq!(required["cache"], "hit");
    // off: nothing read or written
    let dir2 = tempfile::tempdir().unwrap();
    let off_root = dir2.path().join("never");
    let off = model_json(off_root.to_str().unwrap(), &["--cache", "off"]);
    assert_eq!(off["cache"], "off");
    assert_eq!(off["moments"], miss["moments"]);
    assert!(!off_root.exists());
    // an unknown mode is a usage error
    let out = phasic(&["model", "block_counting", "--cache", "sometimes", "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown cache mode"));
}

#[test]
fn an_unwritable_root_warns_in_the_cli_and_fails_only_if_required() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, b"x").unwrap();
    let root = file.join("cache");
    let r = root.to_str().unwrap();
    let out = phasic(&[
        "model",
        "block_counting",
        "--set",
        "n=6",
        "--cache-dir",
        r,
        "--json",
    ])
    .output()
    .unwrap();
    let v = json_of(&out);
    assert_eq!(v["cache"], "miss");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARN") && stderr.contains("graph cache unusable"),
        "{stderr}"
    );
    let out = phasic(&[
        "model",
        "block_counting",
        "--set",
        "n=6",
        "--cache-dir",
        r,
        "--cache",
        "required",
        "--json",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: the cache is required but failed"),
        "{stderr}"
    );
}

#[test]
fn cache_path_follows_the_documented_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let (arg, env, xdg, home) = (
        dir.path().join("arg"),
        dir.path().join("env"),
        dir.path().join("xdg"),
        dir.path().join("home"),
    );
    let path = |explicit: Option<&Path>, env: Option<&Path>, xdg: Option<&Path>| -> Value {
        let e = explicit.map(|p| p.to_str().unwrap().to_string());
        let mut args = vec!["cache", "path", "--json"];
        if let Some(e) = &e {
            args.extend_from_slice(&["--cache-dir", e.as_str()]);
        }
        let mut c = phasic(&args);
        c.env("HOME", &home);
        match env {
            Some(p) => c.env("PHASIC_CACHE_DIR", p),
            None => c.env_remove("PHASIC_CACHE_DIR"),
        };
        match xdg {
            Some(p) => c.env("XDG_CACHE_HOME", p),
            None => c.env_remove("XDG_CACHE_HOME"),
        };
        json_of(&c.output().unwrap())
    };
    let root_of = |v: &Value| PathBuf::from(v["root"].as_str().unwrap());
    // explicit > PHASIC_CACHE_DIR > XDG_CACHE_HOME/phasic > ~/.cache/phasic
    let v = path(Some(&arg), Some(&env), Some(&xdg));
    assert_eq!(root_of(&v), arg);
    assert_eq!(
        PathBuf::from(v["graphs"].as_str().unwrap()),
        arg.join("graphs")
    );
    assert_eq!(root_of(&path(None, Some(&env), Some(&xdg))), env);
    assert_eq!(root_of(&path(None, None, Some(&xdg))), xdg.join("phasic"));
    assert_eq!(
        root_of(&path(None, Some(Path::new("")), Some(&xdg))),
        xdg.join("phasic"),
        "an empty PHASIC_CACHE_DIR is ignored"
    );
    assert_eq!(root_of(&path(None, None, None)), home.join(".cache/phasic"));
    // the text form is the root alone
    let out = phasic(&["cache", "path", "--cache-dir", arg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        arg.to_str().unwrap()
    );
    // the model command uses the same root (PHASIC_CACHE_DIR here)
    let out = phasic(&["model", "block_counting", "--set", "n=4", "--json"])
        .env("PHASIC_CACHE_DIR", &env)
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["cache"], "miss");
    assert_eq!(GraphStore::new(&env).stats().unwrap().entries, 1);
    assert!(!arg.exists() && !xdg.exists() && !home.exists());
}

#[test]
fn cache_stats_verify_gc_clear_and_path_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let r = root.to_str().unwrap();

    // an empty (missing) cache
    let s = cache_json(&["stats"], r);
    assert_eq!(s["root"], r);
    for f in ["entries", "bytes", "hits", "misses", "corrupt"] {
        assert_eq!(s[f], 0, "{f}: {s}");
    }
    assert_eq!(
        cache_json(&["verify"], r),
        serde_json::json!({"good": 0, "bad": [], "denied": []})
    );
    assert_eq!(
        cache_json(&["gc", "--max-bytes", "0"], r),
        collected(0, 0, 0)
    );
    assert_eq!(cache_json(&["clear"], r), collected(0, 0, 0));
    let p = cache_json(&["path"], r);
    assert_eq!(p["root"], r);
    assert_eq!(p["graphs"], root.join("graphs").to_str().unwrap());

    // two models, one hit
    assert_eq!(model_json(r, &[])["cache"], "miss");
    assert_eq!(model_json(r, &[])["cache"], "hit");
    let out = phasic(&[
        "model",
        "kingman",
        "--set",
        "n=6",
        "--cache-dir",
        r,
        "--json",
    ])
    .output()
    .unwrap();
    assert_eq!(json_of(&out)["cache"], "miss");
    let entry = GraphStore::new(&root).path_of(&block_counting.key(&6));
    let entry_bytes = fs::metadata(&entry).unwrap().len();
    let entries = files(&root.join("graphs"));
    let total: u64 = entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "graph"))
        .map(|p| fs::metadata(root.join("graphs").join(p)).unwrap().len())
        .sum();
    let s = cache_json(&["stats"], r);
    assert_eq!(s["entries"], 2, "{s}");
    assert_eq!(s["bytes"], total, "{s}");
    assert_eq!(
        (
            s["hits"].as_u64(),
            s["misses"].as_u64(),
            s["corrupt"].as_u64()
        ),
        (Some(1), Some(2), Some(0)),
        "{s}"
    );
    assert_eq!(
        cache_json(&["verify"], r),
        serde_json::json!({"good": 2, "bad": [], "denied": []})
    );

    // a damaged entry: verify reports it and moves it aside
    let mut b = fs::read(&entry).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    fs::remove_file(&entry).unwrap();
    fs::write(&entry, &b).unwrap();
    let v = cache_json(&["verify"], r);
    assert_eq!(v["good"], 1, "{v}");
    let bad = v["bad"].as_array().unwrap();
    assert_eq!(bad.len(), 1, "{v}");
    assert_eq!(bad[0]["path"], entry.to_str().unwrap());
    assert!(
        bad[0]["reason"].as_str().unwrap().contains("checksum"),
        "{v}"
    );
    assert!(!entry.exists());
    assert_eq!(
        fs::read_dir(root.join("graphs/quarantine"))
            .unwrap()
            .count(),
        1
    );
    let s = cache_json(&["stats"], r);
    assert_eq!(
        (s["entries"].as_u64(), s["corrupt"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    // the quarantined file is counted, apart from the entries
    assert_eq!(
        s["quarantined"],
        serde_json::json!({"count": 1, "bytes": entry_bytes}),
        "{s}"
    );
    assert_eq!(s["bytes"], total - entry_bytes, "{s}");
    assert_eq!(model_json(r, &[])["cache"], "miss");
    assert_eq!(model_json(r, &[])["cache"], "hit");

    // gc by age: nothing is a day old; then the block-counting entry is
    let gc = cache_json(&["gc", "--max-age", "1d"], r);
    assert_eq!(gc, collected(0, 0, 0));
    fs::OpenOptions::new()
        .write(true)
        .open(&entry)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 86_400))
        .unwrap();
    let gc = cache_json(&["gc", "--max-age", "36h"], r);
    assert_eq!(gc, collected(1, 0, entry_bytes));
    assert!(!entry.exists());
    assert_eq!(cache_json(&["stats"], r)["entries"], 1);
    // gc by size (with a suffix, then in bytes): only the kingman entry is left
    let kingman_entry = GraphStore::new(&root).path_of(&phasic::models::kingman.key(&6));
    let k_bytes = fs::metadata(&kingman_entry).unwrap().len();
    let gc = cache_json(&["gc", "--max-bytes", "1M"], r);
    assert_eq!(gc, collected(0, 0, 0));
    // over the limit, the quarantine goes first (it is young, but garbage),
    // then the oldest entries
    let gc = cache_json(&["gc", "--max-bytes", &(k_bytes - 1).to_string()], r);
    assert_eq!(gc, collected(1, 1, k_bytes + entry_bytes));

    // clear
    assert_eq!(model_json(r, &[])["cache"], "miss");
    let seven = run_json(&[
        "model",
        "block_counting",
        "--set",
        "n=7",
        "--cache-dir",
        r,
        "--json",
    ]);
    assert_eq!(seven["cache"], "miss");
    let seven_bytes = fs::metadata(GraphStore::new(&root).path_of(&block_counting.key(&7)))
        .unwrap()
        .len();
    assert_eq!(
        cache_json(&["clear"], r),
        collected(2, 0, entry_bytes + seven_bytes)
    );
    assert!(!root.join("graphs").exists());
    let s = cache_json(&["stats"], r);
    for f in ["entries", "bytes", "hits", "misses", "corrupt"] {
        assert_eq!(s[f], 0, "{f}: {s}");
    }

    // text forms print something sensible too
    let out = phasic(&["cache", "stats", "--cache-dir", r])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("entries") && text.contains("corrupt"),
        "{text}"
    );
    // bad arguments are usage errors
    let out = phasic(&["cache", "gc", "--max-bytes", "lots", "--cache-dir", r])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// What `phasic cache gc|clear --json` prints when it removed `entries`
/// entries and `quarantined` quarantined files, `bytes` in all, no
/// temporary file, and kept nothing.
fn collected(entries: u64, quarantined: u64, bytes: u64) -> serde_json::Value {
    serde_json::json!({
        "removed": entries, "temporary": 0, "quarantined": quarantined,
        "bytes_freed": bytes, "kept": 0,
    })
}
