//! The attribute lacks `initial = ...`.

use phasic::prelude::*;

#[phasic::callback()]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
