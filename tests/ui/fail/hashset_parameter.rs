//! Kind 4: a parameter whose type is a hashed collection (here behind an
//! alias) would carry its random order into the body.

use phasic::prelude::*;
use std::collections::HashSet;

type Targets = HashSet<i32>;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, targets: &Targets) {
    for &t in targets {
        if t < state[0] {
            out.add(&[t], 1.0);
        }
    }
}

fn main() {
    let _ = Graph::from_callback(model, Targets::new());
}
