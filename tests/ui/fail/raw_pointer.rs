//! Kind 4: a pointer's address changes from run to run.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    let address = state.as_ptr() as *const i32 as usize;
    if n > 1 {
        out.add(&[n - 1], (address % 7) as f64 + 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
