#![deny(warnings)]
//! `initial = [5]`: one state with probability 1.

use phasic::prelude::*;

#[phasic::callback(initial = [5])]
fn kingman(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0);
    }
}

fn main() {
    let graph = Graph::from_callback(kingman, ()).unwrap();
    // start, 5, 4, 3, 2, 1
    assert_eq!(graph.vertex_count(), 6);
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 2.0 * (1.0 - 1.0 / 5.0);
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
}
