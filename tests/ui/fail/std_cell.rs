//! Caches a value in a `std::cell::OnceCell`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let rate = std::cell::OnceCell::new();
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], *rate.get_or_init(|| 1.0));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
