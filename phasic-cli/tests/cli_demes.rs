//! End-to-end tests of `phasic demes`: the built binary on the Demes files
//! of `examples/demes/` and on small files written here, its JSON checked
//! against closed forms and the library, its errors one line naming the
//! item. Every run points `PHASIC_CACHE_DIR` at a fresh directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CONSTANT: &str =
    "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {start_size: 1000}\n";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/demes")
        .join(name)
}

/// Writes `yaml` to `dir/name`.
fn file(dir: &Path, name: &str, yaml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    path
}

fn run(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phasic"))
        .arg("demes")
        .args(args)
        .env("PHASIC_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(&all, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "one line of JSON: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Runs, expects exit code 2 and one `error:` line; returns it.
fn fails(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = run(args, dir.path());
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

/// A usage error: clap's own message (several lines) and exit code 2.
fn usage(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = run(args, dir.path());
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn close(got: &Value, want: f64, tol: f64, what: &str) {
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {got} is not a number"));
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-300),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn one_constant_deme_gives_4n_over_i_and_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "constant.yaml", CONSTANT);
    let v = ok(&[
        path.to_str().unwrap(),
        "--samples",
        "A=5",
        "--sfs",
        "--moments",
        "2",
        "--at",
        "0,1000",
    ]);
    for key in [
        "demes",
        "samples",
        "intervals",
        "vertices",
        "build_seconds",
        "moments",
        "sfs",
        "pdf",
        "cdf",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}: {v}");
    }
    assert_eq!(v["demes"], serde_json::json!(["A"]));
    assert_eq!(
        v["samples"],
        serde_json::json!([{"deme": "A", "count": 5, "time": 0.0}])
    );
    assert_eq!(v["intervals"].as_array().unwrap().len(), 1);
    assert_eq!(v["intervals"][0]["end"], Value::Null);
    let sfs = v["sfs"].as_array().unwrap();
    assert_eq!(sfs.len(), 6);
    assert_eq!((sfs[0].as_f64(), sfs[5].as_f64()), (Some(0.0), Some(0.0)));
    for (i, x) in sfs.iter().enumerate().take(5).skip(1) {
        close(x, 4000.0 / i as f64, 1e-12, "4N/i");
    }
    // E[T] = 2N·2(1 − 1/n); at t = 0 nothing has coalesced and the density
    // is 0 (five lineages cannot become one at once)
    close(&v["moments"][0], 3200.0, 1e-12, "E[T]");
    assert_eq!(v["cdf"][0].as_f64(), Some(0.0));
    assert_eq!(v["pdf"][0].as_f64(), Some(0.0));
    assert!(v["cdf"][1].as_f64().unwrap() > 0.0);
}

#[test]
fn a_joint_spectrum_is_nested_in_moments_layout_and_folds_with_nulls() {
    let path = example("isolation_migration.yaml");
    let v = ok(&[
        path.to_str().unwrap(),
        "--samples",
        "A=2,B=3",
        "--sfs",
        "--moments",
        "0",
    ]);
    let rows = v["sfs"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 4));
    assert_eq!(rows[0][0].as_f64(), Some(0.0));
    assert_eq!(rows[2][3].as_f64(), Some(0.0));
    assert_eq!(v["intervals"][0]["varies"], Value::Bool(true)); // B grows
    let f = ok(&[
        path.to_str().unwrap(),
        "--samples",
        "A=2,B=3",
        "--sfs",
        "--folded",
        "--moments",
        "0",
    ]);
    assert_eq!(f["folded"], Value::Bool(true));
    // N = 5: [1][0] (k = 1) gets [1][3] (k = 4); [2][2] (k = 4) is masked
    let want = rows[1][0].as_f64().unwrap() + rows[1][3].as_f64().unwrap();
    close(&f["sfs"][1][0], want, 1e-15, "[1][0]");
    assert_eq!(f["sfs"][2][2], Value::Null);
}

#[test]
fn the_text_output_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            example("admixture.yaml").to_str().unwrap(),
            "--samples",
            "B=2,C=2",
            "--sfs",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for part in [
        "demes      B, C",
        "samples    B=2,C=2",
        "intervals  3",
        "[800, ∞) demes ancestral",
        "E[T^k]",
        "sfs (rows: B, columns: C)",
    ] {
        assert!(text.contains(part), "missing `{part}` in\n{text}");
    }
}

#[test]
fn a_second_run_is_served_by_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = example("bottleneck.yaml");
    let args = [path.to_str().unwrap(), "--samples", "pop=6", "--json"];
    let first: Value = serde_json::from_slice(&run(&args, dir.path()).stdout).unwrap();
    let second: Value = serde_json::from_slice(&run(&args, dir.path()).stdout).unwrap();
    assert_eq!(first["cache"], serde_json::json!(["miss"]));
    assert_eq!(second["cache"], serde_json::json!(["hit"]));
    assert_eq!(first["moments"], second["moments"]);
}

#[test]
fn errors_name_the_file_the_samples_or_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let e = fails(&[missing.to_str().unwrap(), "--samples", "A=2"]);
    assert!(e.contains("cannot read") && e.contains("nope.yaml"), "{e}");
    let path = file(dir.path(), "constant.yaml", CONSTANT);
    let p = path.to_str().unwrap();
    let e = fails(&[p, "--samples", "B=2"]);
    assert!(
        e.contains("deme `B`") && e.contains("its demes are: A"),
        "{e}"
    );
    let e = usage(&[p, "--samples", "A=2@-3"]);
    assert!(e.contains("group `A` is sampled at generation -3"), "{e}");
    let e = usage(&[p, "--samples", "A=2", "--at=-1"]);
    assert!(
        e.contains("`-1` is not a finite, non-negative number of generations"),
        "{e}"
    );
    let selfing = file(
        dir.path(),
        "selfing.yaml",
        "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {start_size: 100, selfing_rate: 0.5}\n",
    );
    let e = fails(&[selfing.to_str().unwrap(), "--samples", "A=2"]);
    assert!(
        e.contains("deme `A`, epoch 0") && e.contains("selfing_rate"),
        "{e}"
    );
    let e = fails(&[p, "--samples", "A=40", "--max-states", "100"]);
    assert!(e.contains("--max-states 100"), "{e}");
}
