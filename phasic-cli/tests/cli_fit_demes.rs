//! End-to-end tests of `phasic fit-demes`: the built binary fits the
//! bottleneck of `examples/demes/fit_bottleneck.yaml` (parameters in
//! `fit_bottleneck.options.yaml`) to spectra written here — the expected
//! counts at a known truth, rounded, so that the estimate is the truth up
//! to the rounding — and its errors are one line naming the file, entry
//! and value.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use phasic::demes::{Model, Observed, Parameters, Scaling, SfsLikelihood, log_likelihood};
use serde_json::Value;

/// The truth: bottleneck size, its start, the size after it.
const TRUTH: [f64; 3] = [1000.0, 2000.0, 20000.0];
const MU: f64 = 1.25e-8;
const LENGTH: f64 = 1e8;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/demes")
        .join(name)
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The model of the example at `theta` (through its options file).
fn model_at(theta: &[f64]) -> (Model, Vec<f64>) {
    let options = Parameters::from_yaml(&text(&example("fit_bottleneck.options.yaml"))).unwrap();
    let bound = options
        .bind(&text(&example("fit_bottleneck.yaml")))
        .unwrap();
    let (_, graph) = bound.apply(theta).unwrap();
    let model = Model::new(graph, &"A=10".parse().unwrap(), &Default::default()).unwrap();
    let sfs = model.sfs().unwrap();
    let counts = sfs
        .values()
        .iter()
        .map(|e| (MU * LENGTH * e).round())
        .collect();
    (model, counts)
}

