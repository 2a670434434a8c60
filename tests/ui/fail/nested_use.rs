//! Imports with `use` inside the body.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    use std::cmp::max;
    let n = state[0];
    if n > 1 {
        out.add(&[max(n - 1, 1)], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
