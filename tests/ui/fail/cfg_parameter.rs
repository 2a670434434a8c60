//! Kind 3: `#[cfg(…)]` on a parameter changes the signature by build.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, #[cfg(debug_assertions)] rate: f64) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {}
