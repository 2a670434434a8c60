//! The figures of the graph-cache issue: a cache hit of block counting
//! n = 50 including its expectation (compare with `build/block_counting_50`
//! of the `core` bench), and a hit of n = 30 alone. Also prints the entry
//! sizes. And what a key costs: the key of a model with struct and enum
//! parameters (issue 14: keys must stay negligible beside a build).
//!
//! `cargo bench --bench cache`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use phasic::cache::{CacheMode, CacheOptions, CacheStatus, GraphStore, build_graph};
use phasic::models::{Recombination, TwoLocus, block_counting, two_locus_two_island};
use phasic::prelude::*;

fn options(dir: &tempfile::TempDir) -> CacheOptions {
    CacheOptions {
        mode: CacheMode::ReadWrite,
        root: Some(dir.path().to_path_buf()),
    }
}

fn hits(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&dir);
    for n in [30, 50] {
        let first = build_graph(block_counting, n, &opts).unwrap();
        assert_eq!(first.status, CacheStatus::Miss);
        let key = block_counting.key(&n);
        let bytes = std::fs::metadata(GraphStore::new(dir.path()).path_of(&key))
            .unwrap()
            .len();
        eprintln!("block_counting n = {n}: entry {bytes} bytes");
    }
    let mut g = c.benchmark_group("cache");
    g.sample_size(20);
    g.bench_function("hit_expectation_block_counting_50", |b| {
        b.iter(|| {
            let hit = build_graph(block_counting, black_box(50), &opts).unwrap();
            assert_eq!(hit.status, CacheStatus::Hit);
            PhaseType::new(&hit.graph)
                .unwrap()
                .expectation(None)
                .unwrap()
        })
    });
    g.bench_function("hit_block_counting_30", |b| {
        b.iter(|| {
            let hit = build_graph(block_counting, black_box(30), &opts).unwrap();
            assert_eq!(hit.status, CacheStatus::Hit);
            hit
        })
    });
    g.finish();
}

fn keys(c: &mut Criterion) {
    let params = TwoLocus {
        n1: 1.0,
        n2: 2.0,
        m1: 0.5,
        m2: 0.25,
        r: 1.5,
    };
    c.bench_function("key_two_locus_two_island", |b| {
        b.iter(|| two_locus_two_island.key(black_box(&(2, params, Recombination::PerLineage))))
    });
}

criterion_group!(benches, hits, keys);
criterion_main!(benches);
