#![deny(warnings)]
//! The pure macros: `vec!`, `assert!`, `assert_eq!`, `matches!`,
//! `panic!`, `format!`, `unreachable!`.

use phasic::prelude::*;

#[phasic::callback(initial = vec![3, 0])]
fn model(state: &[i32], out: &mut Transitions) {
    assert!(state.len() == 2, "two counters");
    assert_eq!(state.len(), 2);
    let label = format!("{}-{}", state[0], state[1]);
    if label.is_empty() {
        panic!("empty label for {:?}", state);
    }
    let children = vec![state[0] - 1, state[1] + 1];
    if matches!(state[0], 1..=3 if state[1] >= 0) {
        out.add(&children, 1.0);
    } else if state[0] > 3 {
        unreachable!("never more than three");
    }
}

fn main() {
    let graph = Graph::from_callback(model, ()).unwrap();
    assert_eq!(graph.vertex_count(), 5);
    let ph = PhaseType::new(&graph).unwrap();
    assert!((ph.expectation(None).unwrap() - 3.0).abs() < 1e-12);
}
