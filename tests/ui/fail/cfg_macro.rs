//! Kind 3: `cfg!(…)` is a value that differs between builds.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    let rate = if cfg!(debug_assertions) { 2.0 } else { 1.0 };
    if n > 1 {
        out.add(&[n - 1], rate);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
