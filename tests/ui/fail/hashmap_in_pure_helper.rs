//! Kind 4: a `HashMap` built inside a `#[phasic::pure]` helper through a
//! name imported at the top of the file: its iteration order changes from
//! run to run.

use phasic::prelude::*;
use std::collections::HashMap;

#[phasic::pure]
fn children(n: i32) -> Vec<i32> {
    let mut seen = HashMap::new();
    seen.insert(n - 1, ());
    seen.into_keys().collect()
}

#[phasic::callback(initial = [3], helpers(children))]
fn model(state: &[i32], out: &mut Transitions) {
    for child in children(state[0]) {
        if child > 0 {
            out.add(&[child], 1.0);
        }
    }
}

fn main() {
    let _: HashMap<i32, ()> = HashMap::new();
    let _ = Graph::from_callback(model, ());
}
