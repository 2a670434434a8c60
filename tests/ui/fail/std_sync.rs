//! Shares state through `std::sync::atomic`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let calls = std::sync::atomic::AtomicU32::new(0);
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            f64::from(calls.load(std::sync::atomic::Ordering::Relaxed)),
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
