//! The composite likelihood of an observed SFS: closed forms for the
//! Poisson and the profiled multinomial likelihood and their gradients,
//! folded and masked data, the Godambe information from bootstrap
//! spectra, and every error.

use phasic::demes::{
    DemesError, FitOptions, Information, Model, Observed, Problem, Samples, Scaling, SfsLikelihood,
    Spectrum, maximum_likelihood,
};

fn spectrum(values: &[f64]) -> Spectrum {
    Spectrum::new(vec![values.len()], values.to_vec()).unwrap()
}

fn ln_factorial(x: f64) -> f64 {
    (1..=x as u64).map(|k| (k as f64).ln()).sum()
}

/// Poisson: `Σ x ln λ − λ − ln x!` and `Σ (x/E − θ)·Ė` over the entries
/// that count (not the corners, not masked).
#[test]
fn poisson_value_and_gradient_in_closed_form() {
    let data = Observed::from_fs("6\n7 10 4 3 1 9\n0 0 0 1 0 0\n").unwrap();
    let e = spectrum(&[0.0, 4.0, 2.0, 1.5, 1.0, 0.0]);
    let d = [spectrum(&[0.0, 1.0, 0.5, 0.25, 0.2, 0.0])];
    let lik = SfsLikelihood::new(
        data,
        Scaling::Poisson {
            mu: 0.5,
            length: 4.0,
        },
    )
    .unwrap();
    assert_eq!(lik.entries(), &[1, 2, 4]);
    let (ll, g) = lik.log_likelihood(&e, &d).unwrap();
    let theta = 2.0f64;
    let (x, ev, dv): ([f64; 3], [f64; 3], [f64; 3]) =
        ([10.0, 4.0, 1.0], [4.0, 2.0, 1.0], [1.0, 0.5, 0.2]);
    let want: f64 = (0..3)
        .map(|i| x[i] * (theta * ev[i]).ln() - theta * ev[i] - ln_factorial(x[i]))
        .sum();
    let dwant: f64 = (0..3).map(|i| (x[i] / ev[i] - theta) * dv[i]).sum();
    assert!((ll - want).abs() < 1e-12, "{ll} vs {want}");
    assert!((g[0] - dwant).abs() < 1e-12, "{} vs {dwant}", g[0]);
    let counts = lik.expected_counts(&e);
    assert_eq!(counts.values()[1], 8.0);
}

/// Multinomial: `θ̂ = Σx/ΣE`, the value is the Poisson likelihood at θ̂,
/// and the gradient is the derivative of the profile (checked by
/// differences along a direction).
#[test]
fn multinomial_profiles_theta() {
    let data = Observed::from_fs("5\n0 12 5 2 0\n").unwrap();
    let lik = SfsLikelihood::new(data, Scaling::Multinomial).unwrap();
    let e = |t: f64| spectrum(&[0.0, 3.0 + t, 1.5 - t * t, 1.0 + 2.0 * t, 0.0]);
    let de = spectrum(&[0.0, 1.0, 0.0, 2.0, 0.0]);
    let (ll, g) = lik.log_likelihood(&e(0.0), &[de]).unwrap();
    let theta = 19.0 / 5.5;
    assert!((lik.theta(&e(0.0)) - theta).abs() < 1e-15);
    let want: f64 = [(12.0, 3.0), (5.0, 1.5), (2.0, 1.0)]
        .iter()
        .map(|&(x, ev)| x * (theta * ev).ln() - theta * ev - ln_factorial(x))
        .sum();
    assert!((ll - want).abs() < 1e-12);
    let h = 1e-5;
    let at = |t: f64| lik.log_likelihood(&e(t), &[]).unwrap().0;
    let diff = (at(h) - at(-h)) / (2.0 * h);
    assert!((g[0] - diff).abs() < 1e-8, "{} vs {diff}", g[0]);
    // the expected counts sum to the data's
    let total: f64 = lik.expected_counts(&e(0.0)).values().iter().sum();
    assert!((total - 19.0).abs() < 1e-12);
}

/// Folded data are compared with the folded expectation.
#[test]
fn folded_data_fold_the_expectation() {
    // n = 4 folded: entries 1 (1 + 3) and 2 count
    let data = Observed::from_fs("5 folded\n0 9 3 0 0\n").unwrap();
    let lik = SfsLikelihood::new(
        data,
        Scaling::Poisson {
            mu: 1.0,
            length: 1.0,
        },
    )
    .unwrap();
    assert_eq!(lik.entries(), &[1, 2]);
    let e = spectrum(&[0.0, 4.0, 2.0, 4.0 / 3.0, 0.0]);
    let (ll, _) = lik.log_likelihood(&e, &[]).unwrap();
    let l1 = 4.0f64 + 4.0 / 3.0;
    let want = 9.0 * l1.ln() - l1 - ln_factorial(9.0) + 3.0 * 2f64.ln() - 2.0 - ln_factorial(3.0);
    assert!((ll - want).abs() < 1e-12);
}

