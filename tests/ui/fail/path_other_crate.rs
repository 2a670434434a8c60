//! Calls into another crate (`::serde_json`, a dependency of phasic).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            ::serde_json::from_str::<f64>("2.0").unwrap_or(1.0),
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
