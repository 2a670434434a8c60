//! Reads the static `SCALE` without `consts(SCALE)`.

use phasic::prelude::*;

static SCALE: f64 = 2.0;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], SCALE);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
