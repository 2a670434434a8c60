//! The fits built on likelihoods: maximum likelihood, Adam, SVGD and the
//! priors, against closed forms, quadrature and finite differences.

mod common;

use common::{close, erlang, rel};
use phasic_core::Error;
use phasic_core::distribution::Sampler;
use phasic_core::inference::{
    Adam, Likelihood, MleOptions, Observations, Posterior, Prior, SvgdOptions, maximum_likelihood,
    no_progress, svgd,
};
use rand::SeedableRng;

// ---------------------------------------------------------------------------
// Maximum likelihood

#[test]
fn mle_reaches_closed_forms() {
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
    for (k, true_rate, n) in [(1, 2.0, 40), (3, 0.7, 30)] {
        let mut g = erlang(k);
        g.update_weights(&[true_rate]).unwrap();
        let sampler = Sampler::continuous(&g).unwrap();
        let data = sampler.times(&mut rng, n);
        let sum: f64 = data.iter().sum();
        let mle = k as f64 * n as f64 / sum;
        let lik = Likelihood::new(&g, Observations::Times(data.clone())).unwrap();
        let fit = maximum_likelihood(
            &lik,
            &MleOptions {
                start: vec![true_rate * 3.0],
                iterations: 100,
                tolerance: 1e-9,
            },
            &no_progress,
        )
        .unwrap();
        // the score n·k − θ·Σt in log θ is within 1e-9 of 0
        let tol = 1e-9 / (k as f64 * n as f64) + 1e-14;
        rel(fit.theta[0], mle, tol, &format!("Erlang({k}) MLE"));
        assert!(fit.converged, "{fit:?}");
        assert!(fit.iterations >= 2 && fit.iterations <= 30, "{fit:?}");
        assert!(fit.evaluations > fit.iterations);
        // ln L at the optimum: Σ [k ln θ + (k − 1) ln t − ln (k − 1)! − θ t]
        let ln_fact: f64 = (1..k).map(|i| (i as f64).ln()).sum();
        let best: f64 = data
            .iter()
            .map(|&t| k as f64 * mle.ln() + (k - 1) as f64 * t.ln() - ln_fact - mle * t)
            .sum();
        close(fit.log_likelihood, best, 1e-9, 1.0, "ln L at the MLE");
        close(
            fit.log_likelihood,
            lik.log_likelihood(&fit.theta).unwrap(),
            1e-12,
            1.0,
            "reported ln L",
        );
        assert!(fit.log_likelihood <= best + 1e-9);
    }
}

/// Exp data with one observation in the tail of a poor starting θ: the
/// start is a valid θ with a finite log-likelihood (3 ln 9 − 9·6.5), so
/// the fit must proceed to the MLE 3/6.5.
#[test]
fn mle_from_a_distant_start() {
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![0.5, 1.0, 5.0])).unwrap();
    close(
        lik.log_likelihood(&[9.0]).unwrap(),
        3.0 * 9f64.ln() - 9.0 * 6.5,
        1e-9,
        1.0,
        "ln L at the start",
    );
    let fit = maximum_likelihood(
        &lik,
        &MleOptions {
            start: vec![9.0],
            iterations: 100,
            tolerance: 1e-10,
        },
        &no_progress,
    )
    .unwrap();
    assert!(fit.converged, "{fit:?}");
    rel(fit.theta[0], 3.0 / 6.5, 1e-10, "Exp MLE from θ = 9");
}

