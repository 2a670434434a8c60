#![deny(warnings)]
//! `consts(RATE)`: a declared const, keyed by value.

use phasic::prelude::*;

const RATE: f64 = 3.0;

#[phasic::callback(initial = [2], consts(RATE))]
fn decay(state: &[i32], out: &mut Transitions) {
    if state[0] > 0 {
        out.add(&[state[0] - 1], RATE);
    }
}

fn main() {
    let graph = Graph::from_callback(decay, ()).unwrap();
    assert_eq!(graph.vertex_count(), 4);
    let ph = PhaseType::new(&graph).unwrap();
    assert!((ph.expectation(None).unwrap() - 2.0 / 3.0).abs() < 1e-12);
}
