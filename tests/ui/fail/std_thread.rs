//! Depends on the current thread with `std::thread::current`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            std::thread::current()
                .name()
                .map_or(1.0, |s| s.len() as f64),
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
