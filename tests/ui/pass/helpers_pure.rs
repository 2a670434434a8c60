#![deny(warnings)]
//! `helpers(rate)`: a pure helper that itself uses `consts(...)` and
//! another helper.

use phasic::prelude::*;

const SCALE: f64 = 2.0;

/// Pairs among `k` lineages.
#[phasic::pure]
fn pairs(k: i32) -> f64 {
    f64::from(k) * f64::from(k - 1) / 2.0
}

#[phasic::pure(consts(SCALE), helpers(pairs))]
fn rate(k: i32) -> f64 {
    pairs(k) * SCALE
}

#[phasic::callback(initial = [4], helpers(rate))]
fn kingman(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], rate(n));
    }
}

fn main() {
    let graph = Graph::from_callback(kingman, ()).unwrap();
    assert_eq!(graph.vertex_count(), 5);
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 2.0 * (1.0 - 1.0 / 4.0) / SCALE;
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
    // the helper is still an ordinary function
    assert_eq!(rate(3), 6.0);
}
