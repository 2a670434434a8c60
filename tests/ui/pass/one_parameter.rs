#![deny(warnings)]
//! One run-time parameter: `Params` is its type.

use phasic::prelude::*;

#[phasic::callback(initial = [4])]
fn kingman(state: &[i32], out: &mut Transitions, theta: f64) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
    }
}

fn main() {
    let graph = Graph::from_callback(kingman, 2.0).unwrap();
    assert_eq!(graph.vertex_count(), 5);
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 2.0 * (1.0 - 1.0 / 4.0) / 2.0;
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
    assert_ne!(kingman.key(&1.0), kingman.key(&2.0));
}
