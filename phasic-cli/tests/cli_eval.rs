//! End-to-end tests of `phasic eval`: the built binary is run on JSON files
//! and its stdout / stderr / exit code checked against docs/ALGORITHMS.md §9.

use std::io::Write;
use std::process::{Command, Output};

use serde_json::Value;

const TOL: f64 = 1e-12;

/// Runs `phasic eval --matrix <file containing json> args…`.
fn run(json: &str, args: &[&str]) -> Output {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(json.as_bytes()).unwrap();
    file.flush().unwrap();
    run_path(file.path().to_str().unwrap(), args)
}

fn run_path(path: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phasic"))
        .args(["eval", "--matrix", path])
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Asserts success and returns the parsed stdout object.
fn ok(json: &str, args: &[&str]) -> Value {
    let out = run(json, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout is not one line: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

/// Asserts failure with exit code 2 and exactly one stderr line, and returns it.
fn fail_output(out: Output) -> String {
    assert!(!out.status.success());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "stdout on failure");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr is not one line: {stderr:?}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0].to_string()
}

fn fail(json: &str, args: &[&str]) -> String {
    fail_output(run(json, args))
}

/// Asserts that `line` contains every one of `parts`.
fn names(line: &str, parts: &[&str]) {
    for p in parts {
        assert!(line.contains(p), "{line:?} does not mention {p:?}");
    }
}

fn floats(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}

fn scalar(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap()
}

const EXPONENTIAL: &str = r#"{"alpha": [1], "S": [[-2]]}"#;
const HYPO: &str = r#"{"alpha": [1, 0], "S": [[-4, 4], [0, -10]]}"#;
const GEOMETRIC: &str = r#"{"alpha": [1], "T": [[0.75]]}"#;

// ---------------------------------------------------------------- values

#[test]
fn exponential_moments_variance_pdf_cdf() {
    let v = ok(EXPONENTIAL, &["--at", "0.5,1"]);
    assert_eq!(v["states"], 1);
    close(&floats(&v, "moments"), &[0.5, 0.5], TOL);
    assert!((scalar(&v, "variance") - 0.25).abs() < TOL);
    let ts = [0.5f64, 1.0];
    let pdf: Vec<f64> = ts.iter().map(|t| 2.0 * (-2.0 * t).exp()).collect();
    let cdf: Vec<f64> = ts.iter().map(|t| 1.0 - (-2.0 * t).exp()).collect();
    close(&floats(&v, "pdf"), &pdf, TOL);
    close(&floats(&v, "cdf"), &cdf, TOL);
}

#[test]
fn output_keys_in_spec_order_and_empty_without_at() {
    let out = run(EXPONENTIAL, &[]);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let pos: Vec<usize> = [
        "\"states\"",
        "\"moments\"",
        "\"variance\"",
        "\"pdf\"",
        "\"cdf\"",
    ]
    .iter()
    .map(|k| s.find(k).unwrap_or_else(|| panic!("{k} missing in {s}")))
    .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{s}");
    let v: Value = serde_json::from_str(&s).unwrap();
    // K defaults to 2
    assert_eq!(v["moments"].as_array().unwrap().len(), 2);
    assert_eq!(v["pdf"], Value::Array(vec![]));
    assert_eq!(v["cdf"], Value::Array(vec![]));
}

#[test]
fn exponential_third_moment_and_integer_or_float_input() {
    let a = ok(EXPONENTIAL, &["--moments", "3"]);
    let b = ok(r#"{"alpha": [1.0], "S": [[-2.0]]}"#, &["--moments", "3"]);
    close(&floats(&a, "moments"), &[0.5, 0.5, 0.75], TOL);
    assert_eq!(a, b);
    let one = ok(EXPONENTIAL, &["--moments", "1"]);
    close(&floats(&one, "moments"), &[0.5], TOL);
}

#[test]
fn full_precision_is_printed() {
    // E = 1/3, Var = 1/9: a 6-digit printout would miss these by 1e-7
    let v = ok(r#"{"alpha": [1], "S": [[-3]]}"#, &["--at", "0.7"]);
    assert!((scalar(&v, "variance") - 1.0 / 9.0).abs() < 1e-15);
    close(&floats(&v, "moments"), &[1.0 / 3.0, 2.0 / 9.0], 1e-15);
    close(&floats(&v, "cdf"), &[1.0 - (-2.1f64).exp()], TOL);
}

#[test]
fn hypoexponential_doc_example() {
    let v = ok(HYPO, &["--moments", "3"]);
    assert_eq!(v["states"], 2);
    close(&floats(&v, "moments"), &[0.35, 0.195, 0.15225], TOL);
    assert!((scalar(&v, "variance") - 0.0725).abs() < TOL);
}

#[test]
fn hypoexponential_with_rewards() {
    let json = r#"{"alpha": [1, 0], "S": [[-4, 4], [0, -10]], "rewards": [2, 1]}"#;
    let v = ok(json, &["--moments", "3"]);
    assert_eq!(v["states"], 2);
    close(&floats(&v, "moments"), &[0.6, 0.62, 0.936], TOL);
    assert!((scalar(&v, "variance") - 0.26).abs() < TOL);
}

#[test]
fn zero_reward_is_bypassed() {
    // Y = time in the second state ~ Exp(10)
    let json = r#"{"alpha": [1, 0], "S": [[-4, 4], [0, -10]], "rewards": [0, 1]}"#;
    let v = ok(json, &["--at", "0,0.1"]);
    close(&floats(&v, "moments"), &[0.1, 0.02], TOL);
    assert!((scalar(&v, "variance") - 0.01).abs() < TOL);
    close(&floats(&v, "pdf"), &[10.0, 10.0 * (-1.0f64).exp()], TOL);
    close(&floats(&v, "cdf"), &[0.0, 1.0 - (-1.0f64).exp()], TOL);
}

#[test]
fn geometric_dph() {
    let v = ok(GEOMETRIC, &["--at", "0,1,2,3,4,5"]);
    assert_eq!(v["states"], 1);
    close(&floats(&v, "moments"), &[4.0, 28.0], TOL);
    assert!((scalar(&v, "variance") - 12.0).abs() < TOL);
    close(
        &floats(&v, "pdf"),
        &[0.0, 0.25, 0.1875, 0.140625, 0.10546875, 0.0791015625],
        TOL,
    );
    close(
        &floats(&v, "cdf"),
        &[0.0, 0.25, 0.4375, 0.578125, 0.68359375, 0.7626953125],
        TOL,
    );
}

#[test]
fn geometric_at_points_in_any_order_and_as_integral_floats() {
    let v = ok(GEOMETRIC, &["--at", "5,1.0,0"]);
    close(&floats(&v, "pdf"), &[0.0791015625, 0.25, 0.0], TOL);
    close(&floats(&v, "cdf"), &[0.7626953125, 0.25, 0.0], TOL);
}

#[test]
fn discrete_reward_doubles_the_geometric() {
    // Y = 2τ: E = 8, E[Y²] = 4·28 = 112, Var = 4·12 = 48
    let json = r#"{"alpha": [1], "T": [[0.75]], "rewards": [2]}"#;
    let v = ok(json, &["--at", "0,1,2,3,4"]);
    close(&floats(&v, "moments"), &[8.0, 112.0], TOL);
    assert!((scalar(&v, "variance") - 48.0).abs() < TOL);
    close(&floats(&v, "pdf"), &[0.0, 0.0, 0.25, 0.0, 0.1875], TOL);
    close(&floats(&v, "cdf"), &[0.0, 0.0, 0.25, 0.25, 0.4375], TOL);
}

#[test]
fn defect() {
    let v = ok(r#"{"alpha": [0.7], "S": [[-2]]}"#, &["--at", "0,1"]);
    close(&floats(&v, "moments"), &[0.35, 0.35], TOL);
    assert!((scalar(&v, "variance") - 0.2275).abs() < TOL);
    let cdf = floats(&v, "cdf");
    assert!((cdf[0] - 0.3).abs() < TOL);
    assert!((cdf[1] - (0.3 + 0.7 * (1.0 - (-2.0f64).exp()))).abs() < TOL);
    // density of the continuous part; the atom is only in the cdf
    assert!((floats(&v, "pdf")[0] - 1.4).abs() < TOL);
}

#[test]
fn logging_never_reaches_stdout() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(HYPO.as_bytes()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_phasic"))
        .args(["eval", "--matrix", file.path().to_str().unwrap()])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    close(&floats(&v, "moments"), &[0.35, 0.195], TOL);
}

// ------------------------------------------------------------ bad input

#[test]
fn ragged_matrix() {
    let e = fail(r#"{"alpha": [1, 0], "S": [[-4, 4], [-10]]}"#, &[]);
    names(&e, &["row 1", "S", "1 entries", "expected 2"]);
}

#[test]
fn negative_off_diagonal_rate() {
    let e = fail(r#"{"alpha": [1, 0], "S": [[-4, 4], [-2, -10]]}"#, &[]);
    names(&e, &["S[1][0] = -2", "non-negative"]);
}

#[test]
fn row_of_s_sums_above_zero() {
    let e = fail(r#"{"alpha": [1, 0], "S": [[-4, 4], [1, -0.5]]}"#, &[]);
    names(&e, &["row 1 of S", "0.5", "above 0"]);
}

#[test]
fn t_entry_outside_unit_interval() {
    let e = fail(r#"{"alpha": [1, 0], "T": [[0.5, 1.5], [0, 0.3]]}"#, &[]);
    names(&e, &["T[0][1] = 1.5", "[0, 1]"]);
    let e = fail(r#"{"alpha": [1, 0], "T": [[0.5, 0.1], [-0.25, 0.3]]}"#, &[]);
    names(&e, &["T[1][0] = -0.25"]);
}

#[test]
fn t_row_sums_above_one() {
    let e = fail(r#"{"alpha": [1, 0], "T": [[0.5, 0.25], [0.5, 0.75]]}"#, &[]);
    names(&e, &["row 1 of T", "1.25", "above 1"]);
}

#[test]
fn alpha_of_wrong_length() {
    let e = fail(r#"{"alpha": [1, 0, 0], "S": [[-4, 4], [0, -10]]}"#, &[]);
    names(&e, &["alpha", "length 3", "2 rows"]);
}

#[test]
fn alpha_summing_above_one() {
    let e = fail(r#"{"alpha": [0.6, 0.6], "S": [[-4, 4], [0, -10]]}"#, &[]);
    names(&e, &["alpha", "1.2", "above 1"]);
    let e = fail(r#"{"alpha": [-0.5, 1], "S": [[-4, 4], [0, -10]]}"#, &[]);
    names(&e, &["alpha[0] = -0.5"]);
}

#[test]
fn negative_reward() {
    let json =
        r#"{"alpha": [1, 0, 0], "S": [[-1, 1, 0], [0, -1, 1], [0, 0, -1]], "rewards": [1, 2, -1]}"#;
    let e = fail(json, &[]);
    names(&e, &["rewards[2] = -1", "non-negative"]);
}

#[test]
fn non_integer_discrete_reward() {
    let json = r#"{"alpha": [1, 0], "T": [[0.5, 0.25], [0, 0.5]], "rewards": [1, 1.5]}"#;
    let e = fail(json, &[]);
    names(&e, &["rewards[1] = 1.5", "integer"]);
    // the same rewards are fine for a continuous distribution
    ok(
        r#"{"alpha": [1, 0], "S": [[-1, 1], [0, -1]], "rewards": [1, 1.5]}"#,
        &[],
    );
}

#[test]
fn rewards_of_wrong_length() {
    let json = r#"{"alpha": [1, 0], "S": [[-4, 4], [0, -10]], "rewards": [1, 2, 3]}"#;
    names(&fail(json, &[]), &["rewards", "3", "2 rows"]);
    let json = r#"{"alpha": [1], "T": [[0.75]], "rewards": []}"#;
    names(&fail(json, &[]), &["rewards", "0", "1 rows"]);
}

#[test]
fn both_s_and_t() {
    let json = r#"{"alpha": [1], "S": [[-1]], "T": [[0.5]]}"#;
    names(&fail(json, &[]), &["both", "\"S\"", "\"T\""]);
}

#[test]
fn neither_s_nor_t() {
    names(
        &fail(r#"{"alpha": [1]}"#, &[]),
        &["neither", "\"S\"", "\"T\""],
    );
}

#[test]
fn non_number_in_matrix() {
    let e = fail(r#"{"alpha": [1, 0], "S": [[-4, "4"], [0, -10]]}"#, &[]);
    names(&e, &["invalid type", "string", "line 1 column"]);
    let e = fail(r#"{"alpha": [1], "S": [[null]]}"#, &[]);
    names(&e, &["invalid type", "null", "line 1 column"]);
}

#[test]
fn number_out_of_range() {
    let e = fail(r#"{"alpha": [1], "S": [[-1e400]]}"#, &[]);
    names(&e, &["out of range", "line 1 column"]);
}

#[test]
fn invalid_json_syntax() {
    let e = fail("{\"alpha\": [1],\n \"S\": [[-2]\n}", &[]);
    names(&e, &["line 3 column 1"]);
    let e = fail(r#"{"alpha": [1], "S": [[-2]]} trailing"#, &[]);
    names(&e, &["trailing", "line 1 column"]);
    let e = fail("", &[]);
    names(&e, &["EOF", "line 1 column 0"]);
}

#[test]
fn missing_field_and_unknown_field() {
    names(&fail(r#"{"S": [[-2]]}"#, &[]), &["missing field `alpha`"]);
    let e = fail(r#"{"alpha": [1], "S": [[-2]], "reward": [1]}"#, &[]);
    names(&e, &["unknown field `reward`", "line 1 column"]);
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.json");
    let e = fail_output(run_path(path.to_str().unwrap(), &[]));
    names(&e, &["cannot read", "nope.json"]);
}

#[test]
fn state_never_left_is_rejected() {
    // an all-zero row of S would otherwise become an absorbing state
    let e = fail(r#"{"alpha": [1, 0], "S": [[-1, 1], [0, 0]]}"#, &[]);
    names(&e, &["row 1 of S", "never left"]);
    let e = fail(r#"{"alpha": [1], "T": [[1]]}"#, &[]);
    names(&e, &["row 0 of T", "never left"]);
    // ... even where the chain cannot enter it: such a row is a mistake
    let e = fail(r#"{"alpha": [0, 1], "S": [[0, 0], [0, -1]]}"#, &[]);
    names(&e, &["row 0 of S", "never left"]);
}

#[test]
fn closed_class_is_rejected() {
    // rows 1 and 2 swap for ever; row 0 leads there or to absorption
    // (issue 15: in the user's terms, rows of the matrix, never vertices)
    let json = r#"{"alpha": [1, 0, 0], "S": [[-2, 1, 0], [0, -1, 1], [0, 1, -1]]}"#;
    let e = fail(json, &[]);
    names(&e, &["row 1 of S", "among rows 1, 2 of S", "closed class"]);
    assert!(!e.contains("vertex") && !e.contains("state"), "{e}");
    let json = r#"{"alpha": [1, 0], "T": [[0, 1], [1, 0]]}"#;
    let e = fail(json, &[]);
    names(&e, &["row 0 of T", "among rows 0, 1 of T", "closed class"]);
    assert!(!e.contains("vertex"), "{e}");
    // a long class is listed by its first ten rows and a count
    let n = 14;
    let s: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut row = vec![0.0; n];
            row[i] = -1.0;
            row[(i + 1) % n] = 1.0;
            row
        })
        .collect();
    let mut alpha = vec![0.0; n];
    alpha[0] = 1.0;
    let json = serde_json::json!({ "alpha": alpha, "S": s }).to_string();
    names(
        &fail(&json, &[]),
        &["among rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 4 more of S"],
    );
    // a closed class the chain cannot enter is harmless
    let json = r#"{"alpha": [0, 0, 1], "S": [[-1, 1, 0], [1, -1, 0], [0, 0, -4]]}"#;
    close(&floats(&ok(json, &[]), "moments"), &[0.25, 0.125], TOL);
}

#[test]
fn bad_at_points() {
    let e = fail(GEOMETRIC, &["--at", "1,2.5"]);
    names(&e, &["--at", "2.5", "position 1", "integer"]);
    let e = fail(GEOMETRIC, &["--at", "-1"]);
    names(&e, &["--at", "-1", "position 0", "non-negative"]);
    let e = fail(EXPONENTIAL, &["--at=0.5,-0.5"]);
    names(&e, &["--at", "-0.5", "position 1", "non-negative"]);
}

#[test]
fn overflow_is_an_error_not_inf() {
    // E[Y] = 1e300, E[Y²] = 2e600 overflows
    let e = fail(r#"{"alpha": [1], "S": [[-1e-300]]}"#, &[]);
    names(
        &e,
        &["E[Y^2] = 2.00e600", "above the range of f64", "overflow"],
    );
}

/// `|got − want| ≤ 1e-12·|want|` for every entry.
fn relative(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs(),
            "{what}: E[Y^{}] = {g:e}, want {w:e}",
            k + 1
        );
    }
}

/// Issue 15, item 9: `{"alpha":[1],"S":[[-1000]]}` printed E[Y^108..170]
/// as 0 and E[Y^106] off in the sixth digit, and called orders past 170
/// an overflow; α = 0 (every moment exactly 0) was an overflow too.
#[test]
fn high_order_moments_are_right_or_refused_when_out_of_range() {
    let exp1000 = r#"{"alpha": [1], "S": [[-1000]]}"#;
    // E[Y^k] = k!/1000^k = Π_{i ≤ k} i/1000
    let want: Vec<f64> = (1..=345)
        .scan(1.0, |m, k| {
            *m *= k as f64 / 1000.0;
            Some(*m)
        })
        .collect();
    let v = ok(exp1000, &["--moments", "345"]);
    relative(&floats(&v, "moments"), &want, "Exp(1000)");
    // E[Y^346] = 8.4e-309 is below the normal range: refused, and only it
    let e = fail(exp1000, &["--moments", "346"]);
    names(
        &e,
        &[
            "E[Y^346] = 8.38e-309",
            "below the range of f64",
            "underflow",
            "--moments 345",
        ],
    );
    let v = ok(r#"{"alpha": [0], "S": [[-1000]]}"#, &["--moments", "400"]);
    let zeros = floats(&v, "moments");
    assert!(zeros.len() == 400 && zeros.iter().all(|&m| m == 0.0), "{v}");
    // discrete: a geometric number of steps staying with probability 0.01;
    // E[τ^25] was negative. (1 − q)·m_k = 1 − q + q·Σ_{i<k} C(k, i)·m_i
    let q = 0.01;
    let mut m = vec![1.0];
    for k in 1..=60 {
        let (mut c, mut s) = (1.0, 0.0);
        for (i, mi) in m.iter().enumerate() {
            s += c * mi;
            c *= (k - i) as f64 / (i + 1) as f64;
        }
        m.push((1.0 - q + q * s) / (1.0 - q));
    }
    let v = ok(r#"{"alpha": [1], "T": [[0.01]]}"#, &["--moments", "60"]);
    relative(&floats(&v, "moments"), &m[1..], "geometric");
}

/// Issue 15: a point the uniformization cannot reach names `--at` and
/// its position (it was "Λ·t (the uniformization rate times the time)").
#[test]
fn a_time_too_far_out_names_at() {
    // two states swapping at rate 1, leaving at rate 1e-6: Λ·1e6 jumps
    let json = r#"{"alpha": [1, 0], "S": [[-1, 1], [1, -1.000001]]}"#;
    let e = fail(json, &["--at", "0.5,1e6"]);
    names(&e, &["--at value 1000000 (position 1)", "a million"]);
}

#[test]
fn usage_errors_come_from_clap() {
    for args in [
        &["--moments", "0"][..],
        &["--moments", "x"],
        &["--at", "a"],
        &["--at", "nan"],
        &["--bogus"],
    ] {
        let out = run(EXPONENTIAL, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_phasic"))
        .arg("eval")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--matrix"));
}

#[test]
fn reward_transform_with_zero_reward_and_loop() {
    // docs/ALGORITHMS.md §9.6: A→B 2, A→abs 1, B→A 3, B→C 1, C→abs 4; rewards A 1, B 0, C 2
    let json = r#"{"alpha": [1, 0, 0],
                   "S": [[-3, 2, 0], [3, -4, 1], [0, 0, -4]],
                   "rewards": [1, 0, 2]}"#;
    let v = ok(json, &["--moments", "3"]);
    assert_eq!(v["states"], 3);
    close(
        &floats(&v, "moments"),
        &[5.0 / 6.0, 23.0 / 18.0, 101.0 / 36.0],
        TOL,
    );
    assert!((scalar(&v, "variance") - 7.0 / 12.0).abs() < TOL);
    // unrewarded: E[τ] = 13/12, Var τ = 17/16
    let v = ok(
        r#"{"alpha": [1, 0, 0], "S": [[-3, 2, 0], [3, -4, 1], [0, 0, -4]]}"#,
        &[],
    );
    close(&floats(&v, "moments")[..1], &[13.0 / 12.0], TOL);
    assert!((scalar(&v, "variance") - 17.0 / 16.0).abs() < TOL);
}
