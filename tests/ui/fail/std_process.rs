//! Reads the process id with `std::process::id`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(std::process::id()));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
