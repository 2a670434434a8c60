//! Kind 1: a hand-written `Default` of a parameter type is code outside
//! the key; the mirror has no `Default`.

use phasic::prelude::*;

#[derive(phasic::Key, Clone, Debug)]
struct Params {
    rate: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { rate: 2.0 }
    }
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, p: &Params) {
    let n = state[0];
    let fallback = Params::default();
    if n > 1 {
        out.add(&[n - 1], p.rate + fallback.rate);
    }
}

fn main() {
    let _ = Graph::from_callback(model, Params::default());
}
