//! Kind 3: `#[cfg(…)]` on a statement gives one key and two graphs
//! (debug and release builds share the cache).

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    let mut rate = 1.0;
    #[cfg(debug_assertions)]
    {
        rate = 2.0;
    }
    if n > 1 {
        out.add(&[n - 1], rate);
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
