//! A cache shared between users (issue 15, item 3): entries follow the
//! umask and the group of a setgid folder, another user's entries are hits,
//! and an entry a user may not read or remove is left alone — never
//! quarantined, never deleted, never counted as bad.
//!
//! The users are real: the test runs the `phasic` binary under `setpriv`
//! with two unprivileged uids sharing a group, so it needs root. Without
//! root (or `setpriv`) it is skipped with a message, unless
//! `PHASIC_REQUIRE_SETPRIV=1` (set by CI, which runs as root) makes that a
//! failure.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use phasic::Callback;
use phasic::cache::GraphStore;
use phasic::models::block_counting;
use serde_json::Value;

const PHASIC: &str = env!("CARGO_BIN_EXE_phasic");
const GROUP: u32 = 64_000;
const ALICE: u32 = 64_001;
const BOB: u32 = 64_002;

/// Whether the test can switch users; panics if it must and cannot.
fn can_switch_users() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("PHASIC_REQUIRE_SETPRIV").is_ok_and(|v| v == "1");
    assert!(
        (root && setpriv) || !required,
        "PHASIC_REQUIRE_SETPRIV=1 but root: {root}, setpriv: {setpriv}"
    );
    if !(root && setpriv) {
        eprintln!(
            "skipped: switching users needs root and setpriv (root: {root}, setpriv: {setpriv})"
        );
    }
    root && setpriv
}

/// A world-readable folder with a copy of the binary that both users may
/// run, and a shared cache root: setgid, group-writable, in `GROUP`.
struct Shared {
    _tmp: tempfile::TempDir,
    bin: PathBuf,
    root: PathBuf,
}

fn shared() -> Shared {
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let bin = tmp.path().join("phasic");
    fs::copy(PHASIC, &bin).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    let root = tmp.path().join("shared-cache");
    fs::create_dir(&root).unwrap();
    std::os::unix::fs::chown(&root, Some(0), Some(GROUP)).unwrap();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o2775)).unwrap();
    Shared {
        _tmp: tmp,
        bin,
        root,
    }
}

/// Runs `phasic args… --cache-dir root --json` as `uid` (in `GROUP`) with `umask`.
fn run_as(s: &Shared, uid: u32, umask: &str, args: &[&str]) -> Output {
    let line = format!(
        "umask {umask}; exec \"$0\" \"$@\" --cache-dir \"{}\" --json",
        s.root.display()
    );
    Command::new("setpriv")
        .args([
            &format!("--reuid={uid}"),
            &format!("--regid={GROUP}"),
            &format!("--groups={GROUP}"),
        ])
        .arg("--")
        .args(["sh", "-c", &line])
        .arg(&s.bin)
        .args(args)
        .current_dir("/")
        .env("HOME", "/nonexistent")
        .env_remove("RUST_LOG")
        .env_remove("PHASIC_CACHE_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json(out: &Output, what: &str) -> (Value, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{what}: {stderr}");
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    (v, stderr)
}

fn model(s: &Shared, uid: u32, umask: &str, n: i32) -> (Value, String) {
    let set = format!("n={n}");
    let out = run_as(s, uid, umask, &["model", "block_counting", "--set", &set]);
    json(&out, &format!("model n={n} as {uid}"))
}

fn entry(s: &Shared, n: i32) -> PathBuf {
    GraphStore::new(&s.root).path_of(&block_counting.key(&n))
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().mode() & 0o7777
}