/// Every error names what is wrong.
#[test]
fn errors_name_the_value() {
    let data = Observed::from_fs("4\n0 1 2 0\n").unwrap();
    for (mu, length, name, value) in [
        (0.0, 1.0, "mutation rate", "0"),
        (f64::NAN, 1.0, "mutation rate", "NaN"),
        (1.0, -5.0, "sequence length", "-5"),
        (1.0, f64::INFINITY, "sequence length", "inf"),
    ] {
        let e = SfsLikelihood::new(data.clone(), Scaling::Poisson { mu, length }).unwrap_err();
        let m = e.to_string();
        assert!(matches!(e, DemesError::BadScaling { .. }), "{m}");
        assert!(m.contains(name) && m.contains(value), "{m}");
    }
    let lik = SfsLikelihood::new(data.clone(), Scaling::Multinomial).unwrap();
    // a shape other than the model's
    let e = lik
        .log_likelihood(&spectrum(&[0.0, 1.0, 0.0]), &[])
        .unwrap_err();
    assert!(
        e.to_string().contains("[4]") && e.to_string().contains("[3]"),
        "{e}"
    );
    // counts where nothing is expected
    let e = lik
        .log_likelihood(&spectrum(&[0.0, 1.0, 0.0, 0.0]), &[])
        .unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(e, DemesError::Impossible { .. }) && m.contains("[2]") && m.contains(" 2 "),
        "{m}"
    );
    // a bootstrap spectrum of another shape or folding
    for other in ["5\n0 1 2 3 0\n", "4 folded\n0 1 2 0\n"] {
        let e = lik
            .with_data(Observed::from_fs(other).unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
    }
}

/// One deme of size N: the Godambe information from Poisson replicates of
/// the data (no linkage: the scores' covariance is the Fisher information)
/// gives standard errors close to the observed information's.
#[test]
fn godambe_matches_the_observed_information_without_linkage() {
    let graph = |t: &[f64]| -> Result<demes::Graph, DemesError> {
        Ok(demes::loads(&format!(
            "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {{start_size: {}}}\n",
            t[0]
        ))?)
    };
    let samples: Samples = "A=6".parse().unwrap();
    let model = Model::new(graph(&[1000.0]).unwrap(), &samples, &Default::default()).unwrap();
    // λ_i = μL·4N/i = 4000/i at N = 1000: counts near it, and replicates
    let counts = |shift: &[f64]| -> Observed {
        let mut fs = String::from("7\n0");
        for (i, s) in (1..6).zip(shift) {
            fs.push_str(&format!(" {}", (4000.0 / i as f64 + s).round()));
        }
        fs.push_str(" 0\n");
        Observed::from_fs(&fs).unwrap()
    };
    let data = counts(&[0.0; 5]);
    let lik = SfsLikelihood::new(
        data,
        Scaling::Poisson {
            mu: 1e-3,
            length: 1.0,
        },
    )
    .unwrap();
    let admissible = |_: &[f64]| Ok(());
    let problem = Problem {
        names: vec!["N".into()],
        lower: vec![1.0],
        upper: vec![f64::INFINITY],
        constraints: vec![],
        graph_at: Box::new(graph),
        admissible: Box::new(admissible),
    };
    let observed = maximum_likelihood(
        &model,
        &problem,
        &lik,
        &[2000.0],
        &FitOptions::default(),
        &[],
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(observed.information, Information::Observed);
    // replicates: ±1 SD Poisson deviations in a balanced design
    let boot: Vec<Observed> = [1.0, -1.0]
        .iter()
        .flat_map(|&sign| {
            (0..5).map(move |j| {
                let mut s = [0.0; 5];
                s[j] = sign * (4000.0 / (j + 1) as f64).sqrt() * 5f64.sqrt();
                s
            })
        })
        .map(|s| counts(&s))
        .collect();
    let godambe = maximum_likelihood(
        &model,
        &problem,
        &lik,
        &[2000.0],
        &FitOptions::default(),
        &boot,
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(godambe.information, Information::Godambe);
    assert_eq!(godambe.estimates[0].value, observed.estimates[0].value);
    let (a, b) = (
        observed.estimates[0].std_error.unwrap(),
        godambe.estimates[0].std_error.unwrap(),
    );
    assert!((a - b).abs() < 0.1 * a, "observed {a}, Godambe {b}");
    // the closed form: ŝ² = 1/I with I = Σ x_i/N² at the MLE N̂ = Σx/(μL·4·H)
    let n_hat = observed.estimates[0].value;
    let x: f64 = (1..6).map(|i| (4000.0 / i as f64).round()).sum();
    let h: f64 = (1..6).map(|i| 1.0 / i as f64).sum();
    assert!((n_hat - x / (4e-3 * h)).abs() < 1e-6 * n_hat, "{n_hat}");
    let se = n_hat / x.sqrt();
    assert!((a - se).abs() < 1e-5 * se, "{a} vs {se}");
}
