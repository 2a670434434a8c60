#![deny(warnings)]
//! `theta_dim = 1` with `out.add_param`: parameterized edges.

use phasic::prelude::*;

#[phasic::callback(initial = [3], theta_dim = 1)]
fn kingman(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add_param(&[n - 1], 0.0, &[f64::from(n * (n - 1)) / 2.0]);
    }
}

fn main() {
    let mut graph = Graph::from_callback(kingman, ()).unwrap();
    assert_eq!(graph.vertex_count(), 4);
    assert_eq!(graph.param_dim(), 1);
    graph.update_weights(&[2.0]).unwrap();
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 2.0 * (1.0 - 1.0 / 3.0) / 2.0;
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
}
