//! Declares a `thread_local!` inside the body.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    thread_local! {
        static CALLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    CALLS.with(|c| c.set(c.get() + 1));
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(CALLS.with(|c| c.get())));
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
