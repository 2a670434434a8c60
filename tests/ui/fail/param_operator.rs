//! Kind 1: an operator implemented on a parameter type (`w + w`) runs code
//! outside the key; the mirror the body sees implements no operator.

use phasic::prelude::*;

#[derive(phasic::Key, Clone, Copy, Debug)]
struct Weight(f64);

impl std::ops::Add for Weight {
    type Output = f64;
    fn add(self, other: Weight) -> f64 {
        self.0 + other.0
    }
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, w: Weight) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], w + w);
    }
}

fn main() {
    let _ = Graph::from_callback(model, Weight(1.0));
}
