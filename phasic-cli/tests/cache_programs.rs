//! The program cache through `phasic model` and `phasic cache` (issue 16,
//! item 5): the elimination of a cyclic model is cached with its graph; a
//! hit prints exactly what a miss and a run without cache print; a
//! damaged program entry is moved aside, with a warning, and the program
//! computed again; `phasic cache stats|verify|gc|clear|path` count, check
//! and collect program entries with the others.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

#[path = "../../tests/support/cli.rs"]
mod cli;
use cli::{json, phasic};

/// IM(3, 3): cyclic (migration), 269 vertices.
const IM: &[&str] = &[
    "isolation_migration",
    "--set",
    "n1=3",
    "--set",
    "n2=3",
    "--moments",
    "4",
    "--sfs",
    "--at",
    "0.5,1,2",
];

/// `phasic model IM … --json` on the cache at `root` in `mode`; the output
/// and stderr.
fn im(root: &Path, mode: &str) -> (Value, String) {
    let out = phasic(&["model"])
        .args(IM)
        .args([
            "--cache",
            mode,
            "--cache-dir",
            root.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    (
        json(&out, "model"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cache(root: &Path, args: &[&str]) -> Value {
    let out = phasic(&["cache"])
        .args(args)
        .args(["--cache-dir", root.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    json(&out, &format!("cache {args:?}"))
}

/// What a run computes, as printed (shortest round-trip decimals: equal
/// text is equal bits).
fn results(v: &Value) -> String {
    ["moments", "variance", "sfs", "pdf", "cdf"]
        .map(|k| v[k].to_string())
        .join(" ")
}

/// The one program entry under `root`.
fn program_entry(root: &Path) -> PathBuf {
    let mut found = Vec::new();
    for shard in fs::read_dir(root.join("programs")).unwrap() {
        let shard = shard.unwrap().path();
        if shard.is_dir() && shard.file_name().unwrap() != "quarantine" {
            for e in fs::read_dir(&shard).unwrap() {
                found.push(e.unwrap().path());
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

#[test]
fn hits_print_what_misses_and_runs_without_cache_print() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (off, _) = im(root, "off");
    assert_eq!(off["program"]["cache"], "off", "{off}");
    assert!(!root.join("programs").exists());
    let (miss, _) = im(root, "read-write");
    assert_eq!(
        (&miss["cache"], &miss["program"]["cache"]),
        (&"miss".into(), &"miss".into())
    );
    let (hit, _) = im(root, "read-write");
    assert_eq!(
        (&hit["cache"], &hit["program"]["cache"]),
        (&"hit".into(), &"hit".into())
    );
    assert_eq!(results(&miss), results(&off));
    assert_eq!(results(&hit), results(&off));
    // read-only uses the entry; refresh computes it again
    let (read_only, _) = im(root, "read-only");
    assert_eq!(read_only["program"]["cache"], "hit");
    let (refreshed, _) = im(root, "refresh");
    assert_eq!(refreshed["program"]["cache"], "miss");
    assert_eq!(results(&refreshed), results(&off));
    // the text output says where the program came from
    let text = phasic(&["model"])
        .args(IM)
        .args(["--cache-dir", root.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("\nprogram    hit ("), "{text}");
}

#[test]
fn a_damaged_program_entry_is_moved_aside_and_computed_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (want, _) = im(root, "read-write");
    let entry = program_entry(root);
    let mut b = fs::read(&entry).unwrap();
    let middle = b.len() / 2;
    b[middle] ^= 0x10;
    fs::remove_file(&entry).unwrap();
    fs::write(&entry, &b).unwrap();
    let (got, stderr) = im(root, "read-write");
    assert_eq!(got["cache"], "hit", "the graph is fine");
    assert_eq!(got["program"]["cache"], "miss", "{stderr}");
    assert_eq!(results(&got), results(&want));
    assert!(
        stderr.contains("bad cache entry moved aside; it is rebuilt")
            && stderr.contains(entry.to_str().unwrap())
            && stderr.contains("checksum"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_dir(root.join("programs/quarantine"))
            .unwrap()
            .count(),
        1
    );
    let (again, _) = im(root, "read-write");
    assert_eq!(again["program"]["cache"], "hit");
    assert_eq!(results(&again), results(&want));
    // required: the same damage fails the run
    let b = fs::read(&entry).unwrap();
    let mut bad = b.clone();
    bad[middle] ^= 0x10;
    fs::remove_file(&entry).unwrap();
    fs::write(&entry, &bad).unwrap();
    let out = phasic(&["model"])
        .args(IM)
        .args(["--cache", "required", "--cache-dir", root.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: the cache is required but failed"),
        "{stderr}"
    );
}

#[test]
fn program_entries_are_counted_checked_and_collected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    im(root, "read-write");
    im(root, "read-write");
    let entry = program_entry(root);
    let bytes = fs::metadata(&entry).unwrap().len();
    let s = cache(root, &["stats"]);
    assert_eq!(s["programs"]["entries"], 1, "{s}");
    assert_eq!(s["programs"]["bytes"], bytes, "{s}");
    assert_eq!(
        s["programs"]["counters"],
        serde_json::json!({"hits": 1, "misses": 1, "corrupt": 0}),
        "{s}"
    );
    assert_eq!(s["entries"], 2, "the graph and its program: {s}");
    let text = phasic(&["cache", "stats", "--cache-dir", root.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("entries      2 (graphs 1, traces 0, programs 1)")
    );
    assert_eq!(
        cache(root, &["path"])["programs"],
        root.join("programs").to_str().unwrap()
    );
    assert_eq!(cache(root, &["verify"])["good"], 2);
    // verify finds a damaged program entry and moves it aside
    let mut b = fs::read(&entry).unwrap();
    b[70] ^= 1;
    fs::remove_file(&entry).unwrap();
    fs::write(&entry, &b).unwrap();
    let v = cache(root, &["verify"]);
    assert_eq!(v["good"], 1, "{v}");
    assert_eq!(v["bad"][0]["path"], entry.to_str().unwrap(), "{v}");
    let s = cache(root, &["stats"]);
    assert_eq!(s["programs"]["quarantined"]["count"], 1, "{s}");
    // gc collects program entries and their quarantine with the others
    im(root, "read-write");
    let gc = cache(root, &["gc", "--max-bytes", "0"]);
    assert_eq!(
        (&gc["removed"], &gc["quarantined"]),
        (&2.into(), &1.into()),
        "{gc}"
    );
    assert!(!entry.exists());
    im(root, "read-write");
    assert!(entry.exists());
    cache(root, &["clear"]);
    assert!(!root.join("programs").exists());
    // a link in place of the store's folder is refused, not followed
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("programs")).unwrap();
    let out = phasic(&["cache", "stats", "--cache-dir", root.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("programs"));
}
