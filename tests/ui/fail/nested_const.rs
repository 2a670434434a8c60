//! Declares a `const` inside the body.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    const RATE: f64 = 2.0;
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], RATE);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
