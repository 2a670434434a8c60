//! The figures of the inference issue: likelihood gradients of the rabbits
//! model with `k = 45` (1,082 states, 3 parameters) for 100 absorption
//! times simulated at θ = (1, 2, 4), one θ and a batch of 100 θ around it
//! (what one SVGD iteration with 100 particles evaluates). The whole SVGD
//! run (100 particles × 500 iterations) is timed by
//! `cargo run --release --example svgd_speed`.
//!
//! `cargo bench --bench inference`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use phasic::core::{distribution::Sampler, inference::Likelihood, inference::Observations};
use phasic::models::rabbits_theta;
use phasic::prelude::*;
use rand::SeedableRng;

fn gradients(c: &mut Criterion) {
    let truth = [1.0, 2.0, 4.0];
    let g = Graph::from_callback(rabbits_theta, 45).unwrap();
    let mut at_truth = g.clone();
    at_truth.update_weights(&truth).unwrap();
    let sampler = Sampler::continuous(&at_truth).unwrap();
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
    let data = sampler.times(&mut rng, 100);
    let lik = Likelihood::new(&g, Observations::Times(data)).unwrap();
    let batch: Vec<Vec<f64>> = (0..100)
        .map(|i| truth.iter().map(|t| t * (0.8 + 0.004 * i as f64)).collect())
        .collect();
    let mut group = c.benchmark_group("likelihood_rabbits_45");
    group.sample_size(20);
    group.bench_function("gradient_one_theta", |b| {
        b.iter(|| lik.gradient(black_box(&truth)).unwrap())
    });
    group.bench_function("gradients_100_thetas", |b| {
        b.iter(|| lik.gradients(black_box(&batch)).unwrap())
    });
    group.bench_function("log_likelihoods_100_thetas", |b| {
        b.iter(|| lik.log_likelihoods(black_box(&batch)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, gradients);
criterion_main!(benches);