#[test]
fn two_users_share_one_cache() {
    if !can_switch_users() {
        return;
    }
    let s = shared();

    // Alice builds with umask 002: the entry is group-readable and in the
    // folder's group, as any file she creates there would be
    let (v, _) = model(&s, ALICE, "002", 5);
    assert_eq!(v["cache"], "miss");
    let e5 = entry(&s, 5);
    let meta = fs::metadata(&e5).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (ALICE, GROUP));
    assert_eq!(mode(&e5), 0o664, "the umask is respected");
    let shard = e5.parent().unwrap();
    assert_eq!(fs::metadata(shard).unwrap().gid(), GROUP);
    assert_eq!(mode(shard) & 0o2000, 0o2000, "setgid is inherited");
    // … and Bob gets a hit, checks it as good, and his hit is counted
    let (v, stderr) = model(&s, BOB, "002", 5);
    assert_eq!(v["cache"], "hit", "{stderr}");
    let (v, _) = json(&run_as(&s, BOB, "002", &["cache", "verify"]), "verify");
    assert_eq!(v, serde_json::json!({"good": 1, "bad": [], "denied": []}));
    let (v, _) = json(&run_as(&s, BOB, "002", &["cache", "stats"]), "stats");
    assert_eq!(
        (v["hits"].as_u64(), v["misses"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );

    // umask 022: the entry is readable, not writable, by the group
    model(&s, ALICE, "022", 6);
    assert_eq!(mode(&entry(&s, 6)), 0o644);
    assert_eq!(model(&s, BOB, "022", 6).0["cache"], "hit");

    // Alice's umask 077 makes a new shard and entry hers alone: for Bob
    // the model is a miss, with a warning that says so, and nothing of
    // hers is moved or removed; his verify skips the folder, saying so
    model(&s, ALICE, "077", 7);
    let e7 = entry(&s, 7);
    assert_eq!(mode(&e7), 0o600);
    let bytes7 = fs::read(&e7).unwrap();
    let (v, stderr) = model(&s, BOB, "002", 7);
    assert_eq!(v["cache"], "miss");
    assert!(
        stderr.contains("not readable by this user, left alone"),
        "{stderr}"
    );
    assert!(!stderr.contains("moved aside"), "{stderr}");
    let (v, stderr) = json(&run_as(&s, BOB, "002", &["cache", "verify"]), "verify");
    assert_eq!(v, serde_json::json!({"good": 2, "bad": [], "denied": []}));
    assert!(
        stderr.contains("cache folder not readable by this user: skipped"),
        "{stderr}"
    );
    assert_eq!(fs::read(&e7).unwrap(), bytes7);
    assert_eq!(model(&s, ALICE, "002", 7).0["cache"], "hit");

    // an entry Bob may not read in a folder he may: a miss for him, not
    // moved, not removed, not counted bad; verify lists it apart
    fs::set_permissions(&e5, fs::Permissions::from_mode(0o600)).unwrap();
    let bytes = fs::read(&e5).unwrap();
    let (v, stderr) = model(&s, BOB, "002", 5);
    assert_eq!(v["cache"], "miss");
    assert!(
        stderr.contains("not readable by this user, left alone"),
        "{stderr}"
    );
    assert!(!stderr.contains("moved aside"), "{stderr}");
    assert_eq!(fs::read(&e5).unwrap(), bytes);
    assert!(!s.root.join("graphs/quarantine").exists());
    let (v, stderr) = json(&run_as(&s, BOB, "002", &["cache", "verify"]), "verify");
    assert_eq!(
        (v["good"].as_u64(), v["bad"].as_array().map(Vec::len)),
        (Some(1), Some(0)),
        "{v}"
    );
    let denied = v["denied"].as_array().unwrap();
    assert_eq!(denied.len(), 1, "{v}");
    assert_eq!(denied[0]["path"], e5.to_str().unwrap());
    assert!(
        denied[0]["reason"]
            .as_str()
            .unwrap()
            .contains("ermission denied"),
        "{v}"
    );
    assert!(!stderr.contains("moved aside"), "{stderr}");
    assert_eq!(fs::read(&e5).unwrap(), bytes);
    // Alice still gets her hit; the bad-entry counter never moved
    assert_eq!(model(&s, ALICE, "002", 5).0["cache"], "hit");
    let (v, _) = json(&run_as(&s, ALICE, "002", &["cache", "stats"]), "stats");
    assert_eq!(v["corrupt"], 0, "{v}");

    // where Bob may not remove Alice's files (a sticky shard), gc and clear
    // keep them and say so; nothing fails
    fs::set_permissions(shard, fs::Permissions::from_mode(0o3775)).unwrap();
    let (v, _) = json(
        &run_as(&s, BOB, "002", &["cache", "gc", "--max-bytes", "0"]),
        "gc",
    );
    assert!(v["kept"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(fs::read(&e5).unwrap(), bytes);
    let (v, _) = json(&run_as(&s, BOB, "002", &["cache", "clear"]), "clear");
    assert!(v["kept"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(fs::read(&e5).unwrap(), bytes);
    // Alice may: her clear empties the cache
    let (v, _) = json(&run_as(&s, ALICE, "002", &["cache", "clear"]), "clear");
    assert_eq!(v["kept"], 0, "{v}");
    assert!(!e5.exists() && !e7.exists());
    assert!(!s.root.join("graphs").exists());
}
