//! A run-time parameter whose type does not implement `Key`.

use phasic::prelude::*;

struct Opaque {
    rate: f64,
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, p: &Opaque) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], p.rate);
    }
}

fn main() {
    let _ = Graph::from_callback(model, Opaque { rate: 1.0 });
}
