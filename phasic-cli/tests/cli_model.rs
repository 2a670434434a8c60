//! End-to-end tests of `phasic model`: the built binary is run on the
//! models of the library and its stdout / stderr / exit code checked
//! against the reference numbers of docs/MODELS.md.
//!
//! Every run passes `--cache off` (and points `PHASIC_CACHE_DIR` at a
//! fresh temporary directory), so no test touches a real cache.

use std::process::{Command, Output};

use serde_json::Value;

/// Closed, exact and peer values (docs/MODELS.md §0).
const TOL: f64 = 1e-12;
/// Values of the IM model with a split time (uniformization, bound 1e-14).
const SPLIT_TOL: f64 = 1e-11;

const MODELS: [&str; 6] = [
    "kingman",
    "block_counting",
    "rabbits",
    "two_locus_two_island",
    "isolation_migration",
    "segregating_sites",
];

/// Runs `phasic model args… --cache off`.
fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_phasic"))
        .arg("model")
        .args(args)
        .args(["--cache", "off"])
        .env("PHASIC_CACHE_DIR", dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Asserts success with nothing on stderr; returns stdout.
fn ok_text(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "{args:?}: unexpected stderr: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs with `--json`, asserts success and one line on stdout, returns the object.
fn ok(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let stdout = ok_text(&all);
    assert_eq!(
        stdout.lines().count(),
        1,
        "{args:?}: stdout is not one line: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: bad JSON ({e}): {stdout}"))
}

/// Asserts failure: non-zero exit, nothing on stdout, exactly one stderr
/// line starting with `error:`; returns that line.
fn fail(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success(), "{args:?} succeeded: {stderr}");
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{args:?}: stdout on failure");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: stderr is not one line: {stderr:?}"
    );
    assert!(lines[0].starts_with("error:"), "{args:?}: {stderr}");
    lines[0].to_string()
}

/// Asserts that `line` mentions every one of `parts`.
fn names(line: &str, parts: &[&str]) {
    for p in parts {
        assert!(line.contains(p), "{line:?} does not mention {p:?}");
    }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    let scale = if want == 0.0 { 1.0 } else { want.abs() };
    assert!(
        got.is_finite() && (got - want).abs() <= tol * scale,
        "{what}: got {got:?}, expected {want:?}"
    );
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

fn close_all(got: &Value, want: &[f64], tol: f64, what: &str) {
    let got = floats(got);
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, tol, &format!("{what}[{i}]"));
    }
}

fn close_matrix(got: &Value, want: &[Vec<f64>], tol: f64, what: &str) {
    let rows = got
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a matrix: {got}"));
    assert_eq!(rows.len(), want.len(), "{what}: {got}");
    for (i, (g, w)) in rows.iter().zip(want).enumerate() {
        close_all(g, w, tol, &format!("{what} row {i}"));
    }
}

/// `moments` and `variance` (single evaluation) against `E` and `Var`.
fn mean_var(v: &Value, e: f64, var: f64, what: &str) {
    let m = floats(&v["moments"]);
    close(m[0], e, TOL, &format!("{what} E"));
    close(
        v["variance"].as_f64().unwrap(),
        var,
        TOL,
        &format!("{what} Var"),
    );
    close(m[1], var + e * e, TOL, &format!("{what} E[X²]"));
}

fn size(v: &Value) -> (u64, u64) {
    (
        v["vertices"].as_u64().unwrap(),
        v["edges"].as_u64().unwrap(),
    )
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Reference A of docs/MODELS.md §5 (no split, n = (2,2), m12 = m21 = 0.5).
fn reference_a() -> Vec<Vec<f64>> {
    vec![
        vec![0.0, 161.0 / 66.0, 79.0 / 66.0],
        vec![161.0 / 66.0, 26.0 / 33.0, 17.0 / 22.0],
        vec![79.0 / 66.0, 17.0 / 22.0, 0.0],
    ]
}

// ------------------------------------------------------------------- list

#[test]
fn list_names_every_model() {
    let text = ok_text(&["list"]);
    for name in MODELS {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "`model list` lacks {name}: {text}"
        );
    }
}

#[test]
fn list_json() {
    let v = ok(&["list"]);
    let listed: Vec<&str> = v["models"]
        .as_array()
        .unwrap_or_else(|| panic!("no `models` array: {v}"))
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, MODELS);
}

// ------------------------------------------------------------- JSON shape

