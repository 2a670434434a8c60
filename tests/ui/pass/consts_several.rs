#![deny(warnings)]
//! `consts(N, RATE, LABELS)`, also readable from `initial`; a static is
//! declared the same way.

use phasic::prelude::*;

const N: i32 = 3;
const RATE: f64 = 0.5;
static LABELS: [i32; 2] = [0, 1];

#[phasic::callback(initial = [N, LABELS[0]], consts(N, RATE, LABELS))]
fn decay(state: &[i32], out: &mut Transitions) {
    if state[0] > 0 {
        out.add(&[state[0] - 1, LABELS[1]], RATE * f64::from(N));
    }
}

fn main() {
    let graph = Graph::from_callback(decay, ()).unwrap();
    // start, [3,0], [2,1], [1,1], [0,1]
    assert_eq!(graph.vertex_count(), 5);
    let ph = PhaseType::new(&graph).unwrap();
    assert!((ph.expectation(None).unwrap() - 3.0 / 1.5).abs() < 1e-12);
}
