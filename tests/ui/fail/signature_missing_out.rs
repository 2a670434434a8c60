//! The `out: &mut Transitions` argument is missing.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32]) {
    let _ = state;
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