#[test]
fn mle_rejects_bad_starts() {
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![1.0])).unwrap();
    let opts = |start: Vec<f64>| MleOptions {
        start,
        iterations: 10,
        tolerance: 1e-12,
    };
    assert!(matches!(
        maximum_likelihood(&lik, &opts(vec![0.0]), &no_progress),
        Err(Error::InvalidParam { index: 0, .. })
    ));
    assert!(matches!(
        maximum_likelihood(&lik, &opts(vec![-1.0]), &no_progress),
        Err(Error::InvalidParam { index: 0, .. })
    ));
    assert!(matches!(
        maximum_likelihood(&lik, &opts(vec![1.0, 1.0]), &no_progress),
        Err(Error::ParamLength {
            expected: 1,
            got: 2
        })
    ));
    for tolerance in [f64::NAN, -1e-9] {
        let options = MleOptions {
            tolerance,
            ..opts(vec![1.0])
        };
        assert!(matches!(
            maximum_likelihood(&lik, &options, &no_progress),
            Err(Error::InvalidSetting {
                name: "tolerance",
                ..
            })
        ));
    }
    // a start far from the data's time scale (Λ·t_max = 1e300) is an
    // error, not a series of 1e300 steps
    // (issue 15, item 8: the error says it is the start)
    match maximum_likelihood(&lik, &opts(vec![1e300]), &no_progress) {
        Err(Error::FitStart {
            theta,
            particles: false,
            source,
        }) => {
            assert_eq!(theta, vec![1e300]);
            match *source {
                ref e @ Error::InvalidSetting { value, .. } => {
                    assert!((value / 1e300 - 1.0).abs() < 1e-12, "{value}"); // via ln θ
                    assert!(e.to_string().contains("more than a million steps"), "{e}");
                }
                ref other => panic!("expected InvalidSetting, got {other:?}"),
            }
        }
        other => panic!("expected FitStart, got {other:?}"),
    }
}

#[test]
fn adam_first_step_is_the_rate_along_the_sign() {
    // bias-corrected m/√v of the first step is g/|g|
    let mut adam = Adam::new(0.1, 3);
    let mut x = [1.0, 2.0, 3.0];
    adam.ascend(&mut x, &[4.0, -0.25, 0.0]);
    close(x[0], 1.0 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-15, 1.0, "x0");
    close(x[1], 2.0 - 0.1 * 0.25 / (0.25 + 1e-8), 1e-15, 1.0, "x1");
    assert_eq!(x[2], 3.0);
}

// ---------------------------------------------------------------------------
// SVGD and priors

/// Quantiles of Exp(2): deterministic "data" with mean ≈ 1/2.
fn exp_quantiles(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| -(1.0 - (i as f64 + 0.5) / n as f64).ln() / 2.0)
        .collect()
}

fn svgd_run(
    lik: &Likelihood,
    prior: Prior,
    particles: usize,
    iterations: usize,
    seed: u64,
) -> Posterior {
    svgd(
        lik,
        &SvgdOptions {
            particles,
            iterations,
            rate: 0.05,
            priors: vec![prior],
            center: vec![1.0],
            seed,
        },
        &no_progress,
    )
    .unwrap()
}

