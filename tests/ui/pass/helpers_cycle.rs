#![deny(warnings)]
//! Two pure helpers that call each other (a cycle of `helpers(...)`).

use phasic::prelude::*;

#[phasic::pure(helpers(is_odd))]
fn is_even(k: i32) -> bool {
    if k == 0 { true } else { is_odd(k - 1) }
}

#[phasic::pure(helpers(is_even))]
fn is_odd(k: i32) -> bool {
    if k == 0 { false } else { is_even(k - 1) }
}

#[phasic::callback(initial = [4], helpers(is_even, is_odd))]
fn alternating(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 0 {
        let rate = if is_even(n) {
            1.0
        } else if is_odd(n) {
            2.0
        } else {
            0.0
        };
        out.add(&[n - 1], rate);
    }
}

fn main() {
    let graph = Graph::from_callback(alternating, ()).unwrap();
    assert_eq!(graph.vertex_count(), 6);
    let ph = PhaseType::new(&graph).unwrap();
    // 4 -> 3 at 1, 3 -> 2 at 2, 2 -> 1 at 1, 1 -> 0 at 2
    assert!((ph.expectation(None).unwrap() - 3.0).abs() < 1e-12);
    // the key is finite although the helpers form a cycle
    let _ = alternating.key(&());
}
