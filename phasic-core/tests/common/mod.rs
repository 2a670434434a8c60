//! Helpers shared by phasic-core's integration tests (`mod common;` in the
//! test files that use them): the comparisons, the proptest configuration
//! and the Erlang model; random graphs in [`random_graph`], their dense
//! reference in [`dense`], a seeded generator in [`rng`].

// Every test file is a crate of its own that compiles this module whole
// and uses only part of it (the trace tests `is_close`, `Edge` and `Rng`,
// the likelihood tests not the dense moments, dense_crosscheck not the
// parameterized graphs, …): what one crate leaves unused another uses, so
// dead-code warnings here are noise.
#![allow(dead_code)]

pub mod dense;
pub mod random_graph;
pub mod rng;

use phasic_core::{Graph, Initial};

#[path = "../../../tests/support/seeded.rs"]
mod seeded;
// used by the test crates with property tests, unused by the others (as
// the dead code above)
#[allow(unused_imports)]
pub use seeded::config;

// ---------------------------------------------------------------------------
// Comparisons

/// `|got − want| ≤ tol·max(|want|, scale)`: relative to `want`, absolute
/// (`tol·scale`) where `|want|` is below `scale`.
#[track_caller]
pub fn close(got: f64, want: f64, tol: f64, scale: f64, what: &str) {
    let bound = tol * want.abs().max(scale);
    assert!(
        (got - want).abs() <= bound,
        "{what}: got {got:e}, want {want:e}, diff {:e} > {bound:e}",
        (got - want).abs()
    );
}

/// `|got − want| ≤ tol·|want|` (exact when `want` is 0).
#[track_caller]
pub fn rel(got: f64, want: f64, tol: f64, what: &str) {
    close(got, want, tol, 0.0, what);
}

/// [`close`], element by element.
#[track_caller]
pub fn close_all(got: &[f64], want: &[f64], tol: f64, scale: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, tol, scale, &format!("{what}[{i}]"));
    }
}

/// [`rel`], element by element.
#[track_caller]
pub fn rel_all(got: &[f64], want: &[f64], tol: f64, what: &str) {
    close_all(got, want, tol, 0.0, what);
}

/// `|a − b| ≤ tol·max(|a|, |b|, scale)`, symmetric in `a` and `b`, for
/// `prop_assert!` (NaN is never close).
pub fn is_close(a: f64, b: f64, tol: f64, scale: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(scale)
}

// ---------------------------------------------------------------------------
// Models

/// Erlang(k, θ): `[k] → [k − 1] → … → [0]`, every rate θ.
pub fn erlang(k: i32) -> Graph {
    Graph::from_rule_with_params(&Initial::state(&[k]), 1, |s, out| {
        if s[0] > 0 {
            out.add_param(&[s[0] - 1], 0.0, &[1.0])
        }
    })
    .unwrap()
}
