//! Kind 1: a conversion (`From`/`Into`) implemented on a parameter type
//! runs code outside the key; the mirror has none.

use phasic::prelude::*;

#[derive(phasic::Key, Clone, Debug)]
struct Rate {
    per_pair: f64,
}

impl From<Rate> for f64 {
    fn from(r: Rate) -> f64 {
        r.per_pair * 3.0
    }
}

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions, r: Rate) {
    let n = state[0];
    if n > 1 {
        let rate: f64 = r.into();
        out.add(&[n - 1], rate);
    }
}

fn main() {
    let _ = Graph::from_callback(model, Rate { per_pair: 1.0 });
}
