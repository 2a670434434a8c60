//! Calls a macro of another crate (`tracing::info!`).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    tracing::info!("expanding {n}");
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
