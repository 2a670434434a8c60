//! `initial` reads the const `N` without `consts(N)` (and so does the
//! body: one error, where `N` is first written).

use phasic::prelude::*;

const N: i32 = 3;

#[phasic::callback(initial = [N])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 && n <= N {
        out.add(&[n - 1], 1.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
