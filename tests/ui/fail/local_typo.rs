//! A typo in a local's name gets rustc's own error, which names the
//! local, not advice about `helpers(…)`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let lineages = state[0];
    if lineages > 1 {
        out.add(&[lineages - 1], f64::from(lineage));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
