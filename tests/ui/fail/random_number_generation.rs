//! Draws a random number (`rand::random`).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], rand::random::<f64>());
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
