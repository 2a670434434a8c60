//! Depends on the line number with `line!`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(line!()));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
