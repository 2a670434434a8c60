//! Uses `std::cell::Cell` (interior mutability).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let calls = std::cell::Cell::new(0);
    calls.set(calls.get() + 1);
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(calls.get()));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
