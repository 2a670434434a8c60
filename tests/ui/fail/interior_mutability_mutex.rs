//! Uses `std::sync::Mutex` (interior mutability).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let total = std::sync::Mutex::new(0.0);
    *total.lock().unwrap() += 1.0;
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], *total.lock().unwrap());
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
