//! Reads a file with `std::fs::read`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            std::fs::read("rate.bin").map_or(1.0, |b| b.len() as f64),
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
