//! Creates an `async` block inside the body.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let rate = async { 1.0 };
    drop(rate);
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
