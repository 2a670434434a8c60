//! Returns a value instead of adding transitions to `out`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) -> usize {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
    state.len()
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
