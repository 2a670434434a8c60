//! The figures of the phasic-core issue, on the block-counting coalescent:
//! building n = 50, its expectation and four moments, and the exact pdf and
//! cdf of n = 30 at 100 points in (0, 5].
//!
//! `cargo bench --bench core`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use phasic::models::block_counting;
use phasic::prelude::*;

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.bench_function("block_counting_50", |b| {
        b.iter(|| Graph::from_callback(block_counting, black_box(50)).unwrap())
    });
    g.finish();
}

fn moments(c: &mut Criterion) {
    let graph = Graph::from_callback(block_counting, 50).unwrap();
    let mut g = c.benchmark_group("moments");
    g.sample_size(20);
    g.bench_function("expectation_block_counting_50", |b| {
        b.iter(|| PhaseType::new(&graph).unwrap().expectation(None).unwrap())
    });
    g.bench_function("moments4_block_counting_50", |b| {
        b.iter(|| PhaseType::new(&graph).unwrap().moments(4, None).unwrap())
    });
    g.finish();
}

fn distribution(c: &mut Criterion) {
    let graph = Graph::from_callback(block_counting, 30).unwrap();
    let ph = PhaseType::new(&graph).unwrap();
    let times: Vec<f64> = (1..=100).map(|k| k as f64 * 0.05).collect();
    let mut g = c.benchmark_group("distribution");
    g.sample_size(20);
    g.bench_function("pdf_cdf_block_counting_30_100_points", |b| {
        b.iter(|| ph.pdf_cdf(black_box(&times), Method::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, build, moments, distribution);
criterion_main!(benches);
