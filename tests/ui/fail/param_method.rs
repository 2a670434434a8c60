//! Kind 1: an inherent method of a parameter type is code outside the key.
//! The body sees the parameter's plain-data mirror, which has no methods.

use phasic::prelude::*;

#[derive(phasic::Key, Clone, Debug)]
struct Params {
    base: f64,
}

impl Params {
    fn rate(&self) -> f64 {
        self.base * 2.0
    }
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, p: &Params) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], p.rate());
    }
}

fn main() {
    let _ = Params { base: 1.0 }.rate();
    let _ = Graph::from_callback(model, Params { base: 1.0 });
}
