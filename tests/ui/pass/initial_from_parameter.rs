#![deny(warnings)]
//! `initial` uses a run-time parameter (used nowhere else).

use phasic::prelude::*;

#[phasic::callback(initial = [n])]
fn kingman(state: &[i32], out: &mut Transitions, n: i32) {
    let k = state[0];
    if k > 1 {
        out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0);
    }
}

fn main() {
    for n in [2, 4, 7] {
        let graph = Graph::from_callback(kingman, n).unwrap();
        assert_eq!(graph.vertex_count(), n as usize + 1);
        let ph = PhaseType::new(&graph).unwrap();
        let expected = 2.0 * (1.0 - 1.0 / f64::from(n));
        assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
    }
}
