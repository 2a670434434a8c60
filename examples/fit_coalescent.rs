//! Fitting the coalescence scale θ of the Kingman coalescent to simulated
//! data: TMRCAs of `n = 10` samples are drawn with the library's own
//! sampler at a known θ, then θ is fitted by maximum likelihood and by
//! SVGD (exact densities and gradients by uniformization), and the
//! posterior mean, standard deviation and 95% interval are printed.
//!
//! `cargo run --release --example fit_coalescent -- [true θ] [observations] [seed]`

use std::time::Instant;

use phasic::core::inference::no_progress;
use phasic::core::{
    distribution::Sampler, inference::Likelihood, inference::MleOptions, inference::Observations,
    inference::Prior, inference::SvgdOptions, inference::maximum_likelihood, inference::svgd,
};
use phasic::models::kingman_theta;
use phasic::prelude::*;
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let truth: f64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2.0);
    let count: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(200);
    let seed: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(7);

    let g = Graph::from_callback(kingman_theta, 10)?;
    let mut at_truth = g.clone();
    at_truth.update_weights(&[truth])?;
    let sampler = Sampler::continuous(&at_truth)?;
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
    let data = sampler.times(&mut rng, count);
    println!(
        "Kingman coalescent, n = 10, θ = {truth}: {count} simulated TMRCAs (mean {:.4})",
        data.iter().sum::<f64>() / count as f64
    );

    let lik = Likelihood::new(&g, Observations::Times(data))?;
    let t = Instant::now();
    let mle = maximum_likelihood(
        &lik,
        &MleOptions {
            start: vec![1.0],
            iterations: 1000,
            tolerance: 1e-10,
        },
        &no_progress,
    )?;
    println!(
        "maximum likelihood: θ = {:.4} (log L = {:.4}, {} after {} iterations, {:.3} s)",
        mle.theta[0],
        mle.log_likelihood,
        if mle.converged {
            "converged"
        } else {
            "NOT converged"
        },
        mle.iterations,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let post = svgd(
        &lik,
        &SvgdOptions {
            particles: 50,
            iterations: 300,
            rate: 0.05,
            priors: vec![Prior::HalfCauchy { scale: 5.0 }],
            center: vec![1.0],
            seed,
        },
        &no_progress,
    )?;
    let (lo, hi) = (post.quantile(0, 0.025), post.quantile(0, 0.975));
    println!(
        "SVGD (50 particles, 300 steps, {:.3} s): posterior mean {:.4}, sd {:.4}, 95% interval [{lo:.4}, {hi:.4}] — the true θ is {}",
        t.elapsed().as_secs_f64(),
        post.mean[0],
        post.sd[0],
        if (lo..=hi).contains(&truth) {
            "inside"
        } else {
            "OUTSIDE"
        }
    );
    Ok(())
}
