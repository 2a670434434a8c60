//! A `&mut` run-time parameter.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, calls: &mut f64) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], *calls);
    }
}

fn main() {
    let _ = Graph::from_callback(model, 1.0);
}
