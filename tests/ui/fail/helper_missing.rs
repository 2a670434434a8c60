//! Declares `helpers(rate)`, but no function `rate` exists.

use phasic::prelude::*;

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
