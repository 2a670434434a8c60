#![deny(warnings)]
//! No run-time parameter: `Params` is `()`.

use phasic::prelude::*;

/// A two-step chain: [2] -> [1] -> [0].
#[phasic::callback(initial = [2])]
pub fn chain(state: &[i32], out: &mut Transitions) {
    if state[0] > 0 {
        out.add(&[state[0] - 1], 2.0);
    }
}

fn main() {
    let graph = Graph::from_callback(chain, ()).unwrap();
    assert_eq!(graph.vertex_count(), 4);
    let ph = PhaseType::new(&graph).unwrap();
    assert!((ph.expectation(None).unwrap() - 1.0).abs() < 1e-12);
    // the key depends on the tokens only
    assert_eq!(chain.key(&()), chain.key(&()));
}
