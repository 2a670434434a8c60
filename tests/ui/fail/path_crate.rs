//! Reads a const through `crate::` instead of `consts(...)`.

use phasic::prelude::*;

const RATE: f64 = 2.0;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], crate::RATE);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
