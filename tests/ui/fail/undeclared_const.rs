//! Reads the const `RATE` without `consts(RATE)`.

use phasic::prelude::*;

const RATE: f64 = 2.0;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], RATE);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
