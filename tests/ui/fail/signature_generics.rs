//! A generic model function.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model<T: Default + Into<f64>>(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], T::default().into());
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
