//! The first argument is not `&[i32]`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[u32], out: &mut Transitions) {
    let n = state[0] as i32;
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
