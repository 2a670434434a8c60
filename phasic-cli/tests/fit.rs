//! Fitting θ (issue 7): the fit_coalescent workflow — data simulated with
//! the library's sampler at a known θ, fitted by SVGD — brackets the true
//! θ in its 95% posterior interval for a fixed seed, independently of the
//! thread count; and `phasic fit` end to end, with its data errors.

use std::process::{Command, Output};

use phasic::core::inference::no_progress;
use phasic::core::{
    distribution::Sampler, inference::Likelihood, inference::MleOptions, inference::MomentMatching,
    inference::Observations, inference::Posterior, inference::Prior, inference::SvgdOptions,
    inference::maximum_likelihood, inference::svgd, trace::Trace,
};
use phasic::models::kingman_theta;
use phasic::prelude::*;
use rand::SeedableRng;
use serde_json::Value;

const TRUTH: f64 = 2.0;

/// `count` TMRCAs of the Kingman coalescent (n = 10) at θ = `TRUTH`.
fn simulated(count: usize, seed: u64) -> Vec<f64> {
    let mut g = Graph::from_callback(kingman_theta, 10).unwrap();
    g.update_weights(&[TRUTH]).unwrap();
    let sampler = Sampler::continuous(&g).unwrap();
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
    sampler.times(&mut rng, count)
}

fn posterior(data: &[f64], threads: usize) -> Posterior {
    let g = Graph::from_callback(kingman_theta, 10).unwrap();
    let lik = Likelihood::new(&g, Observations::Times(data.to_vec())).unwrap();
    let options = SvgdOptions {
        particles: 24,
        iterations: 150,
        rate: 0.05,
        priors: vec![Prior::HalfCauchy { scale: 5.0 }],
        center: vec![1.0],
        seed: 11,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| svgd(&lik, &options, &no_progress).unwrap())
}

#[test]
fn the_true_theta_lies_in_the_95_percent_posterior_interval() {
    let data = simulated(150, 7);
    let one = posterior(&data, 1);
    let (lo, hi) = (one.quantile(0, 0.025), one.quantile(0, 0.975));
    assert!(lo < TRUTH && TRUTH < hi, "[{lo}, {hi}] misses θ = {TRUTH}");
    // a real posterior, not a point: about TRUTH/√150 wide
    assert!(one.sd[0] > 0.05 && one.sd[0] < 0.4, "sd {}", one.sd[0]);
    // the MLE agrees with the posterior mean
    let g = Graph::from_callback(kingman_theta, 10).unwrap();
    let lik = Likelihood::new(&g, Observations::Times(data.clone())).unwrap();
    let mle = maximum_likelihood(
        &lik,
        &MleOptions {
            start: vec![1.0],
            iterations: 1000,
            tolerance: 1e-10,
        },
        &no_progress,
    )
    .unwrap();
    assert!((mle.theta[0] - one.mean[0]).abs() < 0.5 * one.sd[0]);
    // the same particles, bit for bit, with two threads
    let two = posterior(&data, 2);
    assert_eq!(one, two);
}

/// The CLI's default start: θ = 1 scaled so that the model's mean is the
/// data's (for this homogeneous model, exactly `E[T](1)/mean`).
fn matched_start(g: &Graph, data: &[f64]) -> Vec<f64> {
    let mean = data.iter().sum::<f64>() / data.len() as f64;
    let trace = Trace::record(g).unwrap();
    let start = MomentMatching::new(vec![mean])
        .unwrap()
        .scaled_start(&trace, &[1.0])
        .unwrap();
    let e1 = trace.expectation(&[1.0], None).unwrap();
    assert!((start[0] / (e1 / mean) - 1.0).abs() < 1e-14, "{start:?}");
    start
}