#[test]
fn json_keys_only_what_was_requested() {
    let v = ok(&["kingman"]);
    let k = keys(&v);
    for key in ["vertices", "edges", "build_seconds", "moments", "variance"] {
        assert!(k.contains(&key), "missing {key}: {v}");
    }
    for key in ["sfs", "pdf", "cdf"] {
        assert!(!k.contains(&key), "{key} not requested: {v}");
    }
    assert!(v["build_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(floats(&v["moments"]).len(), 2, "default --moments is 2");

    let v = ok(&["kingman", "--at", "0.5,1"]);
    let k = keys(&v);
    assert!(k.contains(&"pdf") && k.contains(&"cdf"), "{v}");
    assert!(!k.contains(&"sfs"), "{v}");
    assert_eq!(floats(&v["pdf"]).len(), 2);

    let v = ok(&["block_counting", "--sfs"]);
    let k = keys(&v);
    assert!(k.contains(&"sfs"), "{v}");
    assert!(!k.contains(&"pdf") && !k.contains(&"cdf"), "{v}");
}

#[test]
fn human_output() {
    let text = ok_text(&["kingman"]);
    for key in ["vertices", "edges", "moments"] {
        assert!(
            text.lines().any(|l| l.starts_with(key)),
            "no `{key}` line: {text}"
        );
    }
    let vertices = text.lines().find(|l| l.starts_with("vertices")).unwrap();
    assert_eq!(vertices.split_whitespace().nth(1), Some("11"), "{text}");
    let edges = text.lines().find(|l| l.starts_with("edges")).unwrap();
    assert_eq!(edges.split_whitespace().nth(1), Some("10"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "not JSON");

    let text = ok_text(&["block-counting", "--set", "n=6", "--sfs"]);
    for key in ["vertices", "edges", "moments", "sfs"] {
        assert!(
            text.lines().any(|l| l.starts_with(key)),
            "no `{key}`: {text}"
        );
    }
}

// ---------------------------------------------------------------- values

#[test]
fn kingman_values() {
    let v = ok(&["kingman"]);
    assert_eq!(size(&v), (11, 10));
    mean_var(&v, 1.8, 1.1581418493323268, "kingman n=10");

    let v = ok(&["kingman", "--set", "n=5", "--moments", "4"]);
    assert_eq!(size(&v), (6, 5));
    close_all(
        &v["moments"],
        &[1.6, 3.7088888888888882, 11.696, 47.5858074074074],
        TOL,
        "E[T^k] n=5",
    );
    close(
        v["variance"].as_f64().unwrap(),
        517.0 / 450.0,
        TOL,
        "Var n=5",
    );

    let v = ok(&["kingman", "--set", "n=5", "--reward", "total_branch_length"]);
    mean_var(&v, 25.0 / 6.0, 205.0 / 36.0, "L n=5");

    let v = ok(&["kingman", "--set", "n=50", "--reward", "tmrca"]);
    mean_var(&v, 1.96, 1.1594618689722358, "kingman n=50");
}

#[test]
fn block_counting_sfs() {
    for name in ["block_counting", "block-counting"] {
        let v = ok(&[name, "--set", "n=6", "--sfs"]);
        assert_eq!(v["model"], "block_counting");
        assert_eq!(size(&v), (12, 18));
        close_all(&v["sfs"], &[2.0, 1.0, 2.0 / 3.0, 0.5, 0.4], TOL, "SFS n=6");
        close(floats(&v["moments"])[0], 5.0 / 3.0, TOL, "E[T] n=6");
    }
    let v = ok(&["block_counting", "--sfs"]);
    assert_eq!(size(&v), (43, 115));
    let want: Vec<f64> = (1..10).map(|i| 2.0 / f64::from(i)).collect();
    close_all(&v["sfs"], &want, TOL, "SFS n=10");
    close(
        v["variance"].as_f64().unwrap(),
        1.158141849332325,
        TOL,
        "Var T n=10",
    );
}

#[test]
fn rabbits_values() {
    let v = ok(&["rabbits"]);
    assert_eq!(size(&v), (7, 13));
    mean_var(&v, 395.0 / 784.0, 139193.0 / 614656.0, "rabbits");

    let v = ok(&["rabbits", "--reward", "right_island"]);
    assert_eq!(size(&v), (7, 13));
    mean_var(&v, 37.0 / 392.0, 0.04634787588504791, "right_island");

    let v = ok(&["rabbits", "--set", "k=3", "--moments", "1"]);
    assert_eq!(size(&v), (11, 25));
    close_all(&v["moments"], &[182075.0 / 345744.0], TOL, "rabbits k=3");

    let v = ok(&["rabbits", "--set", "flood-left=2", "--set", "k=5"]);
    assert_eq!(size(&v), (22, 61));
    close(
        floats(&v["moments"])[0],
        0.5356455582764069,
        TOL,
        "rabbits k=5",
    );
}

#[test]
fn two_locus_values() {
    let v = ok(&[
        "two_locus_two_island",
        "--set",
        "s=3",
        "--set",
        "m1=0",
        "--set",
        "m2=0",
        "--set",
        "recombination=per_type",
    ]);
    assert_eq!(size(&v), (32, 108));
    mean_var(
        &v,
        1.8325744497194645,
        2.068899566855932,
        "s=3 M=0 per-type",
    );

    let v = ok(&[
        "two-locus-two-island",
        "--set",
        "s=3",
        "--set",
        "m1=0",
        "--set",
        "m2=0",
    ]);
    assert_eq!(v["model"], "two_locus_two_island");
    assert_eq!(size(&v), (32, 108));
    mean_var(
        &v,
        110609.0 / 58800.0,
        2.0539506649428483,
        "s=3 M=0 per-lineage",
    );

    let v = ok(&["two_locus_two_island", "--set", "s=2"]);
    assert_eq!(size(&v), (47, 181));
    mean_var(
        &v,
        743159.0 / 216194.0,
        11.593798863477055,
        "s=2 M=1 per-lineage",
    );

    let v = ok(&[
        "two_locus_two_island",
        "--set",
        "s=3",
        "--set",
        "n2=2",
        "--set",
        "m1=0.5",
        "--set",
        "m2=0.25",
        "--set",
        "r=0.5",
        "--set",
        "recombination=per-type",
    ]);
    assert_eq!(size(&v), (269, 1575));
    mean_var(&v, 5.661431869343613, 30.815236880512487, "N2=2 per-type");

    let v = ok(&[
        "two_locus_two_island",
        "--set",
        "r=0",
        "--set",
        "m1=0",
        "--set",
        "m2=0",
    ]);
    assert_eq!(v["vertices"], 6, "R = M = 0 reduces to Kingman");
    close(floats(&v["moments"])[0], 1.5, TOL, "R = M = 0, s = 4");
}

#[test]
fn isolation_migration_no_split() {
    let v = ok(&["isolation_migration", "--sfs"]);
    assert_eq!(size(&v), (47, 161));
    mean_var(&v, 131.0 / 33.0, 7.645546372819098, "A");
    close_matrix(&v["sfs"], &reference_a(), TOL, "A SFS");

    let v = ok(&[
        "isolation-migration",
        "--sfs",
        "--set",
        "p1=2",
        "--set",
        "m12=0.25",
        "--set",
        "m21=1",
    ]);
    close(floats(&v["moments"])[0], 3.3296052913476655, TOL, "B E[T]");
    close_matrix(
        &v["sfs"],
        &[
            vec![0.0, 1.8987624605467461, 0.8316559345827655],
            vec![3.0174468533987535, 0.7171619293712319, 1.0095772637416427],
            vec![0.5966924719633163, 0.3608197961285338, 0.0],
        ],
        TOL,
        "B SFS",
    );

    let v = ok(&[
        "isolation_migration",
        "--set",
        "n1=1",
        "--set",
        "n2=1",
        "--set",
        "m12=0.1",
        "--set",
        "m21=0.1",
    ]);
    assert_eq!(size(&v), (7, 11));
    close(floats(&v["moments"])[0], 7.0, TOL, "2 + 1/(2m), m = 0.1");
}

#[test]
fn isolation_migration_split() {
    let v = ok(&[
        "isolation_migration",
        "--sfs",
        "--set",
        "t=1",
        "--moments",
        "1",
    ]);
    assert_eq!(size(&v), (47, 161));
    close_all(
        &v["moments"],
        &[2.119549912823546],
        SPLIT_TOL,
        "C E[T_MRCA]",
    );
    assert!(v.get("variance").is_none(), "no variance with a split: {v}");
    let c = [
        vec![0.0, 1.712715619168614, 0.5838836745114596],
        vec![1.712715619168614, 0.3916813446091939, 0.3223118376154551],
        vec![0.5838836745114596, 0.3223118376154551, 0.0],
    ];
    close_matrix(&v["sfs"], &c, SPLIT_TOL, "C SFS");

    // T = 0: panmixia, E[ξ10] = 1, E[ξ20] = 1/6, E[ξ11] = 2/3, E[ξ21] = 1/3
    let v = ok(&[
        "isolation_migration",
        "--sfs",
        "--set",
        "t=0",
        "--moments",
        "1",
    ]);
    close_matrix(
        &v["sfs"],
        &[
            vec![0.0, 1.0, 1.0 / 6.0],
            vec![1.0, 2.0 / 3.0, 1.0 / 3.0],
            vec![1.0 / 6.0, 1.0 / 3.0, 0.0],
        ],
        TOL,
        "E SFS",
    );
    close_all(&v["moments"], &[1.5], TOL, "T = 0 E[T_MRCA]");

    // only the expectation with a split: --moments 2 and --at fail
    for extra in [
        &["--moments", "2"][..],
        &["--moments", "1", "--at", "1"][..],
    ] {
        let mut args = vec!["isolation_migration", "--set", "t=1"];
        args.extend_from_slice(extra);
        let line = fail(&args);
        names(&line, &["split", "--moments 1"]);
    }
}

#[test]
fn segregating_sites_pmf() {
    let v = ok(&["segregating_sites", "--at", "0,1,2,3"]);
    assert_eq!(v["vertices"], 10);
    close_all(
        &v["pdf"],
        &[0.2, 77.0 / 300.0, 0.21105555555555558, 0.14232685185185187],
        TOL,
        "P(S=k) n=5",
    );
    close_all(
        &v["cdf"],
        &[
            0.2,
            0.2 + 77.0 / 300.0,
            0.2 + 77.0 / 300.0 + 0.21105555555555558,
            0.2 + 77.0 / 300.0 + 0.21105555555555558 + 0.14232685185185187,
        ],
        TOL,
        "P(S≤k) n=5",
    );
    mean_var(&v, 25.0 / 12.0, 505.0 / 144.0, "S n=5");

    let v = ok(&["segregating-sites", "--set", "n=2", "--at", "0,1,2,3"]);
    assert_eq!(v["vertices"], 4);
    close_all(&v["pdf"], &[0.5, 0.25, 0.125, 0.0625], TOL, "P(S=k) n=2");
    mean_var(&v, 1.0, 2.0, "S n=2");

    let v = ok(&["segregating_sites", "--set", "n=10", "--at", "0"]);
    assert_eq!(v["vertices"], 20);
    close_all(&v["pdf"], &[0.1], TOL, "P(S=0) n=10");
    mean_var(&v, 2.8289682539682537, 4.368735985134794, "S n=10");
}

// ------------------------------------------------------------------- θ

#[test]
fn theta_single() {
    let v = ok(&[
        "kingman",
        "--set",
        "n=5",
        "--theta",
        "0.5",
        "--moments",
        "3",
    ]);
    assert_eq!(size(&v), (6, 5));
    assert_eq!(v["theta"], serde_json::json!([[0.5]]));
    let m = v["moments"].as_array().unwrap();
    assert_eq!(m.len(), 1, "one entry per θ: {v}");
    close_all(
        &m[0],
        &[3.2, 4.595555555555553 + 3.2 * 3.2, 93.568],
        TOL,
        "θ₀=0.5",
    );
    close_all(&v["variance"], &[4.595555555555553], TOL, "θ₀=0.5 Var");

    let v = ok(&["rabbits", "--theta", "1,2,4", "--moments", "1"]);
    close_all(&v["moments"][0], &[153.0 / 301.0], TOL, "rabbits θ=(1,2,4)");

    // zero migration on the full structure: finite, equal to the M = 0 model
    let v = ok(&[
        "two_locus_two_island",
        "--set",
        "s=3",
        "--theta",
        "1,1,0,0,1",
    ]);
    assert_eq!(size(&v), (269, 1575));
    close_all(
        &v["moments"][0],
        &[
            110609.0 / 58800.0,
            2.0539506649428483 + (110609.0f64 / 58800.0).powi(2),
        ],
        TOL,
        "two-locus θ=(1,1,0,0,1)",
    );
}

#[test]
fn theta_batch_in_order() {
    let v = ok(&[
        "kingman", "--set", "n=5", "--theta", "2", "--theta", "0.5", "--theta", "1",
    ]);
    assert_eq!(v["theta"], serde_json::json!([[2.0], [0.5], [1.0]]));
    let m = v["moments"].as_array().unwrap();
    assert_eq!(m.len(), 3, "{v}");
    for (i, e) in [0.8, 3.2, 1.6].iter().enumerate() {
        close(floats(&m[i])[0], *e, TOL, &format!("batch entry {i}"));
    }
    close_all(
        &v["variance"],
        &[0.28722222222222205, 4.595555555555553, 517.0 / 450.0],
        TOL,
        "batch Var",
    );

    let v = ok(&[
        "rabbits",
        "--theta",
        "1,2,4",
        "--theta",
        "2,4,18",
        "--theta",
        "8,4,18",
        "--moments",
        "1",
    ]);
    let m = v["moments"].as_array().unwrap();
    assert_eq!(m.len(), 3);
    for (i, e) in [153.0 / 301.0, 0.22709632268736477, 0.17719439369563442]
        .iter()
        .enumerate()
    {
        close(floats(&m[i])[0], *e, TOL, &format!("rabbits batch {i}"));
    }
}

#[test]
fn theta_with_sfs() {
    let v = ok(&[
        "block_counting",
        "--set",
        "n=6",
        "--theta",
        "0.5",
        "--theta",
        "2",
        "--sfs",
    ]);
    let sfs = v["sfs"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(sfs.len(), 2);
    close_all(&sfs[0], &[4.0, 2.0, 4.0 / 3.0, 1.0, 0.8], TOL, "SFS θ₀=0.5");
    close_all(&sfs[1], &[1.0, 0.5, 1.0 / 3.0, 0.25, 0.2], TOL, "SFS θ₀=2");

    let v = ok(&["isolation_migration", "--theta", "1,0.5,0.5", "--sfs"]);
    close_matrix(&v["sfs"][0], &reference_a(), TOL, "IM θ=(1,.5,.5) SFS");
}

// ---------------------------------------------------------------- errors

#[test]
fn unknown_model_names_the_valid_ones() {
    let line = fail(&["nosuchmodel"]);
    names(&line, &["nosuchmodel"]);
    names(&line, &MODELS);
}

#[test]
fn unknown_key_names_the_valid_keys() {
    let line = fail(&["kingman", "--set", "m=3"]);
    names(&line, &["`m`", "n"]);
    let line = fail(&["rabbits", "--set", "x=1"]);
    names(&line, &["x", "k", "jump", "flood_left", "flood_right"]);
    let line = fail(&["isolation_migration", "--set", "s=1"]);
    names(&line, &["n1", "n2", "p1", "p2", "m12", "m21", "pa", "t"]);
}

#[test]
fn bad_values() {
    names(&fail(&["kingman", "--set", "n=abc"]), &["n=abc", "integer"]);
    names(
        &fail(&["kingman", "--set", "n=0"]),
        &["n=0", "from 1 to 2147483647"],
    );
    // past the state's integer type: the range, not "at least 1"
    names(
        &fail(&["kingman", "--set", "n=99999999999"]),
        &["n=99999999999", "from 1 to 2147483647"],
    );
    // T ~ Exp(1) for two lineages: E[T^k] = k! overflows from k = 171
    names(
        &fail(&["kingman", "--set", "n=2", "--moments", "300"]),
        &["E[Y^171] = 1.24e309", "at most 170 moments (--moments)"],
    );
    names(&fail(&["block_counting", "--set", "n=1.5"]), &["n=1.5"]);
    names(&fail(&["rabbits", "--set", "jump=-1"]), &["jump=-1"]);
    names(
        &fail(&["two_locus_two_island", "--set", "recombination=sometimes"]),
        &["recombination", "per_lineage", "per_type"],
    );
}

#[test]
fn unknown_reward() {
    let line = fail(&["kingman", "--reward", "nope"]);
    names(&line, &["nope", "tmrca", "total_branch_length"]);
}

#[test]
fn theta_of_wrong_length() {
    let line = fail(&["rabbits", "--theta", "1,2"]);
    names(&line, &["3", "2"]);
    let line = fail(&["kingman", "--theta", "1", "--theta", "1,2"]);
    names(&line, &["1", "2"]);
}

/// A θ at which the model is not a phase-type distribution is named as
/// `--theta` with what it does to the model's states (before: "vertex 1
/// ... out-edges sum to rate 0", "edge from vertex 1 ... has weight -45").
#[test]
fn theta_errors_name_theta() {
    // Kingman n = 10: [10] -> [9] at rate 45·θ
    let line = fail(&["kingman", "--theta", "0"]);
    assert_eq!(
        line,
        "error: --theta 0: state [10] gets total rate 0, so the chain never leaves it (θ = (θ₀): coalescence scale)"
    );
    let line = fail(&["kingman", "--theta", "-1"]);
    assert_eq!(
        line,
        "error: --theta -1: the transition from state [10] to state [9] gets rate -45, and rates must be finite and non-negative (θ = (θ₀): coalescence scale)"
    );
    // in a batch through the trace, the θ that fails is named
    let line = fail(&["kingman", "--theta", "2", "--theta", "0", "--via-trace"]);
    names(&line, &["--theta 0:", "state [10]", "total rate 0"]);
    // no flooding: two rabbits on the left island never die
    let line = fail(&["rabbits", "--theta", "1,0,0"]);
    names(
        &line,
        &["--theta 1,0,0:", "state [2, 0]", "never be absorbed"],
    );
    for line in [
        fail(&["kingman", "--theta", "0"]),
        fail(&["rabbits", "--theta", "1,0,0"]),
    ] {
        assert!(
            !line.contains("vertex") && !line.contains("edge") && !line.contains("weight"),
            "{line}"
        );
    }
}

/// A key set twice is refused, naming it and both settings (before: the
/// last one won silently).
#[test]
fn a_key_set_twice_is_refused() {
    assert_eq!(
        fail(&["kingman", "--set", "n=3", "--set", "n=4"]),
        "error: parameter `n` of model `kingman` is set twice (`n=3`, then `n=4`): set it once"
    );
    // hyphens stand for underscores: one key
    names(
        &fail(&["rabbits", "--set", "flood_left=1", "--set", "flood-left=2"]),
        &["`flood_left`", "`flood_left=1`", "`flood-left=2`", "twice"],
    );
    // the same value twice is still two settings of one key
    names(
        &fail(&["block_counting", "--set", "n=3", "--set", "n=3"]),
        &["`n`", "twice"],
    );
}

#[test]
fn sfs_on_a_model_without_one() {
    for model in ["kingman", "rabbits", "segregating_sites"] {
        let line = fail(&[model, "--sfs"]);
        assert!(
            line.contains("site-frequency spectrum") || line.contains("--sfs"),
            "{line}"
        );
    }
}

#[test]
fn theta_on_segregating_sites() {
    let line = fail(&["segregating_sites", "--theta", "1"]);
    names(&line, &["segregating_sites", "parameterized"]);
}

#[test]
fn discrete_model_at_non_integers() {
    let line = fail(&["segregating_sites", "--at", "0.5"]);
    names(&line, &["0.5", "integer"]);
}

/// `--via-trace` records the elimination once and evaluates it per θ: the
/// results equal the direct computation (to round-off), on an acyclic and
/// on a cyclic model, including a θ that zeroes some rates (pruned).
#[test]
fn via_trace_equals_direct() {
    let cases: [&[&str]; 3] = [
        &[
            "block_counting",
            "--set",
            "n=8",
            "--theta",
            "0.5",
            "--theta",
            "2",
            "--sfs",
            "--moments",
            "3",
        ],
        &[
            "isolation_migration",
            "--theta",
            "1,0.5,0.5",
            "--theta",
            "0.5,0.25,1",
            "--sfs",
        ],
        &[
            "two_locus_two_island",
            "--set",
            "s=3",
            "--theta",
            "1,1,0,0,1",
            "--theta",
            "1,0.5,0.5,0.25,0.5",
        ],
    ];
    for args in cases {
        let mut with = args.to_vec();
        with.push("--via-trace");
        let (direct, traced) = (ok(args), ok(&with));
        for key in ["moments", "variance", "sfs"] {
            let (d, t) = (flatten(&direct[key]), flatten(&traced[key]));
            assert_eq!(d.len(), t.len(), "{args:?} {key}");
            for (a, b) in d.iter().zip(&t) {
                close(*b, *a, 1e-12, &format!("{args:?} {key}"));
            }
        }
    }
}

fn flatten(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(flatten).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        _ => Vec::new(),
    }
}

/// Output into closed pipes (`phasic … | head` where `head` has exited,
/// stderr included) fails quietly with exit code 2, not a panic (101).
#[test]
fn closed_pipes_end_quietly() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_phasic"))
        .args([
            "model",
            "block_counting",
            "--set",
            "n=25",
            "--sfs",
            "--json",
        ])
        .args(["--cache", "off"])
        .env("PHASIC_CACHE_DIR", dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // close both ends before the model is built and anything written
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}
