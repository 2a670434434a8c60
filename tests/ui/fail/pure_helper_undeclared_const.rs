//! A `#[phasic::pure]` helper reads `RATE` without `consts(RATE)`.

use phasic::prelude::*;

const RATE: f64 = 2.0;

#[phasic::pure]
fn rate(n: i32) -> f64 {
    f64::from(n) * RATE
}

#[phasic::callback(initial = [3], helpers(rate))]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], rate(n));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