fn fit(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_phasic"))
        .arg("fit")
        .args(args)
        .args(["--cache", "off"])
        .env("PHASIC_CACHE_DIR", dir.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn phasic_fit_reads_lines_and_json_and_finds_the_mle() {
    let data = simulated(80, 3);
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("times.txt");
    let text: String = std::iter::once("# TMRCAs\n".to_string())
        .chain(data.iter().map(|t| format!("{t}\n\n")))
        .collect();
    std::fs::write(&lines, text).unwrap();
    let array = dir.path().join("times.json");
    std::fs::write(&array, serde_json::to_string(&data).unwrap()).unwrap();
    let g = Graph::from_callback(kingman_theta, 10).unwrap();
    let lik = Likelihood::new(&g, Observations::Times(data.clone())).unwrap();
    // the CLI starts where the model's mean is the data's
    let start = matched_start(&g, &data);
    let mle = |iterations| {
        maximum_likelihood(
            &lik,
            &MleOptions {
                start: start.clone(),
                iterations,
                tolerance: 1e-6, // the CLI's default
            },
            &no_progress,
        )
        .unwrap()
    };
    let want = mle(500);
    for file in [&lines, &array] {
        let v = json(&fit(&[
            "kingman",
            "--set",
            "n=10",
            "--data",
            file.to_str().unwrap(),
            "--json",
        ]));
        assert_eq!(v["method"], "mle");
        assert_eq!(v["observations"], 80);
        assert_eq!(v["vertices"], 11);
        assert_eq!(v["theta"][0].as_f64().unwrap(), want.theta[0]);
        assert_eq!(v["log_likelihood"].as_f64().unwrap(), want.log_likelihood);
        assert_eq!(v["converged"], true);
        assert_eq!(v["iterations"].as_u64().unwrap() as usize, want.iterations);
    }
    assert!(want.converged && want.iterations < 30, "{want:?}");
    // without --json: one line naming the model, its θ and the estimate
    let text_of = |extra: &[&str]| {
        let mut args = vec![
            "kingman",
            "--set",
            "n=10",
            "--data",
            lines.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = fit(&args);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let text = text_of(&[]);
    let head = format!(
        "kingman, θ = (θ₀): coalescence scale; 80 observations: MLE θ = ({:.6}), log L = {:.6}, ",
        want.theta[0], want.log_likelihood
    );
    let tail = format!(
        " s; converged after {} iterations ({} evaluations)\n",
        want.iterations, want.evaluations
    );
    assert!(text.starts_with(&head) && text.ends_with(&tail), "{text}");
    // out of iterations: the line says so, and what to do
    let text = text_of(&["--iterations", "1"]);
    let one = mle(1);
    assert!(!one.converged && one.iterations == 1);
    let tail = format!(
        " s; NOT converged after 1 iterations ({} evaluations): raise --iterations or --tolerance\n",
        one.evaluations
    );
    assert!(text.ends_with(&tail), "{text}");
    let v = json(&fit(&[
        "kingman",
        "--set",
        "n=10",
        "--data",
        array.to_str().unwrap(),
        "--method",
        "svgd",
        "--particles",
        "8",
        "--iterations",
        "40",
        "--prior",
        "log-normal:0,2",
        "--json",
    ]));
    let (mean, lo, hi) = (
        v["mean"][0].as_f64().unwrap(),
        v["q025"][0].as_f64().unwrap(),
        v["q975"][0].as_f64().unwrap(),
    );
    assert!(lo <= mean && mean <= hi && v["sd"][0].as_f64().unwrap() > 0.0);
}

/// `--start` is one comma-separated θ (it once panicked in the argument
/// parser); a wrong length is an error naming both lengths.
#[test]
fn phasic_fit_starts_where_asked() {
    let data = simulated(40, 6);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("times.json");
    std::fs::write(&file, serde_json::to_string(&data).unwrap()).unwrap();
    let g = Graph::from_callback(kingman_theta, 10).unwrap();
    let lik = Likelihood::new(&g, Observations::Times(data)).unwrap();
    let options = MleOptions {
        start: vec![7.5],
        iterations: 500,
        tolerance: 1e-6,
    };
    let want = maximum_likelihood(&lik, &options, &no_progress).unwrap();
    let f = file.to_str().unwrap();
    let v = json(&fit(&[
        "kingman", "--set", "n=10", "--data", f, "--start", "7.5", "--json",
    ]));
    assert_eq!(v["theta"][0].as_f64().unwrap(), want.theta[0]);
    assert_eq!(v["iterations"].as_u64().unwrap() as usize, want.iterations);
    let out = fit(&["kingman", "--set", "n=10", "--data", f, "--start", "1,2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected 1 parameters, got 2"), "{err}");
}

/// `done=k total=n` of every `iterations done` event on stderr.
fn iteration_events(out: &Output) -> Vec<(usize, usize)> {
    let number = |line: &str, key: &str| -> usize {
        let at = line.find(key).unwrap() + key.len();
        let digits: String = line[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("iterations done"))
        .map(|l| (number(l, "done="), number(l, "total=")))
        .collect()
}

#[test]
fn phasic_fit_reports_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("times.json");
    std::fs::write(&file, serde_json::to_string(&simulated(30, 4)).unwrap()).unwrap();
    let run = |method: &str| {
        Command::new(env!("CARGO_BIN_EXE_phasic"))
            .args(["fit", "kingman", "--set", "n=6", "--data"])
            .arg(&file)
            .args(["--method", method, "--particles", "4", "--iterations", "5"])
            .args(["--json", "--cache", "off"])
            .env("RUST_LOG", "info")
            .output()
            .unwrap()
    };
    let out = run("svgd");
    assert_eq!(
        iteration_events(&out),
        (1..=5).map(|k| (k, 5)).collect::<Vec<_>>()
    );
    json(&out);
    // maximum likelihood: one event per Adam step, the last at the steps taken
    let out = run("mle");
    let steps = json(&out)["iterations"].as_u64().unwrap() as usize;
    assert_eq!(
        iteration_events(&out),
        (1..=steps).map(|k| (k, 5)).collect::<Vec<_>>()
    );
}

#[test]
fn bad_data_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 6] = [
        ("1.5\n0.7\nabc\n", "line 3: `abc` is not a number"),
        (
            "1.5\n# c\n-0.2\n",
            "line 3: -0.2 is not a finite, non-negative time",
        ),
        ("# nothing\n\n", "no observations"),
        ("[1.0, \"x\"]", "element 1: `\"x\"` is not a number"),
        (
            "[1.0, -3]",
            "element 1: -3 is not a finite, non-negative time",
        ),
        ("[1.0,", "not a JSON array of numbers"),
    ];
    for (i, (text, message)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.txt"));
        std::fs::write(&path, text).unwrap();
        let out = fit(&["kingman", "--data", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(message),
            "{text:?}: {stderr}"
        );
        assert!(stderr.contains(path.to_str().unwrap()), "{stderr}");
    }
    let out = fit(&["kingman", "--data", "/nonexistent/times.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/times.txt"));
    let out = fit(&["segregating_sites", "--data", "/dev/null"]);
    assert_eq!(out.status.code(), Some(2));
    let out = fit(&["kingman", "--data", "x", "--prior", "half-cauchy:-1"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

/// Writes `times` one per line into a new file in `dir`.
fn times_file(dir: &tempfile::TempDir, name: &str, times: &[f64]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    let text: String = times.iter().map(|t| format!("{t}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// `phasic fit kingman --set n=… --data file --json`, converged.
fn fitted(file: &std::path::Path, n: &str) -> Value {
    let v = json(&fit(&[
        "kingman",
        "--set",
        n,
        "--data",
        file.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["converged"], true, "{v}");
    v
}

/// Issue 15, item 7: data on a time scale far from θ = 1 (×1e5) made the
/// fit start where the series needs millions of steps (an error, or
/// minutes per iteration). It now starts where the model's mean is the
/// data's: the MLE of the scaled data is the MLE of the data over 1e5
/// (the model is homogeneous), and for an exponential (Kingman n = 2) it
/// is the closed form 1/mean.
#[test]
fn a_fit_starts_on_the_data_time_scale() {
    let dir = tempfile::tempdir().unwrap();
    let data = simulated(60, 12);
    let scaled: Vec<f64> = data.iter().map(|t| t * 1e5).collect();
    let theta = |file: &std::path::Path, n: &str| fitted(file, n)["theta"][0].as_f64().unwrap();
    let plain = theta(&times_file(&dir, "plain.txt", &data), "n=10");
    let far = theta(&times_file(&dir, "far.txt", &scaled), "n=10");
    // converged: |∂ ln L/∂ ln θ| ≤ 1e-6 for 60 observations
    assert!((far * 1e5 / plain - 1.0).abs() < 1e-6, "{far} vs {plain}");
    // Exp(θ): ln L = n ln θ − θ Σt, the MLE is 1/mean
    let mean = scaled.iter().sum::<f64>() / scaled.len() as f64;
    let exp = theta(&times_file(&dir, "exp.txt", &scaled), "n=2");
    assert!((exp * mean - 1.0).abs() < 1e-7, "{exp} vs {}", 1.0 / mean);
}

/// Issue 15, item 8: a valid tiny observation was "zero probability" (its
/// density, e^−700 or so, underflowed); a UTF-8 byte-order mark made the
/// first line "not a number"; a bad `--start` was blamed on the data.
#[test]
fn tiny_times_a_byte_order_mark_and_a_bad_start() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = times_file(&dir, "tiny.txt", &[1e-8, 3e-8]);
    let v = fitted(&tiny, "n=20");
    // the library's fit from the same start
    let g = Graph::from_callback(kingman_theta, 20).unwrap();
    let lik = Likelihood::new(&g, Observations::Times(vec![1e-8, 3e-8])).unwrap();
    let want = maximum_likelihood(
        &lik,
        &MleOptions {
            start: matched_start(&g, &[1e-8, 3e-8]),
            iterations: 500,
            tolerance: 1e-6,
        },
        &no_progress,
    )
    .unwrap();
    assert_eq!(v["theta"][0].as_f64().unwrap(), want.theta[0]);
    assert!(want.log_likelihood.is_finite());
    // a byte-order mark is not data: the same fit as without it
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "0.5\n1.25\n0.8\n").unwrap();
    let bom = dir.path().join("bom.txt");
    std::fs::write(&bom, "\u{feff}0.5\n1.25\n0.8\n").unwrap();
    let run = |file: &std::path::Path| {
        json(&fit(&[
            "kingman",
            "--data",
            file.to_str().unwrap(),
            "--json",
        ]))["theta"]
            .clone()
    };
    assert_eq!(run(&bom), run(&plain));
    let bom_json = dir.path().join("bom.json");
    std::fs::write(&bom_json, "\u{feff}[0.5, 1.25, 0.8]").unwrap();
    assert_eq!(run(&bom_json), run(&plain));
    // a start the log-likelihood cannot be evaluated at, or not positive:
    // the error names --start
    let f = plain.to_str().unwrap();
    for (start, says) in [
        ("1e6", "the log-likelihood cannot be evaluated there"),
        ("0", "parameter 0 is 0"),
    ] {
        let out = fit(&["kingman", "--data", f, "--start", start]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: --start ") && err.contains(says),
            "{start}: {err}"
        );
        assert!(!err.contains("zero probability"), "{err}");
    }
}

/// Issue 15, item 10: SVGD with no step printed the starting particles as
/// "the posterior"; it is refused, naming --iterations.
#[test]
fn svgd_without_steps_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = times_file(&dir, "t.txt", &[0.5, 1.25, 0.8]);
    let out = fit(&[
        "kingman",
        "--data",
        file.to_str().unwrap(),
        "--method",
        "svgd",
        "--iterations",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: --iterations 0 is invalid: SVGD needs at least one step"),
        "{err}"
    );
}
