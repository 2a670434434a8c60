//! Declares a `fn` inside the body.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    fn rate(n: i32) -> f64 {
        f64::from(n)
    }
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], rate(n));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
