//! Fitting Demes models to spectra drawn from the Poisson random field.
//!
//! `cargo run --release --example fit_demes` fits the two example models
//! from their files' values (every parameter 2× off the truth) to spectra
//! drawn as Poisson(μ·L·E[ξ]) at the truth (μ = 1.25e-8, L = 1e8, fixed
//! seeds), and prints the estimates with their 95% intervals. Each fit
//! then starts again from the truth itself, which must find the same
//! optimum: a fit that stopped early would not.
//!
//! `cargo run --release --example fit_demes -- --targets` times the
//! targets of the fitting issue, each fit in its own process (peak RSS is
//! per process), the median of three runs:
//! * one deme, n = 20, three parameters (bottleneck size, its start, the
//!   size after it): `fit_bottleneck.yaml`;
//! * two demes, n = (6, 6), four parameters (two sizes, the split time, a
//!   symmetric migration rate): `fit_split.yaml`.

use std::time::Instant;

use phasic::demes::{
    DemesFit, FitOptions, Model, Observed, Parameters, Scaling, SfsLikelihood, maximum_likelihood,
};
use rand::SeedableRng;
use rand::distr::Distribution;

#[path = "support/measure.rs"]
mod measure;
use measure::{median_of, peak_rss_mb, runs};

const MU: f64 = 1.25e-8;
const LENGTH: f64 = 1e8;

/// (name, model, options, samples, truth, seed).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [f64; 4],
    u64,
);

const CASES: [Case; 2] = [
    (
        "one deme n=20, bottleneck: 3 parameters",
        include_str!("demes/fit_bottleneck.yaml"),
        include_str!("demes/fit_bottleneck.options.yaml"),
        "A=20",
        [1000.0, 2000.0, 20000.0, f64::NAN],
        1,
    ),
    (
        "two demes (6,6), split with migration: 4 parameters",
        include_str!("demes/fit_split.yaml"),
        include_str!("demes/fit_split.options.yaml"),
        "A=6,B=6",
        [5000.0, 20000.0, 4000.0, 1e-4],
        2,
    ),
];

/// Fits case `c` from the file's values; `key=value` figures, and the fit.
fn run(c: usize) -> Result<(String, DemesFit, f64), Box<dyn std::error::Error>> {
    let (_, yaml, options, samples, truth, seed) = CASES[c];
    let t0 = Instant::now();
    let bound = Parameters::from_yaml(options)?.bind(yaml)?;
    let truth = &truth[..bound.names().len()];
    let graph_at = |t: &[f64]| bound.apply(t).map(|(_, g)| g);
    let model = Model::from_yaml(yaml, &samples.parse()?)?;
    // the data: Poisson(μ·L·E[ξ]) at the truth
    let at_truth = model.reparameterized(graph_at(truth)?)?.sfs()?;
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut values = Vec::with_capacity(at_truth.values().len());
    for &e in at_truth.values() {
        let lambda = MU * LENGTH * e;
        values.push(if lambda > 0.0 {
            rand_distr::Poisson::new(lambda)?.sample(&mut rng)
        } else {
            0.0
        });
    }
    let data = Observed {
        shape: at_truth.shape().to_vec(),
        values,
        masked: vec![false; at_truth.values().len()],
        folded: false,
    };
    let likelihood = SfsLikelihood::new(
        data,
        Scaling::Poisson {
            mu: MU,
            length: LENGTH,
        },
    )?;
    let problem = bound.problem();
    let options = FitOptions::default();
    let fit = maximum_likelihood(
        &model,
        &problem,
        &likelihood,
        bound.start(),
        &options,
        &[],
        &|_, _| {},
    )?;
    let wall = t0.elapsed().as_secs_f64();
    // from the truth: the same optimum
    let again = maximum_likelihood(
        &model,
        &problem,
        &likelihood,
        truth,
        &options,
        &[],
        &|_, _| {},
    )?;
    let apart = fit
        .estimates
        .iter()
        .zip(&again.estimates)
        .map(|(a, b)| ((a.value - b.value) / b.value).abs())
        .fold(0.0f64, f64::max);
    let line = format!(
        "wall_s={wall:.3} peak_rss_mb={} converged={} iterations={} evaluations={} log_likelihood={:.6} apart={apart:.2e} ll_from_truth={:.6}",
        peak_rss_mb(),
        fit.converged,
        fit.iterations,
        fit.evaluations,
        fit.log_likelihood,
        again.log_likelihood,
    );
    Ok((line, fit, apart))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => println!("{}", run(args[1].parse()?)?.0),
        Some("--targets") => {
            for (c, case) in CASES.iter().enumerate() {
                let lines = runs(&[c.to_string()], 3)?;
                println!(
                    "{}: median wall {:.3} s (build, data and fit from 2× off), median peak RSS {:.0} MB; {}",
                    case.0,
                    median_of(&lines, "wall_s"),
                    median_of(&lines, "peak_rss_mb"),
                    lines[0]
                );
            }
        }
        _ => {
            for (c, case) in CASES.iter().enumerate() {
                let (line, fit, _) = run(c)?;
                println!("{}\n  {line}", case.0);
                for (e, truth) in fit.estimates.iter().zip(case.4) {
                    let (lo, hi) = e.interval.unwrap_or((f64::NAN, f64::NAN));
                    println!(
                        "  {:<4} truth {truth:<10} estimate {:<12.6} 95% [{lo:.6}, {hi:.6}]",
                        e.name, e.value
                    );
                }
            }
        }
    }
    Ok(())
}
