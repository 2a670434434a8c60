//! Kind 3: `#[cfg_attr(…)]` inside a body.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    #[cfg_attr(feature = "fast", allow(unused_variables))]
    let rate = 1.0;
    if n > 1 {
        out.add(&[n - 1], rate);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