/// An `.fs` file of `counts` (unfolded, one group).
fn fs(counts: &[f64]) -> String {
    let values: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
    format!(
        "# drawn at the truth\n{} unfolded \"A\"\n{}\n",
        counts.len(),
        values.join(" ")
    )
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phasic"))
        .arg("fit-demes")
        .arg(example("fit_bottleneck.yaml"))
        .args([
            "--params",
            example("fit_bottleneck.options.yaml").to_str().unwrap(),
        ])
        .args(["--samples", "A=10"])
        .args(args)
        .env("PHASIC_CACHE_DIR", dir.join("cache"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(dir, &all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Exit code 2 and one `error:` line; returns it.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error"), "{stderr}");
    stderr
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_string()
}

/// From a start 2× off, the fit converges on the truth (the data are its
/// rounded expectation), the 95% intervals hold it, the fitted model is
/// written and reads back with the estimates, and the picture has one
/// point and one residual bar per compared entry.
#[test]
fn fits_the_bottleneck() {
    let dir = tempfile::tempdir().unwrap();
    let (_, counts) = model_at(&TRUTH);
    let data = write(dir.path(), "data.fs", &fs(&counts));
    let out = dir.path().join("fitted.yaml");
    let svg = dir.path().join("fit.svg");
    let v = ok(
        dir.path(),
        &[
            "--data",
            &data,
            "--mu",
            "1.25e-8",
            "--length",
            "1e8",
            "--out",
            out.to_str().unwrap(),
            "--plot",
            svg.to_str().unwrap(),
        ],
    );
    assert_eq!(v["converged"], true, "{v}");
    assert_eq!(v["likelihood"], "poisson");
    assert_eq!(v["information"], "observed");
    assert_eq!(v["theta"], MU * LENGTH);
    let names = ["N_b", "T_b", "N_r"];
    for (k, p) in v["parameters"].as_array().unwrap().iter().enumerate() {
        assert_eq!(p["name"], names[k]);
        assert_eq!(p["start"], 2.0 * TRUTH[k]);
        let est = p["estimate"].as_f64().unwrap();
        assert!((est - TRUTH[k]).abs() < 0.02 * TRUTH[k], "{p}");
        let [lo, hi] = [
            p["interval"][0].as_f64().unwrap(),
            p["interval"][1].as_f64().unwrap(),
        ];
        assert!(lo < TRUTH[k] && TRUTH[k] < hi, "{p}");
        let se = p["std_error"].as_f64().unwrap();
        assert!(((hi - lo) - 2.0 * 1.96 * se).abs() < 1e-9 * hi, "{p}");
        assert!(p["gradient"].as_f64().unwrap().abs() < 1e-3, "{p}");
        assert_eq!(p["on_limit"], false, "{p}");
    }
    // the expected counts at the estimate, beside the data
    let expected = v["expected_sfs"].as_array().unwrap();
    assert_eq!(expected.len(), 11);
    for i in 1..10 {
        let e = expected[i].as_f64().unwrap();
        assert!(
            (e - counts[i]).abs() < 0.01 * counts[i],
            "entry {i}: {e} vs {}",
            counts[i]
        );
    }
    // the fitted model holds the estimates where the options point
    let options = Parameters::from_yaml(&text(&example("fit_bottleneck.options.yaml"))).unwrap();
    let fitted = options.bind(&text(&out)).unwrap();
    for k in 0..3 {
        assert_eq!(
            fitted.start()[k],
            v["parameters"][k]["estimate"].as_f64().unwrap()
        );
    }
    // the picture: 9 compared entries
    let picture = text(&svg);
    let texts: Vec<&str> = picture
        .split("</text>")
        .filter_map(|t| t.rsplit_once('>').map(|(_, x)| x.trim()))
        .collect();
    for label in [
        "observed and expected SFS at the estimate",
        "Poisson residuals (x − λ)/√λ",
        "sites",
        "residual (standard deviations)",
        "entry (derived alleles per sample group)",
    ] {
        assert!(texts.contains(&label), "no `{label}` in {texts:?}");
    }
    assert_eq!(
        picture.matches("<circle").count(),
        9 + 1,
        "points and the legend's"
    );
    assert!(picture.matches("<rect").count() >= 9, "residual bars");
}

/// `--evaluate`: the log-likelihood and the gradient by name at the
/// model's own values, as the library gives them; the multinomial θ is
/// the data's total over the expected branch length.
#[test]
fn evaluates_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (_, counts) = model_at(&TRUTH);
    let data = write(dir.path(), "data.fs", &fs(&counts));
    let start = [2000.0, 4000.0, 40000.0];
    let (model, _) = model_at(&start);
    let options = Parameters::from_yaml(&text(&example("fit_bottleneck.options.yaml"))).unwrap();
    let bound = options
        .bind(&text(&example("fit_bottleneck.yaml")))
        .unwrap();
    let graph = |t: &[f64]| bound.apply(t).map(|(_, g)| g);
    for (args, scaling) in [
        (
            vec!["--mu", "1.25e-8", "--length", "1e8"],
            Scaling::Poisson {
                mu: MU,
                length: LENGTH,
            },
        ),
        (vec!["--multinomial"], Scaling::Multinomial),
    ] {
        let mut all = vec!["--data", data.as_str(), "--evaluate"];
        all.extend(args);
        let v = ok(dir.path(), &all);
        let observed = Observed::from_fs(&fs(&counts)).unwrap();
        let lik = SfsLikelihood::new(observed, scaling).unwrap();
        let (ll, g) = log_likelihood(&model, &start, &graph, &lik).unwrap();
        assert_eq!(v["log_likelihood"].as_f64().unwrap(), ll, "{v}");
        for k in 0..3 {
            assert_eq!(
                v["parameters"][k]["gradient"].as_f64().unwrap(),
                g[k],
                "{v}"
            );
            assert!(v["parameters"][k].get("estimate").is_none());
        }
        assert!(v.get("converged").is_none());
        let sfs = model.sfs().unwrap();
        let total: f64 = counts[1..10].iter().sum();
        let length: f64 = sfs.values()[1..10].iter().sum();
        let theta = v["theta"].as_f64().unwrap();
        match scaling {
            Scaling::Multinomial => assert!((theta - total / length).abs() < 1e-12 * theta),
            Scaling::Poisson { .. } => assert_eq!(theta, MU * LENGTH),
        }
    }
}

/// Bootstrap spectra give the Godambe information; a folder without
/// spectra, or with a bad one, is an error naming it.
#[test]
fn bootstrap_spectra_give_the_godambe_information() {
    let dir = tempfile::tempdir().unwrap();
    let (_, counts) = model_at(&TRUTH);
    let data = write(dir.path(), "data.fs", &fs(&counts));
    let boot = dir.path().join("boot");
    std::fs::create_dir(&boot).unwrap();
    for (b, scale) in [0.97, 1.0, 1.02, 0.99].iter().enumerate() {
        let c: Vec<f64> = counts
            .iter()
            .enumerate()
            .map(|(i, x)| (x * if i % 2 == b % 2 { *scale } else { 2.0 - scale }).round())
            .collect();
        write(&boot, &format!("b{b}.fs"), &fs(&c));
    }
    write(&boot, "README.txt", "not a spectrum");
    let base = [
        "--data",
        data.as_str(),
        "--mu",
        "1.25e-8",
        "--length",
        "1e8",
    ];
    let mut args = base.to_vec();
    args.extend(["--bootstrap", boot.to_str().unwrap()]);
    let v = ok(dir.path(), &args);
    assert_eq!(v["information"], "godambe", "{v}");
    assert_eq!(v["bootstrap_spectra"], 4);
    assert!(v["parameters"][0]["std_error"].as_f64().unwrap() > 0.0);

    write(&boot, "b9.fs", "11\n0 1 2\n");
    let e = fails(dir.path(), &args);
    assert!(e.contains("b9.fs") && e.contains("line 2"), "{e}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut args = base.to_vec();
    args.extend(["--bootstrap", empty.to_str().unwrap()]);
    let e = fails(dir.path(), &args);
    assert!(e.contains("no .fs files") && e.contains("empty"), "{e}");
}

/// Errors name the file and the value.
#[test]
fn errors_name_the_file_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let (_, counts) = model_at(&TRUTH);
    let data = write(dir.path(), "data.fs", &fs(&counts));
    // neither --mu/--length nor --multinomial, or both: usage errors
    let e = fails(dir.path(), &["--data", &data]);
    assert!(e.contains("--multinomial") || e.contains("--mu"), "{e}");
    let e = fails(
        dir.path(),
        &[
            "--data",
            &data,
            "--mu",
            "1e-8",
            "--length",
            "10",
            "--multinomial",
        ],
    );
    assert!(e.contains("cannot be used with"), "{e}");
    let e = fails(dir.path(), &["--data", &data, "--mu=-1", "--length", "10"]);
    assert!(e.contains("`-1`"), "{e}");
    // --folded is for JSON data
    let e = fails(dir.path(), &["--data", &data, "--multinomial", "--folded"]);
    assert!(
        e.contains("--folded applies to JSON") && e.contains("data.fs"),
        "{e}"
    );
    // data of another shape than the samples give
    let short = write(dir.path(), "short.fs", "5\n0 1 2 3 0\n");
    let e = fails(
        dir.path(),
        &["--data", &short, "--multinomial", "--evaluate"],
    );
    assert!(
        e.contains("short.fs") && e.contains("[5]") && e.contains("[11]"),
        "{e}"
    );
    // a bad data file names its line and value
    let bad = write(dir.path(), "bad.fs", "11\n0 1 two 3 4 5 6 7 8 9 0\n");
    let e = fails(dir.path(), &["--data", &bad, "--multinomial"]);
    assert!(
        e.contains("bad.fs") && e.contains("line 2") && e.contains("`two`"),
        "{e}"
    );
    // JSON data, folded
    let json = write(
        dir.path(),
        "data.json",
        "[0, 5, 3, 2, 1, 1, null, null, null, null, null]",
    );
    let v = ok(
        dir.path(),
        &["--data", &json, "--folded", "--multinomial", "--evaluate"],
    );
    assert!(v["log_likelihood"].as_f64().unwrap().is_finite(), "{v}");
    // a missing file
    let e = fails(
        dir.path(),
        &["--data", "/nonexistent/data.fs", "--multinomial"],
    );
    assert!(e.contains("/nonexistent/data.fs"), "{e}");
}

/// A constraint of the options file (`N_b` greater than `N_r`, which the
/// data pull against) is honoured: the estimates keep the order, sit on
/// the constraint, and are flagged in the JSON and the text.
#[test]
fn constraints_of_the_options_file_hold() {
    let dir = tempfile::tempdir().unwrap();
    let (_, counts) = model_at(&TRUTH);
    let data = write(dir.path(), "data.fs", &fs(&counts));
    let options = text(&example("fit_bottleneck.options.yaml"))
        + "constraints:\n- params: [N_b, N_r]\n  constraint: greater_than\n";
    let options = write(dir.path(), "options.yaml", &options);
    // the file's values keep N_b above N_r
    let model = text(&example("fit_bottleneck.yaml"))
        .replace("end_time: 4000", "end_time: 2000")
        .replace("start_size: 2000", "start_size: 30000")
        .replace("start_size: 40000", "start_size: 20000");
    let model = write(dir.path(), "model.yaml", &model);
    let args = |json: bool| {
        let mut a = vec![
            "fit-demes",
            &model,
            "--params",
            &options,
            "--samples",
            "A=10",
            "--data",
            &data,
            "--mu",
            "1.25e-8",
            "--length",
            "1e8",
        ];
        if json {
            a.push("--json");
        }
        Command::new(env!("CARGO_BIN_EXE_phasic"))
            .args(a)
            .env("PHASIC_CACHE_DIR", dir.path().join("cache"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let out = args(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let est = |k: usize| v["parameters"][k]["estimate"].as_f64().unwrap();
    assert!(est(0) > est(2), "{v}");
    assert!(est(0) - est(2) < 1e-6 * est(2), "{v}");
    assert_eq!(v["parameters"][0]["on_limit"], true, "{v}");
    assert_eq!(v["parameters"][1]["on_limit"], false, "{v}");
    assert_eq!(v["parameters"][2]["on_limit"], true, "{v}");
    let out = args(false);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("on a bound or constraint: N_b, N_r"),
        "{text}"
    );
}
