//! Uses `std::cell::RefCell` (interior mutability).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let seen = std::cell::RefCell::new(Vec::new());
    seen.borrow_mut().push(state[0]);
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], seen.borrow().len() as f64);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
