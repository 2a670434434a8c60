//! Elimination traces (issue 5): recording, the expectation at one θ,
//! the whole program at one θ (what moments and densities use), and
//! batches of 1,024 θ, on the parameterized block-counting coalescent
//! (n = 30 and n = 50) and the cyclic isolation-with-migration model
//! (n1 = n2 = 4, 1,432 vertices).
//!
//! `cargo bench --bench trace`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use phasic::core::trace::Trace;
use phasic::models::{block_counting_theta, isolation_migration_theta};
use phasic::prelude::*;

fn bench_model(c: &mut Criterion, name: &str, graph: Graph, theta: &[f64]) {
    let trace = Trace::record(&graph).unwrap();
    let mut g = c.benchmark_group("trace");
    g.sample_size(20);
    g.bench_function(format!("record_{name}"), |b| {
        b.iter(|| Trace::record(black_box(&graph)).unwrap())
    });
    g.bench_function(format!("evaluate_expectation_{name}"), |b| {
        b.iter(|| trace.expectation(black_box(theta), None).unwrap())
    });
    g.bench_function(format!("evaluate_program_{name}"), |b| {
        b.iter(|| {
            let program = trace.program(black_box(theta)).unwrap();
            program.expected_waiting_time(&graph, None).unwrap()[0]
        })
    });
    // 1,024 θs around `theta`; divide the time by 1,024 for the cost per θ
    let batch: Vec<Vec<f64>> = (0..1024)
        .map(|i| {
            theta
                .iter()
                .map(|t| t * (1.0 + i as f64 / 2048.0))
                .collect()
        })
        .collect();
    g.bench_function(format!("batch_1024_expectations_{name}"), |b| {
        b.iter(|| trace.expectations(black_box(&batch), None).unwrap())
    });
    g.finish();
}

fn traces(c: &mut Criterion) {
    bench_model(
        c,
        "block_counting_30",
        Graph::from_callback(block_counting_theta, 30).unwrap(),
        &[1.3],
    );
    bench_model(
        c,
        "block_counting_50",
        Graph::from_callback(block_counting_theta, 50).unwrap(),
        &[1.3],
    );
    bench_model(
        c,
        "isolation_migration_4_4",
        Graph::from_callback(isolation_migration_theta, (4, 4)).unwrap(),
        &[1.0, 0.5, 0.5],
    );
}

criterion_group!(benches, traces);
criterion_main!(benches);
