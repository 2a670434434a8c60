//! Reads a file with `include_bytes!`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            include_bytes!("macro_include_bytes.rs").len() as f64,
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