/// Mean and sd of the density `exp(log_p)` on `(0, hi]`, by Simpson's rule.
fn quadrature(log_p: impl Fn(f64) -> f64, hi: f64) -> (f64, f64) {
    let n = 20_000;
    let h = hi / n as f64;
    let xs: Vec<f64> = (0..=n).map(|i| (i as f64 * h).max(1e-300)).collect();
    let lp: Vec<f64> = xs.iter().map(|&x| log_p(x)).collect();
    let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut m = [0.0; 3];
    for (i, (&x, &l)) in xs.iter().zip(&lp).enumerate() {
        let w = if i == 0 || i == n {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let d = w * (l - top).exp();
        m[0] += d;
        m[1] += d * x;
        m[2] += d * x * x;
    }
    let mean = m[1] / m[0];
    (mean, (m[2] / m[0] - mean * mean).sqrt())
}

fn check_summaries(post: &Posterior) {
    let v: Vec<f64> = post.particles.iter().map(|p| p[0]).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    close(post.mean[0], mean, 1e-12, 0.0, "posterior mean field");
    close(post.sd[0], sd, 1e-12, 0.0, "posterior sd field");
    let mut s = v.clone();
    s.sort_by(f64::total_cmp);
    assert_eq!(post.quantile(0, 0.0), s[0]);
    assert_eq!(post.quantile(0, 1.0), s[s.len() - 1]);
    // q = 0.5 over 60 particles: halfway between the 30th and 31st
    let half = post.quantile(0, 0.5);
    let x = 0.5 * (s.len() - 1) as f64;
    let (i, f) = (x.floor() as usize, x.fract());
    close(half, s[i] * (1.0 - f) + s[i + 1] * f, 1e-15, 0.0, "median");
    assert!(s.iter().all(|&t| t > 0.0 && t.is_finite()));
}

#[test]
fn svgd_flat_prior_matches_gamma_posterior() {
    let data = exp_quantiles(50);
    let sum: f64 = data.iter().sum();
    let lik = Likelihood::new(&erlang(1), Observations::Times(data)).unwrap();
    // flat prior on θ: θ | data ~ Gamma(n + 1, Σt)
    let (mean, sd) = (51.0 / sum, 51f64.sqrt() / sum);
    let post = svgd_run(&lik, Prior::Flat, 60, 600, 3);
    assert_eq!(post.particles.len(), 60);
    check_summaries(&post);
    rel(post.mean[0], mean, 0.03, "SVGD mean vs Gamma(n + 1, Σt)");
    rel(post.sd[0], sd, 0.1, "SVGD sd vs Gamma(n + 1, Σt)");
    // the median of Gamma(51, Σt) is ≈ (51 − 1/3)/Σt
    rel(
        post.quantile(0, 0.5),
        (51.0 - 1.0 / 3.0) / sum,
        0.03,
        "SVGD median",
    );

    // the same seed gives the same particles with any thread count
    let run = |threads: usize, seed: u64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| svgd_run(&lik, Prior::Flat, 60, 100, seed))
    };
    let bits = |p: &Posterior| -> Vec<u64> { p.particles.iter().map(|x| x[0].to_bits()).collect() };
    let (one, two) = (run(1, 9), run(2, 9));
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(one, two);
    let other = run(2, 10);
    assert_ne!(bits(&one), bits(&other));
}

#[test]
fn svgd_with_priors_matches_quadrature() {
    let data = exp_quantiles(5);
    let sum: f64 = data.iter().sum();
    let lik = Likelihood::new(&erlang(1), Observations::Times(data)).unwrap();
    for prior in [
        Prior::Normal { mean: 1.0, sd: 0.3 },
        Prior::LogNormal {
            mu: 0.5,
            sigma: 0.4,
        },
        Prior::HalfCauchy { scale: 0.5 },
    ] {
        // posterior in θ: θ⁵ e^{−θΣt} p(θ)
        let (mean, sd) = quadrature(|t| 5.0 * t.ln() - t * sum + prior.log_density(t).0, 30.0);
        let post = svgd_run(&lik, prior, 60, 600, 5);
        check_summaries(&post);
        rel(post.mean[0], mean, 0.03, &format!("{prior:?}: SVGD mean"));
        rel(post.sd[0], sd, 0.1, &format!("{prior:?}: SVGD sd"));
    }
}

#[test]
fn svgd_rejects_bad_settings() {
    let lik = Likelihood::new(&erlang(1), Observations::Times(vec![1.0])).unwrap();
    let opts = |particles, priors: Vec<Prior>, center: Vec<f64>| SvgdOptions {
        particles,
        iterations: 5,
        rate: 0.05,
        priors,
        center,
        seed: 1,
    };
    assert!(matches!(
        svgd(&lik, &opts(1, vec![Prior::Flat], vec![1.0]), &no_progress),
        Err(Error::InvalidSetting {
            name: "particles",
            ..
        })
    ));
    assert!(matches!(
        svgd(
            &lik,
            &opts(4, vec![Prior::Flat, Prior::Flat], vec![1.0]),
            &no_progress
        ),
        Err(Error::ParamLength {
            expected: 1,
            got: 2
        })
    ));
    assert!(matches!(
        svgd(
            &lik,
            &opts(4, vec![Prior::HalfCauchy { scale: 0.0 }], vec![1.0]),
            &no_progress
        ),
        Err(Error::InvalidSetting { .. })
    ));
    assert!(matches!(
        svgd(&lik, &opts(4, vec![Prior::Flat], vec![-1.0]), &no_progress),
        Err(Error::InvalidParam { index: 0, .. })
    ));
    for rate in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let options = SvgdOptions {
            rate,
            ..opts(4, vec![Prior::Flat], vec![1.0])
        };
        assert!(matches!(
            svgd(&lik, &options, &no_progress),
            Err(Error::InvalidSetting { name: "rate", .. })
        ));
    }
    // no step: the particles would be the starting spread, not a
    // posterior (issue 15, item 10)
    let options = SvgdOptions {
        iterations: 0,
        ..opts(4, vec![Prior::Flat], vec![1.0])
    };
    assert!(matches!(
        svgd(&lik, &options, &no_progress),
        Err(Error::InvalidSetting {
            name: "iterations",
            value: 0.0,
            ..
        })
    ));
    assert!(svgd(&lik, &opts(4, vec![Prior::Flat], vec![1.0]), &no_progress).is_ok());
}

