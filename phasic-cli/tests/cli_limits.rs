//! Bounded resources and inputs refused in the user's terms, across
//! commands (issue 15, items 4, 5 and 15): a state limit (`--max-states`,
//! by default from the available memory) that stops a mistyped model size
//! fast, progress of a long build, counts with an upper bound named in the
//! error, an allocation failure under a memory limit as an `error:` line
//! (exit 2, not an abort), a `--set` key given twice refused by `phasic
//! fit` as by `phasic model`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const PHASIC: &str = env!("CARGO_BIN_EXE_phasic");

/// `phasic args…` with a fresh cache root and no log filter.
fn phasic(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(PHASIC)
        .args(args)
        .env("PHASIC_CACHE_DIR", dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// `phasic model block_counting --set n=100 --cache off args…` (about
/// 1.9e8 states) under an address-space limit of `bytes`.
fn block_counting_100_within(bytes: u64, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new("prlimit")
        .arg(format!("--as={bytes}"))
        .arg(PHASIC)
        .args([
            "model",
            "block_counting",
            "--set",
            "n=100",
            "--cache",
            "off",
        ])
        .args(args)
        .env("PHASIC_CACHE_DIR", dir.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("prlimit (util-linux) runs the binary under a memory limit")
}

/// Asserts exit code 2 and nothing on stdout; returns the first stderr line.
fn refused(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: stdout on failure");
    let first = stderr.lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("error:"), "{what}: {stderr}");
    first
}

/// Every count that costs memory or time per unit has an upper bound,
/// and the error names the option and both bounds. Before, `--moments
/// 100000000` allocated 786 MB and `--particles`/`--iterations` had no
/// bound at all.
#[test]
fn counts_are_bounded_and_the_error_names_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t.txt");
    std::fs::write(&data, "0.5\n1.5\n").unwrap();
    let data = data.to_str().unwrap();
    let matrix = dir.path().join("m.json");
    std::fs::write(&matrix, r#"{"alpha": [1], "S": [[-1]]}"#).unwrap();
    let matrix = matrix.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (
            &["model", "kingman", "--moments", "100000000"],
            "error: invalid value '100000000' for '--moments <K>': `100000000` is not an integer from 1 to 1000",
        ),
        (
            &["eval", "--matrix", matrix, "--moments", "1001"],
            "error: invalid value '1001' for '--moments <K>': `1001` is not an integer from 1 to 1000",
        ),
        (
            &[
                "fit",
                "kingman",
                "--data",
                data,
                "--method",
                "svgd",
                "--particles",
                "1000000000",
            ],
            "error: invalid value '1000000000' for '--particles <N>': `1000000000` is not an integer from 1 to 10000",
        ),
        (
            &["fit", "kingman", "--data", data, "--iterations", "1000001"],
            "error: invalid value '1000001' for '--iterations <N>': `1000001` is not an integer from 0 to 1000000",
        ),
        (
            &[
                "model",
                "kingman",
                "--theta",
                "1",
                "--via-trace",
                "--shard",
                "threads",
                "--retries",
                "101",
            ],
            "error: invalid value '101' for '--retries <N>': `101` is not an integer from 0 to 100",
        ),
        (
            &[
                "model",
                "kingman",
                "--theta",
                "1",
                "--via-trace",
                "--shard",
                "processes:100000",
            ],
            "error: invalid value 'processes:100000' for '--shard <HOW>': `processes:100000` is not threads, processes:N or slurm[:K] (N, K ≥ 1): `100000` is not an integer from 1 to 256",
        ),
        (
            &["worker", "--session", "nowhere", "--tasks", "0"],
            "error: invalid value '0' for '--tasks <T>': `0` is not an integer from 1 to 18446744073709551615",
        ),
    ];
    for (args, message) in cases {
        let t0 = Instant::now();
        let out = phasic(args);
        assert_eq!(refused(&out, &format!("{args:?}")), message);
        assert!(t0.elapsed() < Duration::from_secs(30), "{args:?}");
    }
    // below the bound, the count is the parser's no more: E[T^k] = k! for
    // T ~ Exp(1), finite up to k = 170
    let out = phasic(&["eval", "--matrix", matrix, "--moments", "170"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let moments = v["moments"].as_array().unwrap();
    assert_eq!(moments.len(), 170);
    assert_eq!(moments[..3], [1.0, 2.0, 6.0]);
}

/// Under an address-space limit, a build that outgrows it stops with an
/// `error:` line naming the memory it could not get, and exit code 2
/// (before: "memory allocation of 838860800 bytes failed", abort, exit
/// code 134). The state limit is set past the model's states, so that the
/// allocation fails first.
#[test]
fn running_out_of_memory_is_an_error_not_an_abort() {
    let out = block_counting_100_within(150_000_000, &["--max-states", "1000000000"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let line = stderr.lines().next().unwrap();
    assert!(
        line.starts_with("error: out of memory: cannot allocate ")
            && line.contains(" bytes for the "),
        "{line}"
    );
    assert!(
        line.ends_with(": a lower --max-states (now 1000000000) stops such a build sooner"),
        "{line}"
    );
}

/// `phasic fit` refuses a key set twice, as `phasic model` does.
#[test]
fn fit_refuses_a_key_set_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t.txt");
    std::fs::write(&data, "0.5\n1.5\n").unwrap();
    let out = phasic(&[
        "fit",
        "kingman",
        "--data",
        data.to_str().unwrap(),
        "--set",
        "n=3",
        "--set",
        "n=30",
        "--cache",
        "off",
    ]);
    assert_eq!(
        refused(&out, "fit --set n=3 --set n=30"),
        "error: parameter `n` of model `kingman` is set twice (`n=3`, then `n=30`): set it once"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// `phasic fit` builds within `--max-states` too: Kingman with n = 12 has
/// 13 states (the start and the lineage counts 12, …, 1), so a limit of
/// 12 stops it, naming the setting, and 13 lets the fit run.
#[test]
fn fit_builds_within_the_state_limit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t.txt");
    std::fs::write(&data, "0.5\n1.5\n2.0\n").unwrap();
    let fit = |limit: &str| {
        phasic(&[
            "fit",
            "kingman",
            "--data",
            data.to_str().unwrap(),
            "--set",
            "n=12",
            "--cache",
            "off",
            "--max-states",
            limit,
            "--iterations",
            "3",
        ])
    };
    assert_eq!(
        refused(&fit("12"), "fit --max-states 12"),
        "error: the model has more than 12 states (--max-states 12): check the --set values, or raise --max-states"
    );
    let out = fit("13");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `block_counting` with n = 100 (a typo for 10: about 1.9e8 states)
/// stops at `--max-states` within seconds, naming the setting (before: it
/// grew by about 40 MB/s, silently). The limit counts vertices exactly:
/// Kingman n = 10 has 11.
#[test]
fn the_state_limit_stops_a_mistyped_size_fast() {
    let t0 = Instant::now();
    let out = phasic(&[
        "model",
        "block_counting",
        "--set",
        "n=100",
        "--max-states",
        "20000",
        "--cache",
        "off",
    ]);
    assert_eq!(
        refused(&out, "n=100"),
        "error: the model has more than 20000 states (--max-states 20000): check the --set values, or raise --max-states"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());

    let kingman = |limit: &str| phasic(&["model", "kingman", "--max-states", limit, "--json"]);
    let out = kingman("11");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["vertices"], 11);
    assert_eq!(
        refused(&kingman("10"), "kingman --max-states 10"),
        "error: the model has more than 10 states (--max-states 10): check the --set values, or raise --max-states"
    );
}

/// Without `--max-states`, the limit is derived from the memory the
/// process may use; under an address-space limit it stops the build with
/// the error naming `--max-states` and the memory it was derived from.
#[test]
fn the_default_limit_follows_the_memory_limit() {
    let out = block_counting_100_within(400_000_000, &[]);
    let line = refused(&out, "n=100 under 400 MB");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    // (400 MB less the address space in use) / 2 at 1 KiB a state
    let limit: usize = line
        .strip_prefix("error: the model has more than ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        (100_000..=195_312).contains(&limit),
        "{limit} states from 400 MB: {line}"
    );
    // the memory named is what is left of the 400 MB: 0.3 or 0.4 GB
    let (head, tail) = line
        .split_once(" GB of available memory)")
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        head.ends_with(&format!("(--max-states {limit}, the default for 0.4"))
            || head.ends_with(&format!("(--max-states {limit}, the default for 0.3")),
        "{line}"
    );
    assert_eq!(tail, ": check the --set values, or raise --max-states");
}

/// A build reports its progress as `tracing` events (`RUST_LOG=info`):
/// after every 16,384 expanded states, the states, edges and rate so far.
/// Block counting n = 40 (37,339 states): two reports, at values fixed by
/// the breadth-first order.
#[test]
fn a_build_reports_states_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(PHASIC)
        .args([
            "model",
            "block_counting",
            "--set",
            "n=40",
            "--cache",
            "off",
            "--json",
        ])
        .env("PHASIC_CACHE_DIR", dir.path())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["vertices"], 37_339);
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("building the state space"))
        .collect();
    assert_eq!(reports.len(), 2, "{stderr}");
    for (line, fields) in reports.iter().zip([
        ["states=20139", "expanded=16384", "edges=189061"],
        ["states=35348", "expanded=32768", "edges=394510"],
    ]) {
        for f in fields {
            assert!(line.contains(f), "{line} lacks {f}");
        }
        let rate: f64 = line
            .split("per_second=")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("{line} has no rate"));
        assert!(rate > 0.0, "{line}");
    }
}
