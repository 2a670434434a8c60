//! A declared const whose type is not `Key` is reported on its name.

use phasic::prelude::*;

struct Opaque(f64);

const RATE: Opaque = Opaque(1.0);

#[phasic::callback(initial = [3], consts(RATE))]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], RATE.0);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
