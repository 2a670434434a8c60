#![deny(warnings)]
//! Pure std paths: `std::cmp::max`, `f64::from`, `i32::MAX`,
//! `std::collections::BTreeMap`, `core::mem::swap`.

use phasic::prelude::*;

#[phasic::callback(initial = [3, 1])]
fn model(state: &[i32], out: &mut Transitions) {
    let (mut a, mut b) = (state[0], state[1]);
    if a < b {
        core::mem::swap(&mut a, &mut b);
    }
    let mut rates = std::collections::BTreeMap::new();
    if a > 0 {
        rates.insert(vec![a - 1, b], f64::from(std::cmp::max(a, 1)));
    }
    assert!(a < i32::MAX);
    for (child, rate) in rates {
        out.add(&child, rate);
    }
}

fn main() {
    let graph = Graph::from_callback(model, ()).unwrap();
    // start, [3,1], [2,1], [1,1], [0,1], then (swapped) [0,0]
    assert_eq!(graph.vertex_count(), 6);
    let ph = PhaseType::new(&graph).unwrap();
    let expected = 1.0 / 3.0 + 1.0 / 2.0 + 1.0 + 1.0;
    assert!((ph.expectation(None).unwrap() - expected).abs() < 1e-12);
}
