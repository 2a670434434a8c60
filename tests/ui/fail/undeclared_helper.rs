//! Calls the function `rate` without `helpers(rate)`.

use phasic::prelude::*;

fn rate(n: i32) -> f64 {
    f64::from(n)
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], rate(n));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
