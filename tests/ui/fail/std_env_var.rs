//! Reads the process environment with `std::env::var`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            std::env::var("RATE").map_or(1.0, |s| s.len() as f64),
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
