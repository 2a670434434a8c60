//! Reads a const through `super::`.

use phasic::prelude::*;

const RATE: f64 = 2.0;

mod inner {
    #[phasic::callback(initial = [3])]
    pub fn model(state: &[i32], out: &mut Transitions) {
        let n = state[0];
        if n > 1 {
            out.add(&[n - 1], super::RATE);
        }
    }
}

fn main() {
    let _ = Graph::from_callback(inner::model, ());
}
