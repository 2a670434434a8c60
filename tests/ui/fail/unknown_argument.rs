//! An attribute argument the macro does not know.

use phasic::prelude::*;

#[phasic::callback(initial = [3], cache = true)]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
