#![deny(warnings)]
//! Several run-time parameters: `Params` is a tuple; `mut` bindings work.

use phasic::prelude::*;

#[phasic::callback(initial = [n])]
fn kingman(state: &[i32], out: &mut Transitions, n: i32, theta: f64, mut floor: usize) {
    floor = floor.max(1);
    let k = state[0];
    if k as usize > floor {
        out.add(&[k - 1], f64::from(k * (k - 1)) / 2.0 * theta);
    }
}

fn main() {
    let graph = Graph::from_callback(kingman, (5, 1.0, 2)).unwrap();
    // start, 5, 4, 3, 2
    assert_eq!(graph.vertex_count(), 5);
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 2.0 * (1.0 / 2.0 - 1.0 / 5.0);
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
    assert_ne!(kingman.key(&(5, 1.0, 2)), kingman.key(&(5, 1.0, 3)));
}
