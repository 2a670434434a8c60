//! Iterates a `std::collections::HashMap` (randomly seeded order).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let mut rates = std::collections::HashMap::new();
    rates.insert(state[0] - 1, 1.0);
    for (child, rate) in rates {
        if child > 0 {
            out.add(&[child], rate);
        }
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
