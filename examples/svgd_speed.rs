//! SVGD at scale: 100 particles × 500 iterations on the rabbits model with
//! `k = 45` (1,082 states, 3 parameters), fitted to 100 absorption times
//! simulated at θ = (1, 2, 4); prints the wall time, the time per
//! likelihood gradient, and the posterior.
//!
//! `cargo run --release --example svgd_speed -- [k] [particles] [iterations] [θ₁,θ₂,θ₃]`
//!
//! The cost of a gradient is the number of uniformization steps (the
//! fastest total rate times the largest observation) times the edges:
//! with the default θ = (1, 2, 4) the 45 rabbits jump ten times faster
//! than the floods come; θ = (0.3, 1, 2) is a slower-jumping regime.

use std::time::Instant;

use phasic::core::inference::no_progress;
use phasic::core::{
    distribution::Sampler, inference::Likelihood, inference::Observations, inference::Prior,
    inference::SvgdOptions, inference::svgd,
};
use phasic::models::rabbits_theta;
use phasic::prelude::*;
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let k: i32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(45);
    let particles: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let iterations: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(500);
    let truth: Vec<f64> = match args.next() {
        Some(t) => t.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => vec![1.0, 2.0, 4.0],
    };
    let g = Graph::from_callback(rabbits_theta, k)?;
    let mut at_truth = g.clone();
    at_truth.update_weights(&truth)?;
    let sampler = Sampler::continuous(&at_truth)?;
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
    let data = sampler.times(&mut rng, 100);
    let lik = Likelihood::new(&g, Observations::Times(data))?;
    println!(
        "rabbits, k = {k}: {} states, {} edges; 100 observations at θ = {truth:?}; {} threads",
        g.vertex_count(),
        g.edge_count(),
        rayon::current_num_threads()
    );
    let batch: Vec<Vec<f64>> = (0..particles)
        .map(|i| {
            truth
                .iter()
                .map(|t| t * (0.8 + 0.4 * i as f64 / particles as f64))
                .collect()
        })
        .collect();
    let t = Instant::now();
    lik.gradients(&batch)?;
    println!(
        "{particles} likelihood gradients: {:.3} s ({:.3} ms each)",
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e3 / particles as f64
    );
    let t = Instant::now();
    let post = svgd(
        &lik,
        &SvgdOptions {
            particles,
            iterations,
            rate: 0.02,
            priors: vec![
                Prior::LogNormal {
                    mu: 0.5,
                    sigma: 1.0
                };
                3
            ],
            center: vec![1.0; 3],
            seed: 1,
        },
        &no_progress,
    )?;
    println!(
        "SVGD, {particles} particles × {iterations} iterations: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    for (j, name) in ["jump per rabbit", "F_L", "F_R"].iter().enumerate() {
        println!(
            "  {name}: true {}, posterior mean {:.3}, sd {:.3}, 95% [{:.3}, {:.3}]",
            truth[j],
            post.mean[j],
            post.sd[j],
            post.quantile(j, 0.025),
            post.quantile(j, 0.975)
        );
    }
    Ok(())
}
