//! Uses an `unsafe` block.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], unsafe {
            std::mem::transmute::<u64, f64>(4607182418800017408)
        });
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