#[test]
fn prior_log_densities_and_derivatives() {
    let priors = [
        Prior::Normal { mean: 1.3, sd: 0.7 },
        Prior::LogNormal {
            mu: -0.2,
            sigma: 0.6,
        },
        Prior::HalfCauchy { scale: 2.5 },
    ];
    for prior in priors {
        prior.check().unwrap();
        for theta in [0.05, 0.4, 1.0, 2.7, 9.0] {
            let (_, d) = prior.log_density(theta);
            let h = 1e-6 * theta;
            let fd = (prior.log_density(theta + h).0 - prior.log_density(theta - h).0) / (2.0 * h);
            close(
                d,
                fd,
                1e-6,
                1.0,
                &format!("{prior:?} at {theta}: derivative"),
            );
        }
        // log-density differences against the normalised densities
        let density = |t: f64| -> f64 {
            use std::f64::consts::PI;
            match prior {
                Prior::Normal { mean, sd } => {
                    (-(t - mean).powi(2) / (2.0 * sd * sd)).exp() / (sd * (2.0 * PI).sqrt())
                }
                Prior::LogNormal { mu, sigma } => {
                    (-(t.ln() - mu).powi(2) / (2.0 * sigma * sigma)).exp()
                        / (t * sigma * (2.0 * PI).sqrt())
                }
                Prior::HalfCauchy { scale } => 2.0 / (PI * scale * (1.0 + (t / scale).powi(2))),
                Prior::Flat => 1.0,
            }
        };
        for (a, b) in [(0.3, 1.1), (2.0, 0.9), (5.0, 0.2)] {
            close(
                prior.log_density(a).0 - prior.log_density(b).0,
                (density(a) / density(b)).ln(),
                1e-12,
                1.0,
                &format!("{prior:?}: ln p({a}) − ln p({b})"),
            );
        }
    }
    assert_eq!(Prior::Flat.log_density(3.0), (0.0, 0.0));
    Prior::Flat.check().unwrap();
    // invalid scales and locations
    for bad in [
        Prior::Normal { mean: 1.0, sd: 0.0 },
        Prior::Normal {
            mean: 1.0,
            sd: -1.0,
        },
        Prior::Normal {
            mean: 1.0,
            sd: f64::NAN,
        },
        Prior::Normal {
            mean: f64::INFINITY,
            sd: 1.0,
        },
        Prior::LogNormal {
            mu: 0.0,
            sigma: 0.0,
        },
        Prior::LogNormal {
            mu: 0.0,
            sigma: f64::INFINITY,
        },
        Prior::LogNormal {
            mu: f64::NAN,
            sigma: 1.0,
        },
        Prior::HalfCauchy { scale: 0.0 },
        Prior::HalfCauchy { scale: -2.0 },
        Prior::HalfCauchy {
            scale: f64::INFINITY,
        },
        Prior::HalfCauchy { scale: f64::NAN },
    ] {
        assert!(
            matches!(bad.check(), Err(Error::InvalidSetting { .. })),
            "{bad:?} accepted"
        );
    }
}
